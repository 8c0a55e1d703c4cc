"""The trends' shared parts: filters, scope, week buckets, names, constants and the
frame builders every trend query uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import Date, case, cast, func, literal_column
from sqlmodel import Session, select

from db.access import (
    AccessDenied,
    Actor,
    current_actor,
    team_average_filter,
    team_members,
    trend_filter,
)
from db.cache import cached_by_data_version
from db.engine import read_scope
from db.models import (
    Evaluation,
    Role,
    Team,
    User,
)
from db.models import Rubric as RubricRow
from scoring.days import day_bounds, offset_changes, zone_from_id
from scoring.metrics import LISTENING, TEXT

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
    """What the trends read. None means "any". Dates are inclusive days in ``zone`` (the
    reader's: an IANA name or a fixed offset such as "+05:30"; None is UTC)."""

    team_id: int | None = None
    agent_id: int | None = None
    scorer_id: int | None = None
    rubric_id: int | None = None
    since: date | None = None
    until: date | None = None
    zone: str | None = None


@dataclass(frozen=True)
class TrendOptions:
    """What the filters may offer this actor: (id, label) pairs. Immutable, so the cache
    hands out the one copy it holds."""

    teams: tuple[tuple[int, str], ...]
    agents: tuple[tuple[int, str], ...]
    scorers: tuple[tuple[int, str], ...]
    rubrics: tuple[tuple[int, str], ...]


# ---------------------------------------------------------------- building blocks


def week_start(day: date) -> date:
    """The Monday of `day`'s week (the bucket the SQL computes)."""
    return day - timedelta(days=day.weekday())


@lru_cache(maxsize=64)
def _offsets(zone: str | None, first: date, last: date) -> tuple[tuple[str | None, int], ...]:
    """The zone's (change instant as "YYYY-MM-DD HH:MM:SS" UTC, offset in seconds) over
    the days ``first``..``last``: scoring.days.offset_changes, cached per zone and range."""
    changes = offset_changes(zone_from_id(zone), _start_of(first), _start_of(last))
    return tuple(
        (None if at is None else f"{at:%Y-%m-%d %H:%M:%S}", int(offset.total_seconds()))
        for at, offset in changes
    )


def _local_shift(f: TrendFilters | None, postgres: bool, utc: Any) -> Any:
    """The reader's UTC offset at the instant ``utc`` (naive UTC) as SQL: a constant, or
    one CASE over the zone's offset changes in the filter's range (SQLite has no named
    zones, so both databases get the same portable CASE); None in UTC."""
    if f is None or zone_from_id(f.zone) is UTC:
        return None
    today = datetime.now(UTC).date()
    first = (f.since or today - timedelta(days=6 * 366)) - timedelta(days=2)
    last = (f.until or today) + timedelta(days=2)
    changes = _offsets(f.zone, first, last)

    def amount(seconds: int) -> Any:
        text = f"INTERVAL '{seconds} seconds'" if postgres else f"'{seconds:+d} seconds'"
        return literal_column(text)

    if len(changes) == 1:
        return amount(changes[0][1])
    stamp = "TIMESTAMP '{}'" if postgres else "'{}'"
    whens = [
        (utc < literal_column(stamp.format(at)), amount(before[1]))
        for before, (at, _) in zip(changes, changes[1:], strict=False)
    ]
    return case(*whens, else_=amount(changes[-1][1]))


def _week_expr(session: Session, f: TrendFilters | None = None):
    """The Monday of ``evaluation.submitted_at``'s week in the reader's zone (``f.zone``;
    UTC without one), computed by the database.

    Constants are literal SQL (not bound parameters) so the same expression text can be
    repeated in GROUP BY on PostgreSQL.
    """
    if session.get_bind().dialect.name == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), Evaluation.submitted_at)
        shift = _local_shift(f, True, utc)
        local = utc if shift is None else utc + shift
        return cast(func.date_trunc(literal_column("'week'"), local), Date)
    # SQLite keeps naive UTC text; step back 6 days, then forward to the next Monday.
    shift = _local_shift(f, False, Evaluation.submitted_at)
    return func.date(
        Evaluation.submitted_at,
        *(() if shift is None else (shift,)),
        literal_column("'-6 days'"),
        literal_column("'weekday 1'"),
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
        f = replace(f, team_id=None, agent_id=None)
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
    start, end = day_bounds(f.since, f.until, zone_from_id(f.zone))
    if start is not None:
        where.append(Evaluation.submitted_at >= start)
    if end is not None:
        where.append(Evaluation.submitted_at < end)
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


def _weekly(
    session: Session,
    by: Any,
    aggregates: Sequence[Any],
    where: Sequence[Any],
    joins: Sequence[tuple[Any, Any]] = (),
    f: TrendFilters | None = None,
) -> list[Any]:
    """The weekly grouped read every per-week trend makes: rows of ``(by, week,
    *aggregates)`` over the evaluations matching ``where``, grouped by ``by`` and the
    Monday of submission in the reader's zone (``_week_expr``, ``f.zone``), after
    ``joins`` ((table, on clause) pairs)."""
    week = _week_expr(session, f).label("week")
    query = select(by, week, *aggregates)
    for table, on in joins:
        query = query.join(table, on)
    return list(session.exec(query.where(*where).group_by(by, week)).all())


def _by_week(rows: list[dict[str, Any]], columns: list[str], who: str) -> pd.DataFrame:
    """The frame of per-week rows, ordered by `who` (agent, team, scorer) then week."""
    return _frame(rows, columns).sort_values([who, "week"], ignore_index=True)


# ---------------------------------------------------------------- filters


@cached_by_data_version
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
    f = replace(f, team_id=None, agent_id=None)
    return team_average_filter(actor, actor.team_id) + _filter_conditions(f)
