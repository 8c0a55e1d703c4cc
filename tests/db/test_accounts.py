"""Accounts, login throttling and role checks, on SQLite and PostgreSQL."""

import pytest

from db.access import AccessDenied
from db.auth import LOGIN_FAILED, MAX_FAILED_LOGINS, LoginFailed, authenticate
from db.engine import session_scope
from db.models import User
from db.users import create_user, list_users, set_active, set_role
from tests.factories import PASSWORD, make_world


def test_password_is_stored_as_argon2id_hash(database):
    make_world()
    with session_scope() as session:
        user = session.exec(User.__table__.select().where(User.username == "admin")).first()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_wrong_password_and_unknown_user_get_the_same_message(database):
    make_world()
    with pytest.raises(LoginFailed) as wrong_password:
        authenticate("admin", "not-the-password")
    with pytest.raises(LoginFailed) as unknown_user:
        authenticate("nobody", PASSWORD)
    assert str(wrong_password.value) == str(unknown_user.value) == LOGIN_FAILED


def test_login_is_throttled_after_repeated_failures(database):
    make_world()
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            authenticate("sup.north", "guess")
    with pytest.raises(LoginFailed, match="pauses"):
        authenticate("sup.north", PASSWORD)  # even the right password waits out the lockout


def test_deactivated_user_cannot_log_in(database):
    world = make_world()
    set_active(world.admin, world.agent_north.id, False)
    with pytest.raises(LoginFailed):
        authenticate("agent.north", PASSWORD)


def test_only_admins_create_users_and_change_roles(database):
    world = make_world()
    with pytest.raises(AccessDenied):
        create_user(world.sup_north, "newbie", "New", "agent", PASSWORD, team="North")
    with pytest.raises(AccessDenied):
        set_role(world.agent_north, world.agent_north.id, "admin", None)
    row = set_role(world.admin, world.agent_north.id, "supervisor", "North")
    assert row.role == "supervisor"


def test_bad_usernames_and_short_passwords_are_refused_with_reasons(database):
    world = make_world()
    with pytest.raises(ValueError, match="not allowed"):
        create_user(world.admin, "<script>", "x", "agent", PASSWORD, team="North")
    with pytest.raises(ValueError, match="at least 8"):
        create_user(world.admin, "shorty", "x", "agent", "short", team="North")
    with pytest.raises(ValueError, match="needs a team"):
        create_user(world.admin, "lonely", "x", "agent", PASSWORD)


def test_users_listing_is_scoped_to_the_asker(database):
    world = make_world()
    assert {u.username for u in list_users(world.agent_north)} == {"agent.north"}
    north = {u.username for u in list_users(world.sup_north)}
    assert north == {"sup.north", "agent.north", "agent.north2"}
    assert len(list_users(world.admin)) == 6


def test_remembered_login_survives_until_logout_or_deactivation(database):
    from db.auth import actor_from_session_token, end_sessions, issue_session_token

    world = make_world()
    token = issue_session_token(world.sup_north)
    assert actor_from_session_token(token).username == "sup.north"
    # Tampered: a character well inside the signature (the last one carries padding bits
    # a base64 decoder ignores, so changing it alone may leave the signature as it was).
    flipped = "A" if token[-5] != "A" else "B"
    assert actor_from_session_token(token[:-5] + flipped + token[-4:]) is None
    assert actor_from_session_token("") is None and actor_from_session_token("a.b.c") is None
    end_sessions(world.sup_north)  # logging out ends every remembered login
    assert actor_from_session_token(token) is None
    fresh = issue_session_token(world.sup_north)
    set_active(world.admin, world.sup_north.id, False)
    assert actor_from_session_token(fresh) is None
