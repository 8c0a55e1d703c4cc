"""Login, logout and role-based navigation through the real workbench script."""

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from db.models import AssignmentRow
from db.services.auth import LOGIN_FAILED
from db.services.sampling import run_plan, save_plan
from scoring.sampling import FixedQuota, SamplingPlan, Scorer
from tests.app.conftest import APP, TIMEOUT, open_page
from tests.app.test_sampling_pages import add_calls
from tests.factories import PASSWORD, make_call, make_world
from ui.session import NOT_FROM_THE_MENU


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


def _nav_titles(at) -> dict[str, str]:
    """The navigation as drawn: page file name -> its title."""
    return {Path(p["script_path"]).name: p["page_name"] for p in at._registered_pages.values()}


def _assign(world, tmp_path, external_id: str, due_at: datetime, status: str = "open") -> None:
    seed = len(list(tmp_path.glob("*"))) + 1  # a recording of its own
    call = make_call(world.admin, world.agent_north, tmp_path, seed=seed, external_id=external_id)
    with session_scope() as session:
        session.add(
            AssignmentRow(
                call_id=call.id,
                agent_id=world.agent_north.id,
                scorer_id=world.sup_north.id,
                due_at=due_at,
                reason="random",
                status=status,
            )
        )


def test_my_assignments_in_the_navigation_counts_what_is_due_today_and_overdue(app_db, tmp_path):
    world = make_world()
    now = datetime.now(UTC)
    end_of_today = datetime.combine(now.date(), time(23, 59, 59), tzinfo=UTC)
    _assign(world, tmp_path, "OVERDUE", now - timedelta(days=2))
    _assign(world, tmp_path, "TODAY", end_of_today)
    _assign(world, tmp_path, "LATER", end_of_today + timedelta(days=3))
    _assign(world, tmp_path, "DONE", now - timedelta(days=1), status="done")
    at = open_page(world.sup_north)
    assert _nav_titles(at)["queue.py"] == "My assignments (2)"
    # A plan run's bulk insert (last week's period: overdue) moves the count at the next
    # run: the cached answer goes with the data version.
    last_week = now.date() - timedelta(days=now.date().weekday() + 7)
    add_calls(world.agent_north.id, 6, "LW", last_week)
    plan = save_plan(
        world.admin,
        "North weekly",
        SamplingPlan(
            key="north-weekly",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(1),
            scorers=(Scorer(world.sup_north.id),),
            team_ids=frozenset({world.agent_north.team_id}),
        ),
    )
    assert run_plan(plan.id, last_week).created == 1
    at.run()
    assert _nav_titles(at)["queue.py"] == "My assignments (3)"
    # No count for anyone without: South's supervisor sees the bare title, an agent no entry.
    assert _nav_titles(open_page(world.sup_south))["queue.py"] == "My assignments"
    assert "queue.py" not in _nav_titles(open_page(world.agent_north))


PAGE_FILES = sorted((Path(APP).parent / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.name)
def test_a_page_asks_the_shell_for_its_actor_and_names_no_roles(page):
    """workbench.py's page table is the one place a page's roles are set (issue 12):
    each page asks for its actor once, at its top, with no roles of its own."""
    calls = re.findall(r"require_actor\((.*?)\)", page.read_text())
    assert calls == [""], f"{page.name} passes roles to require_actor: {calls}"


@pytest.mark.parametrize(
    ("page", "who"),
    [
        ("pages/users.py", "admin"),
        ("pages/score.py", "sup_north"),
        ("pages/home.py", "agent_north"),
    ],
)
def test_a_page_run_outside_the_shell_refuses_even_its_own_role(app_db, page, who):
    """Outside workbench.py nobody has told the page whom it is for: it refuses before
    reading any data, whatever the user's role."""
    world = make_world()
    alone = AppTest.from_file(str(Path(APP).parent / page), default_timeout=TIMEOUT)
    alone.session_state["actor"] = getattr(world, who)
    alone.query_params["call"] = "1"
    alone.run()
    assert not alone.exception
    assert [e.value for e in alone.error] == [NOT_FROM_THE_MENU]
    assert not alone.dataframe and not alone.radio and not alone.metric and not alone.title
