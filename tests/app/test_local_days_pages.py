"""Days on Trends, Sampling plans, Evaluations and My feedback are the reader's, never
UTC's (issue 14, bug 10): "today", the date filters and the date-only labels.

One evaluation of Agent.North is submitted at 2026-11-24 23:30 UTC: the 25th in Auckland
(12:30 NZDT), the 24th in UTC and in Los Angeles. "Today" is checked in two zones 25
hours apart (Kiritimati UTC+14, Pago Pago UTC-11), whose dates differ at every moment.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from db.services.disputes import open_dispute, resolve_dispute
from db.services.sampling import save_plan
from db.services.users import set_time_zone
from scoring.days import today_in
from scoring.sampling import FixedQuota, SamplingPlan, Scorer
from tests.app.conftest import open_page
from tests.db.test_feedback import scored
from tests.factories import backdate_submissions, make_call, make_world

TRENDS = "pages/trends.py"
SAMPLING = "pages/sampling.py"
EVALUATIONS = "pages/evaluations.py"
FEEDBACK = "pages/my_feedback.py"
DISPUTES = "pages/disputes.py"
SUBMITTED = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
FAR_EAST, FAR_WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"


@pytest.fixture
def scene(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=1)
    ev = scored(world.sup_north, call.id, 4)
    backdate_submissions({ev.id: SUBMITTED})
    return world, ev


def _today_choices(zone: str) -> set[date]:
    """Today in ``zone``, read twice around the page run's own reading (it may cross a
    midnight there, never two)."""
    return {today_in(ZoneInfo(zone))}


def _weekly_points(at) -> int:
    (figure, *_) = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return sum(len(trace.get("x") or ()) for trace in figure["data"])


@pytest.mark.parametrize("zone", [FAR_EAST, FAR_WEST])
def test_trends_today_and_label_are_the_readers(scene, zone):
    world, _ = scene
    set_time_zone(world.sup_north, zone)
    before = _today_choices(zone)
    at = open_page(world.sup_north, TRENDS)
    assert not at.exception
    (period,) = [d for d in at.date_input if d.key == "trends_period"]
    assert zone in period.label and "UTC" not in period.label
    assert period.value[1] in before | _today_choices(zone)


def test_trends_filter_picks_the_readers_day(scene):
    world, _ = scene
    sup = world.sup_north
    # In Auckland the evaluation is on the 25th, not the 24th.
    set_time_zone(sup, "Pacific/Auckland")
    at = open_page(sup, TRENDS)
    at.date_input(key="trends_period").set_value((date(2026, 11, 25), date(2026, 11, 25))).run()
    assert not at.exception
    assert _weekly_points(at) > 0
    at.date_input(key="trends_period").set_value((date(2026, 11, 24), date(2026, 11, 24))).run()
    assert _weekly_points(at) == 0
    # In Los Angeles it is on the 24th.
    set_time_zone(sup, "America/Los_Angeles")
    at = open_page(sup, TRENDS)
    at.date_input(key="trends_period").set_value((date(2026, 11, 24), date(2026, 11, 24))).run()
    assert _weekly_points(at) > 0
    at.date_input(key="trends_period").set_value((date(2026, 11, 25), date(2026, 11, 25))).run()
    assert _weekly_points(at) == 0


def test_the_evaluations_behind_a_cell_are_listed_in_the_readers_zone(scene):
    world, ev = scene
    set_time_zone(world.sup_north, "Pacific/Auckland")
    at = open_page(world.sup_north, TRENDS)
    at.date_input(key="trends_period").set_value((date(2026, 11, 1), date(2026, 11, 30))).run()
    at.segmented_control(key="trends_view").set_value("Agents × items").run()
    at.selectbox(key="trends_cell_agent").set_value(world.agent_north.id).run()
    assert not at.exception
    (behind,) = [d.value for d in at.dataframe if "evaluation_id" in d.value.columns]
    assert list(behind["evaluation_id"]) == [ev.id]
    (submitted,) = list(behind["submitted_at"])
    assert str(submitted.tz) == "Pacific/Auckland"
    assert submitted.strftime("%Y-%m-%d %H:%M") == "2026-11-25 12:30"


def test_a_row_behind_a_cell_opens_its_evaluation(scene):
    """Issue 14: the Trends drill-down rows open their evaluation (on Evaluations)."""
    world, ev = scene
    at = open_page(world.sup_north, TRENDS)
    at.date_input(key="trends_period").set_value((date(2026, 11, 1), date(2026, 11, 30))).run()
    at.segmented_control(key="trends_view").set_value("Agents × items").run()
    at.selectbox(key="trends_cell_agent").set_value(world.agent_north.id).run()
    assert not at.get("page_link") or all(
        "evaluations" not in link.proto.page for link in at.get("page_link")
    )
    at.session_state["trends_cell_behind"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    (link,) = [x for x in at.get("page_link") if x.proto.label.startswith("Open evaluation")]
    assert link.proto.label == f"Open evaluation {ev.id}"
    assert (
        link.proto.page.endswith("evaluations") and f"evaluation={ev.id}" in link.proto.query_string
    )
    # Following it opens that evaluation read-only.
    opened = open_page(world.sup_north, EVALUATIONS, {"evaluation": str(ev.id)})
    assert any(b.proto.label == "Download as PDF" for b in opened.get("download_button"))


def test_decided_disputes_show_when_in_the_readers_zone(scene):
    world, ev = scene
    dispute = open_dispute(world.agent_north, ev.id, "be_patient", "I waited every time.")
    resolve_dispute(world.sup_north, dispute.id, "accepted", "", new_value=5)
    set_time_zone(world.sup_north, "Pacific/Auckland")
    at = open_page(world.sup_north, DISPUTES)
    assert not at.exception
    (decided,) = [d.value for d in at.dataframe if "Decided" in d.value.columns]
    (when,) = list(decided["Decided"])
    assert when.endswith(("NZDT", "NZST")) and "UTC" not in when


@pytest.mark.parametrize("zone", [FAR_EAST, FAR_WEST])
def test_sampling_opens_on_the_readers_today(scene, zone):
    world, _ = scene
    save_plan(
        world.admin,
        "North weekly",
        SamplingPlan(
            key="north-weekly",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(1),
            scorers=(Scorer(world.sup_north.id),),
            team_ids=frozenset({world.agent_north.team_id}),
        ),
    )
    set_time_zone(world.sup_north, zone)
    before = _today_choices(zone)
    at = open_page(world.sup_north, SAMPLING)
    assert not at.exception
    assert at.date_input(key="sampling_day").value in before | _today_choices(zone)


def test_the_evaluations_browser_filters_on_the_readers_days(scene):
    world, ev = scene
    sup = world.sup_north
    set_time_zone(sup, "Pacific/Auckland")
    at = open_page(sup, EVALUATIONS)
    (between,) = [d for d in at.date_input if d.label == "Between"]
    assert "Pacific/Auckland" in (between.help or "")
    between.set_value((date(2026, 11, 25), date(2026, 11, 25))).run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe]
    assert list(table["When"]) == ["2026-11-25 12:30 NZDT"]
    [d for d in at.date_input if d.label == "Between"][0].set_value(
        (date(2026, 11, 24), date(2026, 11, 24))
    ).run()
    assert not at.dataframe
    assert any("No evaluation" in i.value for i in at.info)


@pytest.mark.parametrize(
    ("zone", "day"), [("Pacific/Auckland", "2026-11-25"), ("America/Los_Angeles", "2026-11-24")]
)
def test_my_feedback_labels_the_day_where_the_agent_is(scene, zone, day):
    world, ev = scene
    set_time_zone(world.agent_north, zone)
    at = open_page(world.agent_north, FEEDBACK)
    assert not at.exception
    pick = at.selectbox(key="feedback_pick")
    (label,) = pick.options  # as shown
    assert day in label, label
    (bulk,) = [m for m in at.multiselect if m.label == "Evaluations to acknowledge"]
    (bulk_label,) = bulk.options
    assert bulk_label.startswith(day), bulk_label
