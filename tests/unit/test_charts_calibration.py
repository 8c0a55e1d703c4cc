"""Calibration charts, tested as data."""

from datetime import UTC, date, datetime

import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.calibration import NA_TEXT, calibration_heatmap, scorer_accuracy_chart
from scoring.calibration import calibration_grid, scorer_accuracy_over_time

ITEMS = ["greeting", "empathy"]
GRID = calibration_grid(
    {"Ann": {"greeting": 4, "empathy": None}, "Bob": {"greeting": 5, "empathy": 2}}, ITEMS
)


def test_heatmap_z_keeps_levels_and_leaves_na_uncoloured():
    figure = calibration_heatmap(GRID)
    assert isinstance(figure, go.Figure)
    (heatmap,) = figure.data
    assert heatmap.type == "heatmap"
    assert [list(row) for row in heatmap.z] == [[4.0, None], [5.0, 2.0]]
    assert list(heatmap.x) == ITEMS
    assert list(heatmap.y) == ["Ann", "Bob"]


def test_heatmap_labels_na_cells_as_na():
    (heatmap,) = calibration_heatmap(GRID).data
    assert [list(row) for row in heatmap.text] == [["4", NA_TEXT], ["5", "2"]]
    assert heatmap.texttemplate == "%{text}"
    assert NA_TEXT == "N/A"


def test_heatmap_lowest_colour_differs_from_na_background():
    figure = calibration_heatmap(GRID)
    lowest_colour = figure.data[0].colorscale[0][1].lower()
    assert lowest_colour != figure.layout.plot_bgcolor.lower()


def test_heatmap_hover_has_scorer_item_level_and_deviation_from_reference():
    (heatmap,) = calibration_heatmap(GRID, reference={"greeting": 4, "empathy": 3}).data
    for part in (
        "%{y}",
        "%{x}",
        "%{customdata[0]}",
        "%{customdata[1]}",
        "Deviation from reference",
    ):
        assert part in heatmap.hovertemplate
    assert [list(map(list, row)) for row in heatmap.customdata] == [
        [["4", "0"], [NA_TEXT, "n/a"]],
        [["5", "+1"], ["2", "-1"]],
    ]


def test_heatmap_without_reference_uses_group_median():
    (heatmap,) = calibration_heatmap(GRID).data
    assert "Deviation from group median" in heatmap.hovertemplate
    # greeting median 4.5: Ann −0.5, Bob +0.5; empathy median 2: Bob 0.
    assert heatmap.customdata[0][0][1] == "-0.5"
    assert heatmap.customdata[1][0][1] == "+0.5"
    assert heatmap.customdata[1][1][1] == "0"


def test_heatmap_lists_scorers_top_to_bottom():
    figure = calibration_heatmap(GRID)
    assert figure.layout.yaxis.autorange == "reversed"


ROWS = [
    ("Ann", "s2", date(2024, 2, 1), "greeting", 3, 3),
    ("Ann", "s2", date(2024, 2, 1), "empathy", 3, 5),
    ("Ann", "s1", date(2024, 1, 1), "greeting", 4, 4),
    ("Bob", "s1", date(2024, 1, 1), "greeting", 2, 4),
]


def test_accuracy_chart_has_one_line_per_scorer_in_date_order():
    figure = scorer_accuracy_chart(scorer_accuracy_over_time(ROWS))
    assert [trace.name for trace in figure.data] == ["Ann", "Bob"]
    ann, bob = figure.data
    assert list(ann.x) == [date(2024, 1, 1), date(2024, 2, 1)]
    assert list(ann.y) == [1.0, 0.5]  # within ±1: s1 1/1, s2 1/2
    assert list(bob.y) == [0.0]
    assert ann.mode == "lines+markers"
    assert figure.layout.yaxis.tickformat == ".0%"


def test_accuracy_chart_other_metrics():
    table = scorer_accuracy_over_time(ROWS)
    exact = scorer_accuracy_chart(table, metric="exact_agreement")
    assert list(exact.data[0].y) == [1.0, 0.5]
    deviation = scorer_accuracy_chart(table, metric="mean_abs_deviation")
    assert list(deviation.data[0].y) == [0.0, 1.0]
    assert deviation.layout.yaxis.tickformat is None
    with pytest.raises(ValueError, match="metric must be one of"):
        scorer_accuracy_chart(table, metric="accuracy")


def test_accuracy_chart_empty():
    figure = scorer_accuracy_chart(scorer_accuracy_over_time([]))
    assert figure.data == ()
    assert figure.layout.annotations[0].text == "No calibration sessions to show yet"


def test_scorer_names_are_escaped_for_plotly_labels():
    grid = calibration_grid({"<b>Eve</b>": {"a": 3}}, ["a"])
    fig = calibration_heatmap(grid)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in list(fig.data[0].y)


def test_heatmap_shows_item_titles_not_keys():
    titles = {"greeting": "Greets the <b>caller</b>", "empathy": "Shows empathy"}
    figure = calibration_heatmap(GRID, item_titles=titles)
    (heatmap,) = figure.data
    assert list(heatmap.x) == ["Greets the &lt;b&gt;caller&lt;/b&gt;", "Shows empathy"]
    assert "greeting" not in str(heatmap.x)


def test_empty_accuracy_chart_draws_no_axes():
    # Plotly's empty axes run −1…6 and −1…4: numbers that mean nothing here.
    for metric in ("within_1", "mean_abs_deviation"):
        figure = scorer_accuracy_chart(scorer_accuracy_over_time([]), metric=metric)
        assert figure.layout.xaxis.visible is False
        assert figure.layout.yaxis.visible is False


def test_one_session_gets_a_date_axis_of_days_not_milliseconds():
    one = scorer_accuracy_over_time(
        [("Ann", "s1", datetime(2026, 11, 20, 14, 5, tzinfo=UTC), "a", 3, 3)]
    )
    figure = scorer_accuracy_chart(one)
    axis = figure.layout.xaxis
    assert axis.type == "date"
    low, high = (pd.Timestamp(v) for v in axis.range)
    assert high - low >= pd.Timedelta(days=2)  # not a few milliseconds around one point
    assert low < pd.Timestamp(2026, 11, 20) and high > pd.Timestamp(2026, 11, 21)
    assert axis.tickformat and "%H" not in axis.tickformat and "%L" not in axis.tickformat
    assert axis.dtick is not None and int(axis.dtick) >= 86_400_000  # a day at least


def test_sessions_months_apart_keep_the_automatic_range():
    rows = [
        ("Ann", "s1", datetime(2026, 1, 5, tzinfo=UTC), "a", 3, 3),
        ("Ann", "s2", datetime(2026, 6, 5, tzinfo=UTC), "a", 3, 4),
    ]
    figure = scorer_accuracy_chart(scorer_accuracy_over_time(rows))
    assert figure.layout.xaxis.range is None
    assert figure.layout.xaxis.dtick is None
