"""The queue page: the team's waiting calls in one table, drafts first, filters."""

from db.evaluations import open_draft
from tests.app.conftest import open_page
from tests.factories import make_call, make_world


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
