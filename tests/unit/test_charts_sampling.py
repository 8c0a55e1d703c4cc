"""Sampling charts, tested as data: traces, numbers, gaps, hover text, click targets."""

import json
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.sampling import (
    EXPECTED_DASH,
    INTERVAL_COLUMNS,
    PROGRESS_COLUMNS,
    PROGRESS_TOTAL_COLUMNS,
    TOO_FEW_COLOUR,
    WEEKLY_SUMMARY_COLUMNS,
    add_interval_trend,
    interval_frame,
    interval_trend_chart,
    plan_progress_chart,
    plan_totals_chart,
)
from charts.trends import N_TARGET, click_target
from scoring.sampling import Window, expected_by
from scoring.uncertainty import Summary, summary_interval

MONDAY = date(2026, 11, 23)
WEEK = Window(MONDAY, MONDAY + timedelta(days=7))
WEEKS = [date(2026, 10, 5) + timedelta(weeks=k) for k in range(6)]


def _roundtrip(figure: go.Figure) -> dict:
    return json.loads(figure.to_json())


def _progress() -> pd.DataFrame:
    rows = []
    for scorer_id, name, total, done in (
        (5, "Sam", 14, [1, 3, 3, 6]),
        (6, "<b>Lee</b>", 7, [0, 0]),
    ):
        for d, completed in enumerate(done):
            day = MONDAY + timedelta(days=d)
            rows.append((scorer_id, name, day, expected_by(day, total, WEEK), completed))
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def test_plan_progress_completed_against_the_expected_pace_per_scorer():
    figure = plan_progress_chart(_progress(), today=MONDAY + timedelta(days=3))
    names = [t.name for t in figure.data]
    assert names == [
        "Sam · completed",
        "Sam · expected",
        "&lt;b&gt;Lee&lt;/b&gt; · completed",  # typed names are shown as text
        "&lt;b&gt;Lee&lt;/b&gt; · expected",
    ]
    done, pace = figure.data[0], figure.data[1]
    assert list(done.y) == [1, 3, 3, 6]
    assert list(pace.y) == pytest.approx([2.0, 4.0, 6.0, 8.0])
    assert pace.line.dash == EXPECTED_DASH and done.line.color == pace.line.color
    assert figure.data[2].line.color != done.line.color
    assert list(done.customdata[3][N_TARGET:]) == [8.0, 6]
    assert click_target([{"customdata": list(done.customdata[0])}]) == {"scorer_id": 5}
    assert "expected by now" in done.hovertemplate
    assert figure.layout.shapes and figure.layout.shapes[0].x0 == MONDAY + timedelta(days=3)
    _roundtrip(figure)


def test_plan_totals_per_scorer_or_agent():
    totals = pd.DataFrame(
        [(5, "Sam", 14, 6, 2, 1), (6, "Lee", 7, 7, 0, 0)], columns=PROGRESS_TOTAL_COLUMNS
    )
    figure = plan_totals_chart(totals, who="Agent")
    assert [t.name for t in figure.data] == ["Expected", "Completed", "Overdue", "Replaced"]
    assert list(figure.data[2].x) == [2, 0] and list(figure.data[0].y) == ["Sam", "Lee"]
    assert figure.layout.yaxis.title.text == "Agent"
    assert list(figure.data[0].customdata[1]) == [6]
    _roundtrip(figure)


def _weekly(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=WEEKLY_SUMMARY_COLUMNS)


def test_interval_frame_computes_each_weeks_interval():
    frame = interval_frame(
        _weekly([(WEEKS[0], 6, 72.0, 8.0), (WEEKS[1], 2, 80.0, 5.0), (WEEKS[2], 0, None, None)])
    )
    assert list(frame.columns) == list(INTERVAL_COLUMNS)
    first = summary_interval(Summary(6, 72.0, 8.0))
    assert (frame.loc[0, "low"], frame.loc[0, "high"]) == pytest.approx((first.low, first.high))
    assert list(frame["too_few"]) == [False, True, True]
    assert frame.loc[1, "mean"] == 80.0 and pd.isna(frame.loc[1, "low"])
    assert pd.isna(frame.loc[2, "mean"])
    # A reference spread gives the two-evaluation week an interval once min_n allows it.
    borrowed = interval_frame(_weekly([(WEEKS[1], 2, 80.0, 5.0)]), min_n=2, prior_sd=10.0)
    assert not borrowed.loc[0, "too_few"] and borrowed.loc[0, "low"] < 80.0


def test_weeks_with_too_few_evaluations_break_the_line_and_are_marked():
    weekly = _weekly(
        [
            (WEEKS[0], 6, 72.0, 8.0),
            (WEEKS[1], 5, 75.0, 6.0),
            (WEEKS[2], 1, 40.0, 0.0),  # one evaluation: would make the line jump
            (WEEKS[3], 4, 74.0, 7.0),
            (WEEKS[4], 2, 95.0, 3.0),
            (WEEKS[5], 5, 73.0, 5.0),
        ]
    )
    frame = interval_frame(weekly)
    figure = add_interval_trend(go.Figure(), frame, "Ana")
    bands = [t for t in figure.data if t.fill == "toself"]
    (line,) = [t for t in figure.data if t.name == "Ana"]
    (lone,) = [t for t in figure.data if t.error_y and t.error_y.array is not None]
    (few,) = [t for t in figure.data if t.name == "Ana · too few evaluations"]
    # The line skips weeks 3 and 5 (gaps, not joined) and never shows 40 or 95.
    assert list(line.y) == [72.0, 75.0, None, 74.0, None, 73.0]
    assert line.connectgaps is False
    # One band over the run of weeks 1–2; weeks 4 and 6 stand alone with error bars.
    assert len(bands) == 1
    assert list(bands[0].x) == [WEEKS[0], WEEKS[1], WEEKS[1], WEEKS[0]]
    low0, high0 = frame.loc[0, "low"], frame.loc[0, "high"]
    assert bands[0].y[0] == pytest.approx(high0) and bands[0].y[-1] == pytest.approx(low0)
    assert list(lone.x) == [WEEKS[3], WEEKS[5]]
    assert lone.error_y.array[0] == pytest.approx(frame.loc[3, "high"] - 74.0)
    assert lone.error_y.arrayminus[0] == pytest.approx(74.0 - frame.loc[3, "low"])
    # Too-few weeks: hollow grey markers with their count, saying why.
    assert list(few.x) == [WEEKS[2], WEEKS[4]] and list(few.y) == [40.0, 95.0]
    assert few.marker.symbol == "circle-open" and few.marker.color == TOO_FEW_COLOUR
    assert [row[0] for row in few.customdata] == [1, 2]
    assert "Too few evaluations" in few.hovertemplate
    assert "90% interval" in line.hovertemplate
    assert list(line.customdata[0]) == pytest.approx([6, low0, high0])
    _roundtrip(figure)


def test_agent_and_team_series_with_bands_on_the_score_scale():
    agent = interval_frame(_weekly([(WEEKS[0], 4, 70.0, 9.0), (WEEKS[1], 5, 78.0, 6.0)]))
    team = interval_frame(_weekly([(WEEKS[0], 30, 74.0, 10.0), (WEEKS[1], 28, 75.0, 9.0)]))
    figure = interval_trend_chart([("You", agent), ("Team average", team)])
    lines = [t for t in figure.data if t.name in ("You", "Team average")]
    assert [t.name for t in lines] == ["You", "Team average"]
    assert lines[1].line.dash == "dash" and lines[0].line.dash is None
    bands = [t for t in figure.data if t.fill == "toself"]
    assert len(bands) == 2
    width = [max(b.y) - min(b.y) for b in bands]
    assert width[0] > width[1]  # four or five evaluations: wider than the team's thirty
    assert figure.layout.yaxis.range[0] < 0 and figure.layout.yaxis.range[1] > 100
    items = interval_trend_chart(
        [("You", interval_frame(_weekly([(WEEKS[0], 4, 4.2, 0.5)]), bounds=(1, 5)))],
        bounds=(1, 5),
    )
    assert "1–5" in items.layout.yaxis.title.text
    _roundtrip(figure)


def test_empty_data_gives_a_figure_with_a_note():
    empties = [
        plan_progress_chart(pd.DataFrame(columns=PROGRESS_COLUMNS)),
        plan_totals_chart(pd.DataFrame(columns=PROGRESS_TOTAL_COLUMNS)),
        interval_trend_chart([("You", pd.DataFrame(columns=INTERVAL_COLUMNS))]),
        interval_trend_chart([]),
    ]
    for figure in empties:
        assert not figure.data and figure.layout.annotations
