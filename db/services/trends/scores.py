"""Score trends: weekly totals per agent and team, item averages and distributions,
and one agent against their team."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import case, func
from sqlmodel import select

from db.access import (
    Actor,
    NotFound,
    can_follow_agent,
    team_average_filter,
    trend_filter,
)
from db.cache import cached_by_data_version
from db.engine import read_scope
from db.models import (
    Evaluation,
    ItemScore,
    Team,
    User,
)
from db.services.trends.common import (
    AGENT_ITEM_COLUMNS,
    AGENT_WEEKLY_COLUMNS,
    DISTRIBUTION_COLUMNS,
    ITEM_AVERAGE_COLUMNS,
    NA,
    TEAM_WEEKLY_COLUMNS,
    WEEKLY_COLUMNS,
    TrendFilters,
    _as_date,
    _by_week,
    _conditions,
    _filter_conditions,
    _float,
    _frame,
    _item_titles,
    _names,
    _scope,
    _team_average_conditions,
    _team_names,
    _week_expr,
    _weekly,
)
from scoring.ids import parse_id

# ---------------------------------------------------------------- totals


@cached_by_data_version
def weekly_totals(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean total per agent per week (WEEKLY_COLUMNS), by agent then week."""
    with read_scope() as session:
        actor = _scope(session, actor)
        totals = [func.count(Evaluation.total), func.avg(Evaluation.total)]
        rows = _weekly(session, Evaluation.agent_id, totals, _conditions(actor, f), f=f)
        names = _names(session, (r[0] for r in rows))
    return _by_week(_total_rows(rows, "agent", names), WEEKLY_COLUMNS, "agent")


@cached_by_data_version
def team_weekly_average(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean total per team per week over all the team's agents (TEAM_WEEKLY_COLUMNS).
    Reads every filter except the agent filter."""
    with read_scope() as session:
        actor = _scope(session, actor)
        where = _team_average_conditions(actor, f)
        if where is None:
            return _frame([], TEAM_WEEKLY_COLUMNS)
        rows = _weekly(
            session,
            User.team_id,
            [func.count(Evaluation.total), func.avg(Evaluation.total)],
            [*where, User.team_id.is_not(None)],
            joins=[(User, User.id == Evaluation.agent_id)],
            f=f,
        )
        names = _team_names(session, (r[0] for r in rows))
    return _by_week(_total_rows(rows, "team", names), TEAM_WEEKLY_COLUMNS, "team")


def _total_rows(rows: list[Any], who: str, names: dict[int, str]) -> list[dict[str, Any]]:
    """Frame rows from grouped ``(id, week, n, mean total)`` rows, `who` being "agent" or
    "team" (its id and name columns)."""
    return [
        {
            f"{who}_id": ident,
            who: names.get(ident, "?"),
            "week": _as_date(w),
            "n": int(n),
            "mean_total": _float(m),
        }
        for ident, w, n, m in rows
    ]


# ---------------------------------------------------------------- items


@cached_by_data_version
def agent_item_averages(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Agent × item: mean level, how many scored, how many N/A (ITEM_AVERAGE_COLUMNS)."""
    with read_scope() as session:
        actor = _scope(session, actor)
        rows = session.exec(
            select(
                Evaluation.agent_id,
                ItemScore.item_key,
                func.count(ItemScore.value),
                func.sum(case((ItemScore.na, 1), else_=0)),
                func.avg(ItemScore.value),
            )
            .join(ItemScore, ItemScore.evaluation_id == Evaluation.id)
            .where(*_conditions(actor, f))
            .group_by(Evaluation.agent_id, ItemScore.item_key)
        ).all()
        names = _names(session, (r[0] for r in rows))
        titles, order = _item_titles(session)
    rank = {k: i for i, k in enumerate(order)}
    out = [
        {
            "agent_id": a,
            "agent": names.get(a, "?"),
            "item_key": k,
            "item": titles.get(k, k),
            "n": int(n),
            "n_na": int(na or 0),
            "mean_value": _float(m),
        }
        for a, k, n, na, m in rows
    ]
    df = _frame(out, ITEM_AVERAGE_COLUMNS)
    df["_rank"] = df["item_key"].map(lambda k: rank.get(k, len(rank)))
    return df.sort_values(["agent", "_rank", "item_key"], ignore_index=True).drop(columns="_rank")


@cached_by_data_version
def item_distribution(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Per item, how many evaluations gave each level, N/A included (DISTRIBUTION_COLUMNS).
    ``level`` is the level as text ("1".."5") or "N/A"."""
    with read_scope() as session:
        actor = _scope(session, actor)
        rows = session.exec(
            select(ItemScore.item_key, ItemScore.value, ItemScore.na, func.count(ItemScore.id))
            # Driven from the filtered evaluations (IN), so the planner never scans every
            # item score first.
            .where(ItemScore.evaluation_id.in_(select(Evaluation.id).where(*_conditions(actor, f))))
            .where(ItemScore.value.is_not(None) | ItemScore.na)
            .group_by(ItemScore.item_key, ItemScore.value, ItemScore.na)
        ).all()
        titles, order = _item_titles(session)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for key, value, na, n in rows:
        counts[(key, NA if na or value is None else str(value))] += int(n)
    rank = {k: i for i, k in enumerate(order)}

    def sort_key(kv: tuple[tuple[str, str], int]) -> tuple:
        (key, level), _ = kv
        return (rank.get(key, len(rank)), key, level == NA, int(level) if level != NA else 0)

    out = [
        {"item_key": k, "item": titles.get(k, k), "level": lvl, "count": n}
        for (k, lvl), n in sorted(counts.items(), key=sort_key)
    ]
    return _frame(out, DISTRIBUTION_COLUMNS)


@dataclass(frozen=True)
class AgentTrend:
    agent_id: int
    agent: str
    team: str | None
    weekly: pd.DataFrame  # AGENT_WEEKLY_COLUMNS
    items: pd.DataFrame  # AGENT_ITEM_COLUMNS
    item_order: tuple[str, ...] = ()


# ---------------------------------------------------------------- one agent vs the team


@cached_by_data_version
def agent_trend(
    actor: Actor,
    since: date | None = None,
    until: date | None = None,
    agent_id: int | None = None,
    zone: str | None = None,
) -> AgentTrend:
    """An agent's weekly totals and item averages beside their team's averages, over the
    days ``since``..``until`` in ``zone`` (the reader's; None is UTC, as in TrendFilters).

    Agents always get their own trend (``agent_id`` is ignored); supervisors an agent of
    their team; admins any agent. The team average includes the agent.
    """
    with read_scope() as session:
        actor = _scope(session, actor)
        target = actor.id if actor.is_agent else agent_id
        agent = session.get(User, target) if parse_id(target) is not None else None
        if not can_follow_agent(actor, agent):
            raise NotFound(f"Agent {target} was not found or is not yours to follow.")
        team = session.get(Team, agent.team_id) if agent.team_id else None
        reader = TrendFilters(since=since, until=until, zone=zone)
        period = _filter_conditions(reader)
        mine = [*trend_filter(actor), *period, Evaluation.agent_id == agent.id]
        team_scope = [*team_average_filter(actor, agent.team_id), *period] if team else mine
        week = _week_expr(session, reader).label("week")

        def weekly(where: list) -> dict:
            rows = session.exec(
                select(week, func.count(Evaluation.total), func.avg(Evaluation.total))
                .where(*where)
                .group_by(week)
            ).all()
            return {_as_date(w): (int(n), _float(m)) for w, n, m in rows}

        def per_item(where: list) -> dict:
            rows = session.exec(
                select(ItemScore.item_key, func.count(ItemScore.value), func.avg(ItemScore.value))
                .join(Evaluation, Evaluation.id == ItemScore.evaluation_id)
                .where(*where)
                .group_by(ItemScore.item_key)
            ).all()
            return {k: (int(n), _float(m)) for k, n, m in rows}

        agent_weeks, team_weeks = weekly(mine), weekly(team_scope)
        agent_items, team_items = per_item(mine), per_item(team_scope)
        titles, order = _item_titles(session)
        agent_name, team_name = agent.display_name, team.name if team else None

    weekly_rows = [
        {
            "week": w,
            "agent_n": agent_weeks.get(w, (0, None))[0],
            "agent_mean": agent_weeks.get(w, (0, None))[1],
            "team_n": team_weeks.get(w, (0, None))[0],
            "team_mean": team_weeks.get(w, (0, None))[1],
        }
        for w in sorted(set(agent_weeks) | set(team_weeks))
    ]
    keys = [k for k in order if k in agent_items or k in team_items]
    keys += sorted((set(agent_items) | set(team_items)) - set(keys))
    item_rows = [
        {
            "item_key": k,
            "item": titles.get(k, k),
            "agent_n": agent_items.get(k, (0, None))[0],
            "agent_mean": agent_items.get(k, (0, None))[1],
            "team_n": team_items.get(k, (0, None))[0],
            "team_mean": team_items.get(k, (0, None))[1],
        }
        for k in keys
    ]
    return AgentTrend(
        agent_id=agent.id,
        agent=agent_name,
        team=team_name,
        weekly=_frame(weekly_rows, AGENT_WEEKLY_COLUMNS),
        items=_frame(item_rows, AGENT_ITEM_COLUMNS),
        item_order=tuple(keys),
    )
