"""Transcripts per call: attach (imported file or recognition), read, replace on explicit
request only (the old one kept whole in an audit event), and full-text search across the
calls a user may see (SQLite FTS5 / PostgreSQL to_tsvector('simple', text) with GIN).

Times are seconds from the start of the recording. Parsing lives in scoring.transcripts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, delete, func, literal_column
from sqlalchemy import text as sql_text
from sqlmodel import Session, select

from db.access import AccessDenied, Actor, NotFound, call_filter, current_actor, get_visible_call
from db.engine import read_scope, session_scope
from db.models import (
    Call,
    ListeningReportRow,
    TranscriptRow,
    TranscriptUtterance,
    User,
    utcnow,
)
from db.queries.transcripts import utterance_from_row
from db.services.audit import record_audit
from scoring.transcripts import (
    MAX_TRANSCRIPT_BYTES,
    Transcript,
    TranscriptError,
)

if TYPE_CHECKING:
    from db.services.jobs import JobView

SEARCH_LIMIT = 50
_SEARCH_TOKEN = re.compile(r"\w+", re.UNICODE)


class TranscriptExists(ValueError):
    """The call already has a transcript; replacing it must be asked for explicitly."""


@dataclass(frozen=True)
class TranscriptInfo:
    call_id: int
    source: str  # "import:<format>:<file name>" or "asr:<engine>:<model>"
    format: str
    utterance_count: int
    created_at: datetime
    replaced: bool = False  # an older transcript was replaced (and kept in the audit trail)


@dataclass(frozen=True)
class CallTranscript:
    info: TranscriptInfo
    transcript: Transcript


@dataclass(frozen=True)
class SearchHit:
    call_id: int
    external_id: str
    agent: str
    started_at: datetime
    speaker: str
    start_s: float
    end_s: float
    text: str


# ---------------------------------------------------------------- who may see which calls


def visible_call_filter(query: Any, actor: Actor) -> Any:
    """`query` (which selects from Call) narrowed to the calls `actor` may see: the access
    policy's `call_filter`, for the actor as stored now."""
    return query.where(call_filter(actor))


# ---------------------------------------------------------------- storing


def _source_for_import(transcript: Transcript, filename: str) -> str:
    return f"import:{transcript.format}:{filename}"[:255]


def _source_for_recognition(transcript: Transcript) -> str:
    """ "asr:<engine>:<model>" from media.asr's "<engine version>, <model>, <weights>"."""
    made_by = transcript.source or "unknown engine"
    if made_by.startswith("asr:"):
        return made_by[:255]
    engine, _, model = made_by.partition(", ")
    return f"asr:{engine}:{model or 'unknown model'}"[:255]


def _utterance_json(u: TranscriptUtterance) -> dict[str, Any]:
    return {
        "speaker": u.speaker,
        "label": u.label,
        "start_s": u.start_s,
        "end_s": u.end_s,
        "text": u.text,
        "words": u.words,
        "redactions": u.redactions,
    }


def store_transcript(
    session: Session,
    actor: Actor | None,
    call: Call,
    transcript: Transcript,
    source: str,
    *,
    replace: bool = False,
    reason: str = "",
) -> TranscriptInfo:
    """Write `transcript` as the call's (inside the caller's unit of work). An existing
    one is replaced only with `replace=True`, and kept whole in an audit event."""
    old = session.exec(select(TranscriptRow).where(TranscriptRow.call_id == call.id)).first()
    if old is not None and not replace:
        raise TranscriptExists(
            f"call {call.external_id} already has a transcript ({old.source}); "
            "replace it explicitly to import another"
        )
    audit_actor = actor if actor is not None and actor.id else None  # the CLI is no user
    if old is not None:
        rows = session.exec(
            select(TranscriptUtterance)
            .where(TranscriptUtterance.transcript_id == old.id)
            .order_by(TranscriptUtterance.seq)
        ).all()
        before = {
            "source": old.source,
            "format": old.format,
            "created_at": old.created_at.isoformat(),
            "created_by": old.created_by,
            "utterances": [_utterance_json(u) for u in rows],
        }
        session.exec(delete(TranscriptUtterance).where(TranscriptUtterance.transcript_id == old.id))
        session.delete(old)
        session.flush()
        record_audit(
            session,
            audit_actor,
            "transcript.replace",
            "call",
            call.id,
            before=before,
            after={"source": source},
            reason=reason or "transcript replaced",
        )
    row = TranscriptRow(
        call_id=call.id,
        source=source,
        format=transcript.format[:32],
        utterance_count=len(transcript.utterances),
        created_by=audit_actor.id if audit_actor else None,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    session.add_all(
        TranscriptUtterance(
            transcript_id=row.id,
            call_id=call.id,
            seq=n,
            speaker=u.speaker,
            label=u.label[:120],
            start_s=float(u.start_s),
            end_s=float(u.end_s),
            text=u.text,
            words=[[w.text, w.start_s, w.end_s] for w in u.words],
            redactions=[list(span) for span in u.redactions],
        )
        for n, u in enumerate(transcript.utterances)
    )
    session.flush()
    from db.services.text_evidence import queue_text_evidence_after_commit

    queue_text_evidence_after_commit(session, call.id)  # text evidence: a job, once committed
    if call.channels < 2:
        # A mono call's turns come from a transcript that names the parties: analyse again.
        from db.services.listening import queue_listening_after_commit

        queue_listening_after_commit(session, call.id)
    return TranscriptInfo(
        call.id, row.source, row.format, row.utterance_count, row.created_at, old is not None
    )


def _with_roles(session: Session, call_id: int, transcript: Transcript) -> Transcript:
    """Parties for labels that are not parties, from the stored listening turns."""
    if all(u.speaker != "unknown" for u in transcript.utterances):
        return transcript
    report = session.get(ListeningReportRow, call_id)
    turns = (report.report or {}).get("turns", []) if report is not None else []
    if not turns:
        return transcript
    from scoring.transcripts import assign_roles

    return assign_roles(transcript, [(t["speaker"], t["start_s"], t["end_s"]) for t in turns])


def parse_for_call(call: Call, data: bytes, filename: str) -> Transcript:
    """Parse a transcript file against the call's channel layout and length.
    Raises TranscriptError naming the file and where."""
    from scoring.transcripts import parse_transcript

    return parse_transcript(
        data, filename, agent_channel=call.agent_channel, duration_s=call.duration_s
    )


def attach_transcript(
    actor: Actor,
    call_id: int,
    data: bytes,
    filename: str,
    *,
    replace: bool = False,
    reason: str = "",
) -> TranscriptInfo:
    """Import a transcript file for a call the actor may see (scorers only). Raises
    TranscriptError (the file and where), TranscriptExists (without `replace`),
    NotFound / AccessDenied."""
    if not actor.can_score:
        raise AccessDenied("Only supervisors and admins import transcripts.")
    with session_scope() as session:
        call = get_visible_call(session, actor, call_id)
        return _attach_file(session, actor, call, data, filename, replace, reason)


def _attach_file(
    session: Session,
    actor: Actor | None,
    call: Call,
    data: bytes,
    filename: str,
    replace: bool,
    reason: str = "",
) -> TranscriptInfo:
    transcript = _with_roles(session, call.id, parse_for_call(call, data, filename))
    source = _source_for_import(transcript, filename)
    return store_transcript(
        session, actor, call, transcript, source, replace=replace, reason=reason
    )


def attach_parsed(
    session: Session,
    actor: Actor | None,
    call: Call,
    transcript: Transcript,
    filename: str,
) -> TranscriptInfo:
    """Store an already parsed import (intake: the call is being created in `session`)."""
    transcript = _with_roles(session, call.id, transcript)
    return store_transcript(
        session, actor, call, transcript, _source_for_import(transcript, filename)
    )


def assign_roles_from_report(call_id: int) -> bool:
    """After a listening report arrives: give parties to a stored transcript's unknown
    speakers from its turns. True when any speaker changed."""
    with session_scope() as session:
        rows = session.exec(
            select(TranscriptUtterance)
            .where(TranscriptUtterance.call_id == call_id)
            .order_by(TranscriptUtterance.seq)
        ).all()
        if not rows or all(r.speaker != "unknown" for r in rows):
            return False
        current = Transcript("stored", tuple(utterance_from_row(r) for r in rows))
        named = _with_roles(session, call_id, current)
        changed = False
        for row, utterance in zip(rows, named.utterances, strict=True):
            if row.speaker != utterance.speaker:
                row.speaker = utterance.speaker
                session.add(row)
                changed = True
        if changed:
            from db.services.text_evidence import queue_text_evidence_after_commit

            # Evidence read the parties; now that they are known it is made again.
            queue_text_evidence_after_commit(session, call_id)
        return changed


def recognise_call(
    call_id: int, progress: Callable[[float], None] | None = None, *, replace: bool = False
) -> TranscriptInfo | None:
    """Speech recognition for a call (a background job's body): None when the call has a
    transcript already and `replace` is False."""
    from db.services.media import local_audio_file

    with read_scope() as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound(f"Call {call_id} was not found.")
        has_one = session.exec(
            select(TranscriptRow.id).where(TranscriptRow.call_id == call_id)
        ).first()
        if has_one is not None and not replace:
            return None
        path = local_audio_file(call.audio_path)  # the bucket's copy when on S3
        agent_channel = call.agent_channel
    from media.asr import recognize

    transcript = recognize(path, agent_channel=agent_channel)
    if progress:
        progress(0.95)
    with session_scope() as session:
        call = session.get(Call, call_id)
        transcript = _with_roles(session, call_id, transcript)
        return store_transcript(
            session,
            None,
            call,
            transcript,
            _source_for_recognition(transcript),
            replace=replace,
            reason="recognised again" if replace else "",
        )


REPLACE_SUBJECT = "replace"  # a recognition job's subject when it may replace a transcript


def queue_recognition(actor: Actor, call_id: int, *, replace: bool = False) -> JobView:
    """Ask for the call's speech to be recognised in the background (a JobView). Without
    `replace`, a call that has a transcript keeps it (the job does nothing); with it, the
    recognised one replaces it and the old one goes to the audit trail."""
    from db.services.jobs import enqueue
    from jobs.handlers import TRANSCRIBE

    if not actor.can_score:
        raise AccessDenied("Only supervisors and admins ask for speech recognition.")
    with read_scope() as session:
        get_visible_call(session, actor, call_id)
    subject = REPLACE_SUBJECT if replace else ""
    return enqueue(TRANSCRIBE, call_id, subject=subject, requested_by=actor.id)


# ---------------------------------------------------------------- reading


def transcript_for(actor: Actor, call_id: int) -> CallTranscript | None:
    """The call's transcript for a user who may see the call; None when it has none."""
    with read_scope() as session:
        get_visible_call(session, actor, call_id)
        row = session.exec(select(TranscriptRow).where(TranscriptRow.call_id == call_id)).first()
        if row is None:
            return None
        utterances = session.exec(
            select(TranscriptUtterance)
            .where(TranscriptUtterance.transcript_id == row.id)
            .order_by(TranscriptUtterance.seq)
        ).all()
        info = TranscriptInfo(call_id, row.source, row.format, row.utterance_count, row.created_at)
        transcript = Transcript(
            row.format, tuple(utterance_from_row(u) for u in utterances), row.source
        )
        return CallTranscript(info, transcript)


def transcript_sources(actor: Actor, call_ids: list[int]) -> dict[int, str]:
    """call id → transcript source, for the visible calls among `call_ids` that have one."""
    if not call_ids:
        return {}
    with read_scope() as session:
        query = (
            select(TranscriptRow.call_id, TranscriptRow.source)
            .join(Call, Call.id == TranscriptRow.call_id)
            .where(TranscriptRow.call_id.in_(sorted(set(call_ids))))
        )
        actor = current_actor(session, actor)
        return dict(session.exec(visible_call_filter(query, actor)).all())


def search_terms(query: str) -> list[str]:
    """The words of a search box entry (letters and digits; punctuation separates)."""
    return _SEARCH_TOKEN.findall(query.casefold())[:20]


def search_transcripts(actor: Actor, query: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """Utterances containing every word of `query`, on calls the actor may see, at most
    `limit`: the latest (SQLite: most recently stored; PostgreSQL: on the newest calls),
    shown newest call first, then by time in the call. No words → no hits."""
    terms = search_terms(query)
    if not terms:
        return []
    limit = max(1, min(int(limit), 500))
    with read_scope() as session:
        # PostgreSQL walks calls newest first and checks each line against the GIN index.
        newest_first = [Call.started_at.desc(), TranscriptUtterance.start_s]
        base = (
            select(
                TranscriptUtterance.call_id,
                Call.external_id,
                User.display_name,
                Call.started_at,
                TranscriptUtterance.speaker,
                TranscriptUtterance.start_s,
                TranscriptUtterance.end_s,
                TranscriptUtterance.text,
            )
            .join(Call, Call.id == TranscriptUtterance.call_id)
            .join(User, User.id == Call.agent_id)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Spelled as the GIN index is, so the planner can use it.
            simple = literal_column("'simple'::regconfig")
            vector = func.to_tsvector(simple, TranscriptUtterance.text)
            base = base.where(vector.op("@@")(func.plainto_tsquery(simple, " ".join(terms))))
        else:
            # Each word quoted: FTS5 query syntax in the box is text, never operators.
            match = " ".join('"' + t.replace('"', "") + '"' for t in terms)
            hits = (
                sql_text(
                    "SELECT rowid FROM transcript_utterance_fts "
                    "WHERE transcript_utterance_fts MATCH :match"
                )
                .bindparams(match=match)
                .columns(rowid=Integer)
                .subquery()
            )
            base = base.join(hits, hits.c.rowid == TranscriptUtterance.id)
            # FTS5 gives its matches newest stored first and stops at the limit; ordering by
            # call time would read every match of a common word first ("the" in 500,000
            # lines: 2 ms against 300 ms).
            newest_first = [hits.c.rowid.desc()]
        query_ = visible_call_filter(base, current_actor(session, actor)).order_by(*newest_first)
        found = [SearchHit(*row) for row in session.exec(query_.limit(limit)).all()]
    return sorted(found, key=lambda h: (-h.started_at.timestamp(), h.start_s))


# ---------------------------------------------------------------- bulk attach


@dataclass(frozen=True)
class AttachResult:
    line: int
    file: str
    status: str  # attached | error
    message: str  # the source stored, or the reason


def attach_transcript_manifest(
    actor: Actor | None, folder: Path, manifest: Path, *, replace: bool = False
) -> list[AttachResult]:
    """Attach transcript files in `folder` to existing calls, one manifest row each: a
    UTF-8 CSV with columns `call_id` (the external id, or the numeric id) and `file`.
    Good rows attach, every bad row is reported with its reason. A manifest that cannot
    be read at all raises ValueError. `actor` None: the command line, with the server's
    own rights (every call, no user recorded)."""
    if actor is not None and not actor.can_score:
        raise AccessDenied("Only supervisors and admins import transcripts.")
    try:
        text = manifest.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{manifest.name}: not UTF-8 text (byte {exc.start})") from exc
    reader = csv.DictReader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValueError(f"{manifest.name}: not a readable CSV file ({exc})") from exc
    header = {(h or "").strip().lower() for h in reader.fieldnames or []}
    if not {"call_id", "file"} <= header:
        raise ValueError(f"{manifest.name}: the columns call_id and file are needed")
    root = folder.resolve()
    results = []
    for line, raw in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        name, call_ref = row.get("file", ""), row.get("call_id", "")

        def fail(reason: str, line: int = line, name: str = name) -> None:
            results.append(AttachResult(line, name, "error", reason))

        path = (root / name).resolve()
        if not name or not call_ref:
            fail("call_id and file must both be filled in")
        elif not path.is_relative_to(root):
            fail("the path leaves the folder")
        elif not path.is_file():
            fail("file not found")
        elif (call_id := _call_id_for(call_ref)) is None:
            fail(f"no call {call_ref}")
        elif path.stat().st_size > MAX_TRANSCRIPT_BYTES:
            fail(f"over the {MAX_TRANSCRIPT_BYTES // 2**20} MB limit for a transcript file")
        else:
            try:
                info = _attach_by_id(actor, call_id, path.read_bytes(), name, replace)
            except (TranscriptError, TranscriptExists, NotFound) as exc:
                fail(str(exc))
            else:
                results.append(AttachResult(line, name, "attached", info.source))
    return results


def _attach_by_id(
    actor: Actor | None, call_id: int, data: bytes, filename: str, replace: bool
) -> TranscriptInfo:
    if actor is not None:
        return attach_transcript(actor, call_id, data, filename, replace=replace)
    with session_scope() as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound(f"Call {call_id} was not found.")
        return _attach_file(session, None, call, data, filename, replace)


def _call_id_for(reference: str) -> int | None:
    """A call by external id, else by numeric id."""
    with read_scope() as session:
        found = session.exec(select(Call.id).where(Call.external_id == reference)).first()
        if found is None and reference.isdigit():
            found = session.exec(select(Call.id).where(Call.id == int(reference))).first()
        return found
