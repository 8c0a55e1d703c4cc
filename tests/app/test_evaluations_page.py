"""The Evaluations page: a supervisor finds their team's evaluations, opens one read-only
with its history; another team's never show."""

from __future__ import annotations

import pytest

from db.services.evaluations import amend
from tests.app.conftest import open_page
from tests.factories import make_call, make_world, submit_evaluation

PAGE = "pages/evaluations.py"


@pytest.fixture
def scene(app_db, tmp_path):
    world = make_world()
    north = make_call(
        world.admin, world.agent_north, tmp_path, seconds=30, seed=1, external_id="N-1"
    )
    south = make_call(
        world.admin, world.agent_south, tmp_path, seconds=30, seed=2, external_id="S-1"
    )
    done = submit_evaluation(world.admin, north.id, level=3, comments=((4.0, "Paused well", None),))
    amend(world.admin, done.id, done.row_version, {"be_patient": {"value": 4}}, "Re-listened")
    submit_evaluation(world.sup_south, south.id, level=4)
    return world


def _texts(at) -> str:
    return "\n".join([t.value for t in at.text] + [m.value for m in at.markdown])


def test_a_supervisor_opens_a_colleagues_evaluation_read_only_with_its_history(scene):
    at = open_page(scene.sup_north, PAGE)
    table = at.dataframe[0].value
    assert list(table["Call"]) == ["N-1"]  # South's evaluation never shows
    at.session_state["evaluations_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    shown = _texts(at)
    assert "Paused well" in shown
    assert "Amended" in shown and "Gives the customer time: 3 → 4" in shown
    assert "Reason: Re-listened" in shown
    assert not [link for link in at.get("page_link")]  # not theirs: no Score link


def test_the_search_box_narrows_the_list(scene):
    at = open_page(scene.admin, PAGE)
    assert len(at.dataframe[0].value) == 2
    at.text_input[0].input("paused").run()
    assert list(at.dataframe[0].value["Call"]) == ["N-1"]
    at.text_input[0].input("nothing like this").run()
    assert any("No evaluation" in i.value for i in at.info)


def test_the_page_is_not_in_an_agents_navigation(scene):
    at = open_page(scene.agent_north)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
