"""The Users page: readable headers, confirmations and success messages for every change,
a temporary password shown once, and the add-user form keeping what was typed (bug 8)."""

from db.services.auth import authenticate
from db.services.users import list_users
from tests.app.conftest import open_page
from tests.factories import PASSWORD, make_world

ADD = "FormSubmitter:add_user-Create user"


def _user(world, username: str):
    return next(u for u in list_users(world.admin) if u.username == username)


def test_the_table_has_proper_headers_not_column_names(app_db):
    world = make_world()
    at = open_page(world.admin, "pages/users.py")
    columns = list(at.dataframe[0].value.columns)
    assert columns == [
        "Username",
        "Name",
        "Role",
        "Team",
        "Active",
        "Must change password",
        "Demo account",
    ]
    assert not {"display_name", "is_demo", "id"} & set(columns)


def test_a_refused_new_user_keeps_what_was_typed(app_db):
    """Bug 8: the form emptied itself when the service refused it."""
    world = make_world()
    at = open_page(world.admin, "pages/users.py")
    at.text_input(key="add_username").input("new.agent")
    at.text_input(key="add_display_name").input("New Agent")
    at.selectbox(key="add_team").set_value("North")
    at.text_input(key="add_password").input("short")  # refused by the password policy
    at.button(key=ADD).click()
    at.run()
    assert [e.value for e in at.error] == [
        "A password needs at least 10 characters; this one has 5."
    ]
    assert at.text_input(key="add_username").value == "new.agent"
    assert at.text_input(key="add_display_name").value == "New Agent"
    assert at.selectbox(key="add_team").value == "North"
    # Corrected, it goes through, says so, and the form is empty for the next one.
    at.text_input(key="add_password").input(PASSWORD)
    at.button(key=ADD).click()
    at.run()
    assert not at.error
    assert [s.value for s in at.success] == [
        "Created new.agent (agent, team North). They choose their own password at first sign-in."
    ]
    assert at.text_input(key="add_username").value == ""
    assert _user(world, "new.agent").must_change_password


def test_a_role_change_asks_first_and_says_what_it_did(app_db):
    world = make_world()
    at = open_page(world.admin, "pages/users.py")
    at.selectbox(key="manage_user").set_value("agent.north")
    at.run()
    at.selectbox(key=f"role_{world.agent_north.id}").set_value("supervisor")
    at.button(key="ask_role").click()
    at.run()
    assert "Change agent.north from agent (North) to supervisor (North)?" in at.warning[0].value
    assert _user(world, "agent.north").role == "agent"  # nothing yet
    at.button(key="confirm_change").click()
    at.run()
    assert _user(world, "agent.north").role == "supervisor"
    assert "agent.north is now supervisor in team North" in at.success[0].value


def test_cancel_changes_nothing_and_deactivation_is_confirmed(app_db):
    world = make_world()
    at = open_page(world.admin, "pages/users.py")
    at.selectbox(key="manage_user").set_value("agent.south")
    at.run()
    at.button(key="ask_active").click()
    at.run()
    at.button(key="cancel_change").click()
    at.run()
    assert _user(world, "agent.south").active and not at.warning
    at.button(key="ask_active").click()
    at.run()
    at.button(key="confirm_change").click()
    at.run()
    assert not _user(world, "agent.south").active
    assert "deactivated" in at.success[0].value


def test_a_password_reset_shows_the_temporary_password_once(app_db):
    world = make_world()
    at = open_page(world.admin, "pages/users.py")
    at.selectbox(key="manage_user").set_value("agent.north")
    at.run()
    at.button(key="ask_reset").click()
    at.run()
    assert "Reset the password of agent.north?" in at.warning[0].value
    at.button(key="confirm_change").click()
    at.run()
    [shown] = at.code
    temporary = shown.value
    assert "temporary password" in at.success[0].value
    assert authenticate("agent.north", temporary).username == "agent.north"
    assert _user(world, "agent.north").must_change_password
    at.run()  # the next action: the password is gone from the page
    assert not at.code
