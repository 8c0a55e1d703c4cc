"""The export API's reads: evaluations with their item scores, comments, disputes,
calibration results and trend aggregates, one page at a time, scoped by the access
policy's SQL filters exactly as the pages are (db/access.py, "export API").

Every read takes the token owner's `Actor` and re-reads it (`current_actor`). Pages are
keyed: rows come in id order and ``cursor`` is the last id of the previous page, so a
page never repeats or skips a row when rows are added meanwhile. Trend aggregates come
from `db.services.trends.export_rows` (the numbers behind the Trends page) and page by offset.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.access import (
    Actor,
    current_actor,
    dispute_filter,
    export_calibration_filter,
    export_evaluation_filter,
    team_members,
)
from db.engine import read_scope
from db.models import (
    CalibrationSession,
    Call,
    Comment,
    Dispute,
    Evaluation,
    ItemScore,
    Rubric,
    Team,
    User,
)
from scoring.text import defuse_csv_cell

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class ExportQuery:
    """Filters and paging, already checked (the route names a bad parameter). Dates are
    inclusive UTC days; ``cursor`` the last id (trends: the offset) of the page before."""

    since: date | None = None
    until: date | None = None
    team_id: int | None = None
    agent_id: int | None = None
    cursor: int | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class ExportPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None  # None on the last page


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _period(column: Any, q: ExportQuery) -> list[ColumnElement[bool]]:
    where = []
    if q.since is not None:
        where.append(column >= _start(q.since))
    if q.until is not None:
        where.append(column < _start(q.until + timedelta(days=1)))
    return where


def _people(agent_column: Any, q: ExportQuery) -> list[ColumnElement[bool]]:
    where = []
    if q.team_id is not None:
        where.append(agent_column.in_(team_members(q.team_id)))
    if q.agent_id is not None:
        where.append(agent_column == q.agent_id)
    return where


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _page(rows: list[dict[str, Any]], q: ExportQuery, key: str = "id") -> ExportPage:
    """The first `limit` rows; a next cursor when one more was read."""
    if len(rows) > q.limit:
        rows = rows[: q.limit]
        return ExportPage(rows, str(rows[-1][key]))
    return ExportPage(rows, None)


def _names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """Usernames and team names by user id (small tables: read whole)."""
    teams = dict(session.exec(select(Team.id, Team.name)).all())
    users = session.exec(select(User.id, User.username, User.team_id)).all()
    return (
        {uid: name for uid, name, _ in users if uid is not None},
        {uid: teams.get(tid, "") if tid else "" for uid, _, tid in users if uid is not None},
    )


def _evaluations(session: Session, where: list[Any], q: ExportQuery) -> list[dict[str, Any]]:
    """One dict per evaluation with its items, in id order, one past the limit."""
    found = session.exec(
        select(Evaluation, Call.external_id, Rubric.key, Rubric.version)
        .join(Call, col(Call.id) == col(Evaluation.call_id))
        .join(Rubric, col(Rubric.id) == col(Evaluation.rubric_id))
        .where(*where, *_period(col(Evaluation.submitted_at), q))
        .where(*_people(col(Evaluation.agent_id), q))
        .where(col(Evaluation.id) > (q.cursor or 0))
        .order_by(col(Evaluation.id))
        .limit(q.limit + 1)
    ).all()
    ids = [ev.id for ev, *_ in found]
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        for score in session.exec(
            select(ItemScore)
            .where(col(ItemScore.evaluation_id).in_(ids))
            .order_by(col(ItemScore.evaluation_id), col(ItemScore.id))
        ).all():
            items[score.evaluation_id].append(
                {
                    "item_key": score.item_key,
                    "value": score.value,
                    "na": score.na,
                    "note": score.note,
                }
            )
    user, team = _names(session)
    return [
        {
            "id": ev.id,
            "call_id": ev.call_id,
            "call_external_id": external_id,
            "agent_id": ev.agent_id,
            "agent": user.get(ev.agent_id, ""),
            "team": team.get(ev.agent_id, ""),
            "scorer_id": ev.scorer_id,
            "scorer": user.get(ev.scorer_id, ""),
            "rubric": f"{rubric_key}@{rubric_version}",
            "calibration_session_id": ev.calibration_session_id,
            "submitted_at": _iso(ev.submitted_at),
            "total": ev.total,
            "failed_critical": ev.failed_critical,
            "items": items.get(ev.id or 0, []),
        }
        for ev, external_id, rubric_key, rubric_version in found
    ]


def export_evaluations(actor: Actor, q: ExportQuery) -> ExportPage:
    """Submitted regular evaluations the actor may read, with their item scores."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        rows = _evaluations(session, [export_evaluation_filter(actor)], q)
    for row in rows:
        del row["calibration_session_id"]
    return _page(rows, q)


def export_calibration(actor: Actor, q: ExportQuery) -> ExportPage:
    """Submitted calibration evaluations of revealed sessions the actor may see."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        rows = _evaluations(session, [export_calibration_filter(actor)], q)
        titles = dict(session.exec(select(CalibrationSession.id, CalibrationSession.title)).all())
    for row in rows:
        row["calibration_session"] = titles.get(row["calibration_session_id"], "")
    return _page(rows, q)


def export_comments(actor: Actor, q: ExportQuery) -> ExportPage:
    """Comments on the evaluations `export_evaluations` returns (dated by creation)."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        found = session.exec(
            select(Comment, Evaluation.agent_id)
            .join(Evaluation, col(Evaluation.id) == col(Comment.evaluation_id))
            .where(export_evaluation_filter(actor), *_period(col(Comment.created_at), q))
            .where(*_people(col(Evaluation.agent_id), q))
            .where(col(Comment.id) > (q.cursor or 0))
            .order_by(col(Comment.id))
            .limit(q.limit + 1)
        ).all()
        user, team = _names(session)
    rows = [
        {
            "id": c.id,
            "evaluation_id": c.evaluation_id,
            "agent_id": agent_id,
            "agent": user.get(agent_id, ""),
            "team": team.get(agent_id, ""),
            "author": user.get(c.author_id, ""),
            "t_s": c.t_s,
            "item_key": c.item_key,
            "text": c.text,
            "created_at": _iso(c.created_at),
        }
        for c, agent_id in found
    ]
    return _page(rows, q)


def export_disputes(actor: Actor, q: ExportQuery) -> ExportPage:
    """Disputes the actor may see (an agent: their own), dated by when they were opened."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        agent = aliased(User)
        found = session.exec(
            select(Dispute)
            .join(agent, col(agent.id) == col(Dispute.agent_id))
            .where(dispute_filter(actor, agent), *_period(col(Dispute.created_at), q))
            .where(*_people(col(Dispute.agent_id), q))
            .where(col(Dispute.id) > (q.cursor or 0))
            .order_by(col(Dispute.id))
            .limit(q.limit + 1)
        ).all()
        user, team = _names(session)
    rows = [
        {
            "id": d.id,
            "evaluation_id": d.evaluation_id,
            "agent_id": d.agent_id,
            "agent": user.get(d.agent_id, ""),
            "team": team.get(d.agent_id, ""),
            "item_key": d.item_key,
            "reason": d.reason,
            "status": d.status,
            "resolution": d.resolution,
            "resolver": user.get(d.resolver_id, "") if d.resolver_id else None,
            "created_at": _iso(d.created_at),
            "resolved_at": _iso(d.resolved_at),
        }
        for d in found
    ]
    return _page(rows, q)


def export_trends(actor: Actor, q: ExportQuery) -> ExportPage:
    """Weekly aggregates per agent (evaluations, mean total, critical fails), from the
    rows behind the Trends page, so scope and numbers are the page's. Agents get their
    own; the cursor is an offset."""
    from db.services.trends import TrendFilters, export_rows

    frame = export_rows(
        actor, TrendFilters(team_id=q.team_id, agent_id=q.agent_id, since=q.since, until=q.until)
    )
    rows: list[dict[str, Any]] = []
    if not frame.empty:
        grouped = (
            frame.groupby(["week", "team", "agent"], sort=True)
            .agg(
                evaluations=("evaluation_id", "count"),
                mean_total=("total", "mean"),
                critical_fails=("failed_critical", "sum"),
            )
            .reset_index()
        )
        for offset, rec in enumerate(grouped.to_dict("records")):
            mean = rec["mean_total"]
            rows.append(
                {
                    "offset": offset + 1,
                    "week": str(rec["week"]),
                    "team": str(rec["team"]),
                    "agent": str(rec["agent"]),
                    "evaluations": int(rec["evaluations"]),
                    "mean_total": None if mean != mean else round(float(mean), 4),  # NaN
                    "critical_fails": int(rec["critical_fails"]),
                }
            )
    start = q.cursor or 0
    page = _page(rows[start : start + q.limit + 1], q, key="offset")
    for row in page.rows:
        del row["offset"]
    return page


EXPORTS: dict[str, Callable[[Actor, ExportQuery], ExportPage]] = {
    "evaluations": export_evaluations,
    "comments": export_comments,
    "disputes": export_disputes,
    "calibration": export_calibration,
    "trends": export_trends,
}


def page_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text: nested item scores become ``item:<key>`` (level or N/A) and
    ``note:<key>`` columns; typed text is defused for spreadsheets."""
    flat: list[dict[str, Any]] = []
    columns: dict[str, None] = {}
    for row in rows:
        out = {k: v for k, v in row.items() if k != "items"}
        for item in row.get("items", []):
            level = "N/A" if item["na"] else item["value"]
            out[f"item:{item['item_key']}"] = level
            out[f"note:{item['item_key']}"] = item["note"]
        flat.append(out)
        columns.update(dict.fromkeys(out))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for out in flat:
        writer.writerow(
            ["" if out.get(c) is None else defuse_csv_cell(out.get(c)) for c in columns]
        )
    return buffer.getvalue()
