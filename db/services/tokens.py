"""Personal access tokens for the export API: made and revoked by their owner in the app,
kept as a SHA-256 only (the token is shown once, at creation), with an expiry. Checking a
token re-reads its owner: a deactivated owner's tokens stop at once.

A token reads ``esk_`` + 43 URL-safe characters (32 random bytes).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from db.access import (
    AccessDenied,
    Actor,
    active_actor,
    can_manage_token,
    current_actor,
    token_filter,
)
from db.engine import read_scope, session_scope
from db.models import ApiRequest, ApiToken, User, utcnow
from db.operations.config import settings
from db.services.audit import record_audit
from scoring.errors import Invalid, NotFound
from scoring.ids import parse_id

TOKEN_PREFIX = "esk_"  # noqa: S105 - a marker that tells tokens apart, not a secret
HINT_LENGTH = 10
NAME_MAX = 100


class TokenRefused(AccessDenied):
    """The presented token cannot be used; the message says why (safe to show)."""


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    hint: str  # the token's first characters, to tell tokens apart
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _row(token: ApiToken) -> TokenRow:
    assert token.id is not None
    return TokenRow(
        token.id,
        token.name,
        token.hint,
        token.created_at,
        token.expires_at,
        token.revoked_at,
        token.last_used_at,
    )


def create_token(actor: Actor, name: str, days: int) -> tuple[str, TokenRow]:
    """A new token for the acting user, valid `days` days (1..EARSHOT_API_TOKEN_MAX_DAYS).
    Returns the token itself (shown once: only its hash is stored) and its row."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise Invalid(f"Token name: give a name of 1 to {NAME_MAX} characters.")
    longest = settings().api_token_max_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        raise Invalid(f"Token expiry: choose 1 to {longest} days, got {days!r}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    with session_scope() as session:
        actor = current_actor(session, actor)
        row = ApiToken(
            user_id=actor.id,
            name=name,
            token_hash=token_hash(token),
            hint=token[:HINT_LENGTH],
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        session.add(row)
        session.flush()
        record_audit(session, actor, "api_token.create", "api_token", row.id, after={"name": name})
        return token, _row(row)


def list_tokens(actor: Actor) -> list[TokenRow]:
    """The acting user's tokens, newest first (revoked and expired ones included)."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        rows = session.exec(
            select(ApiToken).where(token_filter(actor)).order_by(col(ApiToken.id).desc())
        ).all()
        return [_row(row) for row in rows]


def revoke_token(actor: Actor, token_id: object) -> TokenRow:
    """Revoke one of the acting user's tokens; it stops at once. Revoking twice is a no-op."""
    ident = parse_id(token_id)
    with session_scope() as session:
        actor = current_actor(session, actor)
        row = session.get(ApiToken, ident) if ident is not None else None
        if row is None or not can_manage_token(actor, row):
            raise NotFound(f"Token {token_id} was not found or is not yours.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
            record_audit(
                session, actor, "api_token.revoke", "api_token", row.id, after={"name": row.name}
            )
        return _row(row)


def actor_for_token(token: str) -> tuple[Actor, int]:
    """The owner of a presented token as they are now, and the token's id; TokenRefused
    for an unknown, revoked or expired token and for a deactivated owner."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise TokenRefused("The API token is not valid: check it was copied whole.")
    with read_scope() as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
        if row is None:
            raise TokenRefused("The API token is not valid: check it was copied whole.")
        if row.revoked_at is not None:
            raise TokenRefused("The API token was revoked. Create a new one in the app.")
        now = utcnow()
        if row.expires_at <= now:
            raise TokenRefused(
                f"The API token expired on {row.expires_at:%Y-%m-%d %H:%M} UTC. "
                "Create a new one in the app."
            )
        try:
            actor = active_actor(session.get(User, row.user_id))
        except AccessDenied:
            raise TokenRefused(
                "The API token's owner is not active: their tokens stopped."
            ) from None
        assert row.id is not None
        # API actors carry no session epoch: a token lives by its own expiry and revocation.
        owner = Actor(actor.id, actor.username, actor.display_name, actor.role, actor.team_id)
        return owner, row.id


def record_request(
    token_id: int | None,
    user_id: int | None,
    address: str,
    path: str,
    query: str,
    status: int,
    rows: int,
) -> None:
    """The audit row of one API request (answered or refused); marks the token used."""
    with session_scope() as session:
        session.add(
            ApiRequest(
                token_id=token_id,
                user_id=user_id,
                address=address[:64],
                path=path[:200],
                query=query[:1000],
                status=status,
                rows=rows,
            )
        )
        if token_id is not None and status < 400:
            token = session.get(ApiToken, token_id)
            if token is not None:
                token.last_used_at = utcnow()
                session.add(token)


def api_requests(actor: Actor, limit: int = 50) -> list[ApiRequest]:
    """The acting user's latest API requests (their own audit), newest first."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        rows = session.exec(
            select(ApiRequest)
            .where(ApiRequest.user_id == actor.id)
            .order_by(col(ApiRequest.id).desc())
            .limit(limit)
        ).all()
        session.expunge_all()
        return list(rows)
