"""The evaluations browser's one-evaluation filter (a link to it) on SQLite and
PostgreSQL: it narrows to that evaluation for whoever may read it, and to nothing for
anyone else."""

from __future__ import annotations

from db.services.browse import BrowseFilters, browse_evaluations
from db.services.evaluations import open_draft
from tests.factories import make_call, make_world, submit_evaluation


def test_one_evaluation_by_its_id_within_the_policy(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=1)
    ev = submit_evaluation(world.sup_north, call.id, level=3)
    draft_call = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=2)
    draft = open_draft(world.sup_north, draft_call.id)
    one = BrowseFilters(evaluation_id=ev.id)
    for reader in (world.sup_north, world.admin, world.agent_north):
        assert [r.evaluation_id for r in browse_evaluations(reader, one)] == [ev.id]
    for reader in (world.sup_south, world.agent_north2, world.agent_south):
        assert browse_evaluations(reader, one) == []
    # Other filters still apply on top.
    assert (
        browse_evaluations(world.sup_north, BrowseFilters(evaluation_id=ev.id, status="draft"))
        == []
    )
    # An agent never sees a draft, even by its id.
    assert browse_evaluations(world.agent_north, BrowseFilters(evaluation_id=draft.id)) == []
    assert [
        r.evaluation_id
        for r in browse_evaluations(world.sup_north, BrowseFilters(evaluation_id=draft.id))
    ] == [draft.id]
