"""Behind the numbers: the evaluations behind a chart point, and the CSV export of
the rows the charts are made from."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import aliased
from sqlmodel import select

from db.access import (
    Actor,
    team_members,
)
from db.engine import read_scope
from db.models import (
    Call,
    Evaluation,
    ItemScore,
    ListeningReportRow,
    User,
)
from db.models import Rubric as RubricRow
from db.services.trends.common import (
    BEHIND_COLUMNS,
    LISTENING_METRICS,
    MAX_BEHIND,
    NA,
    TrendFilters,
    _as_date,
    _conditions,
    _float,
    _frame,
    _item_titles,
    _scope,
    _team_names,
    _week_expr,
    week_start,
)
from scoring.days import day_start, zone_from_id
from scoring.errors import Invalid
from scoring.text import defuse_csv_cell

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
    where_filters = f if agent_id is not None or team_id is None else replace(f, agent_id=None)
    with read_scope() as session:
        actor = _scope(session, actor)
        agent = aliased(User)
        scorer = aliased(User)
        week_expr = _week_expr(session, f).label("week")
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
            here = zone_from_id(f.zone)  # the reader's week, as the charts bucket it
            query = query.where(
                Evaluation.submitted_at >= day_start(monday, here),
                Evaluation.submitted_at < day_start(monday + timedelta(days=7), here),
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
        week = _week_expr(session, f).label("week")
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
