"""Local accounts: argon2id hashes, login with throttling after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import update
from sqlmodel import select

from db.access import Actor
from db.config import settings
from db.engine import read_scope, session_scope
from db.models import User, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
# One answer for every refusal (unknown user, wrong password, locked, deactivated), so a
# guesser learns nothing about which usernames exist; it still tells people what to do.
LOGIN_FAILED = (
    f"Wrong username or password. After {MAX_FAILED_LOGINS} failed attempts an account "
    f"pauses for {int(LOCKOUT.total_seconds() // 60)} minutes."
)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash = _hasher.hash("earshot-timing-equaliser")


class LoginFailed(Exception):
    """Login refused; the message never says which part was wrong."""


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("A password needs at least 8 characters.")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(username: str, password: str) -> Actor:
    """The actor for these credentials, or LoginFailed. Locks an account for LOCKOUT after
    MAX_FAILED_LOGINS wrong passwords in a row; the count is kept atomically in the
    database so parallel guesses cannot slip past it."""
    username = (username or "").strip().lower()
    password = password or ""
    if not username or len(username) > 64 or "\x00" in username:
        verify_password(_dummy_hash, password)  # the same work as a real check
        raise LoginFailed(LOGIN_FAILED)
    with session_scope() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            verify_password(_dummy_hash, password)
            raise LoginFailed(LOGIN_FAILED)
        now = utcnow()
        locked = user.locked_until is not None and user.locked_until > now
        correct = verify_password(user.password_hash, password)  # always: even timing
        if correct and not locked and user.active:
            user.failed_logins = 0
            user.locked_until = None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            session.add(user)
            return Actor.of(user)
        if not correct and not locked:
            failures = session.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_logins=User.failed_logins + 1)
                .returning(User.failed_logins)
            ).scalar_one()
            if failures >= MAX_FAILED_LOGINS:
                session.execute(
                    update(User)
                    .where(User.id == user.id)
                    .values(failed_logins=0, locked_until=now + LOCKOUT)
                )
    raise LoginFailed(LOGIN_FAILED)


# ------------------------------------------------------------------ remembered logins

SESSION_MAX_AGE_S = 12 * 3600


def _session_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="earshot-session")


def issue_session_token(actor: Actor) -> str:
    """A signed token that logs this user back in after a refresh, until it expires or
    the user logs out (which bumps their session epoch and so ends every token)."""
    with session_scope() as session:
        user = session.get(User, actor.id)
        return _session_serializer().dumps({"u": user.id, "e": user.session_epoch})


def actor_from_session_token(token: str | None) -> Actor | None:
    """The actor a session token stands for, or None if it is bad, old or revoked."""
    if not token or len(token) > 400:
        return None
    try:
        data = _session_serializer().loads(token, max_age=SESSION_MAX_AGE_S)
        user_id, epoch = int(data["u"]), int(data["e"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.session_epoch != epoch:
            return None
        return Actor.of(user)


def end_sessions(actor: Actor) -> None:
    """Log the user out everywhere: remembered-login tokens issued so far stop working."""
    with session_scope() as session:
        user = session.get(User, actor.id)
        if user is not None:
            user.session_epoch += 1
            session.add(user)


def current_actor_state(actor: Actor) -> Actor | None:
    """The actor as stored now (role or team may have changed); None once deactivated."""
    with read_scope() as session:
        user = session.get(User, actor.id)
        return Actor.of(user) if user is not None and user.active else None
