"""Password guessing with many connections at once: the lockout must hold while the
guesses are still being checked. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

import db.auth
from db.auth import MAX_FAILED_LOGINS, LoginFailed, authenticate
from tests.factories import PASSWORD, make_world

WRONG_GUESSES = MAX_FAILED_LOGINS + 7


class HeldChecks:
    """Holds every password check of a wrong guess until released, as a slow argon2 hash
    under load would: the guesses are all in flight when the right password arrives."""

    def __init__(self, real: Callable[[str, str], bool]) -> None:
        self.real = real
        self.release = threading.Event()
        self.entered = 0
        self.lock = threading.Lock()

    def __call__(self, password_hash: str, password: str) -> bool:
        if password != PASSWORD:
            with self.lock:
                self.entered += 1
            self.release.wait(timeout=30)
        return self.real(password_hash, password)


def test_the_right_password_amid_parallel_wrong_guesses_waits_out_the_lock(database, monkeypatch):
    """MAX+7 wrong guesses at once, then the right password while they are still being
    checked: the lock was reached, so the right one must be refused too (today each
    guess reads 'not locked' before its slow check, and the right one logs in)."""
    make_world()
    # Enough hashing turns for every guess: this test is about the account's count, not
    # the global cap (raising=False: the name did not exist before the fix).
    monkeypatch.setattr(db.auth, "_hash_slots", threading.BoundedSemaphore(64), raising=False)
    held = HeldChecks(db.auth.verify_password)
    monkeypatch.setattr(db.auth, "verify_password", held)
    finished: list[str] = []
    lock = threading.Lock()

    def guess(i: int) -> None:
        try:
            authenticate("sup.north", f"parallel-guess-{i}")
            outcome = "logged in!"
        except LoginFailed:
            outcome = "refused"
        except Exception as exc:  # noqa: BLE001 - a crash is a finding too
            outcome = f"crash: {exc!r}"
        with lock:
            finished.append(outcome)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(WRONG_GUESSES)]
    for t in threads:
        t.start()
    # Wait until every wrong guess is either inside its password check or already refused.
    for _ in range(3000):
        with lock, held.lock:
            if held.entered + len(finished) >= WRONG_GUESSES:
                break
        threading.Event().wait(0.01)
    else:
        pytest.fail(f"guesses stuck: {held.entered} checking, {len(finished)} done")
    try:
        with pytest.raises(LoginFailed):
            authenticate("sup.north", PASSWORD)
    finally:
        held.release.set()
        for t in threads:
            t.join(timeout=60)
    assert finished.count("refused") == WRONG_GUESSES, finished
    assert held.entered <= MAX_FAILED_LOGINS  # the rest were refused before any hashing
    with pytest.raises(LoginFailed):
        authenticate("sup.north", PASSWORD)  # still locked once they are all done
