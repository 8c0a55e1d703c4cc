"""Facts about the stored calls, read inside the caller's session (no access check: used to
validate what a user typed, not to show calls)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.models import Call
from scoring.sampling import CALL_FIELDS

FIELD_SAMPLE = 2000  # newest calls whose metadata names the fields a plan may filter on


def known_fields(session: Session) -> set[str]:
    """Metadata fields the newest calls carry, with the fields every call has."""
    metas = session.exec(select(Call.meta).order_by(col(Call.id).desc()).limit(FIELD_SAMPLE))
    names: set[str] = set(CALL_FIELDS)
    for meta in metas:
        names.update(str(k) for k in (meta or {}))
    return names
