"""The product's job kinds: listening analysis and speech recognition of one call."""

from __future__ import annotations

from jobs.runner import JobContext, JobFailed, handler

LISTEN = "listen"
TRANSCRIBE = "transcribe"


def _call_id(context: JobContext) -> int:
    if context.call_id is None:
        raise JobFailed(f"a {context.kind} job needs a call")
    return context.call_id


@handler(LISTEN)
def listen(context: JobContext) -> None:
    """Listening report and waveform peaks; then parties for a transcript whose speaker
    labels are not parties (diarised "A"/"B"), from the report's turns."""
    from db.listening import store_listening_report
    from db.transcripts import assign_roles_from_report

    call_id = _call_id(context)
    row = store_listening_report(call_id)
    context.progress(0.9)
    if row.error is None:
        assign_roles_from_report(call_id)


@handler(TRANSCRIBE)
def transcribe(context: JobContext) -> None:
    """Recognise the call's speech offline (media.asr) unless it already has a transcript."""
    from db.transcripts import recognise_call

    recognise_call(_call_id(context), progress=context.progress)
