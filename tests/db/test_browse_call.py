"""The evaluations browser's call filter (a call's row on Calls opens its evaluations) on
SQLite and PostgreSQL: it narrows to that call's evaluations within what the reader may
read, never wider."""

from __future__ import annotations

from db.services.browse import BrowseFilters, browse_evaluations
from db.services.evaluations import open_draft
from tests.factories import make_call, make_world, submit_evaluation


def _ids(reader, call_id: int) -> list[int]:
    return [r.evaluation_id for r in browse_evaluations(reader, BrowseFilters(call_id=call_id))]


def test_a_calls_evaluations_within_the_policy(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=1)
    other = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=2)
    first = submit_evaluation(world.sup_north, call.id, level=3)
    elsewhere = submit_evaluation(world.sup_north, other.id, level=4)
    draft = open_draft(world.admin, call.id)  # an admin's draft of the same call
    assert elsewhere.id not in _ids(world.sup_north, call.id)
    # Newest first: the admin's draft (started later) before the submitted one.
    assert _ids(world.admin, call.id) == [draft.id, first.id]
    assert _ids(world.sup_north, call.id) == [draft.id, first.id]
    # The agent reads submitted feedback only, never a draft.
    assert _ids(world.agent_north, call.id) == [first.id]
    # Another team's supervisor, another agent: nothing, not even that it exists.
    for reader in (world.sup_south, world.agent_north2, world.agent_south):
        assert _ids(reader, call.id) == []
    # Other filters still apply on top.
    only_drafts = BrowseFilters(call_id=call.id, status="draft")
    assert [r.evaluation_id for r in browse_evaluations(world.admin, only_drafts)] == [draft.id]
