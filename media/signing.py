"""Signed, expiring media tokens for the audio route (pure: no I/O, no globals).

A token is ``<payload>.<signature>``, both unpadded URL-safe base64. The payload is
``v2:<call_id>:<user_id>:<epoch>:<expires_at>`` (expiry in whole Unix seconds; epoch is
the user's session epoch when the link was made, which logging out bumps) and the
signature is HMAC-SHA256 over the encoded payload. Tokens are bearer credentials for
one call's audio until they expire or their user logs out: the db layer issues them only
to users who are allowed to hear that call, and the route compares the epoch with the
user's current one. ``v1`` payloads (no epoch) still parse, with ``epoch`` None, so the
route can refuse them by name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

_VERSION = "v2"
_PAYLOAD_RE = re.compile(r"v2:(\d{1,19}):(\d{1,19}):(\d{1,19}):(\d{1,12})")
_V1_PAYLOAD_RE = re.compile(r"v1:(\d{1,19}):(\d{1,19}):(\d{1,12})")
_MAX_TOKEN_LEN = 200  # a real token is ~80 characters; refuse to parse anything huge
_SIG_LEN = 32


class InvalidMediaToken(ValueError):
    """The token is malformed, carries a bad signature, or has expired."""


@dataclass(frozen=True)
class MediaGrant:
    call_id: int
    user_id: int
    expires_at: int  # Unix seconds; the grant is valid while now < expires_at
    epoch: int | None = 0  # the user's session epoch at signing; None: a v1 token


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise InvalidMediaToken("malformed token")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidMediaToken("malformed token") from exc
    # Reject non-canonical encodings (stray bits in the last character), so each grant
    # has exactly one valid spelling.
    if _b64encode(raw) != text:
        raise InvalidMediaToken("malformed token")
    return raw


def _check_id(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes | bytearray) or len(secret) < 16:
        raise ValueError("secret must be at least 16 bytes")


def _signature(secret: bytes, encoded_payload: str) -> bytes:
    return hmac.new(bytes(secret), encoded_payload.encode("ascii"), hashlib.sha256).digest()


def sign_media_token(
    call_id: int,
    user_id: int,
    secret: bytes,
    ttl_s: int = 3600,
    now: float | None = None,
    epoch: int = 0,
) -> str:
    """Return a URL-safe token granting ``user_id`` access to ``call_id``'s audio while
    the user's session epoch is still ``epoch``."""
    _check_id("call_id", call_id)
    _check_id("user_id", user_id)
    _check_id("epoch", epoch)
    _check_secret(secret)
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int) or ttl_s <= 0:
        raise ValueError(f"ttl_s must be a positive int, got {ttl_s!r}")
    issued = time.time() if now is None else now
    expires_at = int(issued) + ttl_s
    payload = _b64encode(f"{_VERSION}:{call_id}:{user_id}:{epoch}:{expires_at}".encode("ascii"))
    return f"{payload}.{_b64encode(_signature(secret, payload))}"


def _parse(token: str) -> tuple[str, bytes, MediaGrant]:
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LEN or token.count(".") != 1:
        raise InvalidMediaToken("malformed token")
    payload, sig_text = token.split(".")
    sig = _b64decode(sig_text)
    text = _b64decode(payload).decode("ascii", errors="replace")
    match = _PAYLOAD_RE.fullmatch(text)
    old = None if match else _V1_PAYLOAD_RE.fullmatch(text)
    if (match is None and old is None) or len(sig) != _SIG_LEN:
        raise InvalidMediaToken("malformed token")
    if match is not None:
        call_id, user_id, epoch, expires_at = (int(g) for g in match.groups())
        return payload, sig, MediaGrant(call_id, user_id, expires_at, epoch)
    assert old is not None
    call_id, user_id, expires_at = (int(g) for g in old.groups())
    return payload, sig, MediaGrant(call_id, user_id, expires_at, None)


def verify_media_token(token: str, secret: bytes, now: float | None = None) -> MediaGrant:
    """Check signature and expiry; return the grant or raise :class:`InvalidMediaToken`."""
    _check_secret(secret)
    payload, sig, grant = _parse(token)
    if not hmac.compare_digest(sig, _signature(secret, payload)):
        raise InvalidMediaToken("bad signature")
    current = time.time() if now is None else now
    if current >= grant.expires_at:
        raise InvalidMediaToken("expired")
    return grant


def unverified_subject(token: str) -> tuple[int, int] | None:
    """(call_id, user_id) read from a token WITHOUT checking signature or expiry.

    Only for identity purposes that grant nothing (the player uses it to tell a
    refreshed URL for the same call from a different call). Never use it for access.
    """
    try:
        _, _, grant = _parse(token)
    except InvalidMediaToken:
        return None
    return grant.call_id, grant.user_id
