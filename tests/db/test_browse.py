"""The evaluations browser and an evaluation's history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from db.access import NotFound
from db.services.browse import BrowseFilters, browse_evaluations, evaluation_history
from db.services.disputes import open_dispute, resolve_dispute
from db.services.evaluations import amend, open_draft, save_item
from tests.factories import make_call, make_world, submit_evaluation


@pytest.fixture
def scene(database, tmp_path):
    world = make_world()
    north = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)
    north2 = make_call(world.admin, world.agent_north2, tmp_path, seconds=30, seed=2)
    south = make_call(world.admin, world.agent_south, tmp_path, seconds=30, seed=3)
    low = submit_evaluation(
        world.sup_north, north.id, level=2, comments=((3.0, "Talked over the refund", None),)
    )
    high = submit_evaluation(world.admin, north2.id, level=5)
    other = submit_evaluation(world.sup_south, south.id, level=4)
    draft_call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=4)
    draft = open_draft(world.sup_north, draft_call.id)
    save_item(world.sup_north, draft.id, draft.row_version, "be_patient", value=3)
    return world, low, high, other, draft


def ids(rows):
    return {r.evaluation_id for r in rows}


def test_each_user_browses_what_the_policy_lets_them_read(scene):
    world, low, high, other, draft = scene
    assert ids(browse_evaluations(world.sup_north)) == {low.id, high.id, draft.id}
    assert ids(browse_evaluations(world.sup_south)) == {other.id}
    assert ids(browse_evaluations(world.admin)) == {low.id, high.id, other.id, draft.id}
    assert ids(browse_evaluations(world.agent_north)) == {low.id}  # no drafts for agents


def test_filters_narrow_and_never_widen(scene):
    world, low, high, other, draft = scene
    sup = world.sup_north
    assert ids(browse_evaluations(sup, BrowseFilters(scorer_id=world.admin.id))) == {high.id}
    assert ids(browse_evaluations(sup, BrowseFilters(agent_id=world.agent_south.id))) == set()
    assert ids(browse_evaluations(sup, BrowseFilters(status="draft"))) == {draft.id}
    assert ids(browse_evaluations(sup, BrowseFilters(min_total=90))) == {high.id}
    assert ids(browse_evaluations(sup, BrowseFilters(max_total=40, status="submitted"))) == {low.id}
    assert ids(browse_evaluations(sup, BrowseFilters(text="REFUND"))) == {low.id}
    assert ids(browse_evaluations(sup, BrowseFilters(text="100%_"))) == set()  # literal
    future = BrowseFilters(since=date(2999, 1, 1))
    assert browse_evaluations(sup, future) == []


def test_disputed_and_amended_filters_and_the_history_in_item_titles(scene):
    world, low, high, other, draft = scene
    sup = world.sup_north
    dispute = open_dispute(world.agent_north, low.id, "be_patient", "I waited every time.")
    resolve_dispute(sup, dispute.id, "accepted", "", new_value=4)
    amended = amend(
        world.admin,
        high.id,
        high.row_version,
        {"be_patient": {"na": False, "value": 3}},
        "Re-listened at 0:40",
    )
    assert ids(browse_evaluations(sup, BrowseFilters(disputed=True))) == {low.id}
    assert ids(browse_evaluations(sup, BrowseFilters(amended=True))) == {low.id, high.id}
    assert draft.id in ids(browse_evaluations(sup, BrowseFilters(amended=False)))
    row = next(r for r in browse_evaluations(sup) if r.evaluation_id == low.id)
    assert (row.disputes, row.amended) == (1, True)

    history = evaluation_history(world.agent_north, low.id)  # the agent sees it too
    what = [entry.what for entry in history]
    assert what == ["Amended", "Dispute accepted"]
    title = "Gives the customer time"  # the be_patient item's title
    assert any(change.startswith(title) and "2 → 4" in change for change in history[0].changes)
    assert history[1].changes and "2 → 4" in history[1].changes[0]
    assert [e.changes for e in evaluation_history(sup, amended.id)] == [(f"{title}: 5 → 3",)]
    with pytest.raises(NotFound):
        evaluation_history(world.sup_south, low.id)
    with pytest.raises(NotFound):
        evaluation_history(world.agent_north2, low.id)


def test_a_bad_status_filter_is_refused_in_words(scene):
    world, *_ = scene
    with pytest.raises(ValueError, match="Status must be draft or submitted"):
        browse_evaluations(world.admin, BrowseFilters(status="deleted"))
