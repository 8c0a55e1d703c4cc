"""Sampling charts: a plan's progress over its period, and averages drawn with their
interval band, where weeks with too few evaluations are marked, not joined into the line.

Frames in, figures out; column tuples name what each builder reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from charts import plain_label
from charts.trends import N_TARGET, target
from scoring.uncertainty import LEVEL, MIN_N, TOTAL_BOUNDS, Summary, summary_interval

# Cumulative counts per scorer per day of the period (db computes them from assignments).
PROGRESS_COLUMNS = ("scorer_id", "scorer", "day", "expected", "completed")
# Per scorer or per agent totals for the period.
PROGRESS_TOTAL_COLUMNS = ("who_id", "who", "expected", "completed", "overdue", "replaced")
# Weekly aggregates in; INTERVAL_COLUMNS out (``interval_frame``).
WEEKLY_SUMMARY_COLUMNS = ("week", "n", "mean", "sd")
INTERVAL_COLUMNS = ("week", "n", "mean", "low", "high", "too_few")
COLOURS = ("#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#d6616b", "#8c6d31")
EXPECTED_DASH = "dot"
TOO_FEW_COLOUR = "#9e9e9e"
COMPLETED_COLOUR, EXPECTED_COLOUR = "#31a354", "#bdbdbd"
OVERDUE_COLOUR, REPLACED_COLOUR = "#d73027", "#fdae61"
EMPTY_PROGRESS = "Nothing assigned in this period"
EMPTY_TREND = "No evaluations in this period"


def _empty(figure: go.Figure, text: str) -> go.Figure:
    figure.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def _layout(figure: go.Figure, **layout: Any) -> go.Figure:
    figure.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, **layout)
    return figure


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _float(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


# ---------------------------------------------------------------- plan progress


def plan_progress_chart(progress: pd.DataFrame, today: date | None = None) -> go.Figure:
    """Per scorer: completed assignments (solid) against the even pace expected (dotted,
    same colour), both cumulative over the period's days. ``today`` draws a marker line.

    ``progress``: PROGRESS_COLUMNS. customdata: target (scorer), then expected and
    completed by that day.
    """
    figure = go.Figure()
    if progress.empty:
        return _empty(figure, EMPTY_PROGRESS)
    for n, (scorer_id, rows) in enumerate(progress.groupby("scorer_id", sort=False)):
        rows = rows.sort_values("day")
        name = plain_label(rows["scorer"].iloc[0])
        colour = COLOURS[n % len(COLOURS)]
        custom = [
            [*target(scorer_id=scorer_id), float(e), int(c)]
            for e, c in zip(rows["expected"], rows["completed"], strict=True)
        ]
        hover = (
            f"{name}<br>%{{x|%a %d %b}}<br>Completed: %{{customdata[{N_TARGET + 1}]}}"
            f" of %{{customdata[{N_TARGET}]:.1f}} expected by now<extra></extra>"
        )
        figure.add_trace(
            go.Scatter(
                x=list(rows["day"]),
                y=[int(c) for c in rows["completed"]],
                mode="lines+markers",
                name=f"{name} · completed",
                legendgroup=str(scorer_id),
                line={"color": colour, "width": 3},
                customdata=custom,
                hovertemplate=hover,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=list(rows["day"]),
                y=[float(e) for e in rows["expected"]],
                mode="lines",
                name=f"{name} · expected",
                legendgroup=str(scorer_id),
                line={"color": colour, "dash": EXPECTED_DASH, "width": 1.5},
                customdata=custom,
                hovertemplate=hover,
            )
        )
    if today is not None:
        figure.add_vline(x=today, line={"color": "#666666", "width": 1, "dash": "dash"})
    return _layout(
        figure,
        clickmode="event+select",
        xaxis={"title": {"text": "Day"}},
        yaxis={"title": {"text": "Assignments (cumulative)"}, "rangemode": "tozero"},
        legend={"title": {"text": "Scorer"}},
    )


def plan_totals_chart(totals: pd.DataFrame, who: str = "Scorer") -> go.Figure:
    """Per scorer (or agent): expected, completed, overdue and replaced in the period, as
    grouped horizontal bars. ``totals``: PROGRESS_TOTAL_COLUMNS; customdata: [who_id]."""
    figure = go.Figure()
    if totals.empty:
        return _empty(figure, EMPTY_PROGRESS)
    names = [plain_label(v) for v in totals["who"]]
    custom = [[int(v)] for v in totals["who_id"]]
    for column, label, colour in (
        ("expected", "Expected", EXPECTED_COLOUR),
        ("completed", "Completed", COMPLETED_COLOUR),
        ("overdue", "Overdue", OVERDUE_COLOUR),
        ("replaced", "Replaced", REPLACED_COLOUR),
    ):
        figure.add_trace(
            go.Bar(
                orientation="h",
                x=[int(v) for v in totals[column]],
                y=names,
                name=label,
                marker={"color": colour},
                customdata=custom,
                hovertemplate=f"%{{y}}<br>{label}: %{{x}}<extra></extra>",
            )
        )
    return _layout(
        figure,
        barmode="group",
        xaxis={"title": {"text": "Assignments"}, "rangemode": "tozero"},
        yaxis={"type": "category", "autorange": "reversed", "title": {"text": who}},
    )


# ---------------------------------------------------------------- means with intervals


def interval_frame(
    weekly: pd.DataFrame,
    level: float = LEVEL,
    bounds: tuple[float, float] = TOTAL_BOUNDS,
    min_n: int = MIN_N,
    prior_sd: float | None = None,
) -> pd.DataFrame:
    """WEEKLY_SUMMARY_COLUMNS (sd with ddof 1) → INTERVAL_COLUMNS, each week's interval by
    ``scoring.uncertainty.summary_interval``."""
    rows = []
    for week, n, mean, sd in weekly[list(WEEKLY_SUMMARY_COLUMNS)].itertuples(index=False):
        count = int(n)
        interval = summary_interval(
            Summary(count, float(mean) if count else float("nan"), _float(sd) or 0.0),
            level,
            bounds,
            min_n,
            prior_sd,
        )
        rows.append((week, count, interval.mean, interval.low, interval.high, interval.too_few))
    return pd.DataFrame(rows, columns=list(INTERVAL_COLUMNS))


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """[start, end) index ranges of consecutive True values."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def add_interval_trend(
    figure: go.Figure,
    rows: pd.DataFrame,
    name: str,
    colour: str = COLOURS[0],
    dash: str | None = None,
    level: float = LEVEL,
) -> go.Figure:
    """Add one series to ``figure``: a band from low to high over each run of weeks with an
    interval, the mean as a line through those weeks only (broken where a week has too
    few evaluations), a lone week with an interval as a point with error bars, and weeks
    with too few evaluations as hollow grey markers that say so. ``rows``:
    INTERVAL_COLUMNS. Mean traces carry customdata [n, low, high]."""
    rows = rows.sort_values("week")
    label = plain_label(name)
    weeks = list(rows["week"])
    means = [_float(v) for v in rows["mean"]]
    lows = [_float(v) for v in rows["low"]]
    highs = [_float(v) for v in rows["high"]]
    counts = [int(v) for v in rows["n"]]
    sure = [
        not bool(few) and lo is not None and hi is not None
        for few, lo, hi in zip(rows["too_few"], lows, highs, strict=True)
    ]
    percent = f"{level:.0%}"
    group = f"series:{label}"
    for start, end in _runs(sure):
        if end - start < 2:
            continue
        xs = weeks[start:end]
        figure.add_trace(
            go.Scatter(
                x=xs + xs[::-1],
                y=highs[start:end] + lows[start:end][::-1],
                fill="toself",
                fillcolor=_rgba(colour, 0.18),
                line={"width": 0},
                mode="lines",
                name=f"{label} · {percent} interval",
                legendgroup=group,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    hover = (
        f"{label}<br>Week of %{{x|%d %b %Y}}<br>Mean: %{{y:.1f}}"
        f"<br>{percent} interval: %{{customdata[1]:.1f}}–%{{customdata[2]:.1f}}"
        "<br>Evaluations: %{customdata[0]}<extra></extra>"
    )
    figure.add_trace(
        go.Scatter(
            x=weeks,
            y=[m if ok else None for m, ok in zip(means, sure, strict=True)],
            mode="lines+markers",
            connectgaps=False,
            name=label,
            legendgroup=group,
            line={"color": colour, "width": 3, **({"dash": dash} if dash else {})},
            customdata=[[c, lo, hi] for c, lo, hi in zip(counts, lows, highs, strict=True)],
            hovertemplate=hover,
        )
    )
    lone = [i for start, end in _runs(sure) if end - start == 1 for i in (start,)]
    if lone:
        figure.add_trace(
            go.Scatter(
                x=[weeks[i] for i in lone],
                y=[means[i] for i in lone],
                mode="markers",
                name=f"{label} · {percent} interval",
                legendgroup=group,
                showlegend=False,
                marker={"color": colour, "size": 8},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [(highs[i] or 0.0) - (means[i] or 0.0) for i in lone],
                    "arrayminus": [(means[i] or 0.0) - (lows[i] or 0.0) for i in lone],
                    "color": colour,
                },
                customdata=[[counts[i], lows[i], highs[i]] for i in lone],
                hovertemplate=hover,
            )
        )
    few = [i for i, ok in enumerate(sure) if not ok and means[i] is not None]
    if few:
        figure.add_trace(
            go.Scatter(
                x=[weeks[i] for i in few],
                y=[means[i] for i in few],
                mode="markers",
                name=f"{label} · too few evaluations",
                legendgroup=group,
                marker={
                    "symbol": "circle-open",
                    "size": 9,
                    "color": TOO_FEW_COLOUR,
                    "line": {"width": 2},
                },
                customdata=[[counts[i], None, None] for i in few],
                hovertemplate=(
                    f"{label}<br>Week of %{{x|%d %b %Y}}<br>Too few evaluations "
                    "(%{customdata[0]}) for an interval; mean %{y:.1f} shown alone"
                    "<extra></extra>"
                ),
            )
        )
    return figure


def interval_trend_chart(
    series: Iterable[tuple[str, pd.DataFrame]],
    level: float = LEVEL,
    bounds: tuple[float, float] = TOTAL_BOUNDS,
) -> go.Figure:
    """One banded series per (name, INTERVAL_COLUMNS frame), e.g. the agent then the team;
    the first solid and coloured, later ones in turn (the second dashed grey)."""
    figure = go.Figure()
    styles = [(COLOURS[0], None), ("#444444", "dash"), *[(c, None) for c in COLOURS[1:]]]
    for n, (name, rows) in enumerate(series):
        if rows.empty:
            continue
        colour, dash = styles[n % len(styles)]
        add_interval_trend(figure, rows, name, colour, dash, level)
    if not figure.data:
        return _empty(figure, EMPTY_TREND)
    span = bounds[1] - bounds[0]
    return _layout(
        figure,
        xaxis={"title": {"text": "Week"}},
        yaxis={
            "title": {"text": f"Mean ({bounds[0]:g}–{bounds[1]:g}) with {level:.0%} interval"},
            "range": [bounds[0] - 0.02 * span, bounds[1] + 0.05 * span],
        },
    )
