"""Users and teams. Only admins manage them; anyone may read their own profile."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from db.access import AccessDenied, Actor, NotFound, require_role
from db.audit import record_audit
from db.auth import hash_password
from db.cache import bump_data_version
from db.engine import read_scope, session_scope
from db.models import Role, Team, User
from db.sampling import reassign_departed_scorer

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
) -> User:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValueError(
            f"Username {username!r} is not allowed: use 2–64 lowercase letters, digits, "
            "'.', '_' or '-', starting with a letter."
        )
    if role not in Role.__members__:
        raise ValueError(f"Role {role!r} is not one of admin, supervisor, agent.")
    if len(display_name.strip()) > NAME_MAX:
        raise ValueError(f"The display name is longer than {NAME_MAX} characters.")
    if team and len(team.strip()) > NAME_MAX:
        raise ValueError(f"The team name is longer than {NAME_MAX} characters.")
    if role in (Role.agent, Role.supervisor) and not team:
        raise ValueError(f"A {role} needs a team.")
    if session.exec(select(User).where(User.username == username)).first():
        raise ValueError(f"Username {username!r} is taken.")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        team_id=ensure_team(session, team).id if team else None,
        password_hash=hash_password(password, username),
        is_demo=is_demo,
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
) -> UserRow:
    """Create a user. `actor` None is the command line (which runs with the server's
    rights): it may create the FIRST admin, and users of other roles, but never an admin
    once one exists: further admins are made by an admin."""
    with session_scope() as session:
        if actor is not None:
            require_role(actor, Role.admin)
        elif role == Role.admin and _has_admin(session):
            raise AccessDenied(
                "An admin already exists: only an admin can create another admin "
                "(in the app, under Users)."
            )
        user = _create_user(session, username, display_name, role, password, team)
        record_audit(
            session,
            actor,
            "create_user",
            "user",
            user.id,
            after={"username": user.username, "role": user.role, "team": team},
        )
        return _row(session, user)


def set_role(actor: Actor, user_id: int, role: str, team: str | None) -> UserRow:
    require_role(actor, Role.admin)
    if role not in Role.__members__:
        raise ValueError(f"Role {role!r} is not one of admin, supervisor, agent.")
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
