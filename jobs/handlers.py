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
    from db.services.listening import store_listening_report
    from db.services.transcripts import assign_roles_from_report

    call_id = _call_id(context)
    row = store_listening_report(call_id)
    context.progress(0.9)
    if row.error is None:
        assign_roles_from_report(call_id)


@handler(TRANSCRIBE)
def transcribe(context: JobContext) -> None:
    """Recognise the call's speech offline (media.asr) unless it already has a transcript."""
    from db.services.transcripts import REPLACE_SUBJECT, recognise_call

    replace = context.subject == REPLACE_SUBJECT
    recognise_call(_call_id(context), progress=context.progress, replace=replace)


SAMPLE = "sample"
DUE_PLANS = "due plans"  # the subject of the scheduler's job: every active plan


@handler(SAMPLE)
def sample(context: JobContext) -> None:
    """Run sampling plans: every active plan (the scheduler's job, subject "due plans")
    or one plan (subject: its id) for its current period as of now."""
    from datetime import UTC, datetime

    from db.services.sampling import run_due_plans, run_plan

    if context.subject == DUE_PLANS:
        run_due_plans()
        return
    if not context.subject.isdigit():
        raise JobFailed(f"a sample job names a plan id or {DUE_PLANS!r}; got {context.subject!r}")
    now = datetime.now(UTC)
    run_plan(int(context.subject), now.date(), as_of=now)
