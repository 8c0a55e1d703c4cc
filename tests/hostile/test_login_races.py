"""Password guessing with many connections at once: the lockout must hold while the
guesses are still being checked. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

import db.operations.config
import db.services.auth
from db.models import utcnow
from db.services.auth import MAX_FAILED_LOGINS, LoginFailed, LoginThrottled, authenticate
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
    monkeypatch.setattr(
        db.services.auth, "_hash_slots", threading.BoundedSemaphore(64), raising=False
    )
    held = HeldChecks(db.services.auth.verify_password)
    monkeypatch.setattr(db.services.auth, "verify_password", held)
    finished: list[str] = []
    lock = threading.Lock()

    def guess(i: int) -> None:
        try:
            authenticate("sup.north", f"parallel-guess-{i}")
            outcome = "logged in!"
        except LoginFailed:
            outcome = "refused"
        except Exception as exc:
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


# ------------------------------------------------------------------ per address, globally

ATTACKER = "203.0.113.9"
COLLEAGUE = "198.51.100.7"


def _limits(monkeypatch, **changes) -> None:
    real = db.operations.config.settings
    monkeypatch.setattr(db.services.auth, "settings", lambda: replace(real(), **changes))


def test_one_address_spraying_guesses_across_accounts_is_paused_and_others_are_not(
    database, monkeypatch, hostile
):
    """One guess at each account from one address (a spray never trips an account's own
    lock): the address is paused after its budget, even for a right password; another
    address signs in; the pause lifts after the window."""
    _limits(monkeypatch, login_address_failures=8, login_address_window_minutes=15)
    make_world()
    users = ["admin", "sup.north", "sup.south", "agent.north", "agent.north2", "agent.south"]
    for name in [*users, "nobody.1", "nobody.2"]:
        refused = hostile.attempt(
            lambda name=name: authenticate(name, "Summer2026!", client_address=ATTACKER),
            LoginFailed,
            label=name,
        )
        assert str(refused) == db.services.auth.LOGIN_FAILED
    refused = hostile.attempt(
        lambda: authenticate("sup.north", PASSWORD, client_address=ATTACKER), LoginFailed
    )
    assert isinstance(refused, LoginThrottled)
    assert str(refused) == "Too many failed sign-ins from your network. Try again in 15 minutes."
    assert authenticate("sup.north", PASSWORD, client_address=COLLEAGUE).username == "sup.north"
    start = db.services.auth._clock()
    monkeypatch.setattr(db.services.auth, "_clock", lambda: start + 15 * 60 + 1)
    assert authenticate("sup.north", PASSWORD, client_address=ATTACKER).username == "sup.north"


def test_a_success_does_not_count_against_the_address(database, monkeypatch):
    _limits(monkeypatch, login_address_failures=3)
    make_world()
    for _ in range(10):  # a busy shared office: many good sign-ins from one address
        assert authenticate("sup.north", PASSWORD, client_address=COLLEAGUE)
    for _ in range(2):
        with pytest.raises(LoginFailed):
            authenticate("sup.south", "typo-typo-typo", client_address=COLLEAGUE)
    assert authenticate("sup.south", PASSWORD, client_address=COLLEAGUE)


def test_a_burst_from_one_address_is_counted_before_any_hashing(database, monkeypatch):
    """Thirty guesses at once from one address with a budget of 6: at most 6 are
    checked; the rest are refused before hashing, though none had finished."""
    _limits(monkeypatch, login_address_failures=6)
    make_world()
    monkeypatch.setattr(db.services.auth, "_hash_slots", threading.BoundedSemaphore(64))
    held = HeldChecks(db.services.auth.verify_password)
    monkeypatch.setattr(db.services.auth, "verify_password", held)
    users = ["admin", "sup.north", "sup.south", "agent.north", "agent.north2", "agent.south"]
    answers: list[str] = []
    lock = threading.Lock()

    def guess(i: int) -> None:
        try:
            authenticate(users[i % len(users)], f"burst-{i}", client_address=ATTACKER)
        except LoginThrottled:
            outcome = "address paused"
        except LoginFailed:
            outcome = "wrong password"
        with lock:
            answers.append(outcome)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for _ in range(3000):
        with lock, held.lock:
            if held.entered + len(answers) >= 30:
                break
        threading.Event().wait(0.01)
    held.release.set()
    for t in threads:
        t.join(timeout=60)
    assert held.entered == 6
    assert answers.count("address paused") == 24 and answers.count("wrong password") == 6


def test_password_checks_at_once_are_capped_and_the_rest_are_told_to_retry(database, monkeypatch):
    """With 2 hashing turns, 2 checks run at once; others wait for a turn and, if none
    frees up in time, get a clear 'busy' answer instead of piling up 64 MiB each."""
    _limits(monkeypatch, login_concurrent_hashes=2)
    db.services.auth.reset_throttles()  # the turns are made from the setting
    monkeypatch.setattr(db.services.auth, "HASH_WAIT_S", 0.2)
    make_world()
    held = HeldChecks(db.services.auth.verify_password)
    monkeypatch.setattr(db.services.auth, "verify_password", held)
    users = ["admin", "sup.north", "sup.south", "agent.north", "agent.north2"]
    answers: list[str] = []
    lock = threading.Lock()

    def guess(name: str) -> None:
        try:
            authenticate(name, "not-their-password")
        except LoginFailed as exc:
            with lock:
                answers.append(str(exc))

    threads = [threading.Thread(target=guess, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for _ in range(3000):
        with lock, held.lock:
            if held.entered + len(answers) >= len(users):
                break
        threading.Event().wait(0.01)
    held.release.set()
    for t in threads:
        t.join(timeout=60)
    assert held.entered == 2
    assert sorted(answers) == sorted(
        [db.services.auth.LOGIN_BUSY] * 3 + [db.services.auth.LOGIN_FAILED] * 2
    )
    assert authenticate("sup.north", PASSWORD).username == "sup.north"  # turns came back


def test_repeated_pauses_double_up_to_the_cap(database, monkeypatch):
    """5 failures pause 5 minutes; 5 more after it lifts pause 10; then 20; then the cap
    (30 minutes by default). A success ends it all."""
    make_world()
    now = utcnow()
    monkeypatch.setattr(db.services.auth, "utcnow", lambda: now)
    expected = [5, 10, 20, 30, 30]
    for minutes in expected:
        for _ in range(MAX_FAILED_LOGINS):
            with pytest.raises(LoginFailed):
                authenticate("sup.north", "guess-again-1")
        paused_until = now + timedelta(minutes=minutes)
        monkeypatch.setattr(
            db.services.auth, "utcnow", lambda t=paused_until: t - timedelta(seconds=1)
        )
        with pytest.raises(LoginFailed):
            authenticate("sup.north", PASSWORD)  # still paused a second before the end
        now = paused_until
        monkeypatch.setattr(db.services.auth, "utcnow", lambda t=now: t)
    assert authenticate("sup.north", PASSWORD).username == "sup.north"
    for _ in range(MAX_FAILED_LOGINS - 1):  # the count started again
        with pytest.raises(LoginFailed):
            authenticate("sup.north", "guess-again-1")
    assert authenticate("sup.north", PASSWORD).username == "sup.north"
