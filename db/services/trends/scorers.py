"""Scorer trends: how many evaluations each scorer submits a week, and their leniency
against colleagues on the same agents and weeks."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func
from sqlmodel import select

from db.access import (
    Actor,
)
from db.cache import cached_by_data_version
from db.engine import read_scope
from db.models import (
    Evaluation,
)
from db.services.trends.common import (
    LENIENCY_COLUMNS,
    SCORER_VOLUME_COLUMNS,
    TrendFilters,
    _as_date,
    _by_week,
    _conditions,
    _frame,
    _names,
    _scope,
    _week_expr,
    _weekly,
)
from scoring.calibration import leniency_from_cells

# ---------------------------------------------------------------- scorers


@cached_by_data_version
def scorer_weekly_volume(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Evaluations submitted per scorer per week (SCORER_VOLUME_COLUMNS)."""
    with read_scope() as session:
        actor = _scope(session, actor)
        count = [func.count(Evaluation.id)]
        rows = _weekly(session, Evaluation.scorer_id, count, _conditions(actor, f), f=f)
        names = _names(session, (r[0] for r in rows))
    out = [
        {"scorer_id": s, "scorer": names.get(s, "?"), "week": _as_date(w), "n": int(n)}
        for s, w, n in rows
    ]
    return _by_week(out, SCORER_VOLUME_COLUMNS, "scorer")


@cached_by_data_version
def scorer_leniency(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Each scorer's leniency (LENIENCY_COLUMNS), most lenient first."""
    with read_scope() as session:
        actor = _scope(session, actor)
        week = _week_expr(session, f).label("week")
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
