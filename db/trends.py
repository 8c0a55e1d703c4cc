"""Trends for supervisors, managers and agents, aggregated in the database.

Every query is a GROUP BY over ``evaluation`` (and ``item_score`` / ``listening_report``
joined by key); Python only sees the grouped rows, never every evaluation. Only
submitted *regular* evaluations count: calibration evaluations and drafts never do.

Definitions (the same for the charts and the CSV export):

- **Week**: the Monday (UTC) of the week the evaluation was *submitted*; the date range
  filters ``submitted_at`` too, both ends inclusive, in UTC.
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
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Date, case, cast, func, literal_column
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.access import (
    AccessDenied,
    Actor,
    NotFound,
    can_follow_agent,
    current_actor,
    team_average_filter,
    team_members,
    trend_filter,
)
from db.cache import cached_by_data_version
from db.engine import read_scope
from db.models import (
    Call,
    Evaluation,
    ItemScore,
    ListeningReportRow,
    Role,
    Team,
    TextEvidenceRow,
    User,
)
from db.models import Rubric as RubricRow
from scoring.calibration import leniency_from_cells
from scoring.errors import Invalid
from scoring.ids import parse_id
from scoring.metrics import LISTENING, TEXT
from scoring.text import defuse_csv_cell

NA = "N/A"
LISTENING_METRICS: dict[str, str] = {m.stored_as: m.label for m in LISTENING if m.trended}
"""Columns of ``listening_report`` averaged per call in the listening trends."""
TEXT_METRICS: dict[str, str] = {m.stored_as: m.label for m in TEXT if m.trended}
"""Text-evidence columns of ``text_evidence`` averaged per call in the text trends."""
WEEKLY_COLUMNS = ["agent_id", "agent", "week", "n", "mean_total"]
TEAM_WEEKLY_COLUMNS = ["team_id", "team", "week", "n", "mean_total"]
ITEM_AVERAGE_COLUMNS = ["agent_id", "agent", "item_key", "item", "n", "n_na", "mean_value"]
DISTRIBUTION_COLUMNS = ["item_key", "item", "level", "count"]
SCORER_VOLUME_COLUMNS = ["scorer_id", "scorer", "week", "n"]
LENIENCY_COLUMNS = ["scorer_id", "scorer", "leniency", "n_cells", "n_evaluations"]
LISTENING_COLUMNS = ["agent_id", "agent", "week", "n_calls", *LISTENING_METRICS]
TEXT_COLUMNS = ["agent_id", "agent", "week", "n_calls", *TEXT_METRICS]
TEAM_TEXT_COLUMNS = ["team_id", "team", "week", "n_calls", *TEXT_METRICS]
BEHIND_COLUMNS = ["evaluation_id", "submitted_at", "week", "agent", "scorer", "call", "total"]
AGENT_WEEKLY_COLUMNS = ["week", "agent_n", "agent_mean", "team_n", "team_mean"]
AGENT_ITEM_COLUMNS = ["item_key", "item", "agent_n", "agent_mean", "team_n", "team_mean"]
MAX_BEHIND = 200


@dataclass(frozen=True)
class TrendFilters:
    """What the trends read. None means "any". Dates are inclusive, in UTC."""

    team_id: int | None = None
    agent_id: int | None = None
    scorer_id: int | None = None
    rubric_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class TrendOptions:
    """What the filters may offer this actor: (id, label) pairs. Immutable, so the cache
    hands out the one copy it holds."""

    teams: tuple[tuple[int, str], ...]
    agents: tuple[tuple[int, str], ...]
    scorers: tuple[tuple[int, str], ...]
    rubrics: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class AgentTrend:
    agent_id: int
    agent: str
    team: str | None
    weekly: pd.DataFrame  # AGENT_WEEKLY_COLUMNS
    items: pd.DataFrame  # AGENT_ITEM_COLUMNS
    item_order: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- building blocks


def week_start(day: date) -> date:
    """The Monday of `day`'s week (the bucket the SQL computes)."""
    return day - timedelta(days=day.weekday())


def _week_expr(session: Session):
    """The Monday (UTC) of ``evaluation.submitted_at``, computed by the database.

    Constants are literal SQL (not bound parameters) so the same expression text can be
    repeated in GROUP BY on PostgreSQL.
    """
    if session.get_bind().dialect.name == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), Evaluation.submitted_at)
        return cast(func.date_trunc(literal_column("'week'"), utc), Date)
    # SQLite keeps naive UTC text; step back 6 days, then forward to the next Monday.
    return func.date(
        Evaluation.submitted_at, literal_column("'-6 days'"), literal_column("'weekday 1'")
    )


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _scope(session: Session, actor: Actor) -> Actor:
    actor = current_actor(session, actor)
    if actor.is_supervisor and actor.team_id is None:
        raise AccessDenied("You are not in a team yet. Ask an administrator.")
    return actor


def _conditions(
    actor: Actor, f: TrendFilters, *, agent_filter: bool = True, scorer_filter: bool = True
) -> list:
    """WHERE clauses for the filtered, scoped evaluations. The actor's scope (the access
    policy's `trend_filter`) is always added on top of the filters, so no filter value
    can widen it. An agent's team and agent filters are ignored: their scope is theirs."""
    where = trend_filter(actor)
    if actor.is_agent:
        f = TrendFilters(None, None, f.scorer_id, f.rubric_id, f.since, f.until)
    return where + _filter_conditions(f, agent_filter=agent_filter, scorer_filter=scorer_filter)


def _filter_conditions(
    f: TrendFilters, *, agent_filter: bool = True, scorer_filter: bool = True
) -> list:
    """WHERE clauses for the filters alone; never used without a scope."""
    where = []
    if f.team_id is not None:
        where.append(Evaluation.agent_id.in_(team_members(f.team_id)))
    if agent_filter and f.agent_id is not None:
        where.append(Evaluation.agent_id == f.agent_id)
    if scorer_filter and f.scorer_id is not None:
        where.append(Evaluation.scorer_id == f.scorer_id)
    if f.rubric_id is not None:
        where.append(Evaluation.rubric_id == f.rubric_id)
    if f.since is not None:
        where.append(Evaluation.submitted_at >= _start_of(f.since))
    if f.until is not None:
        where.append(Evaluation.submitted_at < _start_of(f.until + timedelta(days=1)))
    return where


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return dict(rows)


def _team_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return dict(session.exec(select(Team.id, Team.name).where(Team.id.in_(ids))).all())


def _item_titles(session: Session) -> tuple[dict[str, str], list[str]]:
    """Item key → title over every rubric version (newer versions win), and an item order:
    the newest version's items first, then items only older versions had."""
    rows = session.exec(
        select(RubricRow.definition).order_by(RubricRow.key, RubricRow.version.desc())
    ).all()
    titles: dict[str, str] = {}
    for definition in rows:
        for item in definition.get("items", []):
            titles.setdefault(item["key"], item.get("title", item["key"]))
    return titles, list(titles)


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- filters


@cached_by_data_version(shared=True)
def filter_options(actor: Actor) -> TrendOptions:
    """Teams, agents, scorers and rubric versions the actor may filter by."""
    with read_scope() as session:
        actor = _scope(session, actor)
        teams = select(Team.id, Team.name).order_by(Team.name)
        agents = select(User.id, User.display_name).where(User.role == Role.agent)
        scorers = select(User.id, User.display_name).where(
            User.role.in_([Role.admin, Role.supervisor])
        )
        if actor.is_agent:
            teams = teams.where(Team.id == actor.team_id)
            agents = agents.where(User.id == actor.id)
        elif actor.is_supervisor:
            teams = teams.where(Team.id == actor.team_id)
            agents = agents.where(User.team_id == actor.team_id)
            scorers = scorers.where((User.team_id == actor.team_id) | (User.role == Role.admin))
        rubrics = session.exec(
            select(RubricRow.id, RubricRow.title, RubricRow.version).order_by(
                RubricRow.key, RubricRow.version
            )
        ).all()
        return TrendOptions(
            teams=_pairs(session.exec(teams)),
            agents=_pairs(session.exec(agents.order_by(User.display_name))),
            scorers=_pairs(session.exec(scorers.order_by(User.display_name))),
            rubrics=tuple((rid, f"{title} v{version}") for rid, title, version in rubrics),
        )


def _pairs(rows) -> tuple[tuple[int, str], ...]:
    return tuple((int(ident), str(label)) for ident, label in rows)


def item_titles() -> dict[str, str]:
    with read_scope() as session:
        return _item_titles(session)[0]


# ---------------------------------------------------------------- totals


@cached_by_data_version
def weekly_totals(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean total per agent per week (WEEKLY_COLUMNS), by agent then week."""
    with read_scope() as session:
        actor = _scope(session, actor)
        week = _week_expr(session).label("week")
        rows = session.exec(
            select(
                Evaluation.agent_id,
                week,
                func.count(Evaluation.total),
                func.avg(Evaluation.total),
            )
            .where(*_conditions(actor, f))
            .group_by(Evaluation.agent_id, week)
        ).all()
        names = _names(session, (r[0] for r in rows))
    out = [
        {
            "agent_id": a,
            "agent": names.get(a, "?"),
            "week": _as_date(w),
            "n": int(n),
            "mean_total": _float(m),
        }
        for a, w, n, m in rows
    ]
    return _frame(out, WEEKLY_COLUMNS).sort_values(["agent", "week"], ignore_index=True)


def _weekly_means(
    rows: Any, who: str, names: dict[int, str], metrics: Iterable[str]
) -> list[dict[str, Any]]:
    """Frame rows from grouped `(id, week, n_calls, *metric means)` rows, `who` being
    "agent" or "team" (its id and name columns)."""
    metrics = list(metrics)
    out = []
    for ident, w, n, *means in rows:
        row: dict[str, Any] = {f"{who}_id": ident, who: names.get(ident, "?")}
        row["week"] = _as_date(w)
        row["n_calls"] = int(n)
        row.update({m: _float(v) for m, v in zip(metrics, means, strict=True)})
        out.append(row)
    return out


def _team_average_conditions(actor: Actor, f: TrendFilters) -> list[Any] | None:
    """WHERE clauses for team averages: every filter but the agent filter; an agent
    compares with their own team only, never another (None: an agent with no team)."""
    if not actor.is_agent:
        return _conditions(actor, f, agent_filter=False)
    if actor.team_id is None:
        return None
    f = TrendFilters(None, None, f.scorer_id, f.rubric_id, f.since, f.until)
    return team_average_filter(actor, actor.team_id) + _filter_conditions(f)


@cached_by_data_version
def team_weekly_average(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean total per team per week over all the team's agents (TEAM_WEEKLY_COLUMNS).
    Reads every filter except the agent filter."""
    with read_scope() as session:
        actor = _scope(session, actor)
        where = _team_average_conditions(actor, f)
        if where is None:
            return _frame([], TEAM_WEEKLY_COLUMNS)
        week = _week_expr(session).label("week")
        rows = session.exec(
            select(User.team_id, week, func.count(Evaluation.total), func.avg(Evaluation.total))
            .join(User, User.id == Evaluation.agent_id)
            .where(*where, User.team_id.is_not(None))
            .group_by(User.team_id, week)
        ).all()
        names = _team_names(session, (r[0] for r in rows))
    out = [
        {
            "team_id": t,
            "team": names.get(t, "?"),
            "week": _as_date(w),
            "n": int(n),
            "mean_total": _float(m),
        }
        for t, w, n, m in rows
    ]
    return _frame(out, TEAM_WEEKLY_COLUMNS).sort_values(["team", "week"], ignore_index=True)


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


# ---------------------------------------------------------------- scorers


@cached_by_data_version
def scorer_weekly_volume(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Evaluations submitted per scorer per week (SCORER_VOLUME_COLUMNS)."""
    with read_scope() as session:
        actor = _scope(session, actor)
        week = _week_expr(session).label("week")
        rows = session.exec(
            select(Evaluation.scorer_id, week, func.count(Evaluation.id))
            .where(*_conditions(actor, f))
            .group_by(Evaluation.scorer_id, week)
        ).all()
        names = _names(session, (r[0] for r in rows))
    out = [
        {"scorer_id": s, "scorer": names.get(s, "?"), "week": _as_date(w), "n": int(n)}
        for s, w, n in rows
    ]
    return _frame(out, SCORER_VOLUME_COLUMNS).sort_values(["scorer", "week"], ignore_index=True)


@cached_by_data_version
def scorer_leniency(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Each scorer's leniency (LENIENCY_COLUMNS), most lenient first."""
    with read_scope() as session:
        actor = _scope(session, actor)
        week = _week_expr(session).label("week")
        rows = session.exec(
            select(
                Evaluation.agent_id,
                week,
                Evaluation.scorer_id,
                func.count(Evaluation.total),
                func.sum(Evaluation.total),
            )
            .where(*_conditions(actor, f, scorer_filter=False))
            .group_by(Evaluation.agent_id, week, Evaluation.scorer_id)
        ).all()
        result = leniency_from_cells(rows)
        if f.scorer_id is not None:
            result = {s: v for s, v in result.items() if s == f.scorer_id}
        names = _names(session, result)
    out = [
        {
            "scorer_id": s,
            "scorer": names.get(s, "?"),
            "leniency": dev,
            "n_cells": cells,
            "n_evaluations": n,
        }
        for s, (dev, cells, n) in result.items()
    ]
    return _frame(out, LENIENCY_COLUMNS).sort_values(
        ["leniency", "scorer"], ascending=[False, True], ignore_index=True
    )


# ---------------------------------------------------------------- listening


@cached_by_data_version
def listening_weekly(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean listening metrics per agent per week over evaluated calls (LISTENING_COLUMNS)."""
    metrics = [getattr(ListeningReportRow, m) for m in LISTENING_METRICS]
    with read_scope() as session:
        actor = _scope(session, actor)
        week = _week_expr(session).label("week")
        rows = session.exec(
            select(
                Evaluation.agent_id,
                week,
                func.count(ListeningReportRow.call_id),
                *(func.avg(m) for m in metrics),
            )
            .join(ListeningReportRow, ListeningReportRow.call_id == Evaluation.call_id)
            .where(*_conditions(actor, f), ListeningReportRow.error.is_(None))
            .group_by(Evaluation.agent_id, week)
        ).all()
        names = _names(session, (r[0] for r in rows))
    out = _weekly_means(rows, "agent", names, LISTENING_METRICS)
    return _frame(out, LISTENING_COLUMNS).sort_values(["agent", "week"], ignore_index=True)


# ---------------------------------------------------------------- text evidence


@cached_by_data_version
def text_weekly(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean text-evidence figures per agent per week over evaluated calls with a
    transcript (TEXT_COLUMNS; counts per call, the open-question share over calls that
    asked any). Same scope and filters as ``listening_weekly``."""
    metrics = [getattr(TextEvidenceRow, m) for m in TEXT_METRICS]
    with read_scope() as session:
        actor = _scope(session, actor)
        week = _week_expr(session).label("week")
        rows = session.exec(
            select(
                Evaluation.agent_id,
                week,
                func.count(col(TextEvidenceRow.call_id)),
                *(func.avg(m) for m in metrics),
            )
            .join(TextEvidenceRow, col(TextEvidenceRow.call_id) == col(Evaluation.call_id))
            .where(*_conditions(actor, f))
            .group_by(col(Evaluation.agent_id), week)
        ).all()
        names = _names(session, (r[0] for r in rows))
    out = _weekly_means(rows, "agent", names, TEXT_METRICS)
    return _frame(out, TEXT_COLUMNS).sort_values(["agent", "week"], ignore_index=True)


@cached_by_data_version
def team_text_weekly(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean text-evidence figures per team per week (TEAM_TEXT_COLUMNS), scoped as
    ``team_weekly_average``: an agent sees their own team's, never another's."""
    metrics = [getattr(TextEvidenceRow, m) for m in TEXT_METRICS]
    with read_scope() as session:
        actor = _scope(session, actor)
        where = _team_average_conditions(actor, f)
        if where is None:
            return _frame([], TEAM_TEXT_COLUMNS)
        week = _week_expr(session).label("week")
        rows = session.exec(
            select(
                User.team_id,
                week,
                func.count(col(TextEvidenceRow.call_id)),
                *(func.avg(m) for m in metrics),
            )
            .join(User, col(User.id) == col(Evaluation.agent_id))
            .join(TextEvidenceRow, col(TextEvidenceRow.call_id) == col(Evaluation.call_id))
            .where(*where, col(User.team_id).is_not(None))
            .group_by(col(User.team_id), week)
        ).all()
        names = _team_names(session, (r[0] for r in rows))
    out = _weekly_means(rows, "team", names, TEXT_METRICS)
    return _frame(out, TEAM_TEXT_COLUMNS).sort_values(["team", "week"], ignore_index=True)


# ---------------------------------------------------------------- click-through


def _target_int(target: dict, key: str) -> int | None:
    value = target.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"{key} {value!r} is not a number") from exc


def evaluations_behind(
    actor: Actor, f: TrendFilters, target: dict[str, Any], limit: int = MAX_BEHIND
) -> pd.DataFrame:
    """The evaluations behind one chart point, within the filters and the actor's scope.

    ``target`` may name ``agent_id``, ``team_id``, ``scorer_id``, ``week`` (ISO date of
    the Monday), ``item_key`` and ``level`` ("N/A" or a level; needs ``item_key``).
    Newest first, at most ``limit`` (BEHIND_COLUMNS).
    """
    agent_id = _target_int(target, "agent_id")
    team_id = _target_int(target, "team_id")
    scorer_id = _target_int(target, "scorer_id")
    week = target.get("week")
    item_key = target.get("item_key") or None
    level = target.get("level")
    # Team averages ignore the agent filter; their points do too.
    where_filters = (
        f
        if agent_id is not None or team_id is None
        else TrendFilters(f.team_id, None, f.scorer_id, f.rubric_id, f.since, f.until)
    )
    with read_scope() as session:
        actor = _scope(session, actor)
        agent = aliased(User)
        scorer = aliased(User)
        week_expr = _week_expr(session).label("week")
        query = (
            select(
                Evaluation.id,
                Evaluation.submitted_at,
                week_expr,
                agent.display_name,
                scorer.display_name,
                Call.external_id,
                Evaluation.total,
            )
            .join(agent, agent.id == Evaluation.agent_id)
            .join(scorer, scorer.id == Evaluation.scorer_id)
            .join(Call, Call.id == Evaluation.call_id)
            .where(*_conditions(actor, where_filters))
        )
        if agent_id is not None:
            query = query.where(Evaluation.agent_id == agent_id)
        if team_id is not None:
            query = query.where(Evaluation.agent_id.in_(team_members(team_id)))
        if scorer_id is not None:
            query = query.where(Evaluation.scorer_id == scorer_id)
        if week:
            monday = week_start(_as_date(week))
            query = query.where(
                Evaluation.submitted_at >= _start_of(monday),
                Evaluation.submitted_at < _start_of(monday + timedelta(days=7)),
            )
        if item_key is not None:
            item = select(ItemScore.id).where(
                ItemScore.evaluation_id == Evaluation.id, ItemScore.item_key == str(item_key)
            )
            if level is not None and level != "":
                if str(level) == NA:
                    item = item.where(ItemScore.na)
                else:
                    item = item.where(ItemScore.value == _target_int(target, "level"))
            query = query.where(item.exists())
        rows = session.exec(
            query.order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc()).limit(limit)
        ).all()
    out = [
        {
            "evaluation_id": i,
            "submitted_at": s,
            "week": _as_date(w),
            "agent": a,
            "scorer": sc,
            "call": c,
            "total": _float(t),
        }
        for i, s, w, a, sc, c, t in rows
    ]
    return _frame(out, BEHIND_COLUMNS)


# ---------------------------------------------------------------- export


def export_rows(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """The filtered evaluations, one row per evaluation: who, when, the total, every item
    (level or "N/A") and the call's listening metrics. The numbers behind every chart."""
    with read_scope() as session:
        actor = _scope(session, actor)
        where = _conditions(actor, f)
        week = _week_expr(session).label("week")
        evaluations = session.exec(
            select(
                Evaluation.id,
                Evaluation.submitted_at,
                week,
                Evaluation.agent_id,
                Evaluation.scorer_id,
                Evaluation.rubric_id,
                Evaluation.total,
                Evaluation.failed_critical,
                Call.external_id,
                Call.started_at,
                *(getattr(ListeningReportRow, m) for m in LISTENING_METRICS),
            )
            .join(Call, Call.id == Evaluation.call_id)
            .outerjoin(
                ListeningReportRow,
                (ListeningReportRow.call_id == Evaluation.call_id)
                & ListeningReportRow.error.is_(None),
            )
            .where(*where)
            .order_by(Evaluation.submitted_at, Evaluation.id)
        ).all()
        items = session.exec(
            select(ItemScore.evaluation_id, ItemScore.item_key, ItemScore.value, ItemScore.na)
            .join(Evaluation, Evaluation.id == ItemScore.evaluation_id)
            .where(*where)
        ).all()
        users = session.exec(select(User.id, User.display_name, User.team_id)).all()
        teams = _team_names(session, (u[2] for u in users))
        rubrics = dict(
            (rid, (key, version))
            for rid, key, version in session.exec(
                select(RubricRow.id, RubricRow.key, RubricRow.version)
            ).all()
        )
        _, order = _item_titles(session)
    name = {uid: n for uid, n, _ in users}
    team_of = {uid: teams.get(t) for uid, _, t in users}
    levels: dict[int, dict[str, int | str]] = defaultdict(dict)
    seen_keys = set()
    for ev_id, key, value, na in items:
        seen_keys.add(key)
        if na or value is not None:
            levels[ev_id][key] = NA if na else int(value)
    item_keys = [k for k in order if k in seen_keys] + sorted(seen_keys - set(order))
    out = []
    for (
        ev_id,
        submitted,
        w,
        agent_id,
        scorer_id,
        rubric_id,
        total,
        failed,
        external_id,
        started,
        *metrics,
    ) in evaluations:
        rubric_key, rubric_version = rubrics.get(rubric_id, ("?", None))
        row = {
            "evaluation_id": ev_id,
            "submitted_at": submitted.isoformat(),
            "week": _as_date(w).isoformat(),
            "team": team_of.get(agent_id) or "",
            "agent": name.get(agent_id, "?"),
            "scorer": name.get(scorer_id, "?"),
            "call": external_id,
            "call_started_at": started.isoformat(),
            "rubric": rubric_key,
            "rubric_version": rubric_version,
            "total": _float(total),
            "failed_critical": bool(failed),
        }
        row.update({f"item:{k}": levels[ev_id].get(k, "") for k in item_keys})
        row.update({m: _float(v) for m, v in zip(LISTENING_METRICS, metrics, strict=True)})
        out.append(row)
    columns = [
        "evaluation_id",
        "submitted_at",
        "week",
        "team",
        "agent",
        "scorer",
        "call",
        "call_started_at",
        "rubric",
        "rubric_version",
        "total",
        "failed_critical",
        *(f"item:{k}" for k in item_keys),
        *LISTENING_METRICS,
    ]
    return _frame(out, columns)


def export_csv(actor: Actor, f: TrendFilters) -> str:
    """`export_rows` as CSV text, with user-typed text defused for spreadsheets."""
    df = export_rows(actor, f)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(df.columns)
    for row in df.itertuples(index=False):
        writer.writerow(
            [
                "" if v is None or (isinstance(v, float) and pd.isna(v)) else defuse_csv_cell(v)
                for v in row
            ]
        )
    return buffer.getvalue()


# ---------------------------------------------------------------- one agent vs the team


@cached_by_data_version
def agent_trend(
    actor: Actor,
    since: date | None = None,
    until: date | None = None,
    agent_id: int | None = None,
) -> AgentTrend:
    """An agent's weekly totals and item averages beside their team's averages.

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
        period = _filter_conditions(TrendFilters(since=since, until=until))
        mine = [*trend_filter(actor), *period, Evaluation.agent_id == agent.id]
        team_scope = [*team_average_filter(actor, agent.team_id), *period] if team else mine
        week = _week_expr(session).label("week")

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
        item_order=keys,
    )
