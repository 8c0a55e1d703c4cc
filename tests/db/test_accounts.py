"""Accounts, login throttling and role checks, on SQLite and PostgreSQL."""

import pytest

from db.access import AccessDenied
from db.engine import session_scope
from db.models import User
from db.services.auth import LOGIN_FAILED, MAX_FAILED_LOGINS, LoginFailed, authenticate
from db.services.users import create_user, list_users, set_active, set_role
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
    with pytest.raises(LoginFailed, match="paused"):
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
    with pytest.raises(ValueError, match="at least 10"):
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
    from db.services.auth import actor_from_session_token, end_sessions, issue_session_token

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


# ------------------------------------------------------------------ the first admin


def test_without_an_actor_only_the_first_admin_can_be_created(database):
    """The command line (actor None) bootstraps the first admin; once one exists, a new
    admin needs an admin, and nothing is stored by the refused attempt."""
    world = make_world()  # its admin was the first, made without an actor
    with pytest.raises(AccessDenied, match="only an admin can create another admin"):
        create_user(None, "intruder", "Intruder", "admin", PASSWORD)
    assert "intruder" not in {u.username for u in list_users(world.admin)}
    row = create_user(world.admin, "second.admin", "Second", "admin", PASSWORD)
    assert row.role == "admin"
    # Other roles from the command line still work (it runs with the server's rights).
    assert create_user(None, "cli.agent", "Cli", "agent", PASSWORD, team="North").role == "agent"


# ------------------------------------------------------------------ password policy

REFUSED_PASSWORDS = {
    "password": "at least 10",
    "12345678": "at least 10",
    " " * 8: "at least 10",
    " " * 12: "only spaces",
    "\x00" * 12: "control characters",
    "good-passw\x00rd-here": "control characters",
    "tab\there-and-more": "control characters",
    "line\nbreak-and-more": "control characters",
    "p" * 1_000_000: "at most 256",
    "x" * 257: "at most 256",
    "aaaaaaaaaaaa": "different",
    "abababababab": "different",
    "1234567890": "in order",
    "12345678901234": "in order",
    "0987654321": "in order",
    "abcdefghijkl": "in order",
    "qwertyuiop": "in order",
    "QWERTYUIOP12": "in order",
    "asdfghjkl;'": "in order",
    "1qaz2wsx3edc": "in order",
    "password123": "common word",
    "Password2024!": "common word",
    "p@ssw0rd1234": "common word",
    "iloveyou12345": "most common",
    "sunshine2024": "most common",
    "football!!!!": "most common",
    "princess1990": "most common",
}


@pytest.mark.parametrize("password", REFUSED_PASSWORDS, ids=lambda p: repr(p[:20]))
def test_weak_and_malformed_passwords_are_refused_with_the_reason(database, password):
    world = make_world()
    with pytest.raises(ValueError) as refused:
        create_user(world.admin, "newcomer", "New", "agent", password, team="North")
    assert REFUSED_PASSWORDS[password] in str(refused.value), str(refused.value)
    assert "newcomer" not in {u.username for u in list_users(world.admin)}


def test_a_password_may_not_contain_the_username(database):
    world = make_world()
    with pytest.raises(ValueError, match="username"):
        create_user(world.admin, "margaret", "M", "agent", "margaret-is-here", team="North")
    with pytest.raises(ValueError, match="username"):
        create_user(world.admin, "margaret", "M", "agent", "xx-teragram-xx", team="North")


@pytest.mark.parametrize(
    "password",
    [
        "correct-horse-battery",
        "listen-before-you-speak",
        "Zw9!qT4#mL2p",
        "🎧 headphones on 🎧",
        "pässwörter-sind-lang-genug",
        ("listen-" * 40)[:256],
    ],
    ids=lambda p: repr(p[:20]),
)
def test_good_passwords_are_accepted_and_sign_in(database, password):
    world = make_world()
    create_user(world.admin, "newcomer", "New", "agent", password, team="North")
    assert authenticate("newcomer", password).username == "newcomer"


def test_the_common_password_list_ships_thousands_of_entries():
    from db.services.auth import common_passwords

    listed = common_passwords()
    assert len(listed) >= 4000
    assert {"password", "123456", "qwerty", "iloveyou"} <= listed
    assert all(p == p.lower() and p.strip() == p for p in listed)
