"""The app's own HTTP routes (/auth/session, /auth/logout, /audio/…) as server.py mounts
them: hostile bodies get a 400 with a clear message, never a 500; the session cookie is
Secure when served over HTTPS (configured, or reported by a trusted proxy only); every
answer carries nosniff and frame-ancestors headers, and HSTS over HTTPS; audio links end
when their user logs out, and live at most EARSHOT_AUDIO_LINK_MINUTES."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from starlette.applications import Starlette

import db.operations.config
import media.signing
from db.access import AccessDenied
from db.operations.config import settings
from db.services.auth import authenticate, end_sessions, issue_session_token
from db.services.calls import audio_url_for
from media.signing import verify_media_token
from tests.factories import PASSWORD, make_call, make_world
from tests.hostile.asgi import call
from ui.http_app import app_middleware, app_routes

LOGIN_HEADERS = {"x-earshot-login": "1", "content-type": "application/json"}
PROXY = "10.0.0.5"
OUTSIDER = "203.0.113.9"


@pytest.fixture
def configure(monkeypatch):
    """Set EARSHOT_* variables for one test (settings are read once, so the cache is
    cleared before and after)."""

    def apply(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()

    yield apply
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def app():
    """The routes and middleware server.py gives st.App, on a bare Starlette app."""
    return Starlette(routes=app_routes(), middleware=app_middleware())


@pytest.fixture
def media_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "media"
    real = db.operations.config.settings
    monkeypatch.setattr("db.services.media.settings", lambda: replace(real(), media_dir=folder))
    return folder


def _post_token(app, token, peer="127.0.0.1", headers=None, scheme="http"):
    body = json.dumps({"token": token}).encode()
    return call(
        app, "/auth/session", "POST", {**LOGIN_HEADERS, **(headers or {})}, body, peer, scheme
    )


HOSTILE_BODIES = {
    "array": b"[1, 2]",
    "string": b'"a string"',
    "number": b"123",
    "null": b"null",
    "true": b"true",
    "token is a list": b'{"token": ["x"]}',
    "token is an object": b'{"token": {"a": 1}}',
    "token is a number": b'{"token": 12}',
    "not json": b"{",
    "not utf-8": b"\xff\xfe\x00",
    "empty": b"",
    "nested deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("name", HOSTILE_BODIES)
def test_a_body_that_is_not_a_token_object_is_a_clear_400(app, database, hostile, name):
    answer = call(app, "/auth/session", "POST", LOGIN_HEADERS, HOSTILE_BODIES[name])
    assert answer.status in (400, 413), (answer.status, answer.body[:200])
    message = json.loads(answer.body)["error"]
    assert message and ("JSON" in message or "token" in message or "large" in message)
    assert "set-cookie" not in answer.headers
    hostile.refused_clearly()


def test_an_oversized_body_is_refused_before_it_is_read_whole(app, database):
    answer = _post_token(app, "x" * 100_000)
    assert answer.status == 413
    assert json.loads(answer.body)["error"] == "The request body is too large."


def test_a_post_without_the_login_header_is_refused(app, database):
    answer = call(app, "/auth/session", "POST", {"content-type": "application/json"}, b"{}")
    assert answer.status == 400
    assert "X-Earshot-Login" in json.loads(answer.body)["error"]


def _cookie(answer) -> str:
    [cookie] = [c for c in answer.cookies if c.startswith("earshot_session=")]
    return cookie


def test_the_session_cookie_is_httponly_strict_and_not_secure_over_plain_http(app, database):
    world = make_world()
    answer = _post_token(app, issue_session_token(world.sup_north))
    assert answer.status == 200
    cookie = _cookie(answer).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie


def test_the_session_cookie_is_secure_when_https_is_configured(app, database, configure):
    configure(EARSHOT_HTTPS="true")
    world = make_world()
    answer = _post_token(app, issue_session_token(world.sup_north))
    assert answer.status == 200 and "secure" in _cookie(answer).lower()
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


def test_forwarded_https_counts_only_from_a_trusted_proxy(app, database, configure):
    configure(EARSHOT_TRUSTED_PROXIES=f"{PROXY}, 192.168.0.0/16")
    world = make_world()
    token = issue_session_token(world.sup_north)
    from_proxy = _post_token(app, token, PROXY, {"x-forwarded-proto": "https"})
    assert from_proxy.status == 200 and "secure" in _cookie(from_proxy).lower()
    assert "strict-transport-security" in from_proxy.headers
    spoofed = _post_token(app, token, OUTSIDER, {"x-forwarded-proto": "https"})
    assert spoofed.status == 200 and "secure" not in _cookie(spoofed).lower()
    assert "strict-transport-security" not in spoofed.headers


@pytest.mark.parametrize(
    ("path", "method"), [("/auth/session", "POST"), ("/auth/logout", "POST"), ("/audio/x.y", "GET")]
)
def test_every_route_answers_with_nosniff_and_frame_ancestors(app, database, path, method):
    answer = call(app, path, method, LOGIN_HEADERS, b"{}")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in answer.headers["content-security-policy"]
    assert "strict-transport-security" not in answer.headers  # plain HTTP, not configured


def test_bad_session_tokens_from_one_address_are_throttled(app, database, configure, hostile):
    configure(EARSHOT_LOGIN_ADDRESS_FAILURES="3")
    world = make_world()
    for i in range(3):
        answer = _post_token(app, f"forged.{i}", OUTSIDER)
        assert answer.status == 403
        hostile.refused_clearly()
    answer = _post_token(app, issue_session_token(world.sup_north), OUTSIDER)
    assert answer.status == 429 and "Try again in" in json.loads(answer.body)["error"]
    assert _post_token(app, issue_session_token(world.sup_north), PROXY).status == 200


# ------------------------------------------------------------------ audio links


def test_an_audio_link_stops_working_when_its_user_logs_out(app, database, media_dir, tmp_path):
    world = make_world()
    c = make_call(world.admin, world.agent_north, tmp_path, seconds=3)
    url = audio_url_for(world.sup_north, c.id)
    assert call(app, url).status == 200
    end_sessions(world.sup_north)  # "Log out" (everywhere)
    answer = call(app, url)
    assert answer.status == 403 and b"logged out" in answer.body
    with pytest.raises(AccessDenied, match="logged out"):
        audio_url_for(world.sup_north, c.id)  # the ended session gets no new link either
    again = authenticate("sup.north", PASSWORD)
    assert call(app, audio_url_for(again, c.id)).status == 200  # a new sign-in's link works
    other = audio_url_for(world.admin, c.id)
    assert call(app, other).status == 200  # someone else's logout ends nobody else's links


def test_audio_links_live_for_the_configured_minutes(database, media_dir, tmp_path, monkeypatch):
    world = make_world()
    c = make_call(world.admin, world.agent_north, tmp_path, seconds=3)
    monkeypatch.setattr(media.signing, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    token = audio_url_for(world.sup_north, c.id).removeprefix("/audio/")
    grant = verify_media_token(token, settings().secret_key, now=1_800_000_000.0)
    assert grant.expires_at == 1_800_000_000 + settings().audio_link_minutes * 60 == 1_800_003_600
