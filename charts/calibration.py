"""Calibration charts: the scorer × item heatmap and per-scorer accuracy over time."""

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import plain_label

NA_TEXT = "N/A"
# The lowest level is a clear mid blue, never near-white, so an uncoloured N/A cell (the
# white plot background) cannot be mistaken for a low score.
LEVEL_COLOURSCALE: list[list[float | str]] = [[0.0, "#9ecae1"], [1.0, "#08306b"]]
NA_BACKGROUND = "#ffffff"
DAY_MS = 86_400_000
DATE_TICKS = "%-d %b %Y"
# Sessions closer together than this get a fixed range of days around them: plotly would
# otherwise zoom a single date down to milliseconds.
NARROW_SPAN = pd.Timedelta(days=2)
PAD = pd.Timedelta(days=3)
ACCURACY_METRICS: dict[str, str] = {
    "exact_agreement": "Exact agreement with reference",
    "within_1": "Within ±1 of reference",
    "mean_abs_deviation": "Mean absolute deviation (points)",
}


def _format_level(value: float) -> str:
    return NA_TEXT if math.isnan(value) else f"{value:g}"


def _format_deviation(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return "0" if value == 0 else f"{value:+g}"


def calibration_heatmap(
    grid: pd.DataFrame,
    reference: Mapping[str, int | None] | None = None,
    item_titles: Mapping[str, str] | None = None,
) -> go.Figure:
    """Scorer × item heatmap of ``grid`` (scorers × items, NaN = N/A), scorers top to bottom.

    Items are labelled by their title from ``item_titles`` (item key → title), never by
    their internal key unless no title is given.

    Cells show their level; N/A cells stay uncoloured (white background) and are labelled
    "N/A" so they never read as a score. Hover shows scorer, item, level and the deviation
    from ``reference`` (item → level), or from the item's group median without one.
    """
    scorers = [plain_label(name) for name in grid.index]
    titles = item_titles or {}
    items = [plain_label(titles.get(str(key), key)) for key in grid.columns]
    levels = grid.to_numpy(dtype=float)
    if reference is None:
        reference_row = grid.median(axis=0, skipna=True).to_numpy(dtype=float)
        reference_name = "group median"
    else:
        reference_row = np.array(
            [math.nan if (level := reference.get(key)) is None else float(level) for key in grid],
            dtype=float,
        )
        reference_name = "reference"
    deviations = levels - reference_row  # NaN wherever either side is missing

    level_text = [[_format_level(v) for v in row] for row in levels]
    hover_data = [
        [[_format_level(v), _format_deviation(d)] for v, d in zip(row, dev_row, strict=True)]
        for row, dev_row in zip(levels, deviations, strict=True)
    ]
    # NaN → None: plotly leaves the cell uncoloured yet still draws its "N/A" text label.
    z = [[None if math.isnan(v) else v for v in row] for row in levels]

    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=items,
            y=scorers,
            text=level_text,
            texttemplate="%{text}",
            customdata=hover_data,
            hovertemplate=(
                "Scorer: %{y}<br>Item: %{x}<br>Level: %{customdata[0]}<br>"
                f"Deviation from {reference_name}: %{{customdata[1]}}<extra></extra>"
            ),
            hoverongaps=True,
            colorscale=LEVEL_COLOURSCALE,
            colorbar={"title": {"text": "Level"}},
            xgap=2,
            ygap=2,
            name="Levels",
        )
    )
    figure.update_layout(
        xaxis={"title": {"text": "Item"}, "type": "category", "side": "top"},
        yaxis={"title": {"text": "Scorer"}, "type": "category", "autorange": "reversed"},
        plot_bgcolor=NA_BACKGROUND,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return figure


def scorer_accuracy_chart(df: pd.DataFrame, metric: str = "within_1") -> go.Figure:
    """One line per scorer over session dates, from ``scorer_accuracy_over_time`` output.

    ``metric``: "exact_agreement" or "within_1" (shares, shown as %) or
    "mean_abs_deviation" (points). Sessions with no comparable items (NaN) leave a gap.
    An empty ``df`` gives a figure with no traces and a short note.
    """
    if metric not in ACCURACY_METRICS:
        raise ValueError(f"metric must be one of {', '.join(ACCURACY_METRICS)}; got {metric!r}")
    figure = go.Figure()
    is_share = metric != "mean_abs_deviation"
    grouped = df.groupby("scorer", sort=False) if not df.empty else []
    for scorer, rows in grouped:
        rows = rows.sort_values(["session_date", "session_id"], kind="stable")
        figure.add_trace(
            go.Scatter(
                x=rows["session_date"].tolist(),
                y=rows[metric].astype(float).tolist(),
                mode="lines+markers",
                name=plain_label(scorer),
                customdata=np.column_stack(
                    [rows["session_id"].astype(str), rows["n_items"].astype(int)]
                ).tolist(),
                hovertemplate=(
                    f"{scorer}<br>%{{x}} (session %{{customdata[0]}})<br>"
                    f"{ACCURACY_METRICS[metric]}: %{{y:{'.0%' if is_share else '.2f'}}}"
                    "<br>Items compared: %{customdata[1]}<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        xaxis={"title": {"text": "Session date"}, **_date_axis(df)},
        yaxis={
            "title": {"text": ACCURACY_METRICS[metric]},
            **({"tickformat": ".0%", "range": [0, 1.05]} if is_share else {"rangemode": "tozero"}),
        },
        legend={"title": {"text": "Scorer"}},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
    )
    if not figure.data:
        # No axes at all: plotly's empty ones run −1…6, numbers that mean nothing here.
        figure.update_layout(xaxis={"visible": False}, yaxis={"visible": False})
        figure.add_annotation(
            text="No calibration sessions to show yet",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
        )
    return figure


def _naive(value: object) -> pd.Timestamp:
    stamp = pd.Timestamp(value)  # a date or a datetime
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _date_axis(df: pd.DataFrame) -> dict[str, object]:
    """A date axis labelled in days; dates spanning less than ``NARROW_SPAN`` (one session,
    or a few on one day) get a range padded by ``PAD`` each side and one tick a day."""
    axis: dict[str, object] = {"type": "date", "tickformat": DATE_TICKS}
    if df.empty:
        return axis
    dates = [_naive(v) for v in df["session_date"] if not pd.isna(v)]
    if dates and max(dates) - min(dates) < NARROW_SPAN:
        low, high = min(dates).normalize() - PAD, max(dates).normalize() + PAD
        axis["range"] = [low.isoformat(sep=" "), high.isoformat(sep=" ")]
        axis["dtick"] = DAY_MS
    return axis
