"""Trends: teams and scorers over time, for supervisors (their team) and admins (all).

Every chart reads the same filters; the numbers are grouped in the database
(``db.services.trends``). Clicking a point lists the evaluations behind it; the CSV export holds
the filtered evaluations with their item scores, the same numbers as the charts.
"""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from charts import memo_figure
from charts.trends import (
    LISTENING_LABELS,
    click_target,
    item_distribution_chart,
    item_heatmap,
    leniency_chart,
    listening_chart,
    scorer_volume_chart,
    weekly_totals_chart,
)
from db.access import AccessDenied
from db.services.intervals import trend_intervals
from db.services.trends import (
    TEXT_METRICS,
    TrendFilters,
    agent_item_averages,
    evaluations_behind,
    export_csv,
    filter_options,
    item_distribution,
    listening_weekly,
    scorer_leniency,
    scorer_weekly_volume,
    team_text_weekly,
    team_weekly_average,
    text_weekly,
    weekly_totals,
)
from scoring.errors import EarshotError
from ui.format import plain
from ui.intervals import show_intervals
from ui.session import require_actor, show_denied
from ui.times import reader_today, reader_zone, zone_id

ANY = None
DEFAULT_WEEKS = 12

actor = require_actor()
st.title("Trends")
try:
    options = filter_options(actor)
except AccessDenied as exc:
    show_denied(exc)

# ------------------------------------------------------------------ filters
# Days are the reader's (their zone: Account setting, else browser's, else server's);
# the service turns them into UTC instants.
zone = reader_zone()
zone_name = zone_id(zone)
today = reader_today(zone)
with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    teams = dict(options.teams)
    if actor.is_admin:
        team_id = c1.selectbox(
            "Team", [ANY, *teams], format_func=lambda t: teams.get(t, "All"), key="trends_team"
        )
    else:
        team_id = None  # the service limits a supervisor to their team anyway
        c1.selectbox(
            "Team",
            [actor.team_id],
            format_func=lambda t: teams.get(t, "My team"),
            disabled=True,
            key="trends_team_fixed",
        )
    agents = dict(options.agents)
    agent_id = c2.selectbox(
        "Agent", [ANY, *agents], format_func=lambda a: agents.get(a, "All"), key="trends_agent"
    )
    scorers = dict(options.scorers)
    scorer_id = c3.selectbox(
        "Scorer", [ANY, *scorers], format_func=lambda s: scorers.get(s, "All"), key="trends_scorer"
    )
    rubrics = dict(options.rubrics)
    rubric_id = c4.selectbox(
        "Rubric version",
        [ANY, *rubrics],
        format_func=lambda r: rubrics.get(r, "All"),
        key="trends_rubric",
    )
    period = st.date_input(
        f"Submitted between (your days, {zone_name}; both included)",
        value=(today - timedelta(weeks=DEFAULT_WEEKS), today),
        max_value=today + timedelta(days=1),
        key="trends_period",
    )
since, until = (
    (list(period) + [None, None])[:2] if isinstance(period, tuple | list) else (period, None)
)
filters = TrendFilters(
    team_id=team_id,
    agent_id=agent_id,
    scorer_id=scorer_id,
    rubric_id=rubric_id,
    since=since if isinstance(since, date) else None,
    until=until if isinstance(until, date) else None,
    zone=zone_name,
)


BEHIND_CONFIG = {
    "evaluation_id": st.column_config.NumberColumn("Evaluation", format="%d"),
    "submitted_at": st.column_config.DatetimeColumn("Submitted", format="YYYY-MM-DD HH:mm"),
    "week": st.column_config.DateColumn("Week of"),
    "agent": st.column_config.TextColumn("Agent"),
    "scorer": st.column_config.TextColumn("Scorer"),
    "call": st.column_config.TextColumn("Call"),
    "total": st.column_config.NumberColumn("Total", format="%.1f"),
}


def in_reader_zone(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with "submitted_at" shown in the reader's zone (stored: UTC)."""
    if rows.empty:
        return rows
    submitted = pd.to_datetime(rows["submitted_at"], utc=True).dt.tz_convert(zone_name)
    return rows.assign(submitted_at=submitted)


def listed_behind(rows: pd.DataFrame, key: str) -> None:
    """The evaluations behind a point or cell; the one picked opens on Evaluations."""
    picked = st.dataframe(
        in_reader_zone(rows),
        hide_index=True,
        key=key,
        column_config=BEHIND_CONFIG,
        on_select="rerun",
        selection_mode="single-row",
    )
    chosen = [i for i in picked.selection.rows if 0 <= i < len(rows)]
    if not chosen:
        st.caption("Pick a row to open that evaluation.")
        return
    evaluation_id = int(rows.iloc[chosen[0]]["evaluation_id"])
    st.page_link(
        "pages/evaluations.py",
        label=f"Open evaluation {evaluation_id}",
        icon=":material/open_in_new:",
        query_params={"evaluation": str(evaluation_id)},
    )


def behind(event, key: str) -> None:
    """Under a chart: the evaluations behind the clicked point."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    target = click_target(points)
    if target is None:
        st.caption("Click a point to list the evaluations behind it.")
        return
    try:
        rows = evaluations_behind(actor, filters, target)
    except EarshotError as exc:
        st.error(plain(exc))
        return
    st.caption(f"{len(rows)} evaluation(s) behind the selected point (newest first).")
    listed_behind(rows, f"{key}_behind")


def chart(figure, key: str) -> None:
    event = st.plotly_chart(figure, key=key, on_select="rerun", selection_mode="points")
    behind(event, key)


# ------------------------------------------------------------------ export
export_name = f"earshot-evaluations-{filters.since or 'start'}-to-{filters.until or 'now'}.csv"
st.download_button(
    "Download the filtered evaluations (CSV)",
    data=lambda: export_csv(actor, filters),
    file_name=export_name,
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
    help="One row per evaluation with every item score and the call's listening metrics: "
    "the numbers behind these charts.",
)

# ------------------------------------------------------------------ charts
VIEWS = ["Weekly totals", "With intervals", "Agents × items", "Item scores", "Scorers", "Listening"]
view = (
    st.segmented_control(
        "View", VIEWS, default=VIEWS[0], key="trends_view", label_visibility="collapsed"
    )
    or VIEWS[0]
)
# Across every team a line per agent is unreadable (and slow): show the teams until one
# team or agent is chosen.
per_agent = not actor.is_admin or team_id is not None or agent_id is not None

if view == "Weekly totals":
    if per_agent:
        st.caption(
            "Each agent's mean total per week; dashed: the team average (all the team's "
            "evaluations, whatever agent is chosen)."
        )
        agents_weekly = weekly_totals(actor, filters)
    else:
        st.caption("Each team's mean total per week. Choose a team to see its agents.")
        agents_weekly = None
    chart(
        memo_figure(weekly_totals_chart, agents_weekly, team_weekly_average(actor, filters)),
        "trends_weekly",
    )

elif view == "With intervals":
    show_intervals(trend_intervals(actor, filters))

elif view == "Agents × items":
    st.caption("Mean level per agent and item; blank where the item was only ever N/A.")
    averages = agent_item_averages(actor, filters)
    st.plotly_chart(memo_figure(item_heatmap, averages), key="trends_heatmap")
    if not averages.empty:
        with st.expander("Evaluations behind a cell"):
            cell_agents = dict(zip(averages["agent_id"], averages["agent"], strict=True))
            cell_items = dict(zip(averages["item_key"], averages["item"], strict=True))
            a, i = st.columns(2)
            cell_agent = a.selectbox(
                "Agent", list(cell_agents), format_func=cell_agents.get, key="trends_cell_agent"
            )
            cell_item = i.selectbox(
                "Item", list(cell_items), format_func=cell_items.get, key="trends_cell_item"
            )
            listed_behind(
                evaluations_behind(actor, filters, {"agent_id": cell_agent, "item_key": cell_item}),
                "trends_cell_behind",
            )

elif view == "Item scores":
    st.caption("How often each level was given, per item (N/A counted apart).")
    chart(
        memo_figure(item_distribution_chart, item_distribution(actor, filters)),
        "trends_distribution",
    )

elif view == "Scorers":
    left, right = st.columns(2)
    with left:
        st.caption("Evaluations submitted per scorer per week.")
        chart(
            memo_figure(scorer_volume_chart, scorer_weekly_volume(actor, filters)),
            "trends_volume",
        )
    with right:
        st.caption(
            "Leniency: for each agent and week a scorer shares with other scorers, their mean "
            "total minus the others' mean; averaged over those agent-weeks. Above zero: more "
            "lenient than colleagues on the same agents."
        )
        chart(memo_figure(leniency_chart, scorer_leniency(actor, filters)), "trends_leniency")

else:
    metric = st.selectbox(
        "Metric", list(LISTENING_LABELS), format_func=LISTENING_LABELS.get, key="trends_metric"
    )
    chart(
        memo_figure(listening_chart, listening_weekly(actor, filters), metric),
        "trends_listening",
    )
    # What was said: text evidence per call, weekly means per agent and per team.
    st.subheader("From the transcripts")
    text_metric = st.selectbox(
        "Text metric", list(TEXT_METRICS), format_func=TEXT_METRICS.get, key="trends_text_metric"
    )
    per_agent = text_weekly(actor, filters)
    if per_agent.empty:
        st.caption("No evaluated call with a transcript in this view.")
    else:
        st.caption(f"{TEXT_METRICS[text_metric]}: mean per call, by agent and week")
        st.line_chart(
            per_agent.pivot_table(index="week", columns="agent", values=text_metric), height=280
        )
        per_team = team_text_weekly(actor, filters)
        st.caption("By team and week")
        st.dataframe(per_team.pivot_table(index="week", columns="team", values=text_metric))
