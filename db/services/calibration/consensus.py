"""The consensus a facilitator records for a revealed session's call, item by item,
audited."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import select

from db.access import (
    AccessDenied,
    Actor,
    NotFound,
)
from db.engine import session_scope
from db.models import (
    CalibrationCall,
    ConsensusScore,
    User,
    utcnow,
)
from db.queries.rubrics import rubric_by_id
from db.services.audit import record_audit
from db.services.calibration.common import (
    MAX_CONSENSUS_NOTE,
    ConsensusItem,
    _labels,
    _load_facilitated,
    _start,
    _users,
)
from scoring.errors import Invalid
from scoring.evaluation import validate_values
from scoring.text import clean_text

# ---------------------------------------------------------------- consensus


def record_consensus(
    actor: Actor,
    session_id: int,
    call_id: int,
    items: Mapping[str, tuple[int | None, str]],
) -> dict[str, ConsensusItem]:
    """Record (or change) the agreed level per item, None for N/A, with a note.

    Facilitator or admin, after reveal. Items not named keep what was recorded before.
    The consensus becomes the call's reference for deviations and scorer accuracy.
    Audited as ``record_consensus`` with the before and after values.
    """
    if not items:
        raise Invalid("Choose a consensus level (or N/A) for at least one item.")
    with session_scope() as session:
        actor = _start(session, actor)
        cal = _load_facilitated(session, actor, session_id)
        if not cal.revealed:
            raise AccessDenied(
                "Reveal the session first: the consensus is agreed after everyone has seen "
                "the scores."
            )
        if session.get(CalibrationCall, (cal.id, call_id)) is None:
            raise NotFound(f"Call {call_id} is not part of this calibration session.")
        rubric = rubric_by_id(session, cal.rubric_id)
        cleaned: dict[str, tuple[int | None, str]] = {}
        for key, (value, note) in items.items():
            validate_values(rubric, {key: value})
            title = rubric.item(key).title
            cleaned[key] = (value, clean_text(note, f"note on '{title}'", MAX_CONSENSUS_NOTE))
        before: dict[str, dict] = {}
        after: dict[str, dict] = {}
        now = utcnow()
        for key, (value, note) in cleaned.items():
            row = session.get(ConsensusScore, (cal.id, call_id, key))
            if row is not None:
                before[key] = {"value": row.value, "na": row.na, "note": row.note}
            else:
                row = ConsensusScore(
                    session_id=cal.id, call_id=call_id, item_key=key, recorded_by=actor.id
                )
            row.value, row.na, row.note = value, value is None, note
            row.recorded_by, row.recorded_at = actor.id, now
            session.add(row)
            after[key] = {"value": row.value, "na": row.na, "note": row.note}
        session.flush()
        record_audit(
            session,
            actor,
            "record_consensus",
            "calibration_session",
            cal.id,
            before={"call_id": call_id, "items": before},
            after={"call_id": call_id, "items": after},
        )
        label = _labels([session.get(User, actor.id)])[actor.id]
        rows = session.exec(
            select(ConsensusScore).where(
                ConsensusScore.session_id == cal.id, ConsensusScore.call_id == call_id
            )
        ).all()
        people = _labels(_users(session, [r.recorded_by for r in rows]))
        return {
            r.item_key: ConsensusItem(
                r.item_key, r.value, r.na, r.note, people.get(r.recorded_by, label), r.recorded_at
            )
            for r in rows
        }
