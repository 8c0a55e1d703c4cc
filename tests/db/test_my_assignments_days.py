"""My assignments and the navigation's counts in the reader's days, and read together
(issue 18; issue 14, bug 10: a time zone per user, UTC nowhere). On SQLite and PostgreSQL.

``NOW`` is 2026-11-24 20:00 UTC: already the 25th (09:00) in Auckland, still the 24th
(12:00) in Los Angeles. Today ends at 2026-11-25 00:00 UTC in UTC, 08:00 UTC in Los
Angeles and 11:00 UTC in Auckland, so the same three due times fall on different days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.engine import session_scope
from db.models import AssignmentRow
from db.services.disputes import open_dispute, open_dispute_count
from db.services.notifications import unread_notification_count
from db.services.overview import navigation_counts
from db.services.sampling import (
    assignment_counts,
    due_assignment_count,
    end_of_today,
    my_assignments,
    scorer_choices,
)
from tests.db.test_feedback import scored
from tests.db.test_sampling_db import add_calls
from tests.factories import make_call, make_world

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
AUCKLAND, LOS_ANGELES = ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles")
DUE = {
    "OVERDUE": NOW - timedelta(hours=30),
    "EVENING": datetime(2026, 11, 24, 23, 0, tzinfo=UTC),  # today everywhere
    "DAWN": datetime(2026, 11, 25, 5, 0, tzinfo=UTC),  # tomorrow in UTC only
    "MORNING": datetime(2026, 11, 25, 10, 0, tzinfo=UTC),  # today in Auckland only
    "LATER": datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
}


@pytest.fixture
def world(database):
    world = make_world()
    calls = add_calls(world.agent_north.id, len(DUE), "D")
    with session_scope() as session:
        for call_id, (name, due_at) in zip(calls, DUE.items(), strict=True):
            session.add(
                AssignmentRow(
                    call_id=call_id,
                    agent_id=world.agent_north.id,
                    scorer_id=world.sup_north.id,
                    due_at=due_at,
                    reason=name,  # the bucket test reads the name back from here
                    status="open",
                )
            )
    return world


def test_end_of_today_is_the_readers_midnight():
    assert end_of_today(NOW) == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert end_of_today(NOW, AUCKLAND) == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    assert end_of_today(NOW, LOS_ANGELES) == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    # A minute past Auckland's midnight its today is the next day.
    assert end_of_today(datetime(2026, 11, 25, 11, 1, tzinfo=UTC), AUCKLAND) == datetime(
        2026, 11, 26, 11, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("zone", "today", "upcoming"),
    [
        (UTC, {"EVENING"}, {"DAWN", "MORNING", "LATER"}),
        (LOS_ANGELES, {"EVENING", "DAWN"}, {"MORNING", "LATER"}),
        (AUCKLAND, {"EVENING", "DAWN", "MORNING"}, {"LATER"}),
    ],
    ids=["UTC", "Los Angeles", "Auckland"],
)
def test_due_today_is_the_readers_day(world, zone, today, upcoming):
    mine = my_assignments(world.sup_north, NOW, zone)
    assert {a.reason for a in mine.overdue} == {"OVERDUE"}
    assert {a.reason for a in mine.due_today} == today
    assert {a.reason for a in mine.upcoming} == upcoming
    # The navigation and the overview count the same days as the page.
    assert due_assignment_count(world.sup_north, NOW, zone) == 1 + len(today)
    assert assignment_counts(world.sup_north, NOW, zone) == {
        "overdue": 1,
        "due_today": len(today),
    }


def test_my_assignments_read_the_hand_over_choices_with_the_lists(world):
    mine = my_assignments(world.sup_north, NOW)
    assert mine.scorers == scorer_choices(world.sup_north)
    assert (world.sup_north.id, world.sup_north.display_name) in mine.scorers
    assert all(uid != world.sup_south.id for uid, _ in mine.scorers)  # not their team


def test_the_navigation_counts_match_each_count_read_alone(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id, value=2)  # "new feedback" for the agent
    open_dispute(world.agent_north, ev.id, "be_patient", "I had waited for the customer.")
    for actor, zone in (
        (world.sup_north, AUCKLAND),
        (world.sup_south, UTC),
        (world.admin, LOS_ANGELES),
        (world.agent_north, UTC),
    ):
        counts = navigation_counts(actor, zone, NOW)
        assert counts.unread_notifications == unread_notification_count(actor)
        assert counts.due_assignments == due_assignment_count(actor, NOW, zone)
        assert counts.open_disputes == (open_dispute_count(actor) if actor.can_score else 0)
    north = navigation_counts(world.sup_north, AUCKLAND, NOW)
    assert (north.due_assignments, north.open_disputes) == (4, 1)
    assert navigation_counts(world.sup_south, UTC, NOW).open_disputes == 0
    agent = navigation_counts(world.agent_north, UTC, NOW)
    assert agent.unread_notifications >= 1 and agent.due_assignments == 0


def test_own_drafts_and_others_drafts_come_from_one_read(world, tmp_path):
    from db.services.evaluations import open_draft

    assigned = [a for group in _groups(world) for a in group]
    first, second = assigned[0].call_id, assigned[1].call_id
    elsewhere = make_call(world.admin, world.agent_north, tmp_path).id  # not assigned
    mine_first = open_draft(world.sup_north, first)
    mine_elsewhere = open_draft(world.sup_north, elsewhere)
    open_draft(world.admin, second)  # someone else's draft of an assigned call
    mine = my_assignments(world.sup_north, NOW)
    assert {d[0] for d in mine.drafts} == {mine_first.id, mine_elsewhere.id}
    by_call = {a.call_id: a for group in _groups(world, mine) for a in group}
    assert by_call[first].draft_id == mine_first.id and not by_call[first].others
    assert by_call[second].draft_id is None
    assert [d.scorer for d in by_call[second].others] == ["Admin"]
    # The admin's own list: their draft is theirs, not someone else's.
    assert not any(a.others for g in _groups(world, my_assignments(world.admin, NOW)) for a in g)


def _groups(world, mine=None):
    mine = mine or my_assignments(world.sup_north, NOW)
    return (mine.overdue, mine.due_today, mine.upcoming)


def test_the_navigations_bell_counts_only_the_kinds_shown(world, tmp_path):
    from db.services.notifications import save_preferences

    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id, value=2)  # "feedback" for the agent
    open_dispute(world.agent_north, ev.id, "be_patient", "I had waited for the customer.")
    assert navigation_counts(world.sup_north, UTC, NOW).unread_notifications == 1
    save_preferences(world.sup_north, in_app=["feedback"], emailed=[], email_mode="each")
    assert navigation_counts(world.sup_north, UTC, NOW).unread_notifications == 0
    assert unread_notification_count(world.sup_north) == 0
    save_preferences(world.agent_north, in_app=["feedback", "reply"], emailed=[], email_mode="each")
    assert navigation_counts(world.agent_north, UTC, NOW).unread_notifications == 1


def test_the_overview_counts_the_readers_today(world):
    from db.services.overview import overview_for

    for zone, today in ((UTC, 1), (LOS_ANGELES, 2), (AUCKLAND, 3)):
        figures = overview_for(world.sup_north, zone, NOW)
        assert figures["Assignments overdue"].value == 1
        assert figures["Assignments due today"].value == today
