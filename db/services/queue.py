"""The supervisor's scoring queue: team calls still without a submitted regular evaluation,
and who else is drafting an evaluation of a call (so two scorers do not review it unawares).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.access import Actor, evaluation_filter, require_role, team_scope
from db.engine import read_scope
from db.models import AssignmentRow, AssignmentStatus, Call, Evaluation, Purpose, Role, Status, User


@dataclass(frozen=True)
class Drafting:
    """Someone else's regular draft of a call: who, and since when (the draft's start)."""

    scorer: str
    since: datetime


def others_drafting(
    session: Session, actor: Actor, call_ids: Collection[int]
) -> dict[int, list[Drafting]]:
    """call id → the regular drafts of those calls by scorers other than ``actor`` that the
    policy lets ``actor`` read (``evaluation_filter``), oldest first."""
    if not call_ids:
        return {}
    statement = _others_drafting_statement(actor.id, actor.role, actor.team_id)
    rows = session.exec(statement, params={"calls": sorted(call_ids)}).all()
    found: dict[int, list[Drafting]] = defaultdict(list)
    for call_id, name, since in rows:
        found[int(call_id)].append(Drafting(str(name), since))
    return dict(found)


@lru_cache(maxsize=256)
def _others_drafting_statement(actor_id: int, role: str, team_id: int | None) -> Any:
    """The statement of ``others_drafting`` for one actor scope, built once: the call ids
    are an expanding parameter, so My assignments and the queue reuse it (and its cache
    key) on every run instead of building the policy's filter again."""
    actor = Actor(actor_id, "", "", role, team_id)
    return (
        select(Evaluation.call_id, User.display_name, Evaluation.started_at)
        .join(User, col(User.id) == col(Evaluation.scorer_id))
        .where(
            col(Evaluation.call_id).in_(bindparam("calls", expanding=True)),
            Evaluation.purpose == Purpose.regular,
            Evaluation.status == Status.draft,
            Evaluation.scorer_id != actor_id,
            evaluation_filter(actor),
        )
        .order_by(col(Evaluation.started_at), col(Evaluation.id))
    )


def drafts_and_others(
    session: Session, actor: Actor
) -> tuple[list[tuple[int, int, str]], dict[int, list[Drafting]]]:
    """For My assignments, in one statement: the actor's own regular drafts (evaluation
    id, call id, call external id; last changed first), and call id → the regular drafts
    of the calls of the actor's open assignments by other scorers that the policy lets
    the actor read (as ``others_drafting``, oldest first)."""
    rows = session.exec(
        _drafts_statement(actor.id, actor.role, actor.team_id), params={"me": actor.id}
    ).all()
    own = [row for row in rows if row[3] == actor.id]
    own.sort(key=lambda row: row[6], reverse=True)  # last changed first
    mine = [(int(ev_id), int(call_id), str(ext)) for ev_id, call_id, ext, *_ in own]
    found: dict[int, list[Drafting]] = defaultdict(list)
    for _, call_id, _, scorer_id, name, since, _ in rows:
        if scorer_id != actor.id:
            found[int(call_id)].append(Drafting(str(name), since))
    return mine, dict(found)


@lru_cache(maxsize=256)
def _drafts_statement(actor_id: int, role: str, team_id: int | None) -> Any:
    """``drafts_and_others``' statement for one actor scope, built once (the actor's id is
    also a parameter, ``me``): others' drafts first by start, then id."""
    actor = Actor(actor_id, "", "", role, team_id)
    assigned = select(AssignmentRow.call_id).where(
        AssignmentRow.scorer_id == bindparam("me"),
        AssignmentRow.status == AssignmentStatus.open,
    )
    return (
        select(  # type: ignore[call-overload]
            col(Evaluation.id),
            col(Evaluation.call_id),
            col(Call.external_id),
            col(Evaluation.scorer_id),
            col(User.display_name),
            col(Evaluation.started_at),
            col(Evaluation.updated_at),
        )
        .join(User, col(User.id) == col(Evaluation.scorer_id))
        .join(Call, col(Call.id) == col(Evaluation.call_id))
        .where(
            Evaluation.purpose == Purpose.regular,
            Evaluation.status == Status.draft,
            or_(
                col(Evaluation.scorer_id) == bindparam("me"),
                and_(
                    col(Evaluation.call_id).in_(assigned),
                    evaluation_filter(actor),
                ),
            ),
        )
        .order_by(col(Evaluation.started_at), col(Evaluation.id))
    )


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
    others: tuple[Drafting, ...] = ()  # other scorers' drafts of this call


def scoring_queue(
    actor: Actor,
    agent_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[QueueRow]:
    """Newest first, the actor's own drafts on top. Supervisors see their team only. Each
    row names who else is drafting the call, and since when."""
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
        rows = session.exec(query).all()
        others = others_drafting(session, actor, [c.id for c, *_ in rows if c.id is not None])
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
                tuple(others.get(c.id, ()) if c.id is not None else ()),
            )
            for c, u, draft_id, draft_total in rows
        ]
