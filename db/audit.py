"""The audit trail: one row per change to a submitted evaluation, dispute, rubric or role."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from db.access import Actor, require_role
from db.engine import read_scope
from db.models import AuditEvent, Role


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


def audit_trail(actor: Actor, entity: str, entity_id: int) -> list[dict[str, Any]]:
    """Every audit event for one entity, oldest first. Admins and supervisors only."""
    require_role(actor, Role.admin, Role.supervisor)
    with read_scope() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        return [row.model_dump() for row in rows]
