"""Trends' weeks are the reader's weeks (issue 14, bug 10): every evaluation lands in the
Monday-to-Sunday week of its submission in the reader's zone, summer time included, on
SQLite and PostgreSQL alike (one portable CASE over the zone's offset changes)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from db.services.trends import (
    TrendFilters,
    evaluations_behind,
    export_rows,
    scorer_weekly_volume,
    weekly_totals,
)
from tests.factories import backdate_submissions, make_call, make_world, submit_evaluation

AUCKLAND, LOS_ANGELES = "Pacific/Auckland", "America/Los_Angeles"
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
# Each instant (UTC), what it is where, and the Monday of its week in UTC and there.
LA_SUNDAY_NIGHT = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Sun 22 Nov 23:30 PST
NZ_MONDAY_MORNING = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # Mon 23 Nov 09:00 NZDT
NZ_WINTER_SUNDAY = datetime(2026, 4, 5, 11, 30, tzinfo=UTC)  # Sun 5 Apr 23:30 NZST (+12)


@pytest.fixture
def scene(database, tmp_path):
    world = make_world()
    ids = {}
    for n, when in enumerate((LA_SUNDAY_NIGHT, NZ_MONDAY_MORNING, NZ_WINTER_SUNDAY)):
        call = make_call(world.admin, world.agent_north, tmp_path, seconds=10, seed=n)
        ids[when] = submit_evaluation(world.sup_north, call.id, level=2 + n).id
    backdate_submissions({ev_id: when for when, ev_id in ids.items()})
    return world, ids


def _weeks(actor, zone: str | None) -> dict[int, date]:
    rows = export_rows(actor, TrendFilters(since=YEAR[0], until=YEAR[1], zone=zone))
    weeks = zip(rows["evaluation_id"], rows["week"], strict=True)
    return {int(i): date.fromisoformat(str(w)[:10]) for i, w in weeks}  # as the CSV has it


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (None, {LA_SUNDAY_NIGHT: 23, NZ_MONDAY_MORNING: 16, NZ_WINTER_SUNDAY: (3, 30)}),
        (LOS_ANGELES, {LA_SUNDAY_NIGHT: 16, NZ_MONDAY_MORNING: 16, NZ_WINTER_SUNDAY: (3, 30)}),
        # After summer time ended (+12): Sunday 23:30, not Monday 00:30 (as +13 would say).
        (AUCKLAND, {LA_SUNDAY_NIGHT: 23, NZ_MONDAY_MORNING: 23, NZ_WINTER_SUNDAY: (3, 30)}),
    ],
    ids=["utc", "los-angeles", "auckland"],
)
def test_each_evaluation_is_in_its_local_week(scene, zone, expected):
    world, ids = scene
    want = {
        ids[when]: date(2026, *day) if isinstance(day, tuple) else date(2026, 11, day)
        for when, day in expected.items()
    }
    assert _weeks(world.sup_north, zone) == want


def test_the_weekly_charts_count_the_readers_weeks(scene):
    world, ids = scene
    for zone, counts in (
        (None, {date(2026, 3, 30): 1, date(2026, 11, 16): 1, date(2026, 11, 23): 1}),
        (AUCKLAND, {date(2026, 3, 30): 1, date(2026, 11, 23): 2}),
        (LOS_ANGELES, {date(2026, 3, 30): 1, date(2026, 11, 16): 2}),
    ):
        f = TrendFilters(since=YEAR[0], until=YEAR[1], zone=zone)
        totals = weekly_totals(world.sup_north, f)
        assert dict(zip(totals["week"], totals["n"], strict=True)) == counts, zone
        volume = scorer_weekly_volume(world.sup_north, f)
        assert dict(zip(volume["week"], volume["n"], strict=True)) == counts, zone


def test_a_weeks_point_lists_the_evaluations_of_that_local_week(scene):
    world, ids = scene
    f = TrendFilters(since=YEAR[0], until=YEAR[1], zone=AUCKLAND)
    behind = evaluations_behind(world.sup_north, f, {"week": "2026-11-23"})
    assert set(behind["evaluation_id"]) == {ids[LA_SUNDAY_NIGHT], ids[NZ_MONDAY_MORNING]}
    assert set(behind["week"]) == {date(2026, 11, 23)}


def test_the_interval_charts_count_the_readers_weeks(scene):
    """The weekly averages with their intervals (Trends with an agent chosen, and the
    agent's own page) bucket by the reader's weeks too."""
    from db.services.intervals import agent_intervals, trend_intervals

    world, _ = scene
    for zone, counts in (
        (None, {date(2026, 3, 30): 1, date(2026, 11, 16): 1, date(2026, 11, 23): 1}),
        (AUCKLAND, {date(2026, 3, 30): 1, date(2026, 11, 23): 2}),
        (LOS_ANGELES, {date(2026, 3, 30): 1, date(2026, 11, 16): 2}),
    ):
        f = TrendFilters(since=YEAR[0], until=YEAR[1], zone=zone, agent_id=world.agent_north.id)
        for trend in (
            trend_intervals(world.sup_north, f),
            agent_intervals(world.agent_north, YEAR[0], YEAR[1], zone=zone),
        ):
            weekly = trend.series[0][1]
            assert dict(zip(weekly["week"], weekly["n"], strict=True)) == counts, zone
