"""Trend charts: small functions from the DataFrames of ``db.services.trends`` to Plotly figures.

Every point carries ``customdata`` that starts with the click target, in the order of
``TARGET_FIELDS`` (None where a field does not apply), followed by the numbers the hover
shows. ``click_target`` turns a Streamlit selection back into that target, which
``db.services.trends.evaluations_behind`` lists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from scoring.metrics import LISTENING

NA = "N/A"
TARGET_FIELDS = ("agent_id", "team_id", "scorer_id", "week", "item_key", "level")
N_TARGET = len(TARGET_FIELDS)
TEAM_DASH = "dash"
TEAM_DASHES = ("dash", "dot", "dashdot", "longdash", "longdashdot")
TEAM_COLOURS = ("#333333", "#7f7f7f", "#5b4a3a", "#2f4b6e", "#6b2f4a")
NA_COLOUR = "#bdbdbd"
LEVEL_COLOURS = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]
LENIENT_COLOUR, STRICT_COLOUR = "#e6550d", "#3182bd"
HEATMAP_SCALE: list[list[float | str]] = [[0.0, "#d73027"], [0.5, "#fee08b"], [1.0, "#1a9850"]]
LISTENING_LABELS: dict[str, str] = {m.stored_as: m.axis_label for m in LISTENING if m.trended}
"""Chart titles of the listening trends, by stored column (`scoring.metrics`)."""
EMPTY_TEXT = "No evaluations match these filters"


def _iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _num(value: Any) -> float | None:
    """A plain float for plotly, None for missing (so hover and JSON stay clean)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _plain(value: Any) -> Any:
    """numpy scalars → Python scalars, so customdata survives the JSON round trip."""
    return value.item() if hasattr(value, "item") else value


def target(**fields: Any) -> list[Any]:
    """The click-target part of a customdata row, in TARGET_FIELDS order."""
    unknown = set(fields) - set(TARGET_FIELDS)
    if unknown:
        raise ValueError(f"unknown target field(s): {', '.join(sorted(unknown))}")
    return [_plain(fields.get(name)) for name in TARGET_FIELDS]


def click_target(points: Sequence[Mapping[str, Any]] | None) -> dict[str, Any] | None:
    """The target of the first selected point that carries one, without empty fields."""
    for point in points or []:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and len(data) >= N_TARGET:
            chosen = {
                name: value
                for name, value in zip(TARGET_FIELDS, data[:N_TARGET], strict=True)
                if value is not None and value != ""
            }
            if chosen:
                return chosen
    return None


def _empty(figure: go.Figure, text: str = EMPTY_TEXT) -> go.Figure:
    figure.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def _layout(figure: go.Figure, **layout: Any) -> go.Figure:
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 30, "b": 10}, clickmode="event+select", **layout
    )
    return figure


# ---------------------------------------------------------------- totals


def weekly_totals_chart(
    agents: pd.DataFrame | None, teams: pd.DataFrame | None = None
) -> go.Figure:
    """One line per agent of weekly mean totals, and each team's average as a dashed line.

    ``agents``: agent_id, agent, week, n, mean_total. ``teams``: team_id, team, week, n,
    mean_total. customdata: target (agent or team, week), then n.
    """
    figure = go.Figure()
    agents = agents if agents is not None else pd.DataFrame(columns=["agent_id"])
    for agent_id, rows in agents.groupby("agent_id", sort=False):
        rows = rows.sort_values("week")
        name = str(rows["agent"].iloc[0])
        figure.add_trace(
            go.Scatter(
                x=list(rows["week"]),
                y=[_num(v) for v in rows["mean_total"]],
                mode="lines+markers",
                name=name,
                customdata=[
                    [*target(agent_id=agent_id, week=_iso(w)), int(n)]
                    for w, n in zip(rows["week"], rows["n"], strict=True)
                ],
                hovertemplate=(
                    f"{name}<br>Week of %{{x|%d %b %Y}}<br>Mean total: %{{y:.1f}}"
                    f"<br>Evaluations: %{{customdata[{N_TARGET}]}}<extra></extra>"
                ),
            )
        )
    if teams is not None:
        for n, (team_id, rows) in enumerate(teams.groupby("team_id", sort=False)):
            rows = rows.sort_values("week")
            name = f"Team average · {rows['team'].iloc[0]}"
            figure.add_trace(
                go.Scatter(
                    x=list(rows["week"]),
                    y=[_num(v) for v in rows["mean_total"]],
                    mode="lines+markers",
                    name=name,
                    line={
                        "dash": TEAM_DASHES[n % len(TEAM_DASHES)],
                        "width": 3,
                        "color": TEAM_COLOURS[n % len(TEAM_COLOURS)],
                    },
                    customdata=[
                        [*target(team_id=team_id, week=_iso(w)), int(n)]
                        for w, n in zip(rows["week"], rows["n"], strict=True)
                    ],
                    hovertemplate=(
                        f"{name}<br>Week of %{{x|%d %b %Y}}<br>Mean total: %{{y:.1f}}"
                        f"<br>Evaluations: %{{customdata[{N_TARGET}]}}<extra></extra>"
                    ),
                )
            )
    if not figure.data:
        return _empty(figure)
    return _layout(
        figure,
        xaxis={"title": {"text": "Week"}},
        yaxis={"title": {"text": "Mean total (0–100)"}, "range": [0, 105]},
        legend={"title": {"text": "Agent"}},
    )


# ---------------------------------------------------------------- items


def _item_order(df: pd.DataFrame) -> list[tuple[str, str]]:
    """(item_key, title) in the order the rows give them (db.services.trends sorts by rubric)."""
    return list(dict.fromkeys(zip(df["item_key"], df["item"], strict=True)))


def item_heatmap(df: pd.DataFrame, scale: tuple[int, int] = (1, 5)) -> go.Figure:
    """Agents × items, the mean level in each cell (blank where nothing was scored).

    ``df``: agent_id, agent, item_key, item, n, n_na, mean_value. customdata: target
    (agent, item), then n scored and n N/A.
    """
    figure = go.Figure()
    if df.empty:
        return _empty(figure)
    items = _item_order(df)
    agents = list(dict.fromkeys(zip(df["agent_id"], df["agent"], strict=True)))
    cells = {(r.agent_id, r.item_key): r for r in df.itertuples()}
    z, text, custom = [], [], []
    for agent_id, _ in agents:
        z_row, text_row, custom_row = [], [], []
        for key, _ in items:
            cell = cells.get((agent_id, key))
            mean = _num(cell.mean_value) if cell is not None else None
            n = int(cell.n) if cell is not None else 0
            n_na = int(cell.n_na) if cell is not None else 0
            z_row.append(mean)
            text_row.append("" if mean is None else f"{mean:.1f}")
            custom_row.append([*target(agent_id=agent_id, item_key=key), n, n_na])
        z.append(z_row)
        text.append(text_row)
        custom.append(custom_row)
    figure.add_trace(
        go.Heatmap(
            z=z,
            x=[title for _, title in items],
            y=[name for _, name in agents],
            text=text,
            texttemplate="%{text}",
            customdata=custom,
            zmin=scale[0],
            zmax=scale[1],
            colorscale=HEATMAP_SCALE,
            colorbar={"title": {"text": "Mean level"}},
            hoverongaps=False,
            xgap=2,
            ygap=2,
            hovertemplate=(
                "%{y} · %{x}<br>Mean level: %{text}"
                f"<br>Scored: %{{customdata[{N_TARGET}]}}"
                f" · N/A: %{{customdata[{N_TARGET + 1}]}}<extra></extra>"
            ),
        )
    )
    return _layout(
        figure,
        xaxis={"type": "category", "side": "top"},
        yaxis={"type": "category", "autorange": "reversed"},
        plot_bgcolor="#ffffff",
    )


def _level_sort(level: str) -> tuple[int, float]:
    return (1, 0.0) if level == NA else (0, float(level))


def item_distribution_chart(df: pd.DataFrame) -> go.Figure:
    """Stacked bars per item: how many evaluations gave each level, N/A in grey.

    ``df``: item_key, item, level ("1".."5" or "N/A"), count. customdata: target (item,
    level), then the count and its share of the item's evaluations.
    """
    figure = go.Figure()
    if df.empty:
        return _empty(figure)
    items = _item_order(df)
    per_item = df.groupby("item_key")["count"].sum().to_dict()
    levels = sorted(set(df["level"]), key=_level_sort)
    numeric = [lvl for lvl in levels if lvl != NA]
    counts = {(r.item_key, r.level): int(r.count) for r in df.itertuples()}
    for lvl in levels:
        if lvl == NA:
            colour = NA_COLOUR
        else:
            position = numeric.index(lvl) / max(len(numeric) - 1, 1)
            colour = LEVEL_COLOURS[round(position * (len(LEVEL_COLOURS) - 1))]
        xs, custom = [], []
        for key, _ in items:
            n = counts.get((key, lvl), 0)
            xs.append(n)
            share = n / per_item[key] if per_item.get(key) else 0.0
            custom.append([*target(item_key=key, level=lvl), n, share])
        figure.add_trace(
            go.Bar(
                orientation="h",
                x=xs,
                y=[title for _, title in items],
                name=lvl if lvl == NA else f"Level {lvl}",
                marker={"color": colour},
                customdata=custom,
                hovertemplate=(
                    f"%{{y}}<br>{'N/A' if lvl == NA else 'Level ' + lvl}: "
                    f"%{{customdata[{N_TARGET}]}} evaluations "
                    f"(%{{customdata[{N_TARGET + 1}]:.0%}})<extra></extra>"
                ),
            )
        )
    return _layout(
        figure,
        barmode="stack",
        xaxis={"title": {"text": "Evaluations"}},
        yaxis={"type": "category", "autorange": "reversed"},
        legend={"title": {"text": "Score"}, "traceorder": "normal"},
    )


# ---------------------------------------------------------------- scorers


def scorer_volume_chart(df: pd.DataFrame) -> go.Figure:
    """Evaluations per scorer per week, grouped bars.

    ``df``: scorer_id, scorer, week, n. customdata: target (scorer, week), then n.
    """
    figure = go.Figure()
    for scorer_id, rows in df.groupby("scorer_id", sort=False):
        rows = rows.sort_values("week")
        name = str(rows["scorer"].iloc[0])
        figure.add_trace(
            go.Bar(
                x=list(rows["week"]),
                y=[int(n) for n in rows["n"]],
                name=name,
                customdata=[
                    [*target(scorer_id=scorer_id, week=_iso(w)), int(n)]
                    for w, n in zip(rows["week"], rows["n"], strict=True)
                ],
                hovertemplate=(
                    f"{name}<br>Week of %{{x|%d %b %Y}}<br>Evaluations: "
                    f"%{{customdata[{N_TARGET}]}}<extra></extra>"
                ),
            )
        )
    if not figure.data:
        return _empty(figure)
    return _layout(
        figure,
        barmode="group",
        xaxis={"title": {"text": "Week"}},
        yaxis={"title": {"text": "Evaluations submitted"}},
        legend={"title": {"text": "Scorer"}},
    )


def leniency_chart(df: pd.DataFrame) -> go.Figure:
    """Each scorer's leniency in points (above zero: more lenient than colleagues).

    ``df``: scorer_id, scorer, leniency, n_cells, n_evaluations. customdata: target
    (scorer), then shared (agent, week) cells and evaluations compared.
    """
    figure = go.Figure()
    if df.empty:
        return _empty(figure, "No two scorers scored the same agent in the same week")
    values = [_num(v) for v in df["leniency"]]
    figure.add_trace(
        go.Bar(
            orientation="h",
            x=values,
            y=list(df["scorer"]),
            marker={"color": [LENIENT_COLOUR if (v or 0) > 0 else STRICT_COLOUR for v in values]},
            customdata=[
                [*target(scorer_id=s), int(c), int(n)]
                for s, c, n in zip(df["scorer_id"], df["n_cells"], df["n_evaluations"], strict=True)
            ],
            hovertemplate=(
                "%{y}<br>Leniency: %{x:+.1f} points vs other scorers"
                f"<br>Shared agent-weeks: %{{customdata[{N_TARGET}]}}"
                f" · evaluations: %{{customdata[{N_TARGET + 1}]}}<extra></extra>"
            ),
            name="Leniency",
        )
    )
    return _layout(
        figure,
        xaxis={
            "title": {"text": "Mean deviation from other scorers (points)"},
            "zeroline": True,
            "zerolinewidth": 2,
        },
        yaxis={"type": "category", "autorange": "reversed"},
        showlegend=False,
    )


# ---------------------------------------------------------------- listening


def listening_chart(df: pd.DataFrame, metric: str) -> go.Figure:
    """One line per agent of a listening metric's weekly mean.

    ``df``: agent_id, agent, week, n_calls and the metric columns. customdata: target
    (agent, week), then the number of calls.
    """
    if metric not in LISTENING_LABELS:
        raise ValueError(f"metric must be one of {', '.join(LISTENING_LABELS)}; got {metric!r}")
    figure = go.Figure()
    share = metric == "talk_share"
    value_format = ".0%" if share else ".1f"
    for agent_id, rows in df.groupby("agent_id", sort=False):
        rows = rows.sort_values("week")
        rows = rows[rows[metric].notna()]
        if rows.empty:
            continue
        name = str(rows["agent"].iloc[0])
        figure.add_trace(
            go.Scatter(
                x=list(rows["week"]),
                y=[_num(v) for v in rows[metric]],
                mode="lines+markers",
                name=name,
                customdata=[
                    [*target(agent_id=agent_id, week=_iso(w)), int(n)]
                    for w, n in zip(rows["week"], rows["n_calls"], strict=True)
                ],
                hovertemplate=(
                    f"{name}<br>Week of %{{x|%d %b %Y}}<br>{LISTENING_LABELS[metric]}: "
                    f"%{{y:{value_format}}}<br>Calls: %{{customdata[{N_TARGET}]}}<extra></extra>"
                ),
            )
        )
    if not figure.data:
        return _empty(figure, "No listening evidence for these evaluations")
    return _layout(
        figure,
        xaxis={"title": {"text": "Week"}},
        yaxis={
            "title": {"text": LISTENING_LABELS[metric]},
            **({"tickformat": ".0%"} if share else {"rangemode": "tozero"}),
        },
        legend={"title": {"text": "Agent"}},
    )


# ---------------------------------------------------------------- one agent vs the team


def agent_trend_chart(weekly: pd.DataFrame, agent: str = "You") -> go.Figure:
    """The agent's weekly mean total and their team's, as two lines.

    ``weekly``: week, agent_n, agent_mean, team_n, team_mean (db.services.trends.agent_trend).
    """
    figure = go.Figure()
    if weekly.empty:
        return _empty(figure, "No evaluations in this period")
    weekly = weekly.sort_values("week")
    for column, n_column, name, line in (
        ("agent_mean", "agent_n", agent, {"width": 3}),
        ("team_mean", "team_n", "Team average", {"dash": TEAM_DASH, "color": "#444444"}),
    ):
        rows = weekly[weekly[column].notna()]
        figure.add_trace(
            go.Scatter(
                x=list(rows["week"]),
                y=[_num(v) for v in rows[column]],
                mode="lines+markers",
                name=name,
                line=line,
                customdata=[[int(n)] for n in rows[n_column]],
                hovertemplate=(
                    f"{name}<br>Week of %{{x|%d %b %Y}}<br>Mean total: %{{y:.1f}}"
                    "<br>Evaluations: %{customdata[0]}<extra></extra>"
                ),
            )
        )
    return _layout(
        figure,
        xaxis={"title": {"text": "Week"}},
        yaxis={"title": {"text": "Mean total (0–100)"}, "range": [0, 105]},
    )


def agent_items_chart(items: pd.DataFrame, agent: str = "You") -> go.Figure:
    """Per item, the agent's mean level beside the team's, as grouped bars. Items only
    ever N/A in the period are left out.

    ``items``: item_key, item, agent_n, agent_mean, team_n, team_mean.
    """
    figure = go.Figure()
    items = items[items["agent_mean"].notna() | items["team_mean"].notna()]
    if items.empty:
        return _empty(figure, "No evaluations in this period")
    for column, n_column, name, colour in (
        ("agent_mean", "agent_n", agent, "#3182bd"),
        ("team_mean", "team_n", "Team average", "#9e9e9e"),
    ):
        figure.add_trace(
            go.Bar(
                orientation="h",
                x=[_num(v) for v in items[column]],
                y=list(items["item"]),
                name=name,
                marker={"color": colour},
                customdata=[[int(n)] for n in items[n_column]],
                hovertemplate=(
                    f"{name}<br>%{{y}}<br>Mean level: %{{x:.2f}}"
                    "<br>Scored: %{customdata[0]}<extra></extra>"
                ),
            )
        )
    return _layout(
        figure,
        barmode="group",
        xaxis={"title": {"text": "Mean level"}, "rangemode": "tozero"},
        yaxis={"type": "category", "autorange": "reversed"},
    )
