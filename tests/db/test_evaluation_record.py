"""One evaluation as a record for print (scores, notes, comments, evidence, history),
through the access policy, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from db.access import NotFound
from db.services.browse import evaluation_record
from db.services.evaluations import amend, open_draft, rubric_for
from db.services.listening import store_listening_report
from tests.factories import make_call, make_world, submit_evaluation


@pytest.fixture
def scene(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)
    store_listening_report(call.id)
    ev = submit_evaluation(
        world.sup_north,
        call.id,
        level=4,
        comments=((25.0, "Talked over the refund", "be_patient"), (3.0, "Warm greeting", None)),
    )
    ev = amend(
        world.sup_north,
        ev.id,
        ev.row_version,
        {"paraphrase": {"value": 2, "note": "Never played back the order number"}},
        "Second listen",
    )
    return world, call, ev


def test_the_record_holds_scores_notes_comments_evidence_and_history(scene):
    world, call, ev = scene
    record = evaluation_record(world.sup_north, ev.id)
    rubric = rubric_for(world.sup_north, ev.id)
    assert record.call == call.external_id and record.agent == "Agent.North"
    assert record.scorer == "Sup.North" and record.status == "submitted"
    assert record.total == ev.total
    assert [i.title for i in record.items] == [item.title for item in rubric.items]
    by_title = {i.title: i for i in record.items}
    paraphrase = by_title[rubric.item("paraphrase").title]
    assert paraphrase.score == "2" and paraphrase.note == "Never played back the order number"
    assert by_title[rubric.item("eye_contact").title].score == "N/A"
    assert [(c.t_s, c.text) for c in record.comments] == [
        (3.0, "Warm greeting"),
        (25.0, "Talked over the refund"),
    ]
    assert record.comments[1].item == rubric.item("be_patient").title
    assert record.comments[0].author == "Sup.North"
    assert any(i.evidence for i in record.items)  # listening evidence beside items
    assert record.evidence  # and for the whole call
    (change,) = record.history
    assert change.what == "Amended" and change.reason == "Second listen"


def test_only_readers_get_the_record(scene):
    world, call, ev = scene
    assert evaluation_record(world.agent_north, ev.id).call == call.external_id  # their own
    assert evaluation_record(world.admin, ev.id).call == call.external_id
    for outsider in (world.agent_south, world.agent_north2, world.sup_south):
        with pytest.raises(NotFound):
            evaluation_record(outsider, ev.id)
    for bad in (0, -1, 10**30, ev.id + 999):
        with pytest.raises(NotFound):
            evaluation_record(world.admin, bad)


def test_an_agent_gets_no_record_of_a_draft(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=2)
    draft = open_draft(world.sup_north, call.id)
    assert evaluation_record(world.sup_north, draft.id).status == "draft"
    with pytest.raises(NotFound):
        evaluation_record(world.agent_north, draft.id)
