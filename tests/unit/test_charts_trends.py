"""Trend charts, tested as data: traces, numbers, hover text and click targets."""

import json
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.trends import (
    LISTENING_LABELS,
    N_TARGET,
    NA_COLOUR,
    TARGET_FIELDS,
    agent_items_chart,
    agent_trend_chart,
    click_target,
    item_distribution_chart,
    item_heatmap,
    leniency_chart,
    listening_chart,
    scorer_volume_chart,
    target,
    weekly_totals_chart,
)
from db.services.trends import (
    AGENT_ITEM_COLUMNS,
    AGENT_WEEKLY_COLUMNS,
    DISTRIBUTION_COLUMNS,
    ITEM_AVERAGE_COLUMNS,
    LENIENCY_COLUMNS,
    LISTENING_COLUMNS,
    LISTENING_METRICS,
    SCORER_VOLUME_COLUMNS,
    TEAM_WEEKLY_COLUMNS,
    WEEKLY_COLUMNS,
)

W1, W2 = date(2026, 11, 2), date(2026, 11, 9)
AGENTS = pd.DataFrame(
    [(1, "Ann", W1, 3, 70.0), (1, "Ann", W2, 1, 90.0), (2, "Bob", W1, 1, 50.0)],
    columns=WEEKLY_COLUMNS,
)
TEAMS = pd.DataFrame(
    [(7, "North", W1, 4, 65.0), (7, "North", W2, 1, 90.0)], columns=TEAM_WEEKLY_COLUMNS
)


def _roundtrip(figure: go.Figure) -> dict:
    """What the browser gets: the figure must serialise."""
    return json.loads(figure.to_json())


def test_weekly_totals_lines_per_agent_and_a_dashed_team_average():
    figure = weekly_totals_chart(AGENTS, TEAMS)
    names = [t.name for t in figure.data]
    assert names == ["Ann", "Bob", "Team average · North"]
    ann, _, team = figure.data
    assert list(ann.x) == [W1, W2] and list(ann.y) == [70.0, 90.0]
    assert team.line.dash == "dash" and list(team.y) == [65.0, 90.0]
    assert "Mean total: %{y:.1f}" in ann.hovertemplate
    assert f"%{{customdata[{N_TARGET}]}}" in ann.hovertemplate
    assert ann.customdata[0][N_TARGET] == 3
    _roundtrip(figure)


def test_points_carry_their_click_target():
    figure = weekly_totals_chart(AGENTS, TEAMS)
    ann, _, team = figure.data
    assert click_target([{"customdata": list(ann.customdata[1])}]) == {
        "agent_id": 1,
        "week": "2026-11-09",
    }
    assert click_target([{"customdata": list(team.customdata[0])}]) == {
        "team_id": 7,
        "week": "2026-11-02",
    }
    assert click_target([]) is None
    assert click_target([{"x": 1}, {"customdata": [None] * N_TARGET}]) is None
    assert target(scorer_id=3) == [None, None, 3, None, None, None]
    with pytest.raises(ValueError):
        target(colour="red")
    assert len(TARGET_FIELDS) == N_TARGET == 6


def test_heatmap_agents_by_items_blank_where_nothing_scored():
    df = pd.DataFrame(
        [
            (1, "Ann", "stop_talking", "Floor", 4, 0, 4.0),
            (1, "Ann", "eye_contact", "Eyes", 0, 3, None),
            (2, "Bob", "stop_talking", "Floor", 2, 0, 2.5),
        ],
        columns=ITEM_AVERAGE_COLUMNS,
    )
    (heat,) = item_heatmap(df).data
    assert list(heat.x) == ["Floor", "Eyes"] and list(heat.y) == ["Ann", "Bob"]
    assert [list(r) for r in heat.z] == [[4.0, None], [2.5, None]]
    assert [list(r) for r in heat.text] == [["4.0", ""], ["2.5", ""]]
    assert list(heat.customdata[0][1]) == [1, None, None, None, "eye_contact", None, 0, 3]
    assert (heat.zmin, heat.zmax) == (1, 5)
    assert "N/A: %{customdata[7]}" in heat.hovertemplate
    _roundtrip(item_heatmap(df))


def test_distribution_stacks_levels_with_na_grey_and_shares_in_hover():
    df = pd.DataFrame(
        [("st", "Floor", "2", 1), ("st", "Floor", "4", 3), ("ec", "Eyes", "N/A", 4)],
        columns=DISTRIBUTION_COLUMNS,
    )
    figure = item_distribution_chart(df)
    assert figure.layout.barmode == "stack"
    assert [t.name for t in figure.data] == ["Level 2", "Level 4", "N/A"]
    level4 = figure.data[1]
    assert list(level4.y) == ["Floor", "Eyes"] and list(level4.x) == [3, 0]
    assert list(level4.customdata[0][N_TARGET:]) == [3, 0.75]
    assert figure.data[2].marker.color == NA_COLOUR
    assert click_target([{"customdata": list(figure.data[2].customdata[1])}]) == {
        "item_key": "ec",
        "level": "N/A",
    }


def test_scorer_volume_and_leniency():
    volume = pd.DataFrame(
        [(5, "Sam", W1, 3), (5, "Sam", W2, 2), (6, "Lee", W1, 1)], columns=SCORER_VOLUME_COLUMNS
    )
    figure = scorer_volume_chart(volume)
    assert [t.name for t in figure.data] == ["Sam", "Lee"]
    assert list(figure.data[0].y) == [3, 2]
    assert click_target([{"customdata": list(figure.data[0].customdata[0])}]) == {
        "scorer_id": 5,
        "week": "2026-11-02",
    }
    lenient = pd.DataFrame(
        [(5, "Sam", 17.5, 2, 3), (6, "Lee", -17.5, 2, 2)], columns=LENIENCY_COLUMNS
    )
    (bars,) = leniency_chart(lenient).data
    assert list(bars.x) == [17.5, -17.5] and list(bars.y) == ["Sam", "Lee"]
    assert bars.marker.color[0] != bars.marker.color[1]
    assert "%{x:+.1f}" in bars.hovertemplate


def test_listening_metric_lines_and_labels_match_the_service():
    assert list(LISTENING_LABELS) == list(LISTENING_METRICS)
    rows = [
        (1, "Ann", W1, 2, 0.6, 3.0, 1.0, 0.0, 10.0, 0.5, 1.0),
        (1, "Ann", W2, 1, 0.4, 0.0, 1.0, 0.0, 8.0, 0.4, 0.0),
    ]
    df = pd.DataFrame(rows, columns=LISTENING_COLUMNS)
    figure = listening_chart(df, "talk_share")
    (line,) = figure.data
    assert list(line.y) == [0.6, 0.4] and "%{y:.0%}" in line.hovertemplate
    assert figure.layout.yaxis.tickformat == ".0%"
    assert "%{y:.1f}" in listening_chart(df, "interruptions").data[0].hovertemplate
    with pytest.raises(ValueError):
        listening_chart(df, "charisma")


def test_agent_trend_and_items_against_the_team():
    weekly = pd.DataFrame(
        [(W1, 1, 50.0, 4, 65.0), (W2, 0, None, 3, 63.3)], columns=AGENT_WEEKLY_COLUMNS
    )
    you, team = agent_trend_chart(weekly).data
    assert (you.name, team.name) == ("You", "Team average")
    assert list(you.y) == [50.0] and list(team.y) == [65.0, 63.3]
    items = pd.DataFrame([("st", "Floor", 3, 2.0, 7, 3.14)], columns=AGENT_ITEM_COLUMNS)
    mine, theirs = agent_items_chart(items).data
    assert (list(mine.x), list(theirs.x)) == ([2.0], [3.14])


def test_empty_data_gives_a_figure_with_a_note():
    empties = [
        weekly_totals_chart(
            pd.DataFrame(columns=WEEKLY_COLUMNS), pd.DataFrame(columns=TEAM_WEEKLY_COLUMNS)
        ),
        item_heatmap(pd.DataFrame(columns=ITEM_AVERAGE_COLUMNS)),
        item_distribution_chart(pd.DataFrame(columns=DISTRIBUTION_COLUMNS)),
        scorer_volume_chart(pd.DataFrame(columns=SCORER_VOLUME_COLUMNS)),
        leniency_chart(pd.DataFrame(columns=LENIENCY_COLUMNS)),
        listening_chart(pd.DataFrame(columns=LISTENING_COLUMNS), "overtalk"),
        agent_trend_chart(pd.DataFrame(columns=AGENT_WEEKLY_COLUMNS)),
        agent_items_chart(pd.DataFrame(columns=AGENT_ITEM_COLUMNS)),
    ]
    for figure in empties:
        assert not figure.data and figure.layout.annotations


def test_memo_figure_reuses_a_figure_only_for_identical_data():
    from charts import memo_figure

    calls = []

    def build(frame, title=""):
        calls.append(title)
        return go.Figure(layout={"title": title})

    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    first = memo_figure(build, frame, title="t")
    assert memo_figure(build, frame.copy(), title="t") is first
    changed = frame.copy()
    changed.loc[1, "a"] = 3
    assert memo_figure(build, changed, title="t") is not first
    assert memo_figure(build, frame, title="other") is not first
    assert len(calls) == 3

    def build_against(frame, reference):
        calls.append(reference)
        return go.Figure()

    # A mapping (a reference level per item) keys by its items, in order.
    by_item = memo_figure(build_against, frame, {"a": 3, "b": None})
    assert memo_figure(build_against, frame, {"a": 3, "b": None}) is by_item
    assert memo_figure(build_against, frame, {"a": 4, "b": None}) is not by_item
    assert memo_figure(build_against, frame, None) is not by_item
    assert len(calls) == 6


def test_a_memoised_figure_serialises_once_and_draws_the_same_chart():
    import plotly.io

    from charts import memo_figure

    weeks = pd.DataFrame(
        {
            "agent_id": [1, 1, 2],
            "agent": ["Ana", "Ana", "<b>Ben</b>"],
            "week": [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 2)],
            "n": [2, 1, 3],
            "mean_total": [80.0, float("nan"), 65.5],
        }
    )
    plain = weekly_totals_chart(weeks)
    drawn = memo_figure(weekly_totals_chart, weeks)
    assert drawn.to_dict() is drawn.to_dict()  # built once, not per rerun
    assert drawn.to_dict() == plain.to_dict()
    # What st.plotly_chart sends: the dict form, serialised.
    sent = plotly.io.to_json(drawn.to_dict(), validate=False)
    assert json.loads(sent) == json.loads(plotly.io.to_json(plain, validate=False))
    # NaN in the data still finds the memoised figure (equal frames, equal key).
    assert memo_figure(weekly_totals_chart, weeks.copy()) is drawn
