"""The UTC-offset changes of a zone over a range (scoring.days.offset_changes): what the
trends' weekly buckets put every evaluation in its reader's local week with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from scoring.days import offset_changes

H = timedelta(hours=1)
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)


def test_auckland_changes_twice_a_year_at_its_exact_instants():
    changes = offset_changes(ZoneInfo("Pacific/Auckland"), START, END)
    assert changes[0] == (None, 13 * H)  # January: summer (NZDT)
    assert changes[1:] == [
        (datetime(2025, 4, 5, 14, 0), 12 * H),  # 6 April 03:00 NZDT -> 02:00 NZST
        (datetime(2025, 9, 27, 14, 0), 13 * H),  # 28 September 02:00 NZST -> 03:00 NZDT
        (datetime(2026, 4, 4, 14, 0), 12 * H),
        (datetime(2026, 9, 26, 14, 0), 13 * H),
    ]


def test_los_angeles_changes_twice_a_year():
    changes = offset_changes(ZoneInfo("America/Los_Angeles"), START, END)
    assert changes == [
        (None, -8 * H),
        (datetime(2025, 3, 9, 10, 0), -7 * H),
        (datetime(2025, 11, 2, 9, 0), -8 * H),
        (datetime(2026, 3, 8, 10, 0), -7 * H),
        (datetime(2026, 11, 1, 9, 0), -8 * H),
    ]


def test_utc_and_zones_without_summer_time_have_one_offset():
    assert offset_changes(UTC, START, END) == [(None, timedelta(0))]
    assert offset_changes(ZoneInfo("Asia/Kolkata"), START, END) == [(None, 5.5 * H)]
    assert offset_changes(timezone(-3 * H), START, END) == [(None, -3 * H)]


def test_each_change_is_where_the_offset_really_changes():
    zone = ZoneInfo("Europe/Dublin")
    changes = offset_changes(zone, datetime(2026, 1, 1), datetime(2026, 12, 31))  # naive: UTC
    assert len(changes) == 3
    for instant, offset in changes[1:]:
        assert instant is not None
        moment = instant.replace(tzinfo=UTC)
        assert moment.astimezone(zone).utcoffset() == offset
        assert (moment - timedelta(seconds=1)).astimezone(zone).utcoffset() != offset


def test_an_empty_range_has_the_offset_at_its_start():
    summer = datetime(2026, 7, 1, tzinfo=UTC)
    assert offset_changes(ZoneInfo("Pacific/Auckland"), summer, summer) == [(None, 12 * H)]
