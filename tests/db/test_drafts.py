"""Issue 14, bugs 1-3 on the services, on SQLite and PostgreSQL: a draft exists only once
something is scored, noted or pinned; a scorer discards their own draft (audited); a
colleague's evaluation of the call is shown and a second one needs an explicit choice
(never revealing calibration); review time accumulates across page loads."""

import pytest
from sqlmodel import func, select

from db.engine import read_scope
from db.models import AuditEvent, Comment, Evaluation, ItemScore
from db.services.calibration import create_session
from db.services.evaluations import (
    EvaluationLocked,
    NewDraft,
    StaleEvaluation,
    add_comment,
    discard_draft,
    earlier_evaluation,
    get_evaluation,
    open_draft,
    open_evaluation,
    record_review_time,
    save_item,
    submit,
)
from db.services.overview import next_call_for, overview_for
from scoring.errors import Conflict, Denied, Invalid, NotFound
from tests.factories import SCORED_ITEMS, make_call, make_world, submit_evaluation


@pytest.fixture
def world_calls(database, tmp_path):
    world = make_world()
    calls = [
        make_call(world.admin, world.agent_north, tmp_path, seconds=12, seed=n) for n in range(3)
    ]
    return world, calls


def _count(model) -> int:
    with read_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_opening_calls_creates_no_draft(world_calls):
    world, calls = world_calls
    for call in calls:
        view = open_evaluation(world.sup_north, call.id)
        assert not view.saved and view.id == 0 and view.status == "draft"
        assert view.items["eye_contact"].na  # the rubric's audio-only default, unsaved
    assert _count(Evaluation) == 0 and _count(ItemScore) == 0
    assert overview_for(world.sup_north)["Your drafts"].value == 0


def test_the_first_score_creates_the_draft_with_it(world_calls):
    world, (call, *_) = world_calls
    view = open_evaluation(world.sup_north, call.id)
    saved = save_item(
        world.sup_north, view.id, view.row_version, "be_patient", value=2, new=NewDraft(call.id)
    )
    assert saved.id > 0 and saved.total == 25.0
    again = open_evaluation(world.sup_north, call.id)
    assert again.id == saved.id and again.row_version == saved.row_version
    assert again.items["be_patient"].value == 2 and again.items["eye_contact"].na
    assert overview_for(world.sup_north)["Your drafts"].value == 1
    # The next save goes to the same draft through the ordinary autosave claim.
    after = save_item(world.sup_north, saved.id, saved.row_version, "stop_talking", value=4)
    assert after.id == saved.id and _count(Evaluation) == 1


def test_a_refused_first_write_stores_no_draft(world_calls):
    world, (call, *_) = world_calls
    with pytest.raises(Invalid):
        add_comment(world.sup_north, 0, 0, 999.0, "Past the end", new=NewDraft(call.id))
    with pytest.raises(NotFound):  # another team's call
        save_item(world.sup_south, 0, 0, "be_patient", value=3, new=NewDraft(call.id))
    assert _count(Evaluation) == 0


def test_the_first_comment_creates_the_draft(world_calls):
    world, (call, *_) = world_calls
    view = add_comment(world.sup_north, 0, 0, 3.0, "Listen here", new=NewDraft(call.id))
    assert view.saved and [c.text for c in view.comments] == ["Listen here"]
    assert open_evaluation(world.sup_north, call.id).id == view.id


def test_a_second_tab_creating_the_same_draft_is_told_to_reload(world_calls):
    world, (call, *_) = world_calls
    save_item(world.sup_north, 0, 0, "be_patient", value=2, new=NewDraft(call.id))
    with pytest.raises(StaleEvaluation):
        save_item(world.sup_north, 0, 0, "be_patient", value=5, new=NewDraft(call.id))
    assert open_evaluation(world.sup_north, call.id).items["be_patient"].value == 2


def test_the_scorer_discards_their_own_draft_audited(world_calls):
    world, (call, *_) = world_calls
    view = add_comment(world.sup_north, 0, 0, 3.0, "Listen here", new=NewDraft(call.id))
    view = save_item(world.sup_north, view.id, view.row_version, "be_patient", value=2)
    with pytest.raises(Denied):
        discard_draft(world.admin, view.id, view.row_version)  # not the admin's draft
    with pytest.raises(StaleEvaluation):
        discard_draft(world.sup_north, view.id, view.row_version - 1)
    discard_draft(world.sup_north, view.id, view.row_version)
    assert _count(Evaluation) == _count(ItemScore) == _count(Comment) == 0
    assert not open_evaluation(world.sup_north, call.id).saved
    with read_scope() as session:  # the draft is gone; its record stays
        (event,) = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "evaluation", AuditEvent.entity_id == view.id
            )
        ).all()
    assert (event.action, event.entity, event.actor_id) == (
        "discard_draft",
        "evaluation",
        world.sup_north.id,
    )
    assert event.before["items"]["be_patient"]["value"] == 2
    assert event.before["comments"][0]["text"] == "Listen here"


def test_a_submitted_evaluation_is_never_discarded(world_calls):
    world, (call, *_) = world_calls
    done = submit_evaluation(world.sup_north, call.id)
    with pytest.raises((Denied, EvaluationLocked)):
        discard_draft(world.sup_north, done.id, done.row_version)
    assert get_evaluation(world.sup_north, done.id).submitted


def test_opening_a_call_a_colleague_evaluated_says_who_and_when(world_calls):
    world, (call, drafted, _) = world_calls
    done = submit_evaluation(world.sup_north, call.id)
    save_item(world.sup_north, 0, 0, "be_patient", value=3, new=NewDraft(drafted.id))
    (other,) = open_evaluation(world.admin, call.id).others
    assert (other.evaluation_id, other.scorer, other.submitted) == (done.id, "Sup.North", True)
    assert other.submitted_at is not None
    (drafting,) = open_evaluation(world.admin, drafted.id).others
    assert drafting.scorer == "Sup.North" and not drafting.submitted
    assert open_evaluation(world.sup_north, call.id).others == []  # their own is not "other"


def test_a_second_evaluation_needs_the_explicit_choice_and_is_marked(world_calls):
    world, (call, *_) = world_calls
    first = submit_evaluation(world.sup_north, call.id)
    with pytest.raises(Conflict, match="Sup.North evaluated this call already"):
        save_item(world.admin, 0, 0, "be_patient", value=3, new=NewDraft(call.id))
    assert _count(Evaluation) == 1
    second = save_item(world.admin, 0, 0, "be_patient", value=3, new=NewDraft(call.id, second=True))
    for key in SCORED_ITEMS:
        second = save_item(world.admin, second.id, second.row_version, key, value=3)
    second = submit(world.admin, second.id, second.row_version)
    assert earlier_evaluation(world.agent_north, first.id) is None
    marked = earlier_evaluation(world.agent_north, second.id)  # what the agent is shown
    assert marked is not None and marked.evaluation_id == first.id
    assert marked.scorer == "Sup.North"


def test_calibration_evaluations_are_never_revealed_as_others(world_calls):
    world, (call, *_) = world_calls
    session_id = create_session(
        world.admin, "Blind", [call.id], [world.sup_north.id, world.admin.id]
    )
    save_item(
        world.sup_north,
        0,
        0,
        "be_patient",
        value=2,
        new=NewDraft(call.id, calibration_session_id=session_id),
    )
    assert open_evaluation(world.admin, call.id).others == []
    assert open_evaluation(world.admin, call.id, session_id).others == []
    # ... and a blind draft does not stand in the way of a regular evaluation.
    regular = save_item(world.admin, 0, 0, "be_patient", value=4, new=NewDraft(call.id))
    assert regular.id > 0


def test_review_time_accumulates_on_the_draft(world_calls):
    world, (call, *_) = world_calls
    view = save_item(
        world.sup_north, 0, 0, "be_patient", value=2, new=NewDraft(call.id, review_seconds=40)
    )
    assert record_review_time(world.sup_north, view.id, 100)  # a second page load
    assert not record_review_time(world.admin, view.id, 100)  # not theirs: nothing added
    assert open_evaluation(world.sup_north, call.id).review_seconds == 140
    for key in SCORED_ITEMS:
        view = save_item(world.sup_north, view.id, view.row_version, key, value=4)
    done = submit(world.sup_north, view.id, view.row_version, review_seconds=3)
    assert done.review_seconds == 143  # 3 min 43 s stays 3 min 43 s
    assert not record_review_time(world.sup_north, done.id, 100)  # submitted: closed
    assert get_evaluation(world.sup_north, done.id).review_seconds == 143


def test_unknown_evaluation_ids_are_refused_alike(world_calls):
    world, _ = world_calls
    with pytest.raises((Denied, NotFound)):
        discard_draft(world.sup_north, 2**40, 1)
    assert not record_review_time(world.sup_north, 2**40, 10)


def test_the_migration_removes_only_the_untouched_drafts_already_stored(world_calls, database):
    """Drafts made by merely opening a call (before this fix) are removed; a draft with a
    level, a note or a comment (or a demo draft written directly) and submitted
    evaluations stay."""
    from alembic import command
    from sqlalchemy import text

    from db.operations.migrate import alembic_config

    world, (empty_call, noted_call, done_call) = world_calls
    empty = open_draft(world.sup_north, empty_call.id)  # what opening a call used to leave
    noted = open_draft(world.sup_north, noted_call.id)
    noted = save_item(world.sup_north, noted.id, noted.row_version, "be_patient", note="Hm")
    pinned = open_draft(world.admin, noted_call.id)
    pinned = add_comment(world.admin, pinned.id, pinned.row_version, 2.0, "Here")
    done = submit_evaluation(world.sup_north, done_call.id)
    with read_scope() as session:
        before = set(session.exec(select(Evaluation.id)).all())
    assert before == {empty.id, noted.id, pinned.id, done.id}
    cfg = alembic_config()
    try:
        with database.begin() as connection:
            cfg.attributes["connection"] = connection
            command.stamp(cfg, "b8d4f2a6c915")
            command.upgrade(cfg, "d3f7a1c8e240")
        with read_scope() as session:
            after = set(session.exec(select(Evaluation.id)).all())
            items = set(session.exec(select(ItemScore.evaluation_id)).all())
        assert after == before - {empty.id}
        assert empty.id not in items
    finally:
        with database.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_next_call_is_the_next_one_waiting_never_the_one_just_submitted(world_calls):
    world, (first, second, third) = world_calls
    done = submit_evaluation(world.sup_north, first.id)
    nxt = next_call_for(world.sup_north, first.id)
    assert nxt in {second.id, third.id} and nxt != done.call_id
    # A draft of the scorer's own is next: the queue puts it first.
    save_item(world.sup_north, 0, 0, "be_patient", value=3, new=NewDraft(third.id))
    assert next_call_for(world.sup_north, first.id) == third.id
    assert next_call_for(world.sup_north, third.id) == second.id
    submit_evaluation(world.admin, second.id)  # evaluated by someone: no longer waiting
    assert next_call_for(world.sup_north, third.id) is None
