"""The supervisor's scoring queue: team calls still without a submitted regular evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists
from sqlalchemy.orm import aliased
from sqlmodel import select

from db.access import Actor, require_role, team_scope
from db.engine import read_scope
from db.models import Call, Evaluation, Purpose, Role, Status, User


@dataclass(frozen=True)
class QueueRow:
    call_id: int
    external_id: str
    agent_id: int
    agent: str
    started_at: datetime
    duration_s: float
    draft_id: int | None
    draft_total: float | None


def scoring_queue(
    actor: Actor,
    agent_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[QueueRow]:
    """Newest first, the actor's own drafts on top. Supervisors see their team only."""
    require_role(actor, Role.admin, Role.supervisor)
    team_id = team_scope(actor)
    done = aliased(Evaluation)
    submitted = (
        exists()
        .where(
            done.call_id == Call.id,
            done.purpose == Purpose.regular,
            done.status == Status.submitted,
        )
        .correlate(Call)
    )
    query = (
        select(Call, User, Evaluation.id, Evaluation.total)
        .join(User, User.id == Call.agent_id)
        .outerjoin(
            Evaluation,
            and_(
                Evaluation.call_id == Call.id,
                Evaluation.scorer_id == actor.id,
                Evaluation.purpose == Purpose.regular,
                Evaluation.status == Status.draft,
            ),
        )
        .where(~submitted)
    )
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    if agent_id is not None:
        query = query.where(Call.agent_id == agent_id)
    if since is not None:
        query = query.where(Call.started_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    query = query.order_by(Evaluation.id.is_(None), Call.started_at.desc()).limit(limit)
    with read_scope() as session:
        return [
            QueueRow(
                c.id,
                c.external_id,
                c.agent_id,
                u.display_name,
                c.started_at,
                c.duration_s,
                draft_id,
                draft_total,
            )
            for c, u, draft_id, draft_total in session.exec(query).all()
        ]
