"""Signed media tokens: round trip, expiry, tampering, malformed input."""

from __future__ import annotations

import base64
import re

import pytest

from media.signing import (
    InvalidMediaToken,
    MediaGrant,
    sign_media_token,
    unverified_subject,
    verify_media_token,
)

SECRET = b"0123456789abcdef0123456789abcdef"
NOW = 1_800_000_000.0


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_round_trip_returns_grant() -> None:
    token = sign_media_token(42, 7, SECRET, ttl_s=600, now=NOW)
    assert verify_media_token(token, SECRET, now=NOW + 1) == MediaGrant(42, 7, int(NOW) + 600)


def test_token_is_url_safe_and_short() -> None:
    token = sign_media_token(2**40, 2**40, SECRET, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    assert len(token) < 120


def test_default_ttl_is_an_hour() -> None:
    token = sign_media_token(1, 1, SECRET, now=NOW)
    assert verify_media_token(token, SECRET, now=NOW).expires_at == int(NOW) + 3600


def test_expired_at_exact_expiry() -> None:
    token = sign_media_token(1, 2, SECRET, ttl_s=60, now=NOW)
    verify_media_token(token, SECRET, now=NOW + 59.9)
    with pytest.raises(InvalidMediaToken, match="expired"):
        verify_media_token(token, SECRET, now=NOW + 60)


def test_uses_wall_clock_by_default() -> None:
    token = sign_media_token(1, 2, SECRET)
    assert verify_media_token(token, SECRET).call_id == 1
    old = sign_media_token(1, 2, SECRET, ttl_s=10, now=1_000_000.0)
    with pytest.raises(InvalidMediaToken):
        verify_media_token(old, SECRET)


def test_wrong_secret_rejected() -> None:
    token = sign_media_token(1, 2, SECRET, now=NOW)
    with pytest.raises(InvalidMediaToken, match="signature"):
        verify_media_token(token, b"another-secret-of-32-bytes-long!", now=NOW)


def test_swapped_payload_rejected() -> None:
    token = sign_media_token(1, 2, SECRET, now=NOW)
    _, sig = token.split(".")
    forged_payload = _b64(f"v1:999:2:{int(NOW) + 3600}".encode())
    with pytest.raises(InvalidMediaToken, match="signature"):
        verify_media_token(f"{forged_payload}.{sig}", SECRET, now=NOW)


def test_extended_expiry_rejected() -> None:
    token = sign_media_token(1, 2, SECRET, ttl_s=10, now=NOW)
    _, sig = token.split(".")
    longer = _b64(f"v1:1:2:{int(NOW) + 10**6}".encode())
    with pytest.raises(InvalidMediaToken):
        verify_media_token(f"{longer}.{sig}", SECRET, now=NOW)


@pytest.mark.parametrize("position", [0, 5, -1])
def test_flipped_character_rejected(position: int) -> None:
    token = sign_media_token(1, 2, SECRET, now=NOW)
    chars = list(token)
    chars[position] = "A" if chars[position] != "A" else "B"
    with pytest.raises(InvalidMediaToken):
        verify_media_token("".join(chars), SECRET, now=NOW)


def test_non_canonical_base64_rejected() -> None:
    # 32 signature bytes take 43 characters; the last one carries 2 unused bits.
    token = sign_media_token(1, 2, SECRET, now=NOW)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    variants = [token[:-1] + alphabet[(last & ~3) | bits] for bits in range(4)]
    assert sum(v != token for v in variants) == 3
    for variant in variants:
        if variant != token:
            with pytest.raises(InvalidMediaToken):
                verify_media_token(variant, SECRET, now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "no-dot",
        "a.b.c",
        ".",
        "abc.",
        ".abc",
        "ab$c.def",
        "abc.d=ef",
        "x" * 500 + "." + "y",
        _b64(b"v1:1:2:3") + "." + _b64(b"short"),
        _b64(b"v2:1:2:9999999999") + "." + _b64(b"x" * 32),
        _b64(b"v1:-1:2:9999999999") + "." + _b64(b"x" * 32),
        _b64(b"\xff\xfe") + "." + _b64(b"x" * 32),
    ],
)
def test_malformed_tokens_rejected(token: str) -> None:
    with pytest.raises(InvalidMediaToken):
        verify_media_token(token, SECRET, now=NOW)


@pytest.mark.parametrize("token", [None, 123, b"abc.def"])
def test_non_string_token_rejected(token: object) -> None:
    with pytest.raises(InvalidMediaToken):
        verify_media_token(token, SECRET, now=NOW)  # type: ignore[arg-type]


def test_invalid_media_token_is_a_value_error() -> None:
    assert issubclass(InvalidMediaToken, ValueError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"call_id": -1},
        {"call_id": True},
        {"call_id": 1.5},
        {"user_id": -3},
        {"secret": b"short"},
        {"secret": "a-str-secret-that-is-long-enough"},
        {"ttl_s": 0},
        {"ttl_s": -5},
        {"ttl_s": 1.5},
    ],
)
def test_sign_rejects_bad_arguments(kwargs: dict) -> None:
    args = {"call_id": 1, "user_id": 2, "secret": SECRET, "ttl_s": 60, "now": NOW} | kwargs
    with pytest.raises(ValueError):
        sign_media_token(**args)


def test_verify_rejects_short_secret() -> None:
    token = sign_media_token(1, 2, SECRET, now=NOW)
    with pytest.raises(ValueError):
        verify_media_token(token, b"", now=NOW)


def test_unverified_subject() -> None:
    token = sign_media_token(5, 9, SECRET, ttl_s=1, now=NOW - 10_000)  # long expired
    assert unverified_subject(token) == (5, 9)
    assert unverified_subject("garbage") is None


def test_the_session_epoch_round_trips_and_is_signed() -> None:
    token = sign_media_token(42, 7, SECRET, ttl_s=600, now=NOW, epoch=3)
    assert verify_media_token(token, SECRET, now=NOW) == MediaGrant(42, 7, int(NOW) + 600, 3)
    _, sig = token.split(".")
    bumped = _b64(f"v2:42:7:4:{int(NOW) + 600}".encode())  # "still valid after logout"
    with pytest.raises(InvalidMediaToken, match="signature"):
        verify_media_token(f"{bumped}.{sig}", SECRET, now=NOW)


def test_a_v1_token_without_an_epoch_parses_with_epoch_none() -> None:
    """Links made before epochs existed still verify by signature, and say they carry no
    epoch, so the route can refuse them as 'ended at logout'."""
    import hashlib
    import hmac

    payload = _b64(f"v1:5:9:{int(NOW) + 60}".encode())
    sig = _b64(hmac.new(SECRET, payload.encode(), hashlib.sha256).digest())
    grant = verify_media_token(f"{payload}.{sig}", SECRET, now=NOW)
    assert grant == MediaGrant(5, 9, int(NOW) + 60, None)


@pytest.mark.parametrize("epoch", [-1, True, 1.0, "1", None])
def test_sign_rejects_a_bad_epoch(epoch: object) -> None:
    with pytest.raises(ValueError, match="epoch"):
        sign_media_token(1, 2, SECRET, now=NOW, epoch=epoch)  # type: ignore[arg-type]


def _route_status(token: str, current_epoch: int | None) -> tuple[int, bytes]:
    from starlette.applications import Starlette

    from player.routes import media_routes
    from tests.hostile import asgi_request

    def resolve(call_id: int, user_id: int):
        return __file__

    app = Starlette(routes=media_routes(resolve, lambda: SECRET, lambda _user: current_epoch))
    status, _, body = asgi_request(app, f"/audio/{token}")
    return status, body


def test_the_route_refuses_a_link_from_an_earlier_session_epoch() -> None:
    token = sign_media_token(1, 2, SECRET, epoch=3)
    assert _route_status(token, 3)[0] == 200
    status, body = _route_status(token, 4)  # the user logged out since
    assert status == 403 and b"ended when you logged out" in body
    assert _route_status(token, None)[0] == 403  # no such active user any more
