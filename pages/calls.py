"""Calls: the recordings the user may see with their background work and transcripts,
uploading new ones (with transcripts), failed jobs to retry, and search across transcripts."""

import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from db.access import AccessDenied, NotFound
from db.services.browse import BrowseFilters, browse_evaluations
from db.services.calls import import_call, list_calls
from db.services.jobs import JobProblem, JobView, failed_jobs, latest_jobs_for_calls, retry_job
from db.services.transcripts import (
    SEARCH_LIMIT,
    TranscriptExists,
    attach_transcript,
    queue_recognition,
    search_transcripts,
    transcript_sources,
)
from db.services.users import list_agents
from scoring.errors import EarshotError
from scoring.manifest import IntakeProblem
from scoring.transcripts import TranscriptError
from ui.format import local_date, mmss, plain
from ui.session import require_actor
from ui.times import local_time, reader_zone

TRANSCRIPT_TYPES = ["vtt", "srt", "json"]
JOB_LABELS = {"listen": "listening", "transcribe": "recognition"}

actor = require_actor()
st.title("Calls")


def _job_text(job: JobView) -> str:
    label = JOB_LABELS.get(job.kind, job.kind)
    if job.state == "running":
        return f"{label} {job.progress:.0%}"
    return f"{label} {job.state}"


# ------------------------------------------------------------------ upload
state = st.session_state
UPLOAD_FIELDS = ("upload_agent", "upload_day", "upload_time", "upload_channel")
Notice = tuple[str, str]  # ("success" | "warning" | "error", text)


def _show(notices: list[Notice]) -> None:
    for kind, text in notices:
        {"success": st.success, "warning": st.warning}.get(kind, st.error)(text)


def _fresh_form(name: str, fields: tuple[str, ...]) -> int:
    """After a form's work was all done (last run): its fields are emptied before they
    are drawn again, the file pickers by a new key. Returns the pickers' generation."""
    if state.pop(f"{name}_clear", False):
        for field in fields:
            state.pop(field, None)
        state[f"{name}_gen"] = state.get(f"{name}_gen", 0) + 1
    _show(state.pop(f"{name}_notices", []))
    return int(state.get(f"{name}_gen", 0))


def _done(name: str, notices: list[Notice]) -> None:
    """All went in: say so after one more run, which empties the form."""
    state[f"{name}_notices"] = notices
    state[f"{name}_clear"] = True
    st.rerun()


def _import_all(files, transcripts, agent_username: str, started_at: datetime, channel: int):  # type: ignore[no-untyped-def]
    """Import each recording (with the transcript of the same name, if any); returns
    what to say and whether every recording went in."""
    notices: list[Notice] = []
    by_stem = {Path(t.name).stem: t for t in transcripts or []}
    all_in = True
    for upload in files:
        paired = by_stem.pop(Path(upload.name).stem, None)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "upload"
            path.write_bytes(upload.getvalue())
            try:
                row = import_call(
                    actor,
                    path,
                    original_name=upload.name,
                    agent_username=agent_username,
                    started_at=started_at,
                    agent_channel=channel,
                    transcript=(paired.getvalue(), paired.name) if paired else None,
                )
            except IntakeProblem as exc:
                notices.append(("error", plain(exc)))
                all_in = False
                continue
        with_transcript = f" with the transcript {plain(paired.name)}" if paired else ""
        notices.append(
            (
                "success",
                f"Imported {plain(upload.name)} as {plain(row.external_id)} "
                f"({mmss(row.duration_s)}){with_transcript}.",
            )
        )
    for left_over in by_stem.values():
        notices.append(
            (
                "warning",
                f"{plain(left_over.name)}: no recording of the same name was uploaded with "
                "it; attach it to its call below.",
            )
        )
    return notices, all_in


with st.expander("Upload recordings", icon=":material/upload:"):
    agents = {f"{a.display_name} ({a.username})": a.username for a in list_agents(actor)}
    gen = _fresh_form("upload", UPLOAD_FIELDS)
    # Refused: every field keeps what was chosen (the files too); all imported: emptied.
    with st.form("upload", clear_on_submit=False):
        files = st.file_uploader(
            "Audio files (WAV, MP3, Ogg Vorbis/Opus, FLAC)",
            accept_multiple_files=True,
            type=["wav", "mp3", "ogg", "opus", "flac"],
            key=f"upload_files_{gen}",
        )
        transcripts = st.file_uploader(
            "Transcripts, optional (WebVTT, SRT, or the JSON of Contact Lens, Genesys, "
            "Deepgram, AssemblyAI, Whisper): each goes with the recording of the same name",
            accept_multiple_files=True,
            type=TRANSCRIPT_TYPES,
            key=f"upload_transcripts_{gen}",
        )
        agent = st.selectbox("Agent", list(agents), key="upload_agent")
        c1, c2, c3 = st.columns(3)
        # Typed in the reader's time zone (their setting or browser), stored as an instant.
        zone = reader_zone()
        now_here = datetime.now(zone)
        day = c1.date_input("Call date", value=now_here.date(), key="upload_day")
        at = c2.time_input(f"Start time ({now_here.tzname()})", key="upload_time")
        channel = c3.selectbox(
            "Agent's channel",
            [0, 1],
            format_func=lambda c: "left (0)" if c == 0 else "right (1)",
            key="upload_channel",
        )
        submitted = st.form_submit_button("Import", type="primary")
    if submitted and not files:
        st.error("Choose at least one audio file to import.")
    elif submitted and not agent:
        st.error("Choose the agent on these calls (no agent is set up yet: add one on Users).")
    elif submitted:
        notices, all_in = _import_all(
            files, transcripts, agents[agent], datetime.combine(day, at, tzinfo=zone), channel
        )
        if all_in:
            _done("upload", notices)
        _show(notices)
    st.caption(
        "For many files at once use the bulk import: "
        "`python -m db.operations.cli import-calls FOLDER MANIFEST.csv` (an optional `transcript` "
        "column names each call's transcript file), or "
        "`python -m db.operations.cli attach-transcripts FOLDER MANIFEST.csv` "
        "for calls already here."
    )

calls = list_calls(actor)
labels = {c.id: f"{c.external_id} · {c.agent}" for c in calls}

# ------------------------------------------------------------------ attach to a call
with st.expander("Attach a transcript to a call", icon=":material/subtitles:"):
    attach_gen = _fresh_form("attach", ("attach_replace",))
    if not calls:
        st.info("No calls yet.")
    else:
        # Refused: the call, the file and the choice stay; attached: the file is emptied.
        with st.form("attach", clear_on_submit=False):
            call_id = st.selectbox(
                "Call", list(labels), format_func=labels.__getitem__, key="attach_call"
            )
            upload = st.file_uploader(
                "Transcript file",
                type=TRANSCRIPT_TYPES,
                key="attach_file" if not attach_gen else f"attach_file_{attach_gen}",
            )
            replace = st.checkbox(
                "Replace the call's transcript if it has one (the old one is kept in the "
                "audit trail)",
                key="attach_replace",
            )
            attach = st.form_submit_button("Attach")
            recognise = st.form_submit_button("Recognise the speech instead", type="tertiary")
        if attach and upload is None:
            st.error("Choose a transcript file to attach (WebVTT, SRT or JSON).")
        elif attach and upload is not None:
            try:
                info = attach_transcript(
                    actor, call_id, upload.getvalue(), upload.name, replace=replace
                )
            except (TranscriptError, TranscriptExists, NotFound, AccessDenied) as exc:
                st.error(plain(exc))
            else:
                done = "Replaced the transcript of" if info.replaced else "Attached to"
                _done(
                    "attach",
                    [
                        (
                            "success",
                            f"{done} {plain(labels[call_id])}: {info.utterance_count} lines "
                            f"({info.format}).",
                        )
                    ],
                )
        if recognise:
            try:
                queue_recognition(actor, call_id, replace=replace)
            except (NotFound, AccessDenied) as exc:
                st.error(plain(exc))
            else:
                kept = "" if replace else " A transcript the call already has is kept."
                st.success(
                    f"Speech recognition for {plain(labels[call_id])} is queued; the list "
                    f"below shows its progress.{kept}"
                )

# ------------------------------------------------------------------ failed jobs
for job in failed_jobs(actor):
    about = labels.get(job.call_id, job.subject or f"call {job.call_id}")
    box = st.container(border=True)
    c1, c2 = box.columns([5, 1])
    c1.markdown(f"**{JOB_LABELS.get(job.kind, job.kind).capitalize()} failed**")
    c1.text(f"{about}: {job.error} (attempt {job.attempts})")  # as text, never markup
    if c2.button("Retry", key=f"retry_{job.id}", icon=":material/replay:"):
        try:
            retry_job(actor, job.id)
        except (JobProblem, NotFound, AccessDenied) as exc:
            st.error(plain(exc))
        else:
            st.rerun()

# ------------------------------------------------------------------ search
query = st.text_input(
    "Search transcripts",
    key="transcript_search",
    placeholder="words said in a call, e.g. password expired",
)
if query.strip():
    hits = search_transcripts(actor, query)
    if not hits:
        st.info("No line of a transcript you may see has all of these words.")
    for hit in hits:
        c1, c2 = st.columns([1, 4])
        c1.page_link(
            "pages/score.py",
            label=f"{plain(hit.external_id)} at {mmss(hit.start_s)}",
            icon=":material/play_arrow:",
            query_params={"call": str(hit.call_id), "t": f"{hit.start_s:.2f}"},
        )
        c2.text(f"{hit.agent} · {hit.speaker}: {hit.text}")  # as text, never markup
    if len(hits) >= SEARCH_LIMIT:
        st.caption(f"The {SEARCH_LIMIT} newest matches; add words to narrow the search.")

# ------------------------------------------------------------------ the list
POLL_S = 3


def _evaluations_of(call_id: int) -> None:
    """The picked call's evaluations this user may read (the one policy, through the
    browser's call filter), each a link to it read-only on Evaluations."""
    call = labels.get(call_id, f"call {call_id}")
    try:
        rows = browse_evaluations(actor, BrowseFilters(call_id=call_id))
    except EarshotError as exc:
        st.error(plain(exc))
        return
    if not rows:
        st.caption(f"{plain(call)}: no evaluation you may read.")
        return
    st.caption(f"Evaluations of {plain(call)}, newest first:")
    for row in rows:
        kind = "" if row.purpose == "regular" else f" ({row.purpose})"
        st.page_link(
            "pages/evaluations.py",
            label=f"{plain(row.scorer)} · {local_time(row.when)} · {row.status}{kind}",
            icon=":material/open_in_new:",
            query_params={"evaluation": str(row.evaluation_id)},
        )


def _call_table(polling: bool) -> None:
    """The call list with each call's transcript and background work; a picked row lists
    that call's evaluations. While work is queued or running (`polling`) it redraws
    itself every few seconds, this part only; when the work is over, one whole-page run
    stops the timer."""
    ids = [c.id for c in calls]
    jobs = latest_jobs_for_calls(actor, ids)
    sources = transcript_sources(actor, ids)
    picked = st.dataframe(
        pd.DataFrame(
            {
                "Call": [c.external_id for c in calls],
                "Agent": [c.agent for c in calls],
                "Started": [local_date(c.started_at) for c in calls],
                "Length": [mmss(c.duration_s) for c in calls],
                "Channels": [c.channels for c in calls],
                "Transcript": [sources.get(c.id, "–") for c in calls],
                "Background work": [
                    ", ".join(_job_text(j) for j in jobs.get(c.id, [])) or "–" for c in calls
                ],
            }
        ),
        hide_index=True,
        width="stretch",
        key="calls_table",
        on_select="rerun",
        selection_mode="single-row",
    )
    chosen = [i for i in picked.selection.rows if 0 <= i < len(calls)]
    if chosen:
        _evaluations_of(calls[chosen[0]].id)
    else:
        st.caption("Pick a call's row to open its evaluations.")
    active = any(j.active for views in jobs.values() for j in views)
    if active:
        st.caption("Background work is running; this list follows its progress.")
    elif polling:
        st.rerun(scope="app")


if not calls:
    st.info("No calls yet.")
else:
    work = latest_jobs_for_calls(actor, [c.id for c in calls])
    busy = any(j.active for views in work.values() for j in views)
    st.fragment(_call_table, run_every=POLL_S if busy else None)(busy)
