"""The bell and the Notifications page through the real workbench script (AppTest)."""

from streamlit.testing.v1 import AppTest

from db.services.notifications import list_notifications, preferences
from tests.app.conftest import (  # noqa: F401 - the page-test fixtures
    open_page,
    pages_run_as_the_server_runs_them,
)
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world


def _nav_titles(at: AppTest) -> list[str]:
    """The navigation's titles as workbench.py made them this run."""
    (_role, titles), _sections = at.session_state["_nav_pages"]
    return [t for t in titles if t]


def test_the_bell_counts_unread_and_opening_one_goes_to_its_page(sqlite_database, tmp_path):
    world = make_world()
    ev = scored(world.sup_north, make_call(world.admin, world.agent_north, tmp_path).id)
    at = open_page(world.agent_north, "pages/notifications.py")
    assert "Notifications (1)" in _nav_titles(at)
    assert any("New feedback" in t.value for t in at.text)
    at.button(key="open_" + str(list_notifications(world.agent_north)[0].id)).click()
    at.run()
    assert not at.exception
    assert at.query_params.get("evaluation") in (str(ev.id), [str(ev.id)])
    assert list_notifications(world.agent_north)[0].read
    assert "Notifications" in _nav_titles(at)  # no count once read


def test_preferences_are_saved_from_the_form(sqlite_database):
    world = make_world()
    at = open_page(world.agent_north, "pages/notifications.py")
    at.checkbox(key="mail_feedback").uncheck()
    at.radio[0].set_value("daily")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception and [s.value for s in at.success] == ["Saved."]
    saved = preferences(world.agent_north)
    assert saved.email_mode == "daily" and "feedback" not in saved.emailed
    assert "feedback" in saved.in_app


def test_an_admin_requires_sso_with_a_break_glass_admin(sqlite_database):
    from db.services.sso import sso_policy

    world = make_world()
    at = open_page(world.admin, "pages/single_sign_on.py")
    assert any("No identity provider is configured" in w.value for w in at.warning)
    at.toggle[0].set_value(True)
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception and sso_policy().required
    assert sso_policy().break_glass_user_id == world.admin.id
