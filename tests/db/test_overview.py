"""The overview's counts: what waits for each user, moving as they act on it."""

import pytest

from db.access import AccessDenied
from db.services.calibration import create_session, reveal
from db.services.disputes import open_dispute, resolve_dispute
from db.services.evaluations import open_draft
from db.services.feedback import FeedbackCounts, acknowledge, feedback_counts, mark_viewed
from db.services.overview import overview_for
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

REASON = "The customer had finished; I waited before answering."


def _values(actor) -> dict[str, int | str]:
    return {label: figure.value for label, figure in overview_for(actor).items()}


def test_an_agents_counts_follow_reading_acknowledging_and_disputing(database, tmp_path):
    world = make_world()
    agent = world.agent_north
    assert feedback_counts(agent) == FeedbackCounts(0, 0, 0, 0, None)
    calls = [make_call(world.admin, agent, tmp_path, seed=i) for i in (1, 2)]
    first = scored(world.sup_north, calls[0].id, value=5)
    scored(world.sup_north, calls[1].id, value=1)
    make_call(world.admin, world.agent_north2, tmp_path, seed=3)  # someone else's: no count
    assert feedback_counts(agent) == FeedbackCounts(2, 2, 2, 0, 50.0)

    mark_viewed(agent, first.id)
    acknowledge(agent, first.id)
    dispute = open_dispute(agent, first.id, "be_patient", REASON)
    assert feedback_counts(agent) == FeedbackCounts(2, 1, 1, 1, 50.0)
    assert _values(agent) == {
        "New feedback": 1,
        "Not yet acknowledged": 1,
        "Your open disputes": 1,
        "Your average": "50.0",
    }
    resolve_dispute(world.sup_north, dispute.id, "rejected", "The pause was long enough.")
    assert feedback_counts(agent).open_disputes == 0
    assert feedback_counts(world.agent_north2) == FeedbackCounts(0, 0, 0, 0, None)
    with pytest.raises(AccessDenied):
        feedback_counts(world.sup_north)


def test_a_supervisors_figures_point_at_drafts_disputes_and_blind_scoring(database, tmp_path):
    world = make_world()
    calls = [make_call(world.admin, world.agent_north, tmp_path, seed=i) for i in (1, 2, 3)]
    open_draft(world.sup_north, calls[0].id)
    done = scored(world.sup_north, calls[1].id)
    open_dispute(world.agent_north, done.id, "be_patient", REASON)
    session = create_session(
        world.sup_north,
        "Blind",
        [calls[1].id, calls[2].id],
        [world.sup_north.id, world.sup_south.id],
    )
    scored(world.sup_north, calls[2].id, calibration_id=session)
    figures = overview_for(world.sup_north)
    assert {label: f.value for label, f in figures.items()} == {
        "Assignments overdue": 0,
        "Assignments due today": 0,
        "Your drafts": 1,  # a calibration draft is not a queue draft
        "Disputes waiting": 1,
        "Calibration calls to score": 1,
        "Your submitted evaluations": 1,
        "Calls you can see": 3,
    }
    assert figures["Disputes waiting"].page == "pages/disputes.py"
    south = _values(world.sup_south)
    assert (south["Disputes waiting"], south["Calls you can see"]) == (0, 0)
    assert south["Calibration calls to score"] == 2  # a seat in North's session
    scored(world.sup_south, calls[1].id, calibration_id=session)
    reveal(world.sup_north, session)
    assert _values(world.sup_south)["Calibration calls to score"] == 0  # revealed: closed
