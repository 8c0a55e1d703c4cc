"""Sessions end when they should, at the next action, through the real workbench script:
'Log out' in one browser ends every other session of that user; a session idle past
EARSHOT_SESSION_IDLE_MINUTES or older than EARSHOT_SESSION_MAX_HOURS ends; the login
form passes the browser's address to the per-address limits."""

from __future__ import annotations

import pytest

import db.services.auth
import ui.session
from db.operations.config import settings
from tests.app.conftest import open_page
from tests.factories import PASSWORD, make_world


def _log_in(username: str, password: str = PASSWORD):
    at = open_page(None)
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    at.run()
    return at


def _logged_in(at) -> bool:
    return "actor" in at.session_state


def _notices(at) -> list[str]:
    return [m.value for m in at.info] + [m.value for m in at.warning]


@pytest.fixture
def clock(monkeypatch):
    """The sessions' wall clock, moved by the test (Unix seconds)."""
    now = [db.services.auth._wall()]
    monkeypatch.setattr(db.services.auth, "_wall", lambda: now[0])
    return now


def test_log_out_in_one_browser_ends_the_users_other_sessions_at_their_next_action(app_db):
    make_world()
    laptop, desktop = _log_in("sup.north"), _log_in("sup.north")
    other_user = _log_in("sup.south")
    assert _logged_in(laptop) and _logged_in(desktop)
    laptop.sidebar.button(key="logout").click()
    laptop.run()
    assert not _logged_in(laptop)
    desktop.run()  # its next action
    assert not _logged_in(desktop)
    assert desktop.text_input(key="login_username").value == ""
    assert "You were logged out. Log in again." in _notices(desktop)
    other_user.run()
    assert _logged_in(other_user)  # another user's sessions go on


def test_a_session_idle_past_the_limit_ends_at_its_next_action(app_db, clock):
    make_world()
    at = _log_in("sup.north")
    clock[0] += settings().session_idle_minutes * 60 - 5
    at.run()
    assert _logged_in(at)  # just inside the limit; this action restarts the idle count
    clock[0] += settings().session_idle_minutes * 60 - 5
    at.run()
    assert _logged_in(at)
    clock[0] += settings().session_idle_minutes * 60 + 1
    at.run()
    assert not _logged_in(at)
    assert any("without activity" in n for n in _notices(at))


def test_an_active_session_ends_after_the_absolute_lifetime(app_db, clock):
    make_world()
    at = _log_in("sup.north")
    step = settings().session_idle_minutes * 60 / 2
    acted = 0.0
    while acted + step < settings().session_max_hours * 3600:
        clock[0] += step
        acted += step
        at.run()
        assert _logged_in(at), acted
    clock[0] += step
    at.run()
    assert not _logged_in(at)
    assert any("longest time allowed" in n for n in _notices(at))


def test_the_login_form_counts_failures_per_browser_address(app_db, monkeypatch):
    """Through the page: the browser's address reaches the per-address limit."""
    make_world()
    real = db.services.auth.settings
    from dataclasses import replace

    monkeypatch.setattr(
        db.services.auth, "settings", lambda: replace(real(), login_address_failures=2)
    )
    monkeypatch.setattr(ui.session, "_peer_and_headers", lambda: ("203.0.113.9", {}))
    db.services.auth.reset_throttles()
    for username in ("sup.north", "sup.south"):
        at = _log_in(username, "not-the-password")
        assert not _logged_in(at)
    at = _log_in("admin")
    assert not _logged_in(at)
    assert [e.value for e in at.error] == [
        "Too many failed sign-ins from your network. Try again in 15 minutes."
    ]
    monkeypatch.setattr(ui.session, "_peer_and_headers", lambda: ("198.51.100.7", {}))
    assert _logged_in(_log_in("admin"))
    db.services.auth.reset_throttles()
