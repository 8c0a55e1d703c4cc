"""Notifications on both databases: each event makes one for the right people, the bell
counts them, preferences choose what shows and what is e-mailed, nobody reads another's."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.access import NotFound
from db.models import AssignmentRow, Job, Notification, User, utcnow
from db.services.calibration import create_session, reveal
from db.services.disputes import open_dispute, resolve_dispute
from db.services.evaluations import open_draft, save_item, submit
from db.services.notifications import (
    list_notifications,
    mark_read,
    note_due_assignments,
    open_notification,
    preferences,
    save_preferences,
    unread_notification_count,
    wanted_now,
)
from tests.db.test_feedback import ITEMS, scored
from tests.factories import make_call, make_world

REASON = "The customer had finished; I waited before answering."


@pytest.fixture
def world(database):
    return make_world()


def _kinds(actor):
    return [n.kind for n in list_notifications(actor)]


def test_submitted_feedback_notifies_its_agent_with_a_link_to_the_evaluation(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path)
    assert unread_notification_count(world.agent_north) == 0
    ev = scored(world.sup_north, call.id)
    (note,) = list_notifications(world.agent_north)
    assert note.kind == "feedback" and note.page == "my_feedback"
    assert note.params == {"evaluation": str(ev.id)} and not note.read
    assert unread_notification_count(world.agent_north) == 1
    assert list_notifications(world.agent_north2) == []  # a team mate hears nothing
    assert list_notifications(world.sup_north) == []


def test_a_draft_saved_again_makes_no_notification(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = open_draft(world.sup_north, call.id)
    for key in ITEMS:
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=3)
    assert unread_notification_count(world.agent_north) == 0
    submit(world.sup_north, ev.id, ev.row_version)
    assert unread_notification_count(world.agent_north) == 1


def test_disputes_notify_the_team_supervisor_then_the_agent(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id, value=2)
    mark_read(world.agent_north)
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", REASON)
    assert _kinds(world.sup_north) == ["dispute_waiting"]
    assert list_notifications(world.sup_north)[0].params == {"dispute": str(dispute.id)}
    assert _kinds(world.sup_south) == [] and _kinds(world.admin) == []
    resolve_dispute(world.sup_north, dispute.id, "rejected", "The pause was long enough.")
    (decided,) = [n for n in list_notifications(world.agent_north) if not n.read]
    assert decided.kind == "dispute_decided" and "rejected" in decided.title
    assert decided.params == {"evaluation": str(ev.id)}


def test_calibration_seats_and_reveal_notify_the_scorers(world, tmp_path):
    calls = [make_call(world.admin, world.agent_north, tmp_path, seed=1)]
    seats = [world.sup_north.id, world.sup_south.id]
    session_id = create_session(world.admin, "December", [c.id for c in calls], seats)
    for actor in (world.sup_north, world.sup_south):
        (note,) = list_notifications(actor)
        assert note.kind == "calibration_to_score" and "December" in note.title
        assert note.params == {"session": str(session_id)}
    ev = open_draft(world.sup_north, calls[0].id, session_id)
    for key in ITEMS:
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=3)
    submit(world.sup_north, ev.id, ev.row_version)
    assert _kinds(world.agent_north) == []  # calibration scores are not feedback
    reveal(world.admin, session_id)
    assert _kinds(world.sup_south)[0] == "calibration_revealed"
    assert "calibration_revealed" in _kinds(world.admin)  # the facilitator too


def test_an_assignment_due_soon_is_noted_once(world, tmp_path, database):
    call = make_call(world.admin, world.agent_north, tmp_path)
    with Session(database) as s:
        for due in (utcnow() + timedelta(hours=3), utcnow() + timedelta(days=5)):
            s.add(
                AssignmentRow(
                    call_id=call.id,
                    agent_id=world.agent_north.id,
                    scorer_id=world.sup_north.id,
                    due_at=due,
                    reason="random",
                )
            )
        s.commit()
    assert note_due_assignments(world.sup_north) == 1
    assert note_due_assignments(world.sup_north) == 0  # never twice
    assert _kinds(world.sup_north) == ["assignment_due"]
    assert list_notifications(world.sup_north)[0].page == "queue"
    assert note_due_assignments(world.agent_north) == 0


def test_marking_read_touches_only_ones_own(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path)
    scored(world.sup_north, call.id)
    (note,) = list_notifications(world.agent_north)
    assert mark_read(world.agent_north2, [note.id]) == 0
    with pytest.raises(NotFound):
        open_notification(world.agent_north2, note.id)
    assert unread_notification_count(world.agent_north) == 1
    opened = open_notification(world.agent_north, note.id)
    assert opened.read and unread_notification_count(world.agent_north) == 0


def test_preferences_hide_kinds_and_choose_email(world, tmp_path, database):
    assert preferences(world.agent_north).email_mode == "each"
    save_preferences(world.agent_north, in_app=[], emailed=["feedback"], email_mode="daily")
    call = make_call(world.admin, world.agent_north, tmp_path)
    scored(world.sup_north, call.id)
    assert unread_notification_count(world.agent_north) == 0  # hidden from the bell
    with Session(database) as s:
        (row,) = s.exec(select(Notification)).all()
        s.get(User, world.agent_north.id).email = "agent.north@example.org"
        s.commit()
        note_id = row.id
    assert wanted_now([note_id]) == []  # daily: the digest sends it, not one by one
    save_preferences(world.agent_north, ["feedback"], ["feedback"], "each")
    assert wanted_now([note_id]) == [note_id]
    with pytest.raises(ValueError, match="'nonsense' is not a kind"):
        save_preferences(world.agent_north, ["nonsense"], [], "each")
    with pytest.raises(ValueError, match="E-mail mode 'hourly'"):
        save_preferences(world.agent_north, [], [], "hourly")


def test_users_without_an_address_queue_no_email(world, tmp_path, database):
    call = make_call(world.admin, world.agent_north, tmp_path)
    scored(world.sup_north, call.id)
    with Session(database) as s:
        assert s.exec(select(Job).where(Job.kind == "email")).all() == []


def test_without_smtp_settings_no_email_is_queued(world, tmp_path, database, monkeypatch):
    monkeypatch.delenv("EARSHOT_SMTP_HOST", raising=False)
    with Session(database) as s:
        s.get(User, world.agent_north.id).email = "agent.north@example.org"
        s.commit()
    scored(world.sup_north, make_call(world.admin, world.agent_north, tmp_path).id)
    assert unread_notification_count(world.agent_north) == 1  # the bell still has it
    with Session(database) as s:
        assert s.exec(select(Job).where(Job.kind == "email")).all() == []
