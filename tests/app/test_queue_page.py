"""The queue page: the team's waiting calls in one table, drafts first, filters, and who
else is drafting a call (issue 14, bug 2)."""

from db.services.evaluations import open_draft, save_item
from db.services.sampling import run_plan, save_plan
from scoring.sampling import FixedQuota, SamplingPlan, Scorer
from tests.app.conftest import open_page
from tests.factories import SCORED_ITEMS, make_call, make_world


def test_queue_lists_team_calls_with_own_drafts_first(app_db, tmp_path):
    world = make_world()
    make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="Q-NEW")
    older = make_call(world.admin, world.agent_north2, tmp_path, seed=2, external_id="Q-OLD")
    make_call(world.admin, world.agent_south, tmp_path, seed=3, external_id="Q-SOUTH")
    open_draft(world.sup_north, older.id)
    at = open_page(world.sup_north, "pages/queue.py")
    (table,) = at.dataframe
    assert list(table.value["Call"]) == ["Q-OLD", "Q-NEW"]  # own draft first; no South
    assert table.value["Your draft"][0].startswith("draft")
    at.selectbox(key="queue_agent").set_value("Agent.North").run()
    assert list(at.dataframe[0].value["Call"]) == ["Q-NEW"]


def _draft(actor, call_id: int) -> None:
    """A draft with one item scored (a draft someone is really working on)."""
    ev = open_draft(actor, call_id)
    save_item(actor, ev.id, ev.row_version, SCORED_ITEMS[0], value=3)


def test_the_queue_names_who_else_is_drafting_a_call_and_since_when(app_db, tmp_path):
    world = make_world()
    theirs = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="Q-THEIRS")
    make_call(world.admin, world.agent_north2, tmp_path, seed=2, external_id="Q-FREE")
    _draft(world.admin, theirs.id)
    at = open_page(world.sup_north, "pages/queue.py")
    table = at.dataframe[0].value
    rows = dict(zip(table["Call"], table["Others drafting"], strict=True))
    assert rows["Q-FREE"] == ""
    assert rows["Q-THEIRS"].startswith("Admin since 20")  # who, and since when
    assert "Others drafting" in at.caption[0].value
    mine = open_page(world.admin, "pages/queue.py").dataframe[0].value
    assert set(mine["Others drafting"]) == {""}  # your own draft is not someone else's


def test_my_assignments_name_who_else_is_drafting_an_assigned_call(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="A-1")
    plan = save_plan(
        world.admin,
        "One a day",
        SamplingPlan(
            key="one-a-day",
            rubric_key="listening",
            period="daily",
            quota=FixedQuota(1),
            scorers=(Scorer(world.sup_north.id),),
            agent_ids=frozenset({world.agent_north.id}),
        ),
    )
    assert run_plan(plan.id, call.started_at.date()).created == 1
    _draft(world.admin, call.id)
    at = open_page(world.sup_north, "pages/queue.py")
    table = at.dataframe[0].value
    assert list(table["Call"]) == ["A-1"]
    assert table["Others drafting"][0].startswith("Admin since 20")
