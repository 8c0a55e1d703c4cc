"""On both databases: an agent acknowledges several evaluations at once (only their own,
all or none, recorded as a single acknowledgement is), and a dispute keeps the moments of
the call the agent cites, shown with the evaluation in context to whoever decides it."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from db.access import NotFound
from db.services.audit import audit_trail
from db.services.disputes import DisputeProblem, dispute_context, get_dispute, open_dispute
from db.services.feedback import acknowledge, acknowledge_many, feedback_detail, my_evaluations
from db.services.listening import store_listening_report
from scoring.errors import Invalid
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

REASON = "The customer had finished; I waited before answering."


@pytest.fixture
def setup(database, tmp_path):
    world = make_world()
    calls = [
        make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=n) for n in (1, 2, 3)
    ]
    mine = [scored(world.sup_north, c.id, value=2) for c in calls]
    theirs_call = make_call(world.admin, world.agent_north2, tmp_path, seconds=30, seed=4)
    theirs = scored(world.sup_north, theirs_call.id, value=3)
    return world, mine, theirs


def _acked(agent) -> dict[int, object]:
    return {r.evaluation_id: r.acknowledged_at for r in my_evaluations(agent)}


def test_an_agent_acknowledges_several_at_once_as_one_by_one_would(setup):
    world, mine, _ = setup
    first = acknowledge(world.agent_north, mine[0].id)
    assert (
        acknowledge_many(world.agent_north, [mine[0].id, mine[1].id, mine[2].id, mine[1].id]) == 2
    )
    acked = _acked(world.agent_north)
    assert acked[mine[0].id] == first  # the first acknowledgement keeps its time
    assert all(acked[ev.id] is not None for ev in mine)
    for ev in mine:  # acknowledging also marks it read, as the single button does
        assert feedback_detail(world.agent_north, ev.id).viewed_at is not None
    assert acknowledge_many(world.agent_north, [ev.id for ev in mine]) == 0


def test_a_batch_with_someone_elses_evaluation_records_nothing(setup):
    world, mine, theirs = setup
    with pytest.raises(NotFound, match=f"Evaluation {theirs.id} was not found or is not yours"):
        acknowledge_many(world.agent_north, [mine[0].id, theirs.id])
    assert not any(_acked(world.agent_north).values())
    assert not any(_acked(world.agent_north2).values())
    with pytest.raises(NotFound):  # a supervisor cannot acknowledge for the agent
        acknowledge_many(world.sup_north, [mine[0].id])
    with pytest.raises(Invalid, match="at least one"):
        acknowledge_many(world.agent_north, [])
    assert not any(_acked(world.agent_north).values())


def test_a_dispute_keeps_the_moments_the_agent_cites(setup):
    world, mine, _ = setup
    dispute = open_dispute(world.agent_north, mine[0].id, "be_patient", REASON, [20, 4.5, 20])
    assert dispute.moments == (4.5, 20.0)
    assert get_dispute(world.sup_north, dispute.id).moments == (4.5, 20.0)
    (event,) = audit_trail(world.admin, "dispute", dispute.id)
    assert event["after"]["moments"] == [4.5, 20.0]
    plain = open_dispute(world.agent_north, mine[0].id, "paraphrase", REASON)
    assert plain.moments == ()


def test_a_moment_outside_the_call_is_refused_and_nothing_is_opened(setup):
    world, mine, _ = setup
    with pytest.raises(Invalid, match=r"0:45 is outside the call \(0:00–0:30\)"):
        open_dispute(world.agent_north, mine[0].id, "be_patient", REASON, [12, 45])
    assert not feedback_detail(world.agent_north, mine[0].id).disputes


def test_the_decider_sees_the_evaluation_in_context(setup):
    world, mine, _ = setup
    ev = mine[0]
    store_listening_report(ev.call_id)
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", REASON, [12])
    for who in (world.sup_north, world.admin):
        context = dispute_context(who, dispute.id)
        assert context.dispute.id == dispute.id and context.dispute.moments == (12.0,)
        assert context.call.id == ev.call_id and context.call.duration_s == pytest.approx(30, 0.05)
        assert context.audio_url.startswith("/audio/")
        assert context.listening is not None and context.listening["peaks"]
        disputed = [i for i in context.items if i.disputed]
        assert [(i.key, i.title, i.score) for i in disputed] == [
            ("be_patient", "Gives the customer time", "2")
        ]
        assert len(context.items) == 10
    for who in (world.sup_south, world.agent_north2, world.agent_south):
        with pytest.raises(NotFound, match="not found or is not yours"):
            dispute_context(who, dispute.id)
    for bad in ("0", "x", -1, 2**31):
        with pytest.raises(NotFound):
            dispute_context(world.admin, bad)


def test_a_repeat_dispute_still_names_the_item(setup):
    world, mine, _ = setup
    open_dispute(world.agent_north, mine[0].id, "be_patient", REASON, [3])
    with pytest.raises(DisputeProblem, match="Gives the customer time"):
        open_dispute(world.agent_north, mine[0].id, "be_patient", REASON, [4])


def test_two_tabs_acknowledging_the_same_batch_record_each_once(setup):
    world, mine, _ = setup
    ids = [ev.id for ev in mine]
    barrier = threading.Barrier(2)

    def tab(_):
        barrier.wait()
        return acknowledge_many(world.agent_north, ids)

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(tab, range(2)))
    assert sum(done) == len(ids)  # each acknowledged once, by one tab or the other
    assert all(_acked(world.agent_north)[i] is not None for i in ids)
