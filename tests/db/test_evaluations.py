"""Drafts that autosave, submit, audited amend and optimistic locking, on both databases."""

import pytest

from db.access import AccessDenied
from db.services.audit import audit_trail
from db.services.evaluations import (
    EvaluationLocked,
    StaleEvaluation,
    add_comment,
    amend,
    delete_comment,
    edit_comment,
    get_evaluation,
    open_draft,
    rubric_for,
    save_item,
    submit,
)
from db.services.queue import scoring_queue
from scoring.evaluation import ScoreOutOfRange, score_evaluation
from tests.factories import ALL_ITEMS, make_call, make_world

ITEMS = ALL_ITEMS  # the default rubric's items


@pytest.fixture
def scored(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30)
    return world, call


def _fill(actor, ev, value=4):
    for key in ITEMS:
        if key != "eye_contact":
            ev = save_item(actor, ev.id, ev.row_version, key, value=value)
    return ev


def test_new_draft_presets_eye_contact_to_na_and_resumes_exactly(scored):
    world, call = scored
    ev = open_draft(world.sup_north, call.id)
    assert ev.items["eye_contact"].na and ev.status == "draft"
    ev = save_item(
        world.sup_north,
        ev.id,
        ev.row_version,
        "be_patient",
        value=2,
        note="Cut in twice <b>early</b>",
    )
    resumed = open_draft(world.sup_north, call.id)  # a refresh or a restart opens it again
    assert resumed.id == ev.id
    assert resumed.items["be_patient"].value == 2
    assert resumed.items["be_patient"].note == "Cut in twice <b>early</b>"
    assert resumed.total == ev.total == 25.0  # (2-1)/4 = 25 %


def test_a_stale_save_is_refused_and_loses_nothing(scored):
    world, call = scored
    ev = open_draft(world.sup_north, call.id)
    first = save_item(world.sup_north, ev.id, ev.row_version, "open_mind", value=5)
    with pytest.raises(StaleEvaluation, match="NOT saved"):
        save_item(world.sup_north, ev.id, ev.row_version, "open_mind", value=1)
    assert get_evaluation(world.sup_north, ev.id).items["open_mind"].value == 5
    assert first.row_version == ev.row_version + 1


def test_a_save_from_the_state_last_returned_matches_one_that_reads_it(scored):
    world, call = scored
    sup = world.sup_north
    ev = open_draft(sup, call.id)
    # The page passes what it last had; each step continues from the previous result.
    kept = save_item(sup, ev.id, ev.row_version, "open_mind", value=4, stored=ev)
    kept = save_item(sup, ev.id, kept.row_version, "be_patient", value=2, stored=kept)
    kept = save_item(sup, ev.id, kept.row_version, "be_patient", note="Cut in", stored=kept)
    fresh = get_evaluation(sup, ev.id)
    assert (kept.row_version, kept.total, kept.items) == (
        fresh.row_version,
        fresh.total,
        fresh.items,
    )
    expected = score_evaluation(rubric_for(sup, ev.id), fresh.values).total
    assert kept.rubric_id == fresh.rubric_id and fresh.total == pytest.approx(expected)


def test_a_save_from_an_outdated_state_is_refused_and_writes_nothing(scored):
    world, call = scored
    sup = world.sup_north
    ev = open_draft(sup, call.id)
    other_tab = save_item(sup, ev.id, ev.row_version, "open_mind", value=5)
    # This tab still holds version 1: its state and expected version agree, so it is not
    # re-read, and the claim (which checks the stored version) refuses it.
    with pytest.raises(StaleEvaluation):
        save_item(sup, ev.id, ev.row_version, "stop_talking", value=1, stored=ev)
    stored = get_evaluation(sup, ev.id)
    assert stored.row_version == other_tab.row_version
    assert stored.items["open_mind"].value == 5 and "stop_talking" not in stored.values
    # A state that does not match the expected version is ignored: the items are read.
    saved = save_item(sup, ev.id, other_tab.row_version, "stop_talking", value=3, stored=ev)
    assert saved.items["open_mind"].value == 5 and saved.total == get_evaluation(sup, ev.id).total


def test_out_of_range_scores_and_unknown_items_are_refused(scored):
    world, call = scored
    ev = open_draft(world.sup_north, call.id)
    with pytest.raises(ScoreOutOfRange, match="Gives the customer time"):
        save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=7)
    with pytest.raises(ScoreOutOfRange):
        save_item(world.sup_north, ev.id, ev.row_version, "be_patient", na=True)
    with pytest.raises(KeyError):
        save_item(world.sup_north, ev.id, ev.row_version, "charisma", value=3)
    assert get_evaluation(world.sup_north, ev.id).row_version == ev.row_version


def test_submit_needs_every_item_then_locks(scored):
    world, call = scored
    ev = open_draft(world.sup_north, call.id)
    ev = save_item(world.sup_north, ev.id, ev.row_version, "stop_talking", value=3)
    with pytest.raises(ValueError, match="Still open"):
        submit(world.sup_north, ev.id, ev.row_version)
    ev = _fill(world.sup_north, ev)
    done = submit(world.sup_north, ev.id, ev.row_version, review_seconds=420)
    assert done.status == "submitted" and done.total == 75.0 and done.review_seconds == 420
    with pytest.raises(EvaluationLocked):
        save_item(world.sup_north, ev.id, done.row_version, "stop_talking", value=1)
    assert call.id not in [row.call_id for row in scoring_queue(world.sup_north)]


def test_amend_needs_a_reason_and_keeps_before_and_after(scored):
    world, call = scored
    ev = _fill(world.sup_north, open_draft(world.sup_north, call.id))
    ev = submit(world.sup_north, ev.id, ev.row_version)
    with pytest.raises(ValueError, match="reason"):
        amend(world.sup_north, ev.id, ev.row_version, {"be_patient": {"value": 1}}, reason="")
    amended = amend(
        world.sup_north,
        ev.id,
        ev.row_version,
        {"be_patient": {"value": 1}},
        reason="Heard the overlap at 0:12 on a second listen",
    )
    assert amended.items["be_patient"].value == 1 and amended.total < ev.total
    (event,) = audit_trail(world.admin, "evaluation", ev.id)
    assert event["before"]["items"]["be_patient"]["value"] == 4
    assert event["after"]["items"]["be_patient"]["value"] == 1
    assert event["before"]["total"] == ev.total and event["reason"].startswith("Heard")
    with pytest.raises(StaleEvaluation):  # the other supervisor's stale amend is refused
        amend(world.admin, ev.id, ev.row_version, {"be_patient": {"value": 5}}, reason="I disagree")


def test_comments_are_pinned_inside_the_recording_and_editable_while_draft(scored):
    world, call = scored
    ev = open_draft(world.sup_north, call.id)
    ev = add_comment(
        world.sup_north, ev.id, ev.row_version, 12.5, "<script>x</script>", item_key="be_patient"
    )
    ev = add_comment(world.sup_north, ev.id, ev.row_version, 3.0, "Good greeting")
    assert [c.t_s for c in ev.comments] == [3.0, 12.5]  # time order
    assert ev.comments[1].text == "<script>x</script>"  # stored as typed, shown as text
    with pytest.raises(ValueError, match="outside the recording"):
        add_comment(world.sup_north, ev.id, ev.row_version, 31.0, "too late")
    with pytest.raises(ValueError, match="outside the recording"):
        add_comment(world.sup_north, ev.id, ev.row_version, -1, "too early")
    ev = edit_comment(world.sup_north, ev.comments[0].id, ev.row_version, "Warm greeting")
    assert ev.comments[0].text == "Warm greeting"
    with pytest.raises(AccessDenied):
        delete_comment(world.admin, ev.comments[0].id, ev.row_version)
    ev = delete_comment(world.sup_north, ev.comments[0].id, ev.row_version)
    assert len(ev.comments) == 1


def test_only_the_scorer_writes_and_agents_never_see_drafts(scored):
    world, call = scored
    ev = open_draft(world.sup_north, call.id)
    with pytest.raises(AccessDenied):
        save_item(world.admin, ev.id, ev.row_version, "stop_talking", value=3)
    with pytest.raises(LookupError):
        get_evaluation(world.agent_north, ev.id)  # a draft is not the agent's yet
    with pytest.raises(LookupError):
        get_evaluation(world.sup_south, ev.id)  # another team
    with pytest.raises(LookupError):
        open_draft(world.sup_south, call.id)
    ev = submit(world.sup_north, ev.id, _fill(world.sup_north, ev).row_version)
    assert get_evaluation(world.agent_north, ev.id).total == ev.total
    with pytest.raises(LookupError):
        get_evaluation(world.agent_north2, ev.id)


def test_queue_puts_own_drafts_first_and_filters(scored, tmp_path):
    world, call = scored
    older = make_call(world.admin, world.agent_north2, tmp_path, seed=5)
    open_draft(world.sup_north, older.id)
    rows = scoring_queue(world.sup_north)
    assert [r.call_id for r in rows][0] == older.id and rows[0].draft_id is not None
    assert [r.call_id for r in scoring_queue(world.sup_north, agent_id=world.agent_north.id)] == [
        call.id
    ]
    assert scoring_queue(world.sup_south) == []
    with pytest.raises(AccessDenied):
        scoring_queue(world.agent_north)
