"""Disputes on both databases: the agent opens one within the window, the team supervisor
or an admin decides, an accepted score goes through the audited amend path."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from db.access import AccessDenied, NotFound
from db.models import Evaluation
from db.services.audit import audit_trail
from db.services.disputes import (
    DisputeProblem,
    DisputeWindowClosed,
    get_dispute,
    list_disputes,
    open_dispute,
    open_dispute_count,
    resolve_dispute,
)
from db.services.evaluations import StaleEvaluation, amend, get_evaluation, open_draft
from db.services.feedback import feedback_detail
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

REASON = "The customer had finished; I waited before answering."


@pytest.fixture
def setup(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id, value=2)
    return world, ev


def _age(database, evaluation_id, days):
    with Session(database) as s:
        row = s.get(Evaluation, evaluation_id)
        row.submitted_at -= timedelta(days=days)
        s.add(row)
        s.commit()


def test_an_agent_opens_a_dispute_with_a_reason(setup):
    world, ev = setup
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    assert (dispute.status, dispute.item_title, dispute.current_value) == (
        "open",
        "Gives the customer time",
        2,
    )
    assert dispute.reason == REASON and dispute.agent == "Agent.North"
    assert open_dispute_count(world.sup_north) == 1
    assert open_dispute_count(world.admin) == 1
    assert open_dispute_count(world.sup_south) == 0
    assert open_dispute_count(world.agent_north) == 1
    detail = feedback_detail(world.agent_north, ev.id)
    patient = next(i for i in detail.items if i.key == "be_patient")
    assert patient.open_dispute
    assert "be_patient" not in {i.key for i in detail.disputable_items}
    (event,) = audit_trail(world.admin, "dispute", dispute.id)
    assert event["action"] == "open_dispute"


def test_a_reason_is_required_and_one_open_dispute_per_item(setup):
    world, ev = setup
    for reason in ("", "   ", "no"):
        with pytest.raises(DisputeProblem, match="needs a reason"):
            open_dispute(world.agent_north, ev.id, "be_patient", reason)
    open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    with pytest.raises(DisputeProblem, match="already have an open dispute"):
        open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    open_dispute(world.agent_north, ev.id, "paraphrase", REASON)  # another item is fine
    with pytest.raises(DisputeProblem, match="no item"):
        open_dispute(world.agent_north, ev.id, "charisma", REASON)


def test_only_the_agent_on_their_own_submitted_evaluation(setup, tmp_path):
    world, ev = setup
    for actor in (world.agent_north2, world.agent_south):
        with pytest.raises(NotFound):
            open_dispute(actor, ev.id, "be_patient", REASON)
    for actor in (world.sup_north, world.admin):
        with pytest.raises(AccessDenied):
            open_dispute(actor, ev.id, "be_patient", REASON)
    draft_call = make_call(world.admin, world.agent_north, tmp_path, seed=9)
    draft = open_draft(world.sup_north, draft_call.id)
    with pytest.raises(NotFound):
        open_dispute(world.agent_north, draft.id, "be_patient", REASON)


def test_the_window_counts_from_submission(setup, database):
    world, ev = setup
    _age(database, ev.id, 13)
    open_dispute(world.agent_north, ev.id, "be_patient", REASON)  # day 13: still open
    _age(database, ev.id, 2)  # day 15
    with pytest.raises(DisputeWindowClosed, match="14 days"):
        open_dispute(world.agent_north, ev.id, "paraphrase", REASON)
    detail = feedback_detail(world.agent_north, ev.id)
    assert not detail.can_dispute and detail.disputable_items == []


def test_list_scopes_agent_own_supervisor_team_admin_all(setup, tmp_path):
    world, ev = setup
    south_call = make_call(world.admin, world.agent_south, tmp_path, seed=3)
    south_ev = scored(world.sup_south, south_call.id)
    north = open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    south = open_dispute(world.agent_south, south_ev.id, "paraphrase", REASON)
    ids = lambda rows: {r.id for r in rows}  # noqa: E731
    assert ids(list_disputes(world.admin)) == {north.id, south.id}
    assert ids(list_disputes(world.sup_north)) == {north.id}
    assert ids(list_disputes(world.sup_south, status="open")) == {south.id}
    assert ids(list_disputes(world.agent_north)) == {north.id}
    assert ids(list_disputes(world.agent_north2)) == set()
    assert ids(list_disputes(world.sup_north, status="rejected")) == set()
    with pytest.raises(NotFound):
        get_dispute(world.sup_south, north.id)
    with pytest.raises(DisputeProblem):
        list_disputes(world.admin, status="pending")


def test_accepting_amends_the_score_through_the_audited_path(setup):
    world, ev = setup
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    done = resolve_dispute(
        world.sup_north, dispute.id, "accepted", "Fair: re-listened.", new_value=4
    )
    assert (done.status, done.current_value, done.resolver) == ("accepted", 4, "Sup.North")
    after = get_evaluation(world.sup_north, ev.id)
    assert after.items["be_patient"].value == 4 and after.total > ev.total
    (amended,) = audit_trail(world.admin, "evaluation", ev.id)
    assert amended["action"] == "amend" and f"Dispute #{dispute.id}" in amended["reason"]
    assert REASON in amended["reason"]
    events = audit_trail(world.admin, "dispute", dispute.id)
    assert [e["action"] for e in events] == ["open_dispute", "resolve_dispute"]
    assert events[1]["before"]["value"] == 2 and events[1]["after"]["value"] == 4
    assert open_dispute_count(world.sup_north) == 0
    # The agent sees the outcome.
    patient = next(
        i for i in feedback_detail(world.agent_north, ev.id).items if i.key == "be_patient"
    )
    assert patient.dispute.status == "accepted" and patient.value == 4
    assert patient.dispute.resolution == "Fair: re-listened."
    with pytest.raises(DisputeProblem, match="already decided"):
        resolve_dispute(world.admin, dispute.id, "rejected", "Changed my mind")


def test_partly_accepting_needs_a_new_score_and_a_reason(setup):
    world, ev = setup
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    with pytest.raises(DisputeProblem, match="new score"):
        resolve_dispute(world.admin, dispute.id, "partly_accepted", "Somewhat right")
    with pytest.raises(DisputeProblem, match="reason"):
        resolve_dispute(world.admin, dispute.id, "partly_accepted", "", new_value=3)
    with pytest.raises(DisputeProblem, match="same as the current"):
        resolve_dispute(world.admin, dispute.id, "partly_accepted", "Somewhat right", new_value=2)
    done = resolve_dispute(
        world.admin, dispute.id, "partly_accepted", "Somewhat right", new_value=3
    )
    assert (done.status, done.current_value) == ("partly_accepted", 3)


def test_rejecting_needs_a_reason_and_keeps_the_score(setup):
    world, ev = setup
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    with pytest.raises(DisputeProblem, match="reason"):
        resolve_dispute(world.sup_north, dispute.id, "rejected", " ")
    done = resolve_dispute(
        world.sup_north, dispute.id, "rejected", "At 0:12 you started before the customer finished."
    )
    assert (done.status, done.current_value) == ("rejected", 2)
    assert get_evaluation(world.sup_north, ev.id).row_version == ev.row_version
    events = audit_trail(world.admin, "dispute", dispute.id)
    assert events[-1]["action"] == "resolve_dispute" and events[-1]["after"]["status"] == (
        "rejected"
    )
    # Once decided, the agent may dispute the item again within the window.
    open_dispute(world.agent_north, ev.id, "be_patient", "New evidence: listen at 0:20.")


def test_only_the_team_supervisor_or_an_admin_decides(setup):
    world, ev = setup
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    with pytest.raises(NotFound):
        resolve_dispute(world.sup_south, dispute.id, "rejected", "Not my team anyway")
    with pytest.raises(AccessDenied):
        resolve_dispute(world.agent_north, dispute.id, "accepted", "", new_value=5)
    with pytest.raises(DisputeProblem):
        resolve_dispute(world.admin, dispute.id, "maybe", "Hmm, not sure")
    assert get_dispute(world.admin, dispute.id).is_open


def test_a_failed_amend_leaves_the_dispute_open(setup, monkeypatch):
    world, ev = setup
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", REASON)

    def stale(*args, **kwargs):
        raise StaleEvaluation("changed elsewhere")

    monkeypatch.setattr("db.services.disputes.amend", stale)
    with pytest.raises(StaleEvaluation):
        resolve_dispute(world.sup_north, dispute.id, "accepted", "", new_value=5)
    row = get_dispute(world.admin, dispute.id)
    assert row.is_open and row.resolver is None and row.current_value == 2
    monkeypatch.setattr("db.services.disputes.amend", amend)
    assert resolve_dispute(world.sup_north, dispute.id, "accepted", "", new_value=5).status == (
        "accepted"
    )
