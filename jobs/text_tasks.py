"""Job kinds for the evidence that lives in words: text evidence of one call (queued when a
transcript is stored, or when the rules changed), and refitting the suggestion model."""

from __future__ import annotations

from jobs.runner import JobContext, JobFailed, handler

TEXT_EVIDENCE = "text evidence"
FIT_SUGGESTIONS = "fit suggestions"


@handler(TEXT_EVIDENCE)
def text_evidence(context: JobContext) -> None:
    """Analyse the call's stored transcript (scoring.text_evidence) and store the result."""
    from db.services.text_evidence import compute_text_evidence

    if context.call_id is None:
        raise JobFailed("a text evidence job needs a call")
    compute_text_evidence(context.call_id)


@handler(FIT_SUGGESTIONS)
def fit_suggestions(context: JobContext) -> None:
    """Refit the suggestion model of a rubric key (the subject) on submitted evaluations."""
    from db.services.suggestions import refit_model

    refit_model(context.subject or "listening", progress=context.progress)
