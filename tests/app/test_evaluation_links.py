"""A link to one evaluation (?evaluation=ID, from Score's "Read it" and the Trends
drill-down) opens it on Evaluations even when the filters leave it out of the list, and
only for someone the read policy lets read it (issue 14: rows open their evaluation)."""

from __future__ import annotations

import pytest

from db.services.browse import BrowseFilters, browse_evaluations
from tests.app.conftest import open_page
from tests.factories import make_call, make_world, submit_evaluation

PAGE = "pages/evaluations.py"


@pytest.fixture
def scene(app_db, tmp_path):
    world = make_world()
    north = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=1)
    return world, submit_evaluation(world.sup_north, north.id, level=3)


def _pdf_buttons(at) -> list:
    return [b for b in at.get("download_button") if b.proto.label == "Download as PDF"]


def test_a_linked_evaluation_opens_even_when_the_filters_hide_it(scene):
    world, ev = scene
    at = open_page(world.sup_north, PAGE, {"evaluation": str(ev.id)})
    assert not at.exception and _pdf_buttons(at)
    # Only drafts listed: the submitted one is not in the list, the link still opens it.
    next(s for s in at.selectbox if s.label == "Status").set_value("draft").run()
    assert not at.exception
    assert any("No evaluation you may read" in i.value for i in at.info)
    assert _pdf_buttons(at) and not at.warning


def test_a_link_to_an_evaluation_not_yours_opens_nothing(scene):
    world, ev = scene
    at = open_page(world.sup_south, PAGE, {"evaluation": str(ev.id)})
    assert not at.exception
    assert not _pdf_buttons(at)
    assert any("not found or is not yours" in w.value for w in at.warning)


def test_the_one_evaluation_filter_never_widens_the_policy(scene):
    world, ev = scene
    one = BrowseFilters(evaluation_id=ev.id)
    assert [r.evaluation_id for r in browse_evaluations(world.sup_north, one)] == [ev.id]
    assert [r.evaluation_id for r in browse_evaluations(world.agent_north, one)] == [ev.id]
    assert browse_evaluations(world.sup_south, one) == []
    assert browse_evaluations(world.agent_north2, one) == []
