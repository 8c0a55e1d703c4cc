"""E-mail against a REAL SMTP server on loopback (aiosmtpd) and a real job queue (huey on
SQLite storage with a consumer): messages arrive with the right recipient and links; a
refusing server is retried a bounded number of times; a hanging server never holds up
the click that caused the notification (the click only queues a job)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from db.models import Job, User
from db.services.jobs import job_view
from db.services.notifications import queue_digests, save_preferences
from jobs.email_tasks import EMAIL_ATTEMPTS
from jobs.queue import make_huey, use_huey
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

WAIT_S = 60  # an upper bound for the worker; never a speed assertion
BASE = "http://earshot.test:8501"
AGENT_EMAIL = "agent.north@example.org"


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


class Mailbox:
    """An aiosmtpd handler: keeps what it accepts; refuses the first `refuse` messages
    with a temporary failure (451)."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.tries = 0
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.tries += 1
        if self.tries <= self.refuse:
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch, free_tcp_port) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_tcp_port)
    controller.start()
    for name, value in {
        "EARSHOT_SMTP_HOST": "127.0.0.1",
        "EARSHOT_SMTP_PORT": str(free_tcp_port),
        "EARSHOT_SMTP_TLS": "none",
        "EARSHOT_SMTP_SENDER": "earshot@example.org",
        "EARSHOT_BASE_URL": BASE + "/",
        "EARSHOT_SMTP_RETRY_SECONDS": "0.05",
        "EARSHOT_SMTP_TIMEOUT_SECONDS": "5",
    }.items():
        monkeypatch.setenv(name, value)
    yield mailbox
    controller.stop()


@pytest.fixture
def consumer(tmp_path, monkeypatch) -> Iterator[object]:
    """A real huey consumer on SQLite storage; enqueueing points at the same queue."""
    monkeypatch.setenv("EARSHOT_JOBS_IMMEDIATE", "")
    huey = make_huey(sqlite_path=str(tmp_path / "queue.db"))
    use_huey(huey)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    running = huey.create_consumer(
        workers=2, worker_type="thread", periodic=False, scheduler_interval=1
    )
    running.start()
    for sig, previous in handlers.items():
        signal.signal(sig, previous)
    yield huey
    running.stop(graceful=True)
    huey.flush()
    use_huey(None)


@pytest.fixture
def world(database):
    world = make_world()
    with Session(database) as s:
        s.get(User, world.agent_north.id).email = AGENT_EMAIL
        s.commit()
    return world


def _email_jobs(database) -> list[Job]:
    with Session(database) as s:
        return list(s.exec(select(Job).where(Job.kind.in_(["email", "email digest"]))).all())


def test_feedback_arrives_by_email_with_a_link_to_the_evaluation(
    world, smtp, consumer, tmp_path, database
):
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id)
    wait_until(lambda: smtp.messages, "the e-mail")
    ((recipients, message),) = smtp.messages
    assert recipients == [AGENT_EMAIL]
    assert message["To"] == AGENT_EMAIL and message["From"] == "earshot@example.org"
    assert "New feedback" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    assert f"{BASE}/my_feedback?evaluation={ev.id}" in body
    assert f"{BASE}/notifications" in body
    (job,) = _email_jobs(database)
    wait_until(lambda: job_view(job.id).state == "done", "the job to be done")
    assert [m for m in smtp.messages if m[0] != [AGENT_EMAIL]] == []  # nobody else


def test_a_refusing_server_is_retried_until_it_takes_the_message(
    world, smtp, consumer, tmp_path, database
):
    smtp.refuse = 2
    call = make_call(world.admin, world.agent_north, tmp_path)
    scored(world.sup_north, call.id)
    wait_until(lambda: smtp.messages, "the e-mail after two refusals")
    (job,) = _email_jobs(database)
    wait_until(lambda: job_view(job.id).state == "done", "the job to be done")
    assert job_view(job.id).attempts == 3 and smtp.tries == 3
    assert len(smtp.messages) == 1


def test_retries_are_bounded_and_the_job_fails_with_the_servers_answer(
    world, smtp, consumer, tmp_path, database
):
    smtp.refuse = 1000
    call = make_call(world.admin, world.agent_north, tmp_path)
    scored(world.sup_north, call.id)
    (job,) = _email_jobs(database)
    wait_until(lambda: job_view(job.id).state == "failed", "the job to give up")
    failed = job_view(job.id)
    assert failed.attempts == EMAIL_ATTEMPTS and smtp.tries == EMAIL_ATTEMPTS
    assert "451" in failed.error and f"gave up after {EMAIL_ATTEMPTS} attempts" in failed.error
    assert smtp.messages == []


class HangingServer:
    """Accepts connections and never says a word (no SMTP greeting) until released."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        self.accepted.set()
        self.release.wait(WAIT_S)
        conn.close()

    def close(self) -> None:
        self.release.set()
        self.sock.close()


def test_a_hanging_server_never_holds_up_the_click(
    world, consumer, tmp_path, database, monkeypatch
):
    hanging = HangingServer()
    monkeypatch.setenv("EARSHOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("EARSHOT_SMTP_PORT", str(hanging.port))
    monkeypatch.setenv("EARSHOT_SMTP_TLS", "none")
    monkeypatch.setenv("EARSHOT_SMTP_SENDER", "earshot@example.org")
    monkeypatch.setenv("EARSHOT_SMTP_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("EARSHOT_SMTP_RETRY_SECONDS", "3600")
    try:
        call = make_call(world.admin, world.agent_north, tmp_path)
        ev = scored(world.sup_north, call.id)  # the click: returns with its result
        assert ev.status == "submitted"
        # The worker is stuck in the server's silence while the click is long done.
        assert hanging.accepted.wait(WAIT_S)
        (job,) = _email_jobs(database)
        assert job_view(job.id).state == "running"
    finally:
        hanging.close()  # the connection drops: the attempt fails and is retried later
    wait_until(lambda: job_view(job.id).state == "queued", "the retry to be scheduled")
    waiting = job_view(job.id)
    assert waiting.attempts == 1 and f"127.0.0.1:{hanging.port}" in waiting.error
    assert f"attempt 1 of {EMAIL_ATTEMPTS}" in waiting.error


def test_a_daily_digest_holds_every_notification_with_its_link(
    world, smtp, consumer, tmp_path, database
):
    save_preferences(
        world.agent_north, ["feedback", "dispute_decided"], ["feedback"], email_mode="daily"
    )
    first = scored(world.sup_north, make_call(world.admin, world.agent_north, tmp_path).id)
    second = scored(world.sup_north, make_call(world.admin, world.agent_north, tmp_path, seed=3).id)
    assert _email_jobs(database) == []  # daily: nothing one by one
    assert queue_digests() == 1
    wait_until(lambda: smtp.messages, "the digest")
    ((recipients, message),) = smtp.messages
    assert recipients == [AGENT_EMAIL] and "2 new" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    for ev in (first, second):
        assert f"{BASE}/my_feedback?evaluation={ev.id}" in body
    (job,) = _email_jobs(database)
    wait_until(lambda: job_view(job.id).state == "done", "the digest job")
    assert queue_digests() == 0  # everything was sent
