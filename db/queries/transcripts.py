"""A call's stored transcript, read inside the caller's session (no access check: for services
and jobs that already hold the call)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.models import TranscriptUtterance
from scoring.transcripts import Utterance, Word


def utterance_from_row(row: TranscriptUtterance) -> Utterance:
    return Utterance(
        speaker=row.speaker,  # type: ignore[arg-type]  # stored from a Party
        label=row.label,
        start_s=row.start_s,
        end_s=row.end_s,
        text=row.text,
        words=tuple(Word(str(t), float(a), float(b)) for t, a, b in row.words),
        redactions=tuple((float(a), float(b)) for a, b in row.redactions),
    )


def stored_utterances(session: Session, call_id: int) -> list[Utterance]:
    """The call's stored transcript as utterances in order (none when it has none); no
    access check: for services and jobs that already hold the call."""
    rows = session.exec(
        select(TranscriptUtterance)
        .where(TranscriptUtterance.call_id == call_id)
        .order_by(col(TranscriptUtterance.seq))
    ).all()
    return [utterance_from_row(r) for r in rows]
