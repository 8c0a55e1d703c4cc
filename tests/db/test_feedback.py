"""The agent's own feedback on both databases: only their submitted regular evaluations,
unread marks, acknowledgement, and one evaluation in full."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from db.access import AccessDenied, NotFound
from db.models import Evaluation
from db.services.calibration import create_session
from db.services.evaluations import add_comment, open_draft, save_item, submit
from db.services.feedback import (
    acknowledge,
    feedback_detail,
    mark_viewed,
    my_evaluations,
    unread_count,
)
from db.services.listening import store_listening_report
from tests.factories import SCORED_ITEMS, make_call, make_world

ITEMS = SCORED_ITEMS  # the default rubric's items (eye contact is N/A on audio)


def scored(scorer, call_id, value=4, comments=(), calibration_id=None, note=""):
    """A submitted evaluation: every item at `value` (eye contact N/A)."""
    ev = open_draft(scorer, call_id, calibration_id)
    for key in ITEMS:
        ev = save_item(
            scorer,
            ev.id,
            ev.row_version,
            key,
            value=value,
            note=note if key == "be_patient" else "",
        )
    for t_s, text, item in comments:
        ev = add_comment(scorer, ev.id, ev.row_version, t_s, text, item)
    return submit(scorer, ev.id, ev.row_version)


@pytest.fixture
def world(database):
    return make_world()


def test_an_agent_lists_only_their_own_submitted_regular_evaluations(world, tmp_path, database):
    mine_old = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    mine_new = make_call(world.admin, world.agent_north, tmp_path, seed=2)
    drafted = make_call(world.admin, world.agent_north, tmp_path, seed=3)
    calibrated = make_call(world.admin, world.agent_north, tmp_path, seed=4)
    theirs = make_call(world.admin, world.agent_north2, tmp_path, seed=5)
    old = scored(world.sup_north, mine_old.id, 3)
    new = scored(world.admin, mine_new.id, 5)
    open_draft(world.sup_north, drafted.id)
    cal_id = create_session(
        world.admin, "Cal", [calibrated.id], [world.sup_north.id, world.admin.id]
    )
    scored(world.sup_north, calibrated.id, 2, calibration_id=cal_id)
    scored(world.sup_north, theirs.id)
    with Session(database) as s:  # the older one was submitted a day earlier
        row = s.get(Evaluation, old.id)
        row.submitted_at -= timedelta(days=1)
        s.add(row)
        s.commit()

    rows = my_evaluations(world.agent_north)
    assert [r.evaluation_id for r in rows] == [new.id, old.id]
    assert [r.total for r in rows] == [100.0, 50.0]
    assert all(r.unread for r in rows)
    assert unread_count(world.agent_north) == 2
    assert new.id not in [r.evaluation_id for r in my_evaluations(world.agent_north2)]
    with pytest.raises(AccessDenied):
        my_evaluations(world.sup_north)


def test_opening_marks_read_once(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id)
    first = mark_viewed(world.agent_north, ev.id)
    assert mark_viewed(world.agent_north, ev.id) == first
    (row,) = my_evaluations(world.agent_north)
    assert not row.unread
    assert unread_count(world.agent_north) == 0


def test_acknowledge_records_the_first_time(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id)
    at = acknowledge(world.agent_north, ev.id)
    assert acknowledge(world.agent_north, ev.id) == at
    (row,) = my_evaluations(world.agent_north)
    assert row.acknowledged_at == at and not row.unread
    assert feedback_detail(world.agent_north, ev.id).acknowledged_at == at


def test_nobody_else_reaches_an_agents_feedback(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id)
    draft_call = make_call(world.admin, world.agent_north, tmp_path, seed=7)
    draft = open_draft(world.sup_north, draft_call.id)
    for actor, ev_id in [
        (world.agent_north2, ev.id),  # another agent
        (world.agent_south, ev.id),
        (world.sup_north, ev.id),  # not an agent
        (world.agent_north, draft.id),  # a draft, even on their own call
        (world.agent_north, 999_999),
        (world.agent_north, 2**40),  # out of range for the id column
    ]:
        for service in (feedback_detail, mark_viewed, acknowledge):
            with pytest.raises(NotFound, match="not found or is not yours"):
                service(actor, ev_id)


def test_detail_has_scores_anchors_notes_comments_and_evidence(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30)
    store_listening_report(call.id)
    ev = scored(
        world.sup_north,
        call.id,
        2,
        note="Cut in <b>twice</b>",
        comments=[(12.5, "Listen here", "be_patient"), (3.0, "Good opening", None)],
    )
    detail = feedback_detail(world.agent_north, ev.id)
    assert detail.total == ev.total == 25.0
    assert detail.scorer == "Sup.North" and detail.call.id == call.id
    items = {i.key: i for i in detail.items}
    assert list(items)[0] == "stop_talking" and len(items) == 10
    patient = items["be_patient"]
    assert (patient.value, patient.score, patient.note) == (2, "2", "Cut in <b>twice</b>")
    assert patient.anchor and patient.level_label == "Below standard"
    assert items["eye_contact"].score == "N/A" and items["eye_contact"].anchor == ""
    assert [c.t_s for c in detail.comments] == [3.0, 12.5]
    assert detail.comments[1].item_key == "be_patient"
    assert detail.listening and detail.listening["peaks"]
    assert detail.summary and items["stop_talking"].evidence  # talk share, longest turn
    assert detail.can_dispute and len(detail.disputable_items) == 10
    assert detail.dispute_deadline == ev.submitted_at + timedelta(days=14)
