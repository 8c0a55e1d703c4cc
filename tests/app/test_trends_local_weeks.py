"""Trends' weekly chart and its "Week of" rows are the reader's weeks (issue 14, bug 10):
an evaluation submitted on Sunday 22 November at 23:30 in Los Angeles (Monday 07:30 UTC)
is in the week of 16 November for a reader there, of 23 November for one in Auckland."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from db.services.users import set_time_zone
from tests.app.conftest import open_page
from tests.db.test_feedback import scored
from tests.factories import backdate_submissions, make_call, make_world

TRENDS = "pages/trends.py"
SUNDAY_NIGHT_IN_LA = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


@pytest.fixture
def scene(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=1)
    ev = scored(world.sup_north, call.id, 4)
    backdate_submissions({ev.id: SUNDAY_NIGHT_IN_LA})
    return world, ev


def _weeks_charted(at) -> set[str]:
    (figure, *_) = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {str(x)[:10] for trace in figure["data"] for x in trace.get("x") or ()}


@pytest.mark.parametrize(
    ("zone", "monday"),
    [("America/Los_Angeles", "2026-11-16"), ("Pacific/Auckland", "2026-11-23")],
)
def test_the_weekly_chart_and_rows_are_the_readers_weeks(scene, zone, monday):
    world, ev = scene
    set_time_zone(world.sup_north, zone)
    at = open_page(world.sup_north, TRENDS)
    at.date_input(key="trends_period").set_value((date(2026, 11, 1), date(2026, 11, 30))).run()
    assert not at.exception
    assert _weeks_charted(at) == {monday}
    at.segmented_control(key="trends_view").set_value("Agents × items").run()
    at.selectbox(key="trends_cell_agent").set_value(world.agent_north.id).run()
    (behind,) = [d.value for d in at.dataframe if "evaluation_id" in d.value.columns]
    assert list(behind["evaluation_id"]) == [ev.id]
    assert [str(w)[:10] for w in behind["week"]] == [monday]
