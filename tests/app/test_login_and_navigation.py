"""Login, logout and role-based navigation through the real workbench script."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from db.auth import LOGIN_FAILED
from tests.app.conftest import APP, TIMEOUT, open_page
from tests.factories import PASSWORD, make_world


def _log_in(username: str, password: str):
    at = open_page(None)
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    at.run()
    return at


def test_login_shows_the_role_navigation_and_logout_ends_it(app_db):
    make_world()
    at = _log_in("sup.north", PASSWORD)
    assert not at.exception
    assert at.session_state["actor"].username == "sup.north"
    assert any("Welcome" in t.value for t in at.title)
    at.sidebar.button(key="logout").click()
    at.run()
    assert "actor" not in at.session_state
    # Back to the login form; nothing of the page that was open is drawn.
    assert at.text_input(key="login_username").value == ""
    assert not at.metric and not any("Welcome" in t.value for t in at.title)


@pytest.mark.parametrize("page", ["pages/home.py", "pages/score.py", "pages/my_feedback.py"])
def test_a_page_run_without_the_login_refuses_to_draw(app_db, page):
    """Navigation never offers a page to a logged-out session; should a page run anyway,
    its own check stops it before any data is read."""
    make_world()
    at = AppTest.from_file(str(Path(APP).parent / page), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Please log in."]
    assert not at.metric and not at.dataframe and not at.radio


def test_wrong_credentials_say_so_without_saying_which(app_db):
    make_world()
    at = _log_in("sup.north", "wrong password")
    assert [e.value for e in at.error] == [LOGIN_FAILED]
    at = _log_in("no.such.user", PASSWORD)
    assert [e.value for e in at.error] == [LOGIN_FAILED]
    assert "actor" not in at.session_state


SUPERVISOR_PAGES = ("pages/queue.py", "pages/score.py", "pages/users.py", "pages/calls.py")


def test_an_agent_cannot_open_supervisor_pages(app_db):
    world = make_world()
    at = open_page(world.agent_north)
    for page in SUPERVISOR_PAGES:  # not in the agent's navigation at all
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    # Should a page run anyway, it refuses the agent before reading any data.
    for page in SUPERVISOR_PAGES:
        alone = AppTest.from_file(str(Path(APP).parent / page), default_timeout=TIMEOUT)
        alone.session_state["actor"] = world.agent_north
        alone.query_params["call"] = "1"
        alone.run()
        shown = [m.value for m in alone.error] + [m.value for m in alone.warning]
        assert not alone.exception, page
        assert not alone.dataframe and not alone.radio, f"{page} showed data to an agent"
        assert shown, f"{page} opened for an agent without refusing"


def test_each_page_opens_for_its_roles(app_db):
    world = make_world()
    for actor, pages in [
        (
            world.admin,
            [
                "pages/home.py",
                "pages/users.py",
                "pages/calls.py",
                "pages/rubrics.py",
                "pages/queue.py",
            ],
        ),
        (
            world.sup_north,
            ["pages/home.py", "pages/calls.py", "pages/rubrics.py", "pages/queue.py"],
        ),
        (world.agent_north, ["pages/home.py"]),
    ]:
        for page in pages:
            at = open_page(actor, page)
            assert not at.exception, (actor.username, page)
            assert at.title, (actor.username, page)
