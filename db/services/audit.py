"""The audit trail: one row per change to a submitted evaluation, dispute, rubric or role,
and per acknowledgement of an evaluation by its agent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from db.access import Actor, NotFound, can_read_audit, current_actor, require_role
from db.engine import read_scope
from db.models import AuditEvent, Role
from scoring.ids import parse_id


def record_audit(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id if actor else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            reason=reason,
        )
    )


ACKNOWLEDGE = "acknowledge"
"""The action of an agent's acknowledgement (entity "evaluation"), one or several at once."""


def record_acknowledgement(
    session: Session, actor: Actor, evaluation_id: int, at: datetime, *, bulk: bool
) -> None:
    """Audit that ``actor`` (the agent) acknowledged ``evaluation_id`` at ``at``; ``bulk``
    when it was one of several acknowledged at once. In the caller's transaction, so the
    acknowledgement and its event commit together or not at all."""
    record_audit(
        session,
        actor,
        ACKNOWLEDGE,
        "evaluation",
        evaluation_id,
        after={"acknowledged_at": at.isoformat(), "bulk": bulk},
    )


def audit_trail(actor: Actor, entity: str, entity_id: int) -> list[dict[str, Any]]:
    """Every audit event for one entity, oldest first: for admins and supervisors who may
    read the entity itself (an evaluation's trail is as blind as its scores)."""
    require_role(actor, Role.admin, Role.supervisor)
    with read_scope() as session:
        actor = current_actor(session, actor)
        if parse_id(entity_id) is None or not can_read_audit(session, actor, entity, entity_id):
            raise NotFound(f"No audit trail for {entity} {entity_id} that is yours to read.")
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        return [row.model_dump() for row in rows]
