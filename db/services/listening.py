"""Listening reports per call: computed by a background job queued at import (the
`listen` job kind, jobs/handlers.py), stored, recomputed on demand."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlmodel import Session, select

from db.access import AccessDenied, Actor, get_visible_call
from db.engine import read_scope, session_scope
from db.models import Call, ListeningReportRow, utcnow
from db.operations.config import settings
from db.services.media import local_audio_file

if TYPE_CHECKING:
    from db.services.jobs import JobView
    from scoring.listening import ListeningReport


def store_listening_report(call_id: int) -> ListeningReportRow:
    """Analyse the call's audio, decoded in blocks and never held whole; store its
    listening report and waveform peaks (drawn from the same blocks). A failure is stored
    as an error (shown to scorers as 'no evidence'), never raised into an import."""
    from media.waveform import PeakEnvelope
    from scoring.audio import AudioProblem, probe_audio
    from scoring.listening import analyze_file

    with session_scope() as session:
        call = session.get(Call, call_id)
        row = session.get(ListeningReportRow, call_id) or ListeningReportRow(
            call_id=call_id, report={}
        )
        path = local_audio_file(call.audio_path)  # the bucket's copy when on S3
        try:
            # Capped: a call imported before the cap (or under a larger one) is not decoded
            # past it, so one bomb cannot take the worker's memory.
            cap_s = settings().max_call_hours * 3600
            info = probe_audio(path, max_duration_s=cap_s)
            envelope = PeakEnvelope(info.frames, info.channels)
            report = analyze_file(
                path, call.agent_channel, max_duration_s=cap_s, on_block=envelope.add
            )
            row.peaks = envelope.peaks()
            report = _turns_from_transcript(session, call_id, report)
        except (AudioProblem, ValueError, OSError) as exc:
            # Scorers see this; the server's media path is none of their business.
            reason = str(exc).replace(f"{path}: ", "").replace(str(path), "the recording")
            row.report, row.error = {}, reason[:500]
        else:
            summary = report.summary()
            row.report, row.error = report.to_dict(), None
            row.talk_share = summary.get("talk_share")
            row.interruptions = summary.get("interruptions")
            row.backchannels = summary.get("backchannels")
            row.long_silences = summary.get("long_silences")
            row.longest_agent_turn = summary.get("longest_agent_turn")
            row.response_gap_median = summary.get("response_gaps")
            row.overtalk = summary.get("overtalk")
        row.computed_at = utcnow()
        session.add(row)  # the flush listener moves the data version: trends read these
        return row


def _turns_from_transcript(
    session: Session, call_id: int, report: ListeningReport
) -> ListeningReport:
    """A mono recording cannot tell the parties apart; a stored transcript that names them
    can: the report is then built from its turns (holds found in the audio kept)."""
    from db.queries.transcripts import stored_utterances
    from scoring.listening_transcript import report_from_transcript

    if not report.is_mono:
        return report
    utterances = stored_utterances(session, call_id)
    if not any(u.speaker in ("agent", "customer") for u in utterances):
        return report
    try:
        return report_from_transcript(utterances, report.duration_s, hold_spans=report.holds)
    except ValueError:
        return report  # times the recording cannot hold: keep what the audio says


def queue_listening_after_commit(session: Session, call_id: int) -> None:
    """Queue the call's analysis once `session` commits (a worker must find what it
    committed; a rollback queues nothing)."""

    def queue(_session: Session) -> None:
        # A fresh context: the committing unit of work is still current in this one.
        contextvars.Context().run(queue_listening_job, call_id)

    event.listen(session, "after_commit", queue, once=True)


def stored_summary(row: ListeningReportRow) -> dict[str, float | int | None] | None:
    """The report's headline metrics (`ListeningReport.summary()` names), from the columns
    stored beside it: no need to rebuild the whole report to show them."""
    if row.error or not row.report:
        return None
    return {
        "talk_share": row.talk_share,
        "longest_agent_turn": row.longest_agent_turn,
        "overtalk": row.overtalk,
        "interruptions": row.interruptions,
        "backchannels": row.backchannels,
        "response_gaps": row.response_gap_median,
        "long_silences": row.long_silences,
    }


def analyse_missing_calls(
    progress: Callable[[int, int], None] | None = None, queue: bool = False
) -> int:
    """One-off: analyse every call that has no stored report yet, here (calling
    `progress(done, total)`) or, with `queue`, as background jobs. Returns how many."""
    with session_scope() as session:
        done_ids = set(session.exec(select(ListeningReportRow.call_id)).all())
        todo = [cid for cid in session.exec(select(Call.id)).all() if cid not in done_ids]
    for n, call_id in enumerate(todo, start=1):
        if queue:
            queue_listening_job(call_id)
        else:
            store_listening_report(call_id)
        if progress:
            progress(n, len(todo))
    return len(todo)


def queue_listening_job(call_id: int, requested_by: int | None = None) -> JobView:
    """Queue the call's listening analysis as a background job; returns its JobView."""
    from db.services.jobs import enqueue
    from jobs.handlers import LISTEN

    return enqueue(LISTEN, call_id, requested_by=requested_by)


def queue_listening_analysis(actor: Actor, call_id: int) -> JobView:
    """Analyse a call again in the background (after a VAD or threshold change), for a
    scorer who may see it."""
    if not actor.can_score:
        raise AccessDenied("Only supervisors and admins recompute listening evidence.")
    with read_scope() as session:
        get_visible_call(session, actor, call_id)
    return queue_listening_job(call_id, actor.id)


def listening_report_for(actor: Actor, call_id: int) -> dict | None:
    """The stored report for a call the actor may see: {'report':..., 'error':...} or None."""
    with read_scope() as session:
        get_visible_call(session, actor, call_id)
        row = session.get(ListeningReportRow, call_id)
        if row is None:
            return None
        return {
            "report": row.report,
            "error": row.error,
            "peaks": row.peaks,
            "summary": stored_summary(row),
            "computed_at": row.computed_at,
        }


def recompute_listening_report(actor: Actor, call_id: int) -> dict | None:
    """Analyse a call again (after a VAD or threshold change) for a scorer who may see it:
    queued as a background job, never decoded inside the page's run. Returns the report as
    stored now: the new one once a worker has run the job (at once where jobs run
    immediately); the job's state is in db.services.jobs.latest_jobs_for_calls."""
    queue_listening_analysis(actor, call_id)
    return listening_report_for(actor, call_id)
