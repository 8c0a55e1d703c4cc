"""Passwords: changing your own, an admin's temporary password that must be replaced, and
the paused answer after repeated failures (bug 9), on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlmodel import select

from db.access import AccessDenied
from db.engine import read_scope
from db.models import AuditEvent, User, utcnow
from db.services.auth import (
    LOCKOUT,
    LOGIN_FAILED,
    MAX_FAILED_LOGINS,
    LoginFailed,
    LoginPaused,
    authenticate,
    continue_session,
    issue_session_token,
    session_from_token,
    start_session,
)
from db.services.users import change_password, create_user, list_users, reset_password
from scoring.errors import EarshotError, Invalid
from tests.factories import PASSWORD, make_world

NEW = "violet-harbour-7"


def _audit(action: str) -> list[AuditEvent]:
    with read_scope() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _refusal(username: str, password: str) -> LoginFailed:
    with pytest.raises(LoginFailed) as refused:
        authenticate(username, password)
    return refused.value


def test_a_user_changes_their_own_password_and_other_sessions_end(database):
    world = make_world()
    token = issue_session_token(world.agent_north)  # a remembered login elsewhere
    changed = change_password(world.agent_north, PASSWORD, NEW, NEW)
    assert authenticate("agent.north", NEW).username == "agent.north"
    assert isinstance(_refusal("agent.north", PASSWORD), LoginFailed)
    assert session_from_token(token) is None  # the other session is over
    assert changed.actor.session_epoch == changed.session_epoch
    [event] = _audit("change_password")
    assert event.actor_id == world.agent_north.id and NEW not in str(event.after)


@pytest.mark.parametrize(
    ("current", "new", "repeated", "reason"),
    [
        ("not-my-password", NEW, NEW, "current password is not right"),
        (PASSWORD, NEW, NEW + "x", "differ"),
        (PASSWORD, PASSWORD, PASSWORD, "same as the current"),
        (PASSWORD, "short", "short", "at least 10"),  # the policy of db/services/auth.py
        (PASSWORD, "agent.north-2026", "agent.north-2026", "username"),
    ],
)
def test_a_change_is_refused_with_the_reason(database, current, new, repeated, reason):
    world = make_world()
    with pytest.raises(Invalid, match=reason):
        change_password(world.agent_north, current, new, repeated)
    assert authenticate("agent.north", PASSWORD).username == "agent.north"  # unchanged
    assert _audit("change_password") == []


def test_an_admin_reset_gives_a_temporary_password_that_must_be_changed(database):
    world = make_world()
    token = issue_session_token(world.agent_north)
    temporary = reset_password(world.admin, world.agent_north.id)
    assert temporary != PASSWORD and len(temporary) >= 10
    assert session_from_token(token) is None  # the user's sessions ended
    actor = authenticate("agent.north", temporary)
    _, info = continue_session(actor, start_session(actor))
    assert info.password_change_due  # workbench sends them to choose their own
    assert [u.must_change_password for u in list_users(world.admin) if u.id == actor.id] == [True]

    changed = change_password(actor, temporary, NEW, NEW)
    _, info = continue_session(changed.actor, start_session(changed.actor))
    assert not info.password_change_due
    [event] = _audit("reset_password")
    assert event.actor_id == world.admin.id and event.entity_id == world.agent_north.id
    assert temporary not in str(event.after)
    [changed_event] = _audit("change_password")
    assert changed_event.after == {"replaced_temporary": True}


def test_only_admins_reset_and_never_their_own(database):
    world = make_world()
    with pytest.raises(AccessDenied):
        reset_password(world.sup_north, world.agent_north.id)
    with pytest.raises(AccessDenied, match="Account page"):
        reset_password(world.admin, world.admin.id)
    with pytest.raises(EarshotError, match="not found"):
        reset_password(world.admin, 999_999)
    assert _audit("reset_password") == []


def test_a_reset_lifts_a_pause(database):
    world = make_world()
    for _ in range(MAX_FAILED_LOGINS):
        _refusal("agent.north", "guess-123")
    temporary = reset_password(world.admin, world.agent_north.id)
    assert authenticate("agent.north", temporary).username == "agent.north"


def test_an_admin_can_make_a_user_who_must_choose_a_password(database):
    world = make_world()
    row = create_user(
        world.admin, "newbie", "New Bie", "agent", PASSWORD, "North", must_change_password=True
    )
    actor = authenticate("newbie", PASSWORD)
    assert row.must_change_password
    assert continue_session(actor, start_session(actor))[1].password_change_due


# ---------------------------------------------------------------- bug 9: paused sign-in


def test_a_paused_account_says_so_and_for_how_long_even_with_the_right_password(database):
    make_world()
    for _ in range(MAX_FAILED_LOGINS):
        assert str(_refusal("sup.north", "guess-123")) == LOGIN_FAILED
    refused = _refusal("sup.north", PASSWORD)
    assert isinstance(refused, LoginPaused)
    minutes = int(LOCKOUT.total_seconds() // 60)
    assert f"paused. Try again in {minutes} minutes" in str(refused)
    assert str(refused) != LOGIN_FAILED


def test_the_paused_answer_counts_down(database, monkeypatch):
    make_world()
    for _ in range(MAX_FAILED_LOGINS):
        _refusal("sup.north", "guess-123")
    later = utcnow() + LOCKOUT - timedelta(seconds=90)
    monkeypatch.setattr("db.services.auth.utcnow", lambda: later)
    assert "Try again in 2 minutes" in str(_refusal("sup.north", PASSWORD))


def test_an_unknown_username_pauses_with_the_same_words(database):
    """The paused answer must not tell a guesser that the name exists: a made-up name
    gets the same answers, attempt by attempt, including the minutes."""
    make_world()
    attempts = 2 * MAX_FAILED_LOGINS
    real = [str(_refusal("sup.north", f"guess-{i}")) for i in range(attempts)]
    made_up = [str(_refusal("nobody.here", f"guess-{i}")) for i in range(attempts)]
    assert real == made_up
    assert real[MAX_FAILED_LOGINS - 1] == LOGIN_FAILED and "paused" in real[MAX_FAILED_LOGINS]


def test_the_must_change_flag_is_stored(database):
    world = make_world()
    reset_password(world.admin, world.agent_south.id)
    with read_scope() as session:
        flags = dict(session.exec(select(User.username, User.must_change_password)).all())
    assert flags["agent.south"] and not flags["agent.north"]
