"""Single sign-on: an OpenID Connect identity (st.login, configured in secrets.toml
[auth]) becomes an Earshot user, beside local accounts.

A sign-in is matched, in order, by the provider's issuer and subject (an account already
linked), then by a VERIFIED e-mail address equal to a user's (case-insensitive; the
account is linked from then on); otherwise a new user is created with NO role, who sees
only "waiting for a role" until an admin assigns one. When EARSHOT_SSO_ROLE_CLAIM names a
claim (e.g. ``groups``) and EARSHOT_SSO_ROLE_MAP maps its values
(``qa-admins=admin; north-leads=supervisor:North; north=agent:North``), the highest
mapped role (admin > supervisor > agent) and its team are applied at every sign-in.
Deactivated users are refused whatever the provider says.

An admin may require single sign-on for everyone (``sso_policy``): local passwords then
work only for the one break-glass admin named with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from db.access import AccessDenied, Actor, can_manage_sso, current_actor
from db.cache import bump_data_version
from db.engine import read_scope, session_scope
from db.models import AppSetting, Role, User, utcnow
from db.services.audit import record_audit
from db.services.notifications import setting

NO_ROLE = ""  # a user created by a first sign-in, until an admin assigns a role
SSO_ONLY_HASH = "!sso"  # never a valid argon2 hash: no password signs this user in
POLICY_KEY = "sso"
_RANK = {Role.agent: 1, Role.supervisor: 2, Role.admin: 3}
_USERNAME_BAD = re.compile(r"[^a-z0-9._-]+")


class SsoRefused(Exception):
    """The provider's answer does not sign anyone in; the message says why, for the login
    page (never which accounts exist)."""


# ---------------------------------------------------------------- the policy


@dataclass(frozen=True)
class SsoPolicy:
    """Whether everyone must sign in through the provider, and the one admin who may still
    use a local password (break glass) when they must."""

    required: bool = False
    break_glass_user_id: int | None = None


def _policy(session: Session) -> SsoPolicy:
    row = session.get(AppSetting, POLICY_KEY)
    if row is None:
        return SsoPolicy()
    glass = row.value.get("break_glass_user_id")
    return SsoPolicy(bool(row.value.get("required")), int(glass) if glass is not None else None)


def sso_policy() -> SsoPolicy:
    with read_scope() as session:
        return _policy(session)


def set_sso_policy(actor: Actor, required: bool, break_glass_user_id: int | None) -> SsoPolicy:
    """Admins only. Requiring SSO needs a break-glass admin: an active admin with a local
    password, so a broken provider never locks everyone out."""
    with session_scope() as session:
        actor = current_actor(session, actor)
        if not can_manage_sso(actor):
            raise AccessDenied("Only admins choose how people sign in.")
        if required:
            glass = session.get(User, break_glass_user_id) if break_glass_user_id else None
            if glass is None or glass.role != Role.admin or not glass.active:
                raise ValueError(
                    "Requiring single sign-on needs a break-glass admin: choose an active admin."
                )
            if glass.password_hash == SSO_ONLY_HASH:
                raise ValueError(
                    f"The break-glass admin {glass.username!r} has no local password; "
                    "choose an admin who can sign in with one."
                )
        before = _policy(session)
        row = session.get(AppSetting, POLICY_KEY) or AppSetting(key=POLICY_KEY, value={})
        row.value = {"required": bool(required), "break_glass_user_id": break_glass_user_id}
        row.updated_by, row.updated_at = actor.id, utcnow()
        session.add(row)
        record_audit(
            session,
            actor,
            "sso_policy",
            "app_setting",
            None,
            before={"required": before.required, "break_glass": before.break_glass_user_id},
            after={"required": bool(required), "break_glass": break_glass_user_id},
        )
        return _policy(session)


def local_login_allowed(session: Session, user: User) -> bool:
    """Whether `user` may sign in with a local password under the current policy."""
    policy = _policy(session)
    return not policy.required or user.id == policy.break_glass_user_id


SSO_REQUIRED_MESSAGE = (
    "Your organisation signs in through single sign-on: use the single sign-on button."
)


# ---------------------------------------------------------------- claims to a user


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() == "true"


def role_map() -> dict[str, tuple[str, str | None]]:
    """EARSHOT_SSO_ROLE_MAP parsed: claim value -> (role, team or None). Entries are
    separated by ';' or newlines, each ``value=role`` or ``value=role:Team``; a bad entry
    is refused naming it."""
    raw = setting("earshot_sso_role_map")
    out: dict[str, tuple[str, str | None]] = {}
    for entry in re.split(r"[;\n]", raw):
        if not entry.strip():
            continue
        value, sep, target = entry.partition("=")
        role, _, team = target.strip().partition(":")
        if not sep or not value.strip() or role.strip() not in Role.__members__:
            raise ValueError(
                f"EARSHOT_SSO_ROLE_MAP entry {entry.strip()!r} must look like "
                "'group=role' or 'group=role:Team' with role admin, supervisor or agent."
            )
        if role.strip() != Role.admin and not team.strip():
            raise ValueError(
                f"EARSHOT_SSO_ROLE_MAP entry {entry.strip()!r}: a {role.strip()} needs a team "
                "('group=role:Team')."
            )
        out[value.strip()] = (role.strip(), team.strip() or None)
    return out


def mapped_role(claims: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """The highest role (and its team) the configured claim maps to, or None."""
    claim = setting("earshot_sso_role_claim")
    if not claim:
        return None
    values = claims.get(claim)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        return None
    mapping = role_map()
    found = [mapping[str(v)] for v in values if str(v) in mapping]
    if not found:
        return None
    return max(found, key=lambda rt: _RANK[Role(rt[0])])


def _username_for(session: Session, claims: Mapping[str, Any], email: str | None) -> str:
    wanted = str(claims.get("preferred_username") or (email or "").split("@")[0] or "user")
    folded = unicodedata.normalize("NFKD", wanted).encode("ascii", "ignore").decode().lower()
    base = _USERNAME_BAD.sub("-", folded).strip("-._")[:56] or "user"
    if not base[0].isalpha():
        base = f"u{base}"[:56]
    name, n = base, 1
    while session.exec(select(User.id).where(User.username == name)).first() is not None:
        n += 1
        name = f"{base}-{n}"
    return name


def _apply_mapped_role(session: Session, user: User, claims: Mapping[str, Any]) -> None:
    from db.services.users import ensure_team

    mapped = mapped_role(claims)
    if mapped is None:
        return
    role, team = mapped
    team_id = ensure_team(session, team).id if team else None
    if (user.role, user.team_id) == (role, team_id):
        return
    before = {"role": user.role, "team_id": user.team_id}
    user.role, user.team_id = role, team_id
    session.add(user)
    session.flush()
    bump_data_version(session)
    record_audit(
        session,
        None,
        "sso_role",
        "user",
        user.id,
        before=before,
        after={"role": role, "team_id": team_id},
        reason=f"from the provider's {setting('earshot_sso_role_claim')!r} claim",
    )


def sso_sign_in(claims: Mapping[str, Any]) -> Actor:
    """The Earshot user for an identity the provider vouched for (the ID token's claims,
    as st.user gives them), linking or creating one; SsoRefused saying why otherwise."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not subject:
        raise SsoRefused("The identity provider sent no subject (sub); nobody was signed in.")
    key = f"{issuer}|{subject}"[:255]
    raw_email = claims.get("email")
    email = str(raw_email).strip().lower() if raw_email else None
    verified = _truthy(claims.get("email_verified"))
    with session_scope() as session:
        user = session.exec(select(User).where(User.sso_subject == key)).first()
        action = "sso_sign_in"
        if user is None:
            if not email:
                raise SsoRefused(
                    "The identity provider sent no e-mail address, so this sign-in cannot be "
                    "matched to an account. Ask your administrator to release the 'email' claim."
                )
            if not verified:
                raise SsoRefused(
                    f"The identity provider has not verified the e-mail address {email}; "
                    "verify it with your provider, then sign in again."
                )
            user = session.exec(select(User).where(func.lower(User.email) == email)).first()
            if user is not None:
                if user.sso_subject is not None:
                    raise SsoRefused(
                        "This e-mail address belongs to an account linked to another sign-in. "
                        "Ask an administrator."
                    )
                user.sso_subject, action = key, "sso_link"
            else:
                name = str(claims.get("name") or email.split("@")[0])[:120]
                user = User(
                    username=_username_for(session, claims, email),
                    display_name=name,
                    role=NO_ROLE,
                    password_hash=SSO_ONLY_HASH,
                    email=email,
                    sso_subject=key,
                )
                action = "sso_create"
            session.add(user)
            session.flush()
        if not user.active:
            raise SsoRefused("Your account is not active. Ask an administrator.")
        if verified and email and user.email != email and action == "sso_sign_in":
            taken = session.exec(
                select(User.id).where(func.lower(User.email) == email, User.id != user.id)
            ).first()
            if taken is None:
                user.email = email  # the provider's verified address is the one to mail
                session.add(user)
        _apply_mapped_role(session, user, claims)
        if action != "sso_sign_in":
            record_audit(session, None, action, "user", user.id, after={"username": user.username})
        session.flush()
        return Actor.of(user)


# ---------------------------------------------------------------- admins


def set_email(actor: Actor, user_id: int, email: str | None) -> None:
    """Admins set the address a user's first SSO sign-in links by (and mail goes to)."""
    clean = (email or "").strip().lower() or None
    if clean is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", clean):
        raise ValueError(f"{email!r} is not an e-mail address.")
    with session_scope() as session:
        actor = current_actor(session, actor)
        if not actor.is_admin:
            raise AccessDenied("Only admins set e-mail addresses.")
        user = session.get(User, user_id)
        if user is None:
            from db.access import NotFound

            raise NotFound(f"User {user_id} was not found.")
        if (
            clean
            and session.exec(
                select(User.id).where(func.lower(User.email) == clean, User.id != user_id)
            ).first()
        ):
            raise ValueError(f"Another user already has the address {clean}.")
        record_audit(
            session,
            actor,
            "set_email",
            "user",
            user.id,
            before={"email": user.email},
            after={"email": clean},
        )
        user.email = clean
        session.add(user)


def users_waiting_for_a_role(actor: Actor) -> list[tuple[int, str, str | None]]:
    """Admins: users created by a first sign-in who have no role yet (id, username, email)."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        if not actor.is_admin:
            return []
        rows = session.exec(
            select(User.id, User.username, User.email)
            .where(User.role == NO_ROLE, col(User.active))
            .order_by(col(User.id))
        ).all()
        return [(int(i or 0), str(u), e) for i, u, e in rows]
