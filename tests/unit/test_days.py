"""scoring/days.py (and its ui/times.py wrappers): the reader's days as UTC instants."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from scoring.days import day_bounds, day_start, local_day, today_in, zone_from_id
from ui.times import day_label, reader_day_bounds, reader_today

AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_an_auckland_day_starts_the_evening_before_in_utc():
    # NZDT (UTC+13) in November: 25 November begins at 11:00 UTC on the 24th.
    start, end = day_bounds(date(2026, 11, 25), date(2026, 11, 25), AUCKLAND)
    assert start == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def test_a_los_angeles_day_starts_the_morning_after_in_utc():
    # PST (UTC-8): 3 to 9 November 2026 (both included) is 08:00 UTC 3rd .. 08:00 UTC 10th.
    start, end = day_bounds(date(2026, 11, 3), date(2026, 11, 9), LOS_ANGELES)
    assert start == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


def test_an_evaluation_near_midnight_falls_in_the_readers_day_not_utcs():
    # Submitted at 23:30 UTC on the 24th: already the 25th in Auckland, still the 24th
    # (15:30) in Los Angeles.
    submitted = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    start, end = day_bounds(date(2026, 11, 25), date(2026, 11, 25), AUCKLAND)
    assert start is not None and end is not None
    assert start <= submitted < end
    start, end = day_bounds(date(2026, 11, 24), date(2026, 11, 24), LOS_ANGELES)
    assert start is not None and end is not None
    assert start <= submitted < end
    # The UTC day of the 25th would have missed it for the Auckland reader.
    utc_start, _ = day_bounds(date(2026, 11, 25), None, UTC)
    assert utc_start is not None and submitted < utc_start
    assert local_day(submitted, AUCKLAND) == date(2026, 11, 25)
    assert local_day(submitted, LOS_ANGELES) == date(2026, 11, 24)
    assert local_day(submitted.replace(tzinfo=None), AUCKLAND) == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (LOS_ANGELES, date(2026, 3, 8), 23),  # spring forward
        (LOS_ANGELES, date(2026, 11, 1), 25),  # fall back
        (AUCKLAND, date(2026, 9, 27), 23),
        (AUCKLAND, date(2026, 4, 5), 25),
        (UTC, date(2026, 3, 8), 24),
    ],
)
def test_a_day_with_a_clock_change_is_whole(zone, day, hours):
    start, end = day_bounds(day, day, zone)
    assert start is not None and end is not None
    assert end - start == timedelta(hours=hours)


def test_open_ends_stay_open():
    assert day_bounds(None, None, AUCKLAND) == (None, None)
    start, end = day_bounds(None, date(2026, 1, 1), AUCKLAND)
    assert start is None and end == day_start(date(2026, 1, 2), AUCKLAND)


def test_today_is_the_date_where_the_reader_is():
    now = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert today_in(AUCKLAND, now) == date(2026, 11, 25)
    assert today_in(LOS_ANGELES, now) == date(2026, 11, 24)
    assert today_in(UTC, now.replace(tzinfo=None)) == date(2026, 11, 24)
    assert reader_today(AUCKLAND) == datetime.now(AUCKLAND).date() or (
        reader_today(AUCKLAND) == datetime.now(AUCKLAND).date() - timedelta(days=1)
    )


def test_the_ui_wrappers_use_the_zone_given():
    submitted = datetime(2026, 11, 24, 23, 30)  # naive: UTC, as stored
    assert day_label(submitted, AUCKLAND) == "2026-11-25"
    assert day_label(submitted, LOS_ANGELES) == "2026-11-24"
    assert day_label(None, AUCKLAND) == "–"
    assert reader_day_bounds(date(2026, 11, 25), date(2026, 11, 25), AUCKLAND) == (
        datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 11, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("name", "offset"),
    [
        ("Pacific/Auckland", None),
        ("+05:30", timedelta(hours=5, minutes=30)),
        ("-08:00", timedelta(hours=-8)),
        ("UTC", timedelta(0)),
        (None, timedelta(0)),
        ("", timedelta(0)),
        ("Not/AZone", timedelta(0)),
        ("+99:00", timedelta(0)),
        ("../../etc/passwd", timedelta(0)),
    ],
)
def test_a_zone_id_names_a_zone_or_falls_back_to_utc(name, offset):
    zone = zone_from_id(name)
    if offset is None:
        assert zone == AUCKLAND
    else:
        assert datetime(2026, 1, 1, tzinfo=zone).utcoffset() == offset
    assert zone_from_id("+05:30") == timezone(timedelta(hours=5, minutes=30))
