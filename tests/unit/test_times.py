"""ui/times.py: one format for a moment in a call and one for a date, in a named zone."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ui.format import local_date, mmss
from ui.times import call_offset, local_time, reader_zone, server_zone, zone_id, zone_named


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0:00"),
        (0.9, "0:00"),  # rounded down, as the player's clock reads
        (13.6, "0:13"),  # the list said 0:14 where the marker said 00:13
        (14, "0:14"),
        (754.2, "12:34"),
        (3599.99, "59:59"),
        (3600, "1:00:00"),
        (3723, "1:02:03"),
        (-3, "0:00"),
        (None, "–"),
        (float("nan"), "–"),
    ],
)
def test_call_offsets_are_m_ss_and_h_mm_ss_past_an_hour(seconds, shown):
    assert call_offset(seconds) == shown
    assert mmss(seconds) == shown  # the older name is the same helper


def test_a_date_is_shown_in_the_zone_given_with_its_abbreviation():
    winter = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    dublin, new_york = ZoneInfo("Europe/Dublin"), ZoneInfo("America/New_York")
    assert local_time(winter, dublin) == "2026-11-20 10:00 GMT"
    assert local_time(summer, dublin) == "2026-07-01 11:00 IST"
    assert local_time(winter, new_york) == "2026-11-20 05:00 EST"
    assert local_time(summer, ZoneInfo("Asia/Kolkata")) == "2026-07-01 15:30 IST"
    # The database hands back naive datetimes in UTC (SQLite): the same instant.
    assert local_time(datetime(2026, 11, 20, 10, 0), new_york) == "2026-11-20 05:00 EST"
    assert local_time(None, new_york) == "–"


def test_outside_a_page_dates_follow_the_servers_zone_not_a_fixed_utc():
    when = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert reader_zone() == server_zone()
    expected = when.astimezone(server_zone())
    assert local_date(when) == f"{expected:%Y-%m-%d %H:%M} {expected.tzname()}"


@pytest.mark.parametrize("name", ["", None, "Mars/Olympus", "../../etc/passwd", "UTC+1"])
def test_unknown_zone_names_are_none(name):
    assert zone_named(name) is None


def test_known_zone_names_are_zones():
    assert zone_named("Europe/Dublin") == ZoneInfo("Europe/Dublin")


def test_a_zone_as_a_table_column_takes_it():
    assert zone_id(ZoneInfo("Europe/Dublin")) == "Europe/Dublin"
    assert zone_id(UTC) == "+00:00"
    assert zone_id(timezone(timedelta(hours=5, minutes=30))) == "+05:30"
    assert zone_id(timezone(-timedelta(hours=3, minutes=30))) == "-03:30"
