"""My assignments in the reader's days (issue 14, bug 10; issue 18): the ad-hoc queue's
From/To are days where the supervisor is, and "Due today" is their today, with their
zone saved on their account (Pacific/Auckland, 13 hours ahead of UTC in November)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from db.engine import session_scope
from db.models import AssignmentRow, Call
from db.services.sampling import end_of_today
from db.services.users import set_time_zone
from tests.app.conftest import open_page
from tests.factories import make_call, make_world

QUEUE = "pages/queue.py"
AUCKLAND = "Pacific/Auckland"
LATE = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # the 25th, 12:30, in Auckland


def _started(app_db, call_id: int, at: datetime) -> None:
    with Session(app_db) as s:
        row = s.get(Call, call_id)
        assert row is not None
        row.started_at = at
        s.add(row)
        s.commit()


def _shown_calls(at) -> list[str]:
    return list(at.dataframe[0].value["Call"]) if at.dataframe else []


def test_the_queues_from_and_to_are_the_readers_days(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="Q-LATE")
    _started(app_db, call.id, LATE)
    set_time_zone(world.sup_north, AUCKLAND)
    at = open_page(world.sup_north, QUEUE)
    for day, shown in ((date(2026, 11, 25), ["Q-LATE"]), (date(2026, 11, 24), [])):
        at.date_input(key="queue_since").set_value(day)
        at.date_input(key="queue_until").set_value(day).run()
        assert not at.exception
        assert _shown_calls(at) == shown, day
    assert any("Nothing waiting" in i.value for i in at.info)  # the 24th, in Auckland
    # Its start is shown in Auckland's time too.
    at.date_input(key="queue_since").set_value(date(2026, 11, 25))
    at.date_input(key="queue_until").set_value(date(2026, 11, 25)).run()
    assert at.dataframe[0].value["Started"][0].startswith("2026-11-25 12:30")


def test_due_today_is_the_readers_today(app_db, tmp_path):
    world = make_world()
    now = datetime.now(UTC)
    ends = sorted((end_of_today(now), end_of_today(now, ZoneInfo(AUCKLAND))))
    due = ends[0] + (ends[1] - ends[0]) / 2  # today in one zone, tomorrow in the other
    call = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="A-1")
    with session_scope() as session:
        session.add(
            AssignmentRow(
                call_id=call.id,
                agent_id=world.agent_north.id,
                scorer_id=world.sup_north.id,
                due_at=due,
                reason="random",
                status="open",
            )
        )
    set_time_zone(world.sup_north, AUCKLAND)
    at = open_page(world.sup_north, QUEUE)
    today_there = due <= end_of_today(datetime.now(UTC), ZoneInfo(AUCKLAND))
    expected = "Due today" if today_there else "Upcoming"
    assert list(at.dataframe[0].value["When"]) == [expected]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Due today"] == ("1" if today_there else "0")
    titles = {
        p["script_path"].rsplit("/", 1)[-1]: p["page_name"] for p in at._registered_pages.values()
    }
    assert titles["queue.py"] == ("My assignments (1)" if today_there else "My assignments")
    assert due > now + timedelta(minutes=1)  # not overdue: the test is about the day
