"""Calls: intake (one upload or a bulk import from a manifest), listing, and audio grants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from db.access import AccessDenied, Actor, NotFound, get_visible_call, require_role
from db.engine import read_scope, session_scope
from db.models import Call, Role, User
from db.operations.config import settings
from db.services.media import MediaStoreError, extension_for, sha256_of, store_file
from scoring.audio import AudioProblem, probe_audio
from scoring.manifest import (
    EXTERNAL_ID_RE,
    ImportReport,
    IntakeProblem,
    RowResult,
    external_id_from_name,
    parse_manifest,
)


@dataclass(frozen=True)
class CallRow:
    id: int
    external_id: str
    agent_id: int
    agent: str
    started_at: datetime
    duration_s: float
    channels: int
    agent_channel: int


def _call_row(call: Call, agent: User) -> CallRow:
    return CallRow(
        call.id,
        call.external_id,
        call.agent_id,
        agent.display_name,
        call.started_at,
        call.duration_s,
        call.channels,
        call.agent_channel,
    )


def _agent_for_intake(session: Session, actor: Actor, agent_username: str) -> User:
    agent = session.exec(
        select(User).where(User.username == agent_username.strip().lower())
    ).first()
    if agent is None or agent.role != Role.agent:
        raise IntakeProblem(f"unknown agent {agent_username!r}")
    if actor.is_supervisor and agent.team_id != actor.team_id:
        raise IntakeProblem(f"agent {agent_username!r} is not in your team")
    return agent


def import_call(
    actor: Actor,
    source: Path,
    *,
    original_name: str,
    agent_username: str,
    started_at: datetime,
    agent_channel: int = 0,
    external_id: str | None = None,
    analyse: bool = True,
    transcript: tuple[bytes, str] | None = None,
) -> CallRow:
    """Validate the audio, store it by content hash and record the call, with its
    transcript when one is given as (file bytes, file name). Then queue the background
    work: listening analysis (`analyse`), and speech recognition when no transcript came
    and recognition is enabled (EARSHOT_ASR_ENABLED).

    Raises IntakeProblem naming `original_name` and what is wrong (for a bad transcript,
    its file name and where); nothing is stored then.
    """
    require_role(actor, Role.admin, Role.supervisor)
    limit = settings().max_upload_mb * 1024 * 1024
    size = source.stat().st_size if source.exists() else 0
    if size == 0:
        raise IntakeProblem(f"{original_name}: the file is empty")
    if size > limit:
        raise IntakeProblem(
            f"{original_name}: {size / 1e6:.0f} MB is over the {settings().max_upload_mb} MB limit"
        )
    if started_at.tzinfo is None:
        raise IntakeProblem(f"{original_name}: start time {started_at} has no time zone")
    try:
        info = probe_audio(source, max_duration_s=settings().max_call_hours * 3600)
    except AudioProblem as exc:
        # The probe names the server-side path; users know the file by its own name.
        reason = str(exc).replace(f"{source}: ", "").replace(str(source), original_name)
        raise IntakeProblem(f"{original_name}: {reason}") from exc
    if not 0 <= agent_channel < max(info.channels, 1):
        raise IntakeProblem(
            f"{original_name}: agent channel {agent_channel} does not exist "
            f"(the file has {info.channels} channel(s); channels count from 0)"
        )
    external_id = (external_id or external_id_from_name(original_name)).strip()
    if not external_id:
        raise IntakeProblem(f"{original_name}: no call id can be made from this file name")
    if not EXTERNAL_ID_RE.match(external_id):
        raise IntakeProblem(f"{original_name}: external id {external_id!r} has unusual characters")
    parsed = None
    if transcript is not None:
        from scoring.transcripts import TranscriptError, parse_transcript

        try:
            parsed = parse_transcript(
                transcript[0],
                transcript[1],
                agent_channel=agent_channel,
                duration_s=info.duration_s,
            )
        except TranscriptError as exc:
            raise IntakeProblem(f"{original_name}: {exc}") from exc
    sha256 = sha256_of(source)
    with session_scope() as session:
        agent = _agent_for_intake(session, actor, agent_username)
        same_audio = session.exec(select(Call).where(Call.audio_sha256 == sha256)).first()
        if same_audio is not None:
            raise IntakeProblem(
                f"{original_name}: this recording was already imported as {same_audio.external_id}"
            )
        if session.exec(select(Call).where(Call.external_id == external_id)).first():
            raise IntakeProblem(f"{original_name}: external id {external_id!r} already exists")
        try:
            relative = store_file(source, sha256, extension_for(info.format, info.subtype))
        except MediaStoreError as exc:  # e.g. a bucket that refuses the write: no row made
            raise IntakeProblem(f"{original_name}: {exc}") from exc
        call = Call(
            external_id=external_id,
            agent_id=agent.id,
            started_at=started_at.astimezone(UTC),
            duration_s=info.duration_s,
            audio_path=relative,
            audio_sha256=sha256,
            audio_format=extension_for(info.format, info.subtype),
            sample_rate=info.sample_rate,
            channels=info.channels,
            agent_channel=agent_channel,
            meta={"original_name": original_name[:255], "imported_by": actor.username},
        )
        session.add(call)
        session.flush()
        if parsed is not None:
            from db.services.transcripts import attach_parsed

            attach_parsed(session, actor, call, parsed, transcript[1])
        row = _call_row(call, agent)
    queue_call_work(row.id, analyse=analyse, has_transcript=parsed is not None, actor=actor)
    return row


def queue_call_work(
    call_id: int, *, analyse: bool = True, has_transcript: bool = False, actor: Actor | None = None
) -> None:
    """The background jobs a new call needs (after its row is committed)."""
    from db.services.jobs import enqueue
    from jobs.config import asr_enabled
    from jobs.handlers import LISTEN, TRANSCRIBE

    requested_by = actor.id if actor is not None and actor.id else None
    if analyse:
        enqueue(LISTEN, call_id, requested_by=requested_by)
    if not has_transcript and asr_enabled():
        enqueue(TRANSCRIBE, call_id, requested_by=requested_by)


# ---------------------------------------------------------------- bulk import


def bulk_import(
    actor: Actor,
    folder: Path,
    manifest: Path,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportReport:
    """Import every manifest row whose file is inside `folder`. Good rows import, bad rows
    are reported with their reason; one bad row never stops the rest."""
    require_role(actor, Role.admin, Role.supervisor)
    good, bad = parse_manifest(manifest.read_bytes(), manifest.name)
    report = ImportReport(rows=list(bad))
    root = folder.resolve()
    for done, row in enumerate(good, start=1):
        if progress:
            progress(done, len(good), row.file)
        source = (root / row.file).resolve()
        if not source.is_relative_to(root):
            report.rows.append(
                RowResult(row.line, row.file, "error", "the path leaves the import folder")
            )
            continue
        if not source.is_file():
            report.rows.append(RowResult(row.line, row.file, "error", "file not found"))
            continue
        transcript = None
        if row.transcript:
            transcript_path = (root / row.transcript).resolve()
            if not transcript_path.is_relative_to(root):
                report.rows.append(
                    RowResult(
                        row.line, row.file, "error", "the transcript's path leaves the folder"
                    )
                )
                continue
            if not transcript_path.is_file():
                report.rows.append(
                    RowResult(
                        row.line, row.file, "error", f"transcript {row.transcript!r} not found"
                    )
                )
                continue
            from scoring.transcripts import MAX_TRANSCRIPT_BYTES

            if transcript_path.stat().st_size > MAX_TRANSCRIPT_BYTES:
                # Refused before reading: parse_transcript would refuse it anyway.
                size_mb = transcript_path.stat().st_size / 2**20
                report.rows.append(
                    RowResult(
                        row.line,
                        row.file,
                        "error",
                        f"transcript {row.transcript!r}: {size_mb:.0f} MB is over the "
                        f"{MAX_TRANSCRIPT_BYTES // 2**20} MB limit for a transcript file",
                    )
                )
                continue
            transcript = (transcript_path.read_bytes(), row.transcript)
        try:
            call = import_call(
                actor,
                source,
                original_name=row.file,
                agent_username=row.agent,
                started_at=row.started_at,
                agent_channel=row.agent_channel,
                external_id=row.external_id,
                transcript=transcript,
            )
        except IntakeProblem as exc:
            status = "duplicate" if "already imported" in str(exc) else "error"
            message = str(exc).removeprefix(f"{row.file}: ")
            report.rows.append(RowResult(row.line, row.file, status, message))
            continue
        report.rows.append(RowResult(row.line, row.file, "imported", "", call.id))
    report.rows.sort(key=lambda r: r.line)
    return report


# ---------------------------------------------------------------- reading


def list_calls(actor: Actor, limit: int = 500) -> list[CallRow]:
    """Calls the actor may see, newest first."""
    with read_scope() as session:
        # Only CallRow's columns: whole Call rows would carry their metadata along.
        query = select(
            Call.id,
            Call.external_id,
            Call.agent_id,
            User.display_name,
            Call.started_at,
            Call.duration_s,
            Call.channels,
            Call.agent_channel,
        ).join(User, User.id == Call.agent_id)
        if actor.is_agent:
            query = query.where(Call.agent_id == actor.id)
        elif actor.is_supervisor:
            query = query.where(User.team_id == actor.team_id)
        query = query.order_by(Call.started_at.desc()).limit(limit)
        return [CallRow(*row) for row in session.exec(query).all()]


def get_call(actor: Actor, call_id: int) -> CallRow:
    with read_scope() as session:
        call = get_visible_call(session, actor, call_id)
        return _call_row(call, session.get(User, call.agent_id))


def signed_audio_url(call_id: int, user_id: int, ttl_s: int | None = None) -> str:
    """The audio route's URL for a grant the caller has ALREADY checked (services only).
    It lives EARSHOT_AUDIO_LINK_MINUTES (or `ttl_s`) and ends sooner when the user logs
    out: it carries their session epoch, which the route compares with the current one."""
    from db.services.auth import signing_epoch
    from media.signing import sign_media_token

    token = sign_media_token(
        call_id,
        user_id,
        settings().secret_key,
        ttl_s=ttl_s or settings().audio_link_minutes * 60,
        epoch=signing_epoch(user_id),
    )
    return f"/audio/{token}"


def audio_url_for(actor: Actor, call_id: int, ttl_s: int | None = None) -> str:
    """A signed, expiring URL for the call's audio, issued only to users allowed to hear it."""
    with read_scope() as session:
        try:
            get_visible_call(session, actor, call_id)
        except NotFound as exc:
            raise AccessDenied(str(exc)) from exc
    return signed_audio_url(call_id, actor.id, ttl_s)
