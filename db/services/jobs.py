"""Background jobs as the product sees them: the `job` row is the truth about a job
(kind, call, state, progress, error, attempts); the queue (huey, see `jobs/`) only
carries its id to a worker.

States: queued → running → done | failed; a failed job goes back to queued when a user
who may see its call retries it. Progress is a fraction 0..1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from db.access import AccessDenied, Actor, NotFound, get_visible_call
from db.engine import read_scope, session_scope
from db.models import Job, JobState, utcnow

ERROR_LIMIT = 2000


class JobProblem(ValueError):
    """A job cannot be done as asked (e.g. retrying one that has not failed)."""


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    call_id: int | None
    subject: str
    state: str
    progress: float
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def failed(self) -> bool:
        return self.state == JobState.failed

    @property
    def active(self) -> bool:
        return self.state in (JobState.queued, JobState.running)


def _view(job: Job) -> JobView:
    return JobView(
        job.id,
        job.kind,
        job.call_id,
        job.subject,
        job.state,
        job.progress,
        job.error,
        job.attempts,
        job.created_at,
        job.started_at,
        job.finished_at,
    )


def enqueue(
    kind: str,
    call_id: int | None = None,
    *,
    subject: str = "",
    requested_by: int | None = None,
) -> JobView:
    """Record a queued job, commit it, then hand its id to the queue.

    Called outside any unit of work: a worker must find the committed row. If the queue
    cannot take the job, the row says so (failed, with the reason) and it can be retried.
    """
    with session_scope() as session:
        job = Job(kind=kind, call_id=call_id, subject=subject[:255], requested_by=requested_by)
        session.add(job)
        session.flush()
        job_id = job.id
    _send(job_id)
    return job_view(job_id)


def _send(job_id: int) -> None:
    from jobs.queue import send_job

    try:
        send_job(job_id)
    except Exception as exc:  # any queue failure is recorded, not raised
        fail_job(job_id, f"the job queue could not take this job: {type(exc).__name__}: {exc}")


def job_view(job_id: int) -> JobView:
    """A job as stored (for workers, the CLI and tests: no access check)."""
    with read_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"Job {job_id} was not found.")
        return _view(job)


# ---------------------------------------------------------------- the worker's side


def start_job(job_id: int) -> JobView | None:
    """Mark a queued job running (one more attempt). None when there is nothing to run:
    the job is gone, already done, or already taken by another worker. One conditional
    UPDATE, so two workers given the same job never both run it, on either database."""
    now = utcnow()
    with session_scope() as session:
        taken = session.exec(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.queued)
            .values(
                state=JobState.running,
                progress=0.0,
                error=None,
                attempts=Job.attempts + 1,
                started_at=now,
                finished_at=None,
                updated_at=now,
            )
        )
        if taken.rowcount != 1:
            return None
    return job_view(job_id)


def set_progress(job_id: int, fraction: float) -> None:
    fraction = min(1.0, max(0.0, float(fraction)))
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is not None and job.state == JobState.running:
            job.progress, job.updated_at = fraction, utcnow()
            session.add(job)


def finish_job(job_id: int) -> None:
    _close(job_id, JobState.done, None)


def fail_job(job_id: int, reason: str) -> None:
    _close(job_id, JobState.failed, (reason.strip() or "failed without a reason")[:ERROR_LIMIT])


def retry_later(job_id: int, reason: str, delay_s: float) -> None:
    """Put a running job back in the queue to run again after `delay_s` seconds, keeping
    the reason of this attempt's failure on the row (it shows while it waits)."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        job.state, job.error = JobState.queued, (reason.strip() or "retrying")[:ERROR_LIMIT]
        job.updated_at = utcnow()
        session.add(job)
    from jobs.queue import send_job

    try:
        send_job(job_id, delay_s=delay_s)
    except Exception as exc:  # the queue is down: the row says so, a user can retry it
        fail_job(job_id, f"the job queue could not take the retry: {type(exc).__name__}: {exc}")


def _close(job_id: int, state: JobState, error: str | None) -> None:
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        now = utcnow()
        job.state, job.error = state, error
        if state == JobState.done:
            job.progress = 1.0
        job.finished_at = job.updated_at = now
        session.add(job)


ABANDONED_AFTER_S = 30 * 60


def fail_abandoned_jobs(older_than_s: float = ABANDONED_AFTER_S) -> int:
    """Jobs left running by a worker that stopped (a restart, a crash) are failed, so users
    see them and can retry: those running with no progress recorded for `older_than_s`.
    Workers call this when they start. Returns how many."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    with session_scope() as session:
        stale = session.exec(
            select(Job).where(Job.state == JobState.running, Job.updated_at < cutoff)
        ).all()
        for job in stale:
            job.state = JobState.failed
            job.error = "the worker stopped while this job was running; retry it"
            job.finished_at = job.updated_at = utcnow()
            session.add(job)
        return len(stale)


# ---------------------------------------------------------------- what users see


def latest_jobs_for_calls(actor: Actor, call_ids: Iterable[int]) -> dict[int, list[JobView]]:
    """The newest job of each kind per call, for calls the actor may see (others are
    left out silently: the caller listed only visible calls)."""
    ids = sorted(set(call_ids))
    if not ids:
        return {}
    with read_scope() as session:
        newest = (
            select(func.max(Job.id))
            .where(Job.call_id.in_(ids))
            .group_by(Job.call_id, Job.kind)
            .scalar_subquery()
        )
        rows = session.exec(select(Job).where(Job.id.in_(newest)).order_by(Job.id)).all()
        visible = _visible_ids(session, actor, {r.call_id for r in rows})
        out: dict[int, list[JobView]] = {}
        for row in rows:
            if row.call_id in visible:
                out.setdefault(row.call_id, []).append(_view(row))
        return out


def failed_jobs(actor: Actor, limit: int = 200) -> list[JobView]:
    """Failed jobs whose newest attempt is still failed, on calls the actor may see;
    jobs without a call (admin work) only for admins. Agents retry nothing: none.
    Newest first."""
    if not actor.can_score:
        return []
    with read_scope() as session:
        rows = session.exec(
            select(Job).where(Job.state == JobState.failed).order_by(Job.id.desc()).limit(limit)
        ).all()
        visible = _visible_ids(session, actor, {r.call_id for r in rows if r.call_id})
        return [
            _view(r)
            for r in rows
            if (r.call_id is None and actor.is_admin) or (r.call_id in visible)
        ]


def retry_job(actor: Actor, job_id: int) -> JobView:
    """Queue a failed job again. Scorers (admins, supervisors) who may see its call."""
    if not actor.can_score:
        raise AccessDenied("Only supervisors and admins retry background jobs.")
    with session_scope() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None:
            raise NotFound(f"Job {job_id} was not found.")
        if job.call_id is None:
            if not actor.is_admin:
                raise NotFound(f"Job {job_id} was not found.")
        else:
            try:
                get_visible_call(session, actor, job.call_id)
            except NotFound as exc:
                raise NotFound(f"Job {job_id} was not found.") from exc
        if job.state != JobState.failed:
            raise JobProblem(f"Job {job_id} is {job.state}; only a failed job can be retried.")
        job.state, job.progress, job.error = JobState.queued, 0.0, None
        job.updated_at = utcnow()
        session.add(job)
    _send(job_id)
    return job_view(job_id)


def _visible_ids(session: Session, actor: Actor, call_ids: set[int]) -> set[int]:
    from db.services.transcripts import visible_call_filter

    if not call_ids:
        return set()
    from db.models import Call

    query = select(Call.id).where(Call.id.in_(sorted(call_ids)))
    return set(session.exec(visible_call_filter(query, actor)).all())
