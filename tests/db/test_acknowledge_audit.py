"""On both databases: every acknowledgement, single or bulk, writes one audit event (who,
when, which evaluation) in the same transaction, and the evaluation's history shows it
to whoever may read the evaluation (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from db.access import NotFound
from db.models import AuditEvent
from db.services.audit import ACKNOWLEDGE, audit_trail
from db.services.browse import evaluation_history, evaluation_record
from db.services.feedback import acknowledge, acknowledge_many
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world


@pytest.fixture
def setup(database, tmp_path):
    world = make_world()
    calls = [
        make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=n) for n in (1, 2, 3)
    ]
    mine = [scored(world.sup_north, c.id, value=3) for c in calls]
    theirs_call = make_call(world.admin, world.agent_north2, tmp_path, seconds=20, seed=4)
    theirs = scored(world.sup_north, theirs_call.id, value=3)
    return world, mine, theirs


def _events(database, evaluation_id: int | None = None) -> list[AuditEvent]:
    with Session(database) as s:
        query = select(AuditEvent).where(AuditEvent.action == ACKNOWLEDGE)
        if evaluation_id is not None:
            query = query.where(AuditEvent.entity_id == evaluation_id)
        return list(s.exec(query.order_by(AuditEvent.id)).all())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_a_single_acknowledgement_is_audited_once(setup, database):
    world, mine, _ = setup
    agent, ev = world.agent_north, mine[0]
    at = acknowledge(agent, ev.id)
    (event,) = _events(database)
    assert (event.actor_id, event.entity, event.entity_id) == (agent.id, "evaluation", ev.id)
    assert event.after == {"acknowledged_at": at.isoformat(), "bulk": False}
    assert abs((_aware(event.at) - _aware(at)).total_seconds()) < 60  # written with it
    # Acknowledging again changes nothing and audits nothing.
    assert acknowledge(agent, ev.id) == at
    assert len(_events(database)) == 1


def test_bulk_acknowledgement_audits_each_new_one(setup, database):
    world, mine, _ = setup
    agent = world.agent_north
    acknowledge(agent, mine[0].id)
    assert acknowledge_many(agent, [ev.id for ev in mine]) == 2
    events = _events(database)
    assert [(e.entity_id, e.after["bulk"]) for e in events] == [
        (mine[0].id, False),
        (mine[1].id, True),
        (mine[2].id, True),
    ]
    assert {e.actor_id for e in events} == {agent.id}
    assert acknowledge_many(agent, [ev.id for ev in mine]) == 0
    assert len(_events(database)) == 3


def test_a_refused_batch_audits_nothing(setup, database):
    world, mine, theirs = setup
    with pytest.raises(NotFound):
        acknowledge_many(world.agent_north, [mine[0].id, theirs.id])
    with pytest.raises(NotFound):
        acknowledge(world.agent_north, theirs.id)
    with pytest.raises(NotFound):  # a supervisor cannot acknowledge for the agent
        acknowledge(world.sup_north, mine[0].id)
    assert _events(database) == []


def test_the_history_and_the_trail_show_who_acknowledged_and_when(setup):
    world, mine, _ = setup
    agent, ev = world.agent_north, mine[1]
    acknowledge_many(agent, [ev.id])
    for reader in (agent, world.sup_north, world.admin):
        (entry,) = evaluation_history(reader, ev.id)
        assert (entry.who, entry.what, entry.changes) == ("Agent.North", "Acknowledged", ())
    assert [e.what for e in evaluation_record(agent, ev.id).history] == ["Acknowledged"]
    trail = audit_trail(world.sup_north, "evaluation", ev.id)
    assert [(t["action"], t["actor_id"]) for t in trail if t["action"] == ACKNOWLEDGE] == [
        (ACKNOWLEDGE, agent.id)
    ]
    # Nobody outside the policy reads it.
    with pytest.raises(NotFound):
        evaluation_history(world.agent_north2, ev.id)
    with pytest.raises(NotFound):
        audit_trail(world.sup_south, "evaluation", ev.id)
    assert evaluation_history(agent, mine[2].id) == []  # not acknowledged: no entry
