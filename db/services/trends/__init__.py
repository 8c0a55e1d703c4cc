"""Trends for supervisors, managers and agents, aggregated in the database.

Every query is a GROUP BY over ``evaluation`` (and ``item_score`` / ``listening_report``
joined by key); Python only sees the grouped rows, never every evaluation. Only
submitted *regular* evaluations count: calibration evaluations and drafts never do.

Definitions (the same for the charts and the CSV export):

- **Week**: the Monday of the week the evaluation was *submitted*, in the reader's zone
  (``TrendFilters.zone``; UTC without one); the date range filters ``submitted_at`` too,
  both ends inclusive, as the reader's days.
- **Weekly total**: the mean of evaluation totals (0–100) in that week.
- **Team average**: the mean over every evaluation of the team's agents (each evaluation
  weighs the same, so an agent scored more often weighs more). It reads every filter
  except the agent filter, so an agent's line can be compared with their team's.
  "Team" is the agent's current team.
- **Item averages** are means of the raw levels given (e.g. 1–5); N/A is counted apart
  and never averaged. Mixing rubric versions with different scales: filter by version.
- **Scorer leniency**: for every (agent, week) in which a scorer and at least one other
  scorer both scored that agent, the scorer's mean total minus the other scorers' mean
  total (their evaluations pooled) for that agent in that week; a scorer's leniency is
  the unweighted mean of those differences over their shared (agent, week) cells.
  Positive = scores higher than colleagues on the same agents in the same weeks
  (lenient), negative = stricter. No shared cell, no value. With a scorer filter the
  scorer is still compared with the others; only their row is returned.
- **Listening metrics** per agent and week: the mean of each call-level metric over the
  evaluated calls that have a listening report (a call evaluated twice counts twice,
  exactly as it does in the CSV export).

Scope: admins see everything; supervisors their own team (by the agent's current team),
whatever filters they pass; agents only themselves: any team or agent filter an agent
passes is replaced by their own id.

The package is split by purpose: `common` (filters, scope, week buckets, constants),
`scores` (totals, items, one agent against the team), `scorers` (volume, leniency),
`evidence` (listening and text metrics) and `drill` (the evaluations behind a point, the
CSV export). Import from `db.services.trends`.
"""

from __future__ import annotations

from db.services.trends.common import (
    AGENT_ITEM_COLUMNS,
    AGENT_WEEKLY_COLUMNS,
    BEHIND_COLUMNS,
    DISTRIBUTION_COLUMNS,
    ITEM_AVERAGE_COLUMNS,
    LENIENCY_COLUMNS,
    LISTENING_COLUMNS,
    LISTENING_METRICS,
    MAX_BEHIND,
    NA,
    SCORER_VOLUME_COLUMNS,
    TEAM_TEXT_COLUMNS,
    TEAM_WEEKLY_COLUMNS,
    TEXT_COLUMNS,
    TEXT_METRICS,
    WEEKLY_COLUMNS,
    TrendFilters,
    TrendOptions,
    filter_options,
    item_titles,
    week_start,
)
from db.services.trends.drill import (
    evaluations_behind,
    export_csv,
    export_rows,
)
from db.services.trends.evidence import (
    listening_weekly,
    team_text_weekly,
    text_weekly,
)
from db.services.trends.scorers import (
    scorer_leniency,
    scorer_weekly_volume,
)
from db.services.trends.scores import (
    AgentTrend,
    agent_item_averages,
    agent_trend,
    item_distribution,
    team_weekly_average,
    weekly_totals,
)

__all__ = [
    "AGENT_ITEM_COLUMNS",
    "AGENT_WEEKLY_COLUMNS",
    "AgentTrend",
    "BEHIND_COLUMNS",
    "DISTRIBUTION_COLUMNS",
    "ITEM_AVERAGE_COLUMNS",
    "LENIENCY_COLUMNS",
    "LISTENING_COLUMNS",
    "LISTENING_METRICS",
    "MAX_BEHIND",
    "NA",
    "SCORER_VOLUME_COLUMNS",
    "TEAM_TEXT_COLUMNS",
    "TEAM_WEEKLY_COLUMNS",
    "TEXT_COLUMNS",
    "TEXT_METRICS",
    "TrendFilters",
    "TrendOptions",
    "WEEKLY_COLUMNS",
    "agent_item_averages",
    "agent_trend",
    "evaluations_behind",
    "export_csv",
    "export_rows",
    "filter_options",
    "item_distribution",
    "item_titles",
    "listening_weekly",
    "scorer_leniency",
    "scorer_weekly_volume",
    "team_text_weekly",
    "team_weekly_average",
    "text_weekly",
    "week_start",
    "weekly_totals",
]
