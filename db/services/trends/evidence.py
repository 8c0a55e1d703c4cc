"""Evidence trends: listening and text-evidence metrics averaged per call, per agent
or team and week."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func
from sqlmodel import col

from db.access import (
    Actor,
)
from db.cache import cached_by_data_version
from db.engine import read_scope
from db.models import (
    Evaluation,
    ListeningReportRow,
    TextEvidenceRow,
    User,
)
from db.services.trends.common import (
    LISTENING_COLUMNS,
    LISTENING_METRICS,
    TEAM_TEXT_COLUMNS,
    TEXT_COLUMNS,
    TEXT_METRICS,
    TrendFilters,
    _by_week,
    _conditions,
    _frame,
    _names,
    _scope,
    _team_average_conditions,
    _team_names,
    _weekly,
    _weekly_means,
)

# ---------------------------------------------------------------- listening


@cached_by_data_version
def listening_weekly(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean listening metrics per agent per week over evaluated calls (LISTENING_COLUMNS)."""
    metrics = [getattr(ListeningReportRow, m) for m in LISTENING_METRICS]
    with read_scope() as session:
        actor = _scope(session, actor)
        rows = _weekly(
            session,
            Evaluation.agent_id,
            [func.count(ListeningReportRow.call_id), *(func.avg(m) for m in metrics)],
            [*_conditions(actor, f), ListeningReportRow.error.is_(None)],
            joins=[(ListeningReportRow, ListeningReportRow.call_id == Evaluation.call_id)],
            f=f,
        )
        names = _names(session, (r[0] for r in rows))
    out = _weekly_means(rows, "agent", names, LISTENING_METRICS)
    return _by_week(out, LISTENING_COLUMNS, "agent")


# ---------------------------------------------------------------- text evidence


@cached_by_data_version
def text_weekly(actor: Actor, f: TrendFilters) -> pd.DataFrame:
    """Mean text-evidence figures per agent per week over evaluated calls with a
    transcript (TEXT_COLUMNS; counts per call, the open-question share over calls that
    asked any). Same scope and filters as ``listening_weekly``."""
    metrics = [getattr(TextEvidenceRow, m) for m in TEXT_METRICS]
    with read_scope() as session:
        actor = _scope(session, actor)
        rows = _weekly(
            session,
            col(Evaluation.agent_id),
            [func.count(col(TextEvidenceRow.call_id)), *(func.avg(m) for m in metrics)],
            _conditions(actor, f),
            joins=[(TextEvidenceRow, col(TextEvidenceRow.call_id) == col(Evaluation.call_id))],
            f=f,
        )
        names = _names(session, (r[0] for r in rows))
    out = _weekly_means(rows, "agent", names, TEXT_METRICS)
    return _by_week(out, TEXT_COLUMNS, "agent")


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
        rows = _weekly(
            session,
            col(User.team_id),
            [func.count(col(TextEvidenceRow.call_id)), *(func.avg(m) for m in metrics)],
            [*where, col(User.team_id).is_not(None)],
            joins=[
                (User, col(User.id) == col(Evaluation.agent_id)),
                (TextEvidenceRow, col(TextEvidenceRow.call_id) == col(Evaluation.call_id)),
            ],
            f=f,
        )
        names = _team_names(session, (r[0] for r in rows))
    out = _weekly_means(rows, "team", names, TEXT_METRICS)
    return _by_week(out, TEAM_TEXT_COLUMNS, "team")
