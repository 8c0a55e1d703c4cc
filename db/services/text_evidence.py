"""Text evidence per call: computed by a background job when a transcript is stored (and
again when the rules change), stored with the RULES_VERSION that made it, read by pages.

The analysis itself is ``scoring.text_evidence.analyze_text``; this module loads the
transcript, stores ``TextEvidence.to_dict()`` with its headline counts as columns (for
trends) and answers who may read it (``db.access.can_see_text_evidence``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, or_
from sqlmodel import Session, col, select

from db.access import Actor, NotFound, can_see_text_evidence, current_actor
from db.cache import bump_data_version
from db.engine import read_scope, session_scope
from db.models import Call, TextEvidenceRow, TranscriptRow, TranscriptUtterance, utcnow
from scoring.text_evidence import RULES_VERSION, TextEvidence, analyze_text
from scoring.transcripts import Transcript

COUNT_COLUMNS: tuple[str, ...] = (
    "paraphrases",
    "questions",
    "open_questions",
    "closed_questions",
    "questions_before_fix",
    "defensive",
    "completions",
    "repeats",
    "empathy",
)


@dataclass(frozen=True)
class StoredTextEvidence:
    call_id: int
    evidence: TextEvidence
    summary: dict[str, float | int | None]  # TextEvidence.summary(), keyed by TEXT_METRICS
    rules_version: int
    computed_at: datetime

    @property
    def current(self) -> bool:
        """Made by the rules this code runs (else a recompute is queued or due)."""
        return self.rules_version == RULES_VERSION


# ---------------------------------------------------------------- computing (job body)


def _stored_transcript(session: Session, call_id: int) -> tuple[int, Transcript] | None:
    from db.queries.transcripts import utterance_from_row

    row = session.exec(select(TranscriptRow).where(TranscriptRow.call_id == call_id)).first()
    if row is None:
        return None
    rows = session.exec(
        select(TranscriptUtterance)
        .where(TranscriptUtterance.transcript_id == row.id)
        .order_by(col(TranscriptUtterance.seq))
    ).all()
    assert row.id is not None
    return row.id, Transcript(row.format, tuple(utterance_from_row(u) for u in rows), row.source)


def compute_text_evidence(call_id: int) -> TextEvidenceRow | None:
    """Analyse the call's stored transcript and store (replace) its text evidence. None when
    the call has no transcript (any stored evidence is then removed: it described another)."""
    with read_scope() as session:
        if session.get(Call, call_id) is None:
            raise NotFound(f"Call {call_id} was not found.")
        found = _stored_transcript(session, call_id)
    if found is None:
        with session_scope() as session:
            old = session.get(TextEvidenceRow, call_id)
            if old is not None:
                session.delete(old)
        return None
    transcript_id, transcript = found
    evidence = analyze_text(transcript)
    summary = evidence.summary()
    with session_scope() as session:
        row = session.get(TextEvidenceRow, call_id) or TextEvidenceRow(
            call_id=call_id, rules_version=evidence.rules_version, evidence={}
        )
        row.transcript_id = transcript_id
        row.rules_version = evidence.rules_version
        row.phrases_fingerprint = evidence.phrases_fingerprint[:64]
        row.evidence = evidence.to_dict()
        for name in COUNT_COLUMNS:
            setattr(row, name, int(summary[name] or 0))
        share = summary["open_question_share"]
        row.open_question_share = None if share is None else float(share)
        row.computed_at = utcnow()
        session.add(row)
        bump_data_version(session)  # the text trends read these counts
        session.flush()
        return row


# ---------------------------------------------------------------- queueing


def queue_text_evidence(call_id: int, requested_by: int | None = None) -> Any:
    """Queue the text-evidence job for a call (a JobView). Call outside a unit of work."""
    from db.services.jobs import enqueue
    from jobs.text_tasks import TEXT_EVIDENCE

    return enqueue(TEXT_EVIDENCE, call_id, requested_by=requested_by)


def queue_text_evidence_after_commit(session: Session, call_id: int) -> None:
    """The hook where transcripts are stored: queue the job once `session` commits (a
    worker must find the committed transcript; a rollback queues nothing)."""

    def queue(_session: Session) -> None:
        # A fresh context: the committing unit of work is still current in this one, and
        # the job row must be written in a transaction of its own.
        contextvars.Context().run(queue_text_evidence, call_id)

    event.listen(session, "after_commit", queue, once=True)


def stale_call_ids(limit: int | None = None) -> list[int]:
    """Calls with a transcript whose text evidence is missing, from another transcript, or
    made by older rules."""
    with read_scope() as session:
        query = (
            select(TranscriptRow.call_id)
            .outerjoin(TextEvidenceRow, col(TextEvidenceRow.call_id) == col(TranscriptRow.call_id))
            .where(
                or_(
                    col(TextEvidenceRow.call_id).is_(None),
                    col(TextEvidenceRow.rules_version) != RULES_VERSION,
                    col(TextEvidenceRow.transcript_id) != col(TranscriptRow.id),
                )
            )
            .order_by(col(TranscriptRow.call_id))
        )
        if limit is not None:
            query = query.limit(limit)
        return list(session.exec(query).all())


def queue_stale_text_evidence() -> int:
    """Queue a job per call whose text evidence is stale (workers do this when they start,
    so a rules change recomputes everything). Returns how many were queued."""
    ids = stale_call_ids()
    for call_id in ids:
        queue_text_evidence(call_id)
    return len(ids)


# ---------------------------------------------------------------- reading


def _stored(row: TextEvidenceRow) -> StoredTextEvidence:
    evidence = TextEvidence.from_dict(row.evidence)
    return StoredTextEvidence(
        row.call_id, evidence, evidence.summary(), row.rules_version, row.computed_at
    )


def text_evidence_for(actor: Actor, call_id: int) -> StoredTextEvidence | None:
    """The call's stored text evidence for a user who may see the call; None without one."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        call = session.get(Call, call_id)
        if call is None or not can_see_text_evidence(session, actor, call):
            raise NotFound(f"Call {call_id} was not found or is not yours to open.")
        row = session.get(TextEvidenceRow, call_id)
        return None if row is None else _stored(row)


def text_summary_of(row: TextEvidenceRow | None) -> Mapping[str, float | int | None] | None:
    """The stored headline figures (TEXT_METRICS) of a row, without parsing its moments."""
    if row is None:
        return None
    out: dict[str, float | int | None] = {name: getattr(row, name) for name in COUNT_COLUMNS}
    out["open_question_share"] = row.open_question_share
    return out
