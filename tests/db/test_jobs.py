"""Background jobs: the job row's life (queued, running, done, failed, retried) through a
real huey consumer on SQLite storage and on Redis, a `python -m jobs.worker` process
running the listening analysis, and who may see and retry what.

Elsewhere in the tests jobs run at once where they are queued (huey's immediate mode,
set in tests/conftest.py); here every queue is real and a consumer takes the jobs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from db.access import AccessDenied, NotFound
from db.services.jobs import (
    JobProblem,
    enqueue,
    failed_jobs,
    job_view,
    latest_jobs_for_calls,
    retry_job,
)
from db.services.listening import listening_report_for
from jobs.queue import make_huey, use_huey
from jobs.runner import HANDLERS, JobContext, JobFailed, handler
from tests.factories import REPO_ROOT, make_call, make_world

WAIT_S = 60  # an upper bound for a worker to pick a job up; never a speed assertion


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


# A job kind for these tests: it fails while its subject names a flag file that exists,
# and reports progress on the way, so a retry after removing the flag succeeds.
FLAKY = "test-flaky"


@handler(FLAKY)
def _flaky(context: JobContext) -> None:
    context.progress(0.5)
    flag = Path(context.subject)
    if flag.exists():
        raise JobFailed(f"the flag {flag.name} is up (attempt {context.attempt})")


@pytest.fixture(params=["sqlite-storage", "redis-storage"])
def consumer(request, tmp_path) -> Iterator[object]:
    """A real huey consumer (two worker threads) on SQLite or Redis storage, with
    enqueueing pointed at the same queue."""
    if request.param == "sqlite-storage":
        huey = make_huey(sqlite_path=str(tmp_path / "queue.db"))
    else:
        url = request.getfixturevalue("redis_url")
        huey = make_huey(redis_url=url, name=f"earshot-test-{uuid.uuid4().hex[:8]}")
    use_huey(huey)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    running = huey.create_consumer(workers=2, worker_type="thread", periodic=False)
    running.start()
    for sig, previous in handlers.items():  # the consumer takes them; pytest keeps its own
        signal.signal(sig, previous)
    yield huey
    running.stop(graceful=True)
    huey.flush()
    use_huey(None)


def test_a_job_runs_fails_with_its_reason_and_succeeds_when_retried(database, consumer, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    flag = tmp_path / "flag"
    flag.touch()
    job = enqueue(FLAKY, call.id, subject=str(flag), requested_by=world.sup_north.id)
    assert job.state in ("queued", "running", "failed")  # the worker may already have it

    wait_until(lambda: job_view(job.id).state == "failed", "the job to fail")
    failed = job_view(job.id)
    assert failed.error == "the flag flag is up (attempt 1)"
    assert failed.attempts == 1 and failed.progress == pytest.approx(0.5)
    assert failed.finished_at is not None
    assert [j.id for j in failed_jobs(world.sup_north)] == [job.id]
    assert [j.state for j in latest_jobs_for_calls(world.sup_north, [call.id])[call.id]] == [
        "failed"
    ]

    flag.unlink()
    retried = retry_job(world.sup_north, job.id)
    assert retried.error is None and retried.state in ("queued", "running", "done")
    wait_until(lambda: job_view(job.id).state == "done", "the retried job to finish")
    done = job_view(job.id)
    assert done.attempts == 2 and done.progress == 1.0 and done.error is None
    assert failed_jobs(world.sup_north) == []
    with pytest.raises(JobProblem, match="only a failed job can be retried"):
        retry_job(world.sup_north, job.id)


def test_the_listening_analysis_runs_on_the_queue(database, consumer, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)  # imported without analysis
    assert listening_report_for(world.admin, call.id) is None
    job = enqueue("listen", call.id)
    wait_until(lambda: job_view(job.id).state in ("done", "failed"), "the analysis")
    assert job_view(job.id).state == "done", job_view(job.id).error
    report = listening_report_for(world.admin, call.id)
    assert report is not None and report["error"] is None and report["peaks"]


def test_a_job_of_an_unknown_kind_fails_saying_so(database, consumer, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    job = enqueue("no-such-kind", call.id)
    wait_until(lambda: job_view(job.id).state == "failed", "the job to fail")
    assert job_view(job.id).error == "no worker knows how to do a 'no-such-kind' job"


# ---------------------------------------------------------------- immediate mode: bodies


def test_importing_a_call_queues_its_listening_analysis(database, tmp_path):
    """Immediate mode (tests/conftest.py): the job runs inside enqueue, through the same
    runner, so the row records it."""
    world = make_world()
    from datetime import UTC, datetime

    from db.services.calls import import_call
    from tests.factories import write_speechlike_wav

    path = write_speechlike_wav(tmp_path / "a.wav", 6, seed=3)
    row = import_call(
        world.admin,
        path,
        original_name="a.wav",
        agent_username="agent.north",
        started_at=datetime(2026, 11, 3, 14, 0, tzinfo=UTC),
    )
    jobs = latest_jobs_for_calls(world.admin, [row.id])[row.id]
    assert [(j.kind, j.state, j.attempts) for j in jobs] == [("listen", "done", 1)]
    assert listening_report_for(world.admin, row.id)["error"] is None


def test_a_failing_job_body_is_recorded_with_its_exception(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)

    @handler("test-broken")
    def _broken(context: JobContext) -> None:
        raise ZeroDivisionError("division by zero")

    try:
        job = enqueue("test-broken", call.id)
    finally:
        HANDLERS.pop("test-broken")
    assert job.state == "failed"
    assert job.error == "ZeroDivisionError: division by zero"


def test_a_queue_that_cannot_take_a_job_leaves_a_failed_row(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    use_huey(make_huey(redis_url="redis://127.0.0.1:1/0"))  # nothing listens on port 1
    try:
        job = enqueue("listen", call.id)
    finally:
        use_huey(None)
    assert job.state == "failed"
    assert job.error.startswith("the job queue could not take this job: ConnectionError")


def test_who_sees_and_retries_failed_jobs(database, tmp_path):
    world = make_world()
    north = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="J-N")
    south = make_call(world.admin, world.agent_south, tmp_path, seed=2, external_id="J-S")
    flag = tmp_path / "flag"
    flag.touch()
    north_job = enqueue(FLAKY, north.id, subject=str(flag))
    south_job = enqueue(FLAKY, south.id, subject=str(flag))
    admin_job = enqueue(FLAKY, None, subject=str(flag))
    assert {j.id for j in failed_jobs(world.admin)} == {north_job.id, south_job.id, admin_job.id}
    assert [j.id for j in failed_jobs(world.sup_north)] == [north_job.id]
    assert [j.id for j in failed_jobs(world.sup_south)] == [south_job.id]
    assert failed_jobs(world.agent_north) == []  # agents see no job list, not even their own
    assert latest_jobs_for_calls(world.sup_north, [north.id, south.id]).keys() == {north.id}
    with pytest.raises(AccessDenied):
        retry_job(world.agent_north, north_job.id)
    for not_theirs in (south_job.id, admin_job.id, 10**9):
        with pytest.raises(NotFound, match=f"Job {not_theirs} was not found"):
            retry_job(world.sup_north, not_theirs)
    assert job_view(south_job.id).state == "failed"  # refused retries changed nothing
    flag.unlink()
    assert retry_job(world.sup_north, north_job.id).state == "done"  # immediate mode


# ---------------------------------------------------------------- the worker process


@pytest.mark.slow  # heavy end to end: make test runs it, make test-fast leaves it out
def test_the_worker_command_runs_queued_jobs(tmp_path):
    """`python -m jobs.worker` as `make run` starts it: a separate process on the
    embedded SQLite queue and database analyses a call queued by this process."""
    from db.engine import make_engine, use_engine
    from db.operations.migrate import upgrade_to_head

    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    use_engine(engine)
    queue_file = tmp_path / "jobs.db"
    huey = make_huey(sqlite_path=str(queue_file))
    use_huey(huey)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "EARSHOT_QUEUE_FILE": str(queue_file),
        "EARSHOT_JOBS_IMMEDIATE": "",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "jobs.worker", "--threads", "1"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        world = make_world()
        call = make_call(world.admin, world.agent_north, tmp_path)
        job = enqueue("listen", call.id)
        wait_until(lambda: job_view(job.id).state in ("done", "failed"), "the worker")
        assert job_view(job.id).state == "done", job_view(job.id).error
        assert listening_report_for(world.admin, call.id)["peaks"]
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            worker.kill()
        use_huey(None)
        use_engine(None)
        engine.dispose()
    assert worker.returncode == 0, worker.stderr.read()


# ---------------------------------------------------------------- listening on the queue


def test_recomputing_listening_evidence_is_queued_for_scorers_who_see_the_call(database, tmp_path):
    from db.services.listening import queue_listening_analysis

    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    with pytest.raises(AccessDenied):
        queue_listening_analysis(world.agent_north, call.id)
    with pytest.raises(NotFound):
        queue_listening_analysis(world.sup_south, call.id)
    job = queue_listening_analysis(world.sup_north, call.id)
    assert (job.kind, job.state) == ("listen", "done")  # immediate mode
    assert listening_report_for(world.sup_north, call.id)["peaks"]


def test_analyse_calls_cli_runs_here_or_queues(tmp_path, capsys):
    from db.engine import make_engine, use_engine
    from db.operations.cli import main
    from db.operations.migrate import upgrade_to_head

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade_to_head(engine)
    use_engine(engine)
    try:
        world = make_world()
        first = make_call(world.admin, world.agent_north, tmp_path, seed=1)
        assert main(["analyse-calls"]) == 0
        assert "analysed 1 call(s)" in capsys.readouterr().out
        assert listening_report_for(world.admin, first.id)["error"] is None
        second = make_call(world.admin, world.agent_north, tmp_path, seed=2)
        assert main(["analyse-calls", "--queue"]) == 0
        assert "queued 1 call(s)" in capsys.readouterr().out
        (job,) = latest_jobs_for_calls(world.admin, [second.id])[second.id]
        assert (job.kind, job.state) == ("listen", "done")  # immediate mode
        assert main(["analyse-calls"]) == 0
        assert "analysed 0 call(s)" in capsys.readouterr().out
    finally:
        use_engine(None)
        engine.dispose()


def test_jobs_a_stopped_worker_left_running_become_failed_and_retryable(database, tmp_path):
    from datetime import timedelta

    from db.engine import session_scope
    from db.models import Job, utcnow
    from db.services.jobs import fail_abandoned_jobs, start_job

    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    use_huey(make_huey(sqlite_path=str(tmp_path / "queue.db")))  # queued, no consumer
    try:
        old, fresh = enqueue("listen", call.id), enqueue("listen", call.id)
    finally:
        use_huey(None)
    for job in (old, fresh):
        start_job(job.id)  # as a worker would, before it died
    with session_scope() as session:
        row = session.get(Job, old.id)
        row.updated_at = utcnow() - timedelta(hours=1)
        session.add(row)
    assert fail_abandoned_jobs(older_than_s=30 * 60) == 1
    assert job_view(fresh.id).state == "running"  # still within its time
    abandoned = job_view(old.id)
    assert abandoned.state == "failed" and "worker stopped" in abandoned.error
    assert retry_job(world.sup_north, old.id).state == "done"  # immediate mode again


def test_a_job_is_started_once_however_many_workers_are_given_it(database, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from db.services.jobs import start_job

    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    use_huey(make_huey(sqlite_path=str(tmp_path / "queue.db")))  # queued, no consumer
    try:
        job = enqueue("listen", call.id)
    finally:
        use_huey(None)
    with ThreadPoolExecutor(4) as pool:
        started = list(pool.map(lambda _: start_job(job.id), range(8)))
    assert sum(s is not None for s in started) == 1
    assert job_view(job.id).attempts == 1 and job_view(job.id).state == "running"
