"""Session lifetimes in the data layer, on SQLite and PostgreSQL: a session (and its
remembered-login token) ends when idle past EARSHOT_SESSION_IDLE_MINUTES, when older than
EARSHOT_SESSION_MAX_HOURS, and when its user logs out anywhere or is deactivated."""

from __future__ import annotations

import pytest

import db.services.auth
from db.operations.config import settings
from db.services.auth import (
    SessionEnded,
    continue_session,
    end_sessions,
    issue_session_token,
    session_from_token,
    start_session,
)
from db.services.users import set_active
from tests.factories import make_world

IDLE = settings().session_idle_minutes * 60
LONGEST = settings().session_max_hours * 3600


@pytest.fixture
def clock(monkeypatch):
    """The sessions' wall clock and the token signer's, moved together (Unix seconds)."""
    now = [1_900_000_000.0]
    monkeypatch.setattr(db.services.auth, "_wall", lambda: now[0])
    monkeypatch.setattr(
        "itsdangerous.timed.TimestampSigner.get_timestamp", lambda _signer: int(now[0])
    )
    return now


def test_an_open_session_ends_when_idle_too_long_and_goes_on_while_used(database, clock):
    world = make_world()
    info = start_session(world.sup_north)
    clock[0] += IDLE - 1
    actor, info = continue_session(world.sup_north, info)  # an action: idle count restarts
    clock[0] += IDLE - 1
    actor, info = continue_session(actor, info)
    clock[0] += IDLE
    with pytest.raises(SessionEnded, match="without activity"):
        continue_session(actor, info)


def test_an_open_session_ends_after_the_longest_lifetime_however_active(database, clock):
    world = make_world()
    actor, info = world.sup_north, start_session(world.sup_north)
    for _ in range(int(LONGEST // (IDLE / 2)) - 1):
        clock[0] += IDLE / 2
        actor, info = continue_session(actor, info)
    clock[0] += IDLE
    with pytest.raises(SessionEnded, match="longest time allowed"):
        continue_session(actor, info)


def test_logout_anywhere_and_deactivation_end_open_sessions(database, clock):
    world = make_world()
    north, south = start_session(world.sup_north), start_session(world.sup_south)
    end_sessions(world.sup_north)  # "Log out" in another browser
    with pytest.raises(SessionEnded, match="logged out"):
        continue_session(world.sup_north, north)
    continue_session(world.sup_south, south)  # nobody else's
    set_active(world.admin, world.sup_south.id, False)
    with pytest.raises(SessionEnded, match="not active"):
        continue_session(world.sup_south, south)


def test_a_remembered_login_ends_when_idle_and_keeps_its_session_start(database, clock):
    world = make_world()
    info = start_session(world.sup_north)
    token = issue_session_token(world.sup_north, info)
    clock[0] += IDLE - 5
    actor, restored = session_from_token(token)
    assert actor.username == "sup.north" and restored.started_at == int(info.started_at)
    reissued = issue_session_token(actor, restored)  # the page re-signs it while in use
    clock[0] += IDLE - 5
    assert session_from_token(token) is None  # the old one went idle
    actor, again = session_from_token(reissued)
    assert again.started_at == int(info.started_at)  # the absolute limit still counts


def test_a_remembered_login_ends_at_the_longest_lifetime(database, clock):
    world = make_world()
    info = start_session(world.sup_north)
    clock[0] += LONGEST - IDLE / 2
    token = issue_session_token(world.sup_north, info)  # re-signed recently
    assert session_from_token(token) is not None
    clock[0] += IDLE / 2
    assert session_from_token(token) is None


@pytest.mark.parametrize(
    "payload",
    [{"u": 1, "e": 0, "t": "soon"}, {"u": 1, "e": 0, "t": 1e300}, [1, 0], "x", {"u": "1e999"}],
    ids=repr,
)
def test_a_forged_but_signed_token_shape_logs_no_one_in(database, clock, payload):
    make_world()
    token = db.services.auth._session_serializer().dumps(payload)
    assert session_from_token(token) is None
