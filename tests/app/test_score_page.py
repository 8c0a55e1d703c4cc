"""The Score page through AppTest: the form autosaves, submit locks, amend is audited,
and a stale save from a second tab is refused without losing the stored values."""

import pytest

from db.services.audit import audit_trail
from db.services.evaluations import get_evaluation, open_draft, save_item
from tests.app.conftest import open_page
from tests.factories import make_call, make_world

SCORE = "pages/score.py"


@pytest.fixture
def setup(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30)
    return world, call


def _radio(at, item_key):
    return next(r for r in at.radio if r.key.endswith(f"_{item_key}_v"))


def _note(at, item_key):
    return next(t for t in at.text_area if t.key and t.key.endswith(f"_{item_key}_n"))


def test_without_a_call_the_page_points_to_the_queue(setup):
    world, _ = setup
    at = open_page(world.sup_north, SCORE)
    assert "queue" in at.info[0].value


def test_every_change_is_saved_and_resumed_in_a_new_session(setup):
    world, call = setup
    at = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    assert len(at.radio) == 10
    _radio(at, "be_patient").set_value(2).run()
    _note(at, "be_patient").input("Talked over the customer at 0:12").run()
    assert not at.exception
    # A refresh is a brand-new session: everything comes back from the database.
    again = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    assert _radio(again, "be_patient").value == 2
    assert _note(again, "be_patient").value == "Talked over the customer at 0:12"
    assert _radio(again, "eye_contact").value == "N/A"  # audio-only default
    assert any(m.label == "Total" and m.value == "25.0" for m in again.metric)
    # Items as numbered on the page: 5 (eye contact, N/A) and 9 (be patient) are answered.
    assert "Items still open: 8 (1, 2, 3, 4, 6, 7, 8, 10)" in [c.value for c in again.caption]


def test_submit_locks_and_amend_writes_the_audit_trail(setup):
    world, call = setup
    at = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    for radio in at.radio:
        if radio.value is None:
            radio.set_value(4).run()
    submit = next(b for b in at.button if b.label == "Submit evaluation")
    submit.click().run()
    assert not at.exception
    ev = open_draft(world.sup_north, call.id)
    assert ev.status == "submitted" and ev.total == 75.0
    at.run()
    assert all(r.disabled for r in at.radio)
    at.selectbox[0].set_value("paraphrase")
    at.selectbox[1].set_value(2)
    at.text_area[-1].input("Missed the summary on second listen")
    next(b for b in at.button if b.label == "Amend").click().run()
    assert not at.exception
    assert get_evaluation(world.sup_north, ev.id).items["paraphrase"].value == 2
    (event,) = audit_trail(world.admin, "evaluation", ev.id)
    assert event["reason"] == "Missed the summary on second listen"


def test_a_stale_tab_is_refused_and_the_stored_value_survives(setup):
    world, call = setup
    tab_a = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    ev = open_draft(world.sup_north, call.id)
    save_item(world.sup_north, ev.id, ev.row_version, "open_mind", value=5)  # tab B saves
    _radio(tab_a, "open_mind").set_value(1).run()
    assert any("changed elsewhere" in e.value for e in tab_a.error)
    assert get_evaluation(world.sup_north, ev.id).items["open_mind"].value == 5
    next(b for b in tab_a.button if b.label == "Reload the current version").click().run()
    assert _radio(tab_a, "open_mind").value == 5


def test_other_teams_and_agents_cannot_open_the_call(setup):
    world, call = setup
    at = open_page(world.sup_south, SCORE, {"call": str(call.id)})
    assert "not found or is not yours" in at.error[0].value
    assert not at.radio


def _evaluations(call_id):
    from sqlmodel import select

    from db.engine import read_scope
    from db.models import Evaluation

    with read_scope() as session:
        return session.exec(select(Evaluation).where(Evaluation.call_id == call_id)).all()


def test_opening_writes_nothing_and_the_first_score_creates_the_draft(setup):
    world, call = setup
    at = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    assert not at.exception and len(at.radio) == 10
    assert _evaluations(call.id) == []  # issue 14, bug 1: looking is not drafting
    _radio(at, "be_patient").set_value(2).run()
    assert not at.exception
    (draft,) = _evaluations(call.id)
    assert draft.status == "draft" and draft.scorer_id == world.sup_north.id
    _radio(at, "stop_talking").set_value(4).run()  # the next save goes to the same draft
    assert len(_evaluations(call.id)) == 1
    assert get_evaluation(world.sup_north, draft.id).items["stop_talking"].value == 4


def test_a_draft_is_discarded_after_its_confirmation(setup):
    world, call = setup
    at = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    _radio(at, "be_patient").set_value(2).run()
    assert len(_evaluations(call.id)) == 1
    next(b for b in at.button if b.label == "Yes, discard this draft").click().run()
    assert not at.exception
    assert _evaluations(call.id) == []
    assert _radio(at, "be_patient").value is None  # the page shows the call unscored again


def test_a_colleagues_evaluation_is_named_and_a_second_needs_a_choice(setup):
    from tests.factories import submit_evaluation

    world, call = setup
    submit_evaluation(world.sup_north, call.id)
    at = open_page(world.admin, SCORE, {"call": str(call.id)})
    assert any("Sup.North" in m.value and "evaluated this call" in m.value for m in at.markdown)
    assert all(r.disabled for r in at.radio)
    next(b for b in at.button if b.label == "Start a second evaluation").click().run()
    assert not any(r.disabled for r in at.radio)
    _radio(at, "be_patient").set_value(3).run()
    assert not at.exception
    assert len(_evaluations(call.id)) == 2
    assert "A second evaluation of this call." in " ".join(c.value for c in at.caption)


def test_a_blind_calibration_draft_is_never_named(setup):
    from db.services.calibration import create_session
    from db.services.evaluations import NewDraft

    world, call = setup
    session_id = create_session(
        world.admin, "Blind", [call.id], [world.sup_north.id, world.admin.id]
    )
    save_item(world.sup_north, 0, 0, "be_patient", value=2, new=NewDraft(call.id, session_id))
    at = open_page(world.admin, SCORE, {"call": str(call.id)})
    assert not any("Sup.North" in m.value for m in at.markdown)
    assert not any(r.disabled for r in at.radio)
