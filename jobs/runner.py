"""What a worker does with a job id: mark it running, call the kind's handler, record
done or failed (with the reason). Handlers report progress through the context."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from db.services import jobs as job_rows

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


class JobRetry(Exception):
    """A handler's way to say "not now": the job goes back to queued with the reason and
    runs again after `delay_s` seconds (the handler bounds its own attempts)."""

    def __init__(self, reason: str, delay_s: float) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


def run_job(job_id: int) -> None:
    """Run one job to done or failed. Never raises: the row carries the outcome."""
    # Registering the job kinds: the product's, then text evidence and suggestions.
    import jobs.email_tasks
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
    except JobRetry as exc:
        log.warning("job %s (%s) will retry in %.0f s: %s", job_id, job.kind, exc.delay_s, exc)
        job_rows.retry_later(job_id, str(exc), exc.delay_s)
    except Exception as exc:  # every failure is recorded on the row
        log.exception("job %s (%s) failed", job_id, job.kind)
        job_rows.fail_job(job_id, f"{type(exc).__name__}: {exc}")
    else:
        job_rows.finish_job(job_id)
