"""Averages that say how sure they are: weekly (n, mean, sd) of totals for an agent and
their team, and whether their difference is larger than the uncertainty
(``scoring.uncertainty``; the pages draw them with ``charts.sampling``).

Scoped like the trends (``db.access.trend_filter`` / ``team_average_filter``); calibration
evaluations never count. The standard deviation comes from SQL aggregates:
sd² = n/(n − 1) · (mean(x²) − mean(x)²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from db.access import NotFound, can_follow_agent, team_average_filter, team_members
from db.engine import read_scope
from db.models import Evaluation, Team, User
from db.services.trends.common import (
    TrendFilters,
    _as_date,
    _conditions,
    _filter_conditions,
    _scope,
    _week_expr,
)
from scoring.ids import parse_id
from scoring.uncertainty import Difference, Summary, compare

WEEKLY = ["week", "n", "mean", "sd"]  # charts.sampling.WEEKLY_SUMMARY_COLUMNS
# An agent is compared with the rest of their team only when it has this many others.
MIN_COLLEAGUES = 3


@dataclass(frozen=True)
class IntervalTrend:
    """Named weekly summaries (first the agent or team shown, then what it is compared
    with) and comparisons over the whole period: (what, Difference)."""

    series: list[tuple[str, pd.DataFrame]]
    comparisons: list[tuple[str, Difference]]


def _summary(n: Any, mean: Any, mean_sq: Any) -> Summary:
    count = int(n or 0)
    if not count:
        return Summary(0, 0.0, 0.0)
    m = float(mean)
    variance = max(float(mean_sq) - m * m, 0.0) * count / (count - 1) if count > 1 else 0.0
    return Summary(count, m, math.sqrt(variance))


def _aggregates() -> tuple[Any, Any, Any]:
    total: Any = col(Evaluation.total)
    return func.count(total), func.avg(total), func.avg(total * total)


def _weekly(session: Session, where: list[Any], f: TrendFilters) -> pd.DataFrame:
    """Weekly n, mean and sd of the totals; weeks are the reader's (``f.zone``)."""
    week = _week_expr(session, f).label("week")
    rows = session.exec(select(week, *_aggregates()).where(*where).group_by(week)).all()
    out = []
    for w, n, mean, mean_sq in rows:
        s = _summary(n, mean, mean_sq)
        if s.n:
            out.append({"week": _as_date(w), "n": s.n, "mean": s.mean, "sd": s.sd})
    return pd.DataFrame(out, columns=WEEKLY).sort_values("week", ignore_index=True)


def _overall(session: Session, where: list[Any]) -> Summary:
    return _summary(*session.exec(select(*_aggregates()).where(*where)).one())


def trend_intervals(actor: Any, f: TrendFilters) -> IntervalTrend:
    """For the Trends page: with an agent chosen, the agent's weekly averages and the rest
    of their team's, compared over the period; otherwise the team's (or every team's)."""
    with read_scope() as session:
        actor = _scope(session, actor)
        if f.agent_id is None:
            where = _conditions(actor, f, agent_filter=False)
            name = "Team" if (f.team_id or not actor.is_admin) else "All teams"
            return IntervalTrend([(name, _weekly(session, where, f))], [])
        agent = session.get(User, f.agent_id)
        if agent is None or not can_follow_agent(actor, agent):
            raise NotFound(f"Agent {f.agent_id} was not found or is not yours to follow.")
        mine = _conditions(actor, f)
        rest = [
            *_conditions(actor, f, agent_filter=False),
            col(Evaluation.agent_id).in_(team_members(agent.team_id)),
            Evaluation.agent_id != agent.id,
        ]
        series = [
            (agent.display_name, _weekly(session, mine, f)),
            ("Rest of the team", _weekly(session, rest, f)),
        ]
        versus = compare(_overall(session, mine), _overall(session, rest))
    return IntervalTrend(series, [(f"{agent.display_name} vs the rest of the team", versus)])


def agent_intervals(
    actor: Any,
    since: date | None,
    until: date,
    agent_id: int | None = None,
    zone: str | None = None,
) -> IntervalTrend:
    """For an agent's own page: their weekly averages and their team's (everyone), the
    agent compared with the rest of the team over the period (when it has at least
    ``MIN_COLLEAGUES`` other agents), and this period against the one before it (same length;
    none when the period is open-ended). Days are in ``zone`` (the reader's; None is UTC)."""
    with read_scope() as session:
        actor = _scope(session, actor)
        target = actor.id if actor.is_agent else agent_id
        agent = session.get(User, target) if parse_id(target) is not None else None
        if agent is None or not can_follow_agent(actor, agent):
            raise NotFound(f"Agent {target} was not found or is not yours to follow.")
        period = TrendFilters(since=since, until=until, zone=zone)
        own = [*_conditions(actor, TrendFilters()), Evaluation.agent_id == agent.id]
        mine = own + _filter_conditions(period)
        team = session.get(Team, agent.team_id) if agent.team_id else None
        series = [("You" if actor.is_agent else agent.display_name, _weekly(session, mine, period))]
        comparisons = []
        if team is not None:
            whole = [*team_average_filter(actor, agent.team_id), *_filter_conditions(period)]
            rest = [*whole, Evaluation.agent_id != agent.id]
            # The team line includes the agent: without them a small team's line would be
            # one colleague's scores, which an agent never sees.
            series.append((f"{team.name} (everyone)", _weekly(session, whole, period)))
            colleagues = session.exec(
                select(func.count(func.distinct(Evaluation.agent_id))).where(*rest)
            ).one()
            if colleagues >= MIN_COLLEAGUES:
                versus = compare(_overall(session, mine), _overall(session, rest))
                comparisons.append(("Against the rest of the team", versus))
        if since is not None:
            length = (until - since).days + 1
            before = TrendFilters(
                since=since - timedelta(days=length), until=since - timedelta(days=1), zone=zone
            )
            previous = own + _filter_conditions(before)
            comparisons.append(
                (
                    "This period vs the one before",
                    compare(_overall(session, mine), _overall(session, previous)),
                )
            )
    return IntervalTrend(series, comparisons)
