"""Users and teams. Only admins manage them; anyone may read their own profile."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from sqlmodel import Session, select

from db.access import (
    AccessDenied,
    Actor,
    NotFound,
    can_change_password,
    can_reset_password,
    current_actor,
    require_role,
)
from db.cache import bump_data_version
from db.engine import read_scope, session_scope
from db.models import Role, Team, User
from db.services.audit import record_audit
from db.services.auth import (
    check_current_password,
    hash_password,
    password_problem,
    session_epoch_of,
)
from db.services.sampling import reassign_departed_scorer
from scoring.errors import Invalid

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
NAME_MAX = 120  # display and team names


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    team: str | None
    active: bool
    is_demo: bool
    must_change_password: bool = False


def ensure_team(session: Session, name: str) -> Team:
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def _create_user(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    team: str | None,
    is_demo: bool = False,
    must_change_password: bool = False,
) -> User:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise Invalid(
            f"Username {username!r} is not allowed: use 2–64 lowercase letters, digits, "
            "'.', '_' or '-', starting with a letter."
        )
    if role not in Role.__members__:
        raise Invalid(f"Role {role!r} is not one of admin, supervisor, agent.")
    if len(display_name.strip()) > NAME_MAX:
        raise Invalid(f"The display name is longer than {NAME_MAX} characters.")
    if team and len(team.strip()) > NAME_MAX:
        raise Invalid(f"The team name is longer than {NAME_MAX} characters.")
    if role in (Role.agent, Role.supervisor) and not team:
        raise Invalid(f"A {role} needs a team.")
    if session.exec(select(User).where(User.username == username)).first():
        raise Invalid(f"Username {username!r} is taken.")
    if problem := password_problem(password, username):
        raise Invalid(problem)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        team_id=ensure_team(session, team).id if team else None,
        password_hash=hash_password(password, username),
        is_demo=is_demo,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    bump_data_version(session)  # names, teams and scopes feed the trends
    return user


def create_user(
    actor: Actor | None,
    username: str,
    display_name: str,
    role: str,
    password: str,
    team: str | None = None,
    must_change_password: bool = False,
) -> UserRow:
    """Create a user. `actor` None is the command line (which runs with the server's
    rights): it may create the FIRST admin, and users of other roles, but never an admin
    once one exists: further admins are made by an admin. `must_change_password`: the
    password is a temporary one the user replaces at first sign-in."""
    with session_scope() as session:
        if actor is not None:
            require_role(actor, Role.admin)
        elif role == Role.admin and _has_admin(session):
            raise AccessDenied(
                "An admin already exists: only an admin can create another admin "
                "(in the app, under Users)."
            )
        user = _create_user(
            session,
            username,
            display_name,
            role,
            password,
            team,
            must_change_password=must_change_password,
        )
        record_audit(
            session,
            actor,
            "create_user",
            "user",
            user.id,
            after={
                "username": user.username,
                "role": user.role,
                "team": team,
                "must_change_password": must_change_password,
            },
        )
        return _row(session, user)


def set_role(actor: Actor, user_id: int, role: str, team: str | None) -> UserRow:
    require_role(actor, Role.admin)
    if role not in Role.__members__:
        raise Invalid(f"Role {role!r} is not one of admin, supervisor, agent.")
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"User {user_id} was not found.")
        if user.id == actor.id and role != Role.admin:
            raise AccessDenied("You cannot remove your own admin role.")
        before = {"role": user.role, "team_id": user.team_id}
        user.role = role
        user.team_id = ensure_team(session, team).id if team else None
        session.add(user)
        bump_data_version(session)  # names, teams and scopes feed the trends
        record_audit(
            session,
            actor,
            "change_role",
            "user",
            user.id,
            before=before,
            after={"role": role, "team_id": user.team_id},
        )
        return _row(session, user)


def set_active(actor: Actor, user_id: int, active: bool) -> UserRow:
    require_role(actor, Role.admin)
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"User {user_id} was not found.")
        if user.id == actor.id and not active:
            raise AccessDenied("You cannot deactivate yourself.")
        bump_data_version(session)  # names, teams and scopes feed the trends
        record_audit(
            session,
            actor,
            "set_active",
            "user",
            user.id,
            before={"active": user.active},
            after={"active": active},
        )
        user.active = active
        if not active:
            user.session_epoch += 1  # a deactivated user's remembered logins end now
            reassign_departed_scorer(session, user.id)  # open assignments: never lost
        session.add(user)
        return _row(session, user)


def _has_admin(session: Session) -> bool:
    return session.exec(select(User.id).where(User.role == Role.admin).limit(1)).first() is not None


def _row(session: Session, user: User) -> UserRow:
    team = session.get(Team, user.team_id) if user.team_id else None
    return UserRow(
        user.id,
        user.username,
        user.display_name,
        user.role,
        team.name if team else None,
        user.active,
        user.is_demo,
        user.must_change_password,
    )


def list_users(actor: Actor) -> list[UserRow]:
    """Admins see everyone; supervisors see their own team; agents only themselves."""
    with read_scope() as session:
        query = select(User).order_by(User.role, User.username)
        if actor.is_agent:
            query = query.where(User.id == actor.id)
        elif actor.is_supervisor:
            query = query.where(User.team_id == actor.team_id)
        return [_row(session, u) for u in session.exec(query).all()]


def list_agents(actor: Actor) -> list[UserRow]:
    return [u for u in list_users(actor) if u.role == Role.agent and u.active]


def list_teams(actor: Actor) -> list[tuple[int, str]]:
    with read_scope() as session:
        query = select(Team).order_by(Team.name)
        if not actor.is_admin:
            query = query.where(Team.id == actor.team_id)
        return [(t.id, t.name) for t in session.exec(query).all()]


def count_admins() -> int:
    with read_scope() as session:
        return len(session.exec(select(User.id).where(User.role == Role.admin)).all())


# ------------------------------------------------------------------ passwords

TEMPORARY_PASSWORD_BYTES = 12  # 16 URL-safe characters, about 96 bits


def temporary_password(username: str) -> str:
    """A random password that passes the policy (db/services/auth.py password_problem)."""
    while True:
        candidate = secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
        if password_problem(candidate, username) is None:
            return candidate


def reset_password(actor: Actor, user_id: int) -> str:
    """Give another user a temporary password, returned once to show the admin. The user
    must choose their own at next sign-in; their sessions and remembered logins end now,
    and a sign-in pause after failed attempts is lifted. Audited (never the password)."""
    with session_scope() as session:
        actor = current_actor(session, actor)
        user = session.get(User, user_id)
        if user is None or not actor.is_admin:
            require_role(actor, Role.admin)
            raise NotFound(f"User {user_id} was not found.")
        if not can_reset_password(actor, user):
            raise AccessDenied(
                "You cannot reset your own password here: change it on the Account page."
            )
        password = temporary_password(user.username)
        user.password_hash = hash_password(password, user.username)
        user.must_change_password = True
        user.failed_logins = 0
        user.locked_until = None
        user.session_epoch += 1
        session.add(user)
        record_audit(
            session,
            actor,
            "reset_password",
            "user",
            user.id,
            after={"username": user.username, "must_change_password": True},
        )
        return password


@dataclass(frozen=True)
class PasswordChanged:
    """The signed-in user's account after a change: the new session epoch, which this
    browser session carries on with (every other session has ended)."""

    actor: Actor
    session_epoch: int


def change_password(actor: Actor, current: str, new: str, repeated: str) -> PasswordChanged:
    """Change the actor's own password: the current one must be right, the new one must
    pass the policy, differ from the current one and be typed the same twice. Ends the
    user's other sessions and clears a must-change flag. Audited (never the password)."""
    with session_scope() as session:
        actor = current_actor(session, actor)
        user = session.get(User, actor.id)
        if user is None or not can_change_password(actor, user):
            raise AccessDenied("You may change only your own password.")
        if not check_current_password(user.password_hash, current):
            raise Invalid("The current password is not right.")
        if new != repeated:
            raise Invalid("The new password and its repetition differ; type the same twice.")
        if new == current:
            raise Invalid("The new password is the same as the current one; choose another.")
        problem = password_problem(new, user.username)
        if problem:
            raise Invalid(problem)
        user.password_hash = hash_password(new, user.username)
        was_temporary = user.must_change_password
        user.must_change_password = False
        user.session_epoch += 1
        session.add(user)
        record_audit(
            session,
            actor,
            "change_password",
            "user",
            user.id,
            after={"replaced_temporary": was_temporary},
        )
        session.flush()
        changed = PasswordChanged(Actor.of(user), user.session_epoch)
    session_epoch_of(changed.actor.id)  # audio links signed from now carry the new epoch
    return changed


TIME_ZONE_MAX = 64


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone_of(actor: Actor) -> str | None:
    """The IANA time zone the user chose for dates (Account page); None when they have
    not, and pages then use their browser's."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        user = session.get(User, actor.id)
        return user.time_zone if user is not None else None


def set_time_zone(actor: Actor, name: str | None) -> str | None:
    """Save the actor's own time zone for dates, an IANA name such as "Europe/Dublin";
    None (or "") goes back to the browser's. Refuses a name this server does not know.
    Audited. Returns the zone saved."""
    zone = (name or "").strip() or None
    if zone is not None and (len(zone) > TIME_ZONE_MAX or zone not in _known_zones()):
        raise Invalid(
            f"Time zone {zone[:TIME_ZONE_MAX]!r} is not a known time zone name; pick one "
            "from the list (e.g. Europe/Dublin)."
        )
    with session_scope() as session:
        actor = current_actor(session, actor)
        user = session.get(User, actor.id)
        assert user is not None  # current_actor refused a missing user
        before = user.time_zone
        if before == zone:
            return zone
        user.time_zone = zone
        session.add(user)
        record_audit(
            session,
            actor,
            "set_time_zone",
            "user",
            user.id,
            before={"time_zone": before},
            after={"time_zone": zone},
        )
        session.flush()
    return zone
