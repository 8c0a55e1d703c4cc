"""What a worker does with a job id: mark it running, call the kind's handler, record
done or failed (with the reason). Handlers report progress through the context."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from db import jobs as job_rows

log = logging.getLogger("earshot.jobs")


@dataclass(frozen=True)
class JobContext:
    job_id: int
    kind: str
    call_id: int | None
    subject: str
    attempt: int

    def progress(self, fraction: float) -> None:
        """Record how far the job is, 0..1 (a database write: call it sparingly)."""
        job_rows.set_progress(self.job_id, fraction)


Handler = Callable[[JobContext], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does jobs of `kind`."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


class JobFailed(Exception):
    """A handler's way to fail with a reason users can read (no traceback kept)."""


def run_job(job_id: int) -> None:
    """Run one job to done or failed. Never raises: the row carries the outcome."""
    # Registering the job kinds: the product's, then text evidence and suggestions.
    import jobs.handlers
    import jobs.text_tasks  # noqa: F401

    job = job_rows.start_job(job_id)
    if job is None:
        return  # done, running elsewhere, or gone: nothing to do
    fn = HANDLERS.get(job.kind)
    if fn is None:
        job_rows.fail_job(job_id, f"no worker knows how to do a {job.kind!r} job")
        return
    context = JobContext(job.id, job.kind, job.call_id, job.subject, job.attempts)
    try:
        fn(context)
    except JobFailed as exc:
        job_rows.fail_job(job_id, str(exc))
    except Exception as exc:  # every failure is recorded on the row
        log.exception("job %s (%s) failed", job_id, job.kind)
        job_rows.fail_job(job_id, f"{type(exc).__name__}: {exc}")
    else:
        job_rows.finish_job(job_id)
