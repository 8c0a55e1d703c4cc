"""Weekly summaries with intervals for Trends and My feedback, on SQLite and PostgreSQL:
n, mean and sd from SQL agree with numpy; comparisons say when they cannot tell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from db.services.intervals import agent_intervals, trend_intervals
from db.services.trends import TrendFilters
from scoring.errors import NotFound
from tests.db.test_sampling_db import add_calls
from tests.factories import SCORED_ITEMS, make_world, submit_evaluation


@pytest.fixture
def scored(database):
    world = make_world()
    mine = add_calls(world.agent_north.id, 4, "A")
    theirs = add_calls(world.agent_north2.id, 4, "B")
    totals = {}
    for call_id, level in zip(mine, (2, 3, 4, 5), strict=True):
        totals.setdefault("agent", []).append(
            submit_evaluation(world.sup_north, call_id, level).total
        )
    for call_id, level in zip(theirs, (4, 4, 5, 5), strict=True):
        levels = {SCORED_ITEMS[0]: 3}  # not all equal: some spread
        totals.setdefault("peer", []).append(
            submit_evaluation(world.sup_north, call_id, level, levels=levels).total
        )
    return world, totals


def test_the_agents_weeks_carry_n_mean_and_sd_as_numpy_computes_them(scored):
    world, totals = scored
    today = datetime.now(UTC).date()
    trend = trend_intervals(world.sup_north, TrendFilters(agent_id=world.agent_north.id))
    (agent_name, agent_weeks), (rest_name, rest_weeks) = trend.series
    assert agent_name == world.agent_north.display_name and rest_name == "Rest of the team"
    (row,) = agent_weeks.to_dict("records")
    assert row["week"] == today - timedelta(days=today.weekday())
    assert row["n"] == 4
    assert row["mean"] == pytest.approx(np.mean(totals["agent"]))
    assert row["sd"] == pytest.approx(np.std(totals["agent"], ddof=1))
    assert rest_weeks["n"].tolist() == [4]
    ((what, difference),) = trend.comparisons
    assert difference.n_a == 4 and difference.n_b == 4
    assert difference.difference == pytest.approx(
        np.mean(totals["agent"]) - np.mean(totals["peer"])
    )
    assert ("larger than" in difference.label()) == bool(difference.clear)


def test_without_an_agent_the_team_is_shown_and_scope_holds(scored):
    world, _ = scored
    trend = trend_intervals(world.sup_north, TrendFilters())
    ((name, weeks),) = trend.series
    assert name == "Team" and weeks["n"].tolist() == [8]
    assert trend_intervals(world.sup_south, TrendFilters()).series[0][1].empty
    with pytest.raises(NotFound):
        trend_intervals(world.sup_south, TrendFilters(agent_id=world.agent_north.id))


def test_an_agent_sees_their_team_as_a_whole_and_no_colleague_alone(scored):
    world, totals = scored
    today = datetime.now(UTC).date()
    trend = agent_intervals(world.agent_north, today - timedelta(days=30), today)
    (me, mine), (team, whole) = trend.series
    assert me == "You" and mine["n"].tolist() == [4]
    assert whole["n"].tolist() == [8]  # the team includes the agent
    # One colleague only: no comparison with "the rest", which would be their scores.
    assert [what for what, _ in trend.comparisons] == ["This period vs the one before"]
    before = trend.comparisons[0][1]
    assert before.too_few and "too few" in before.label()
    with pytest.raises(NotFound):
        agent_intervals(world.sup_south, None, today, agent_id=world.agent_north.id)
