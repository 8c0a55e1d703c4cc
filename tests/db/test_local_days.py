"""Date filters read the reader's days, not UTC's (issue 14, bug 10), on SQLite and
PostgreSQL: the Trends filter (TrendFilters.zone) and the evaluations browser
(BrowseFilters.zone).

Two evaluations, submitted (UTC):

    LATE   2026-11-24 23:30 UTC = 25 Nov 12:30 in Auckland (NZDT) = 24 Nov 15:30 in LA
    EARLY  2026-11-24 09:00 UTC = 24 Nov 22:00 in Auckland       = 24 Nov 01:00 in LA
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from db.services.browse import BrowseFilters, browse_evaluations
from db.services.intervals import agent_intervals
from db.services.trends import TrendFilters, agent_trend, export_rows, weekly_totals
from tests.factories import backdate_submissions, make_call, make_world, submit_evaluation

AUCKLAND, LOS_ANGELES = "Pacific/Auckland", "America/Los_Angeles"
NOV = {day: date(2026, 11, day) for day in (23, 24, 25)}


@pytest.fixture
def scene(database, tmp_path):
    world = make_world()
    late_call = make_call(world.admin, world.agent_north, tmp_path, seconds=10, seed=1)
    early_call = make_call(world.admin, world.agent_north, tmp_path, seconds=10, seed=2)
    late = submit_evaluation(world.sup_north, late_call.id, level=4)
    early = submit_evaluation(world.sup_north, early_call.id, level=2)
    backdate_submissions(
        {
            late.id: datetime(2026, 11, 24, 23, 30, tzinfo=UTC),
            early.id: datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        }
    )
    return world, late.id, early.id


def _trend_ids(actor, since, until, zone):
    rows = export_rows(actor, TrendFilters(since=since, until=until, zone=zone))
    return set() if rows.empty else set(rows["evaluation_id"])


def _browse_ids(actor, since, until, zone):
    filters = BrowseFilters(since=since, until=until, zone=zone, status="submitted")
    return {r.evaluation_id for r in browse_evaluations(actor, filters)}


@pytest.mark.parametrize("read", [_trend_ids, _browse_ids], ids=["trends", "browser"])
def test_a_day_is_the_readers_day(scene, read):
    world, late, early = scene
    sup = world.sup_north
    # UTC (no zone): both on the 24th, nothing on the 25th.
    assert read(sup, NOV[24], NOV[24], None) == {late, early}
    assert read(sup, NOV[25], NOV[25], None) == set()
    # Auckland: the late one is already the 25th, the early one still the 24th.
    assert read(sup, NOV[25], NOV[25], AUCKLAND) == {late}
    assert read(sup, NOV[24], NOV[24], AUCKLAND) == {early}
    assert read(sup, NOV[24], NOV[25], AUCKLAND) == {late, early}
    # Los Angeles: both on the 24th there; the 23rd and 25th are empty.
    assert read(sup, NOV[24], NOV[24], LOS_ANGELES) == {late, early}
    assert read(sup, NOV[23], NOV[23], LOS_ANGELES) == set()
    assert read(sup, NOV[25], None, LOS_ANGELES) == set()
    # Open at the start: until the 24th in Auckland stops before the late one.
    assert read(sup, None, NOV[24], AUCKLAND) == {early}
    # A fixed offset (a server zone without a name) works the same way.
    assert read(sup, NOV[25], NOV[25], "+13:00") == {late}


def test_the_zone_is_part_of_what_the_trends_cache_answers(scene):
    world, late, early = scene
    admin = world.admin
    # The same days asked in UTC, then in Auckland: the cache must not hand back the
    # first answer for the second question.
    utc = weekly_totals(admin, TrendFilters(since=NOV[25], until=NOV[25]))
    here = weekly_totals(admin, TrendFilters(since=NOV[25], until=NOV[25], zone=AUCKLAND))
    assert utc.empty
    assert list(here["n"]) == [1]


def test_an_agents_trend_keeps_the_zone_when_their_filters_are_narrowed(scene):
    world, late, early = scene
    # An agent's team and agent filters are replaced by their own scope; the zone stays.
    assert _trend_ids(world.agent_north, NOV[25], NOV[25], AUCKLAND) == {late}
    assert _trend_ids(world.agent_north, NOV[25], NOV[25], None) == set()


def test_an_agents_own_trend_and_intervals_read_their_days(scene):
    world, late, early = scene
    agent = world.agent_north
    # The 25th in Auckland holds the late one only; in UTC the 25th is empty.
    here = agent_trend(agent, since=NOV[25], until=NOV[25], zone=AUCKLAND)
    assert list(here.weekly["agent_n"]) == [1]
    assert agent_trend(agent, since=NOV[25], until=NOV[25]).weekly.empty
    # The 24th in Los Angeles holds both.
    both = agent_trend(agent, since=NOV[24], until=NOV[24], zone=LOS_ANGELES)
    assert list(both.weekly["agent_n"]) == [2]
    (label, weekly), *_ = agent_intervals(agent, NOV[25], NOV[25], zone=AUCKLAND).series
    assert label == "You" and list(weekly["n"]) == [1]
    (_, weekly), *_ = agent_intervals(agent, NOV[25], NOV[25]).series
    assert weekly.empty
