"""The huey instance: which storage, and the one task it runs (`run_job(job_id)`).

Every job kind goes through the same task: the worker reads the job row and calls the
kind's handler (jobs/handlers.py), so state, progress and errors are recorded the same way.
"""

from __future__ import annotations

import threading

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from jobs import config

QUEUE_NAME = "earshot"
SAMPLING_EVERY_MINUTES = 10

_lock = threading.Lock()
_huey: Huey | None = None


def make_huey(
    *,
    redis_url: str | None = None,
    sqlite_path: str | None = None,
    immediate: bool = False,
    name: str = QUEUE_NAME,
) -> Huey:
    """A huey app with the job task registered: Redis at `redis_url`, else SQLite at
    `sqlite_path`, else (immediate) in-memory and synchronous."""
    if immediate:
        huey: Huey = MemoryHuey(name, immediate=True)
    elif redis_url:
        huey = RedisHuey(name, url=redis_url)
    elif sqlite_path:
        huey = SqliteHuey(name, filename=sqlite_path)
    else:
        raise ValueError("make_huey needs a Redis URL, a SQLite file or immediate=True")

    # Huey's own retries stay off: a failure is recorded on the job row and retried by a
    # user who has read the reason.
    @huey.task(name="run_job")
    def run_job_task(job_id: int) -> None:
        from jobs.runner import run_job

        run_job(job_id)

    huey.run_job_task = run_job_task  # type: ignore[attr-defined]

    # Sampling plans run in the worker (never in a page run): each period's start and the
    # calls that arrived since are picked up within SAMPLING_EVERY_MINUTES.
    @huey.periodic_task(crontab(minute=f"*/{SAMPLING_EVERY_MINUTES}"), name="sampling")
    def sampling_task() -> None:
        from jobs.scheduler import queue_due_sampling

        queue_due_sampling()

    huey.sampling_task = sampling_task  # type: ignore[attr-defined]

    # Daily e-mail digests for the users who chose one (db/services/notifications.py).
    @huey.periodic_task(crontab(minute="0", hour=str(config.digest_hour())), name="digests")
    def digest_task() -> None:
        from db.services.notifications import queue_digests

        queue_digests()

    huey.digest_task = digest_task  # type: ignore[attr-defined]
    return huey


def configured_huey() -> Huey:
    if config.immediate():
        return make_huey(immediate=True)
    if url := config.redis_url():
        return make_huey(redis_url=url)
    path = config.sqlite_queue_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return make_huey(sqlite_path=str(path))


def get_huey() -> Huey:
    """The process's queue, made from the settings on first use."""
    global _huey
    with _lock:
        if _huey is None:
            _huey = configured_huey()
        return _huey


def use_huey(huey: Huey | None) -> None:
    """Point enqueueing at `huey` (tests); None goes back to the configured queue."""
    global _huey
    with _lock:
        _huey = huey


def send_job(job_id: int, delay_s: float | None = None) -> None:
    """Put a recorded job's id on the queue (after `delay_s` seconds, for a retry)."""
    task = get_huey().run_job_task  # type: ignore[attr-defined]
    if delay_s:
        task.schedule(args=(job_id,), delay=delay_s)
    else:
        task(job_id)
