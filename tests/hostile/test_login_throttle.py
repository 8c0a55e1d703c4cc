"""Password guessing: throttled after repeated failures, without telling a guesser which
usernames exist, without crashing on odd input, and without a way around the count.
On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from db.models import utcnow
from db.services.auth import LOCKOUT, LOGIN_FAILED, MAX_FAILED_LOGINS, LoginFailed, authenticate
from db.services.users import set_active
from tests.factories import PASSWORD, make_world

LOCKED = "Too many failed attempts"  # today's wording; one shared message would do too


def _locked_out(username: str) -> bool:
    """True when the right password is refused, with a message a user can act on."""
    try:
        authenticate(username, PASSWORD)
    except LoginFailed as exc:
        assert str(exc).startswith(LOCKED) or str(exc) == LOGIN_FAILED, str(exc)
        return True
    return False


@pytest.fixture(autouse=True)
def _cheap_dummy_hash(monkeypatch):
    """Unknown usernames are checked against a dummy hash made at import with production
    cost; make it test-sized like every other hash in the suite (same code path)."""
    import db.services.auth

    monkeypatch.setattr(
        db.services.auth, "_dummy_hash", db.services.auth._hasher.hash("timing-equaliser")
    )


def _message(username: str, password: str) -> str:
    with pytest.raises(LoginFailed) as refused:
        authenticate(username, password)
    return str(refused.value)


def test_the_account_locks_after_repeated_failures_even_for_the_right_password(database):
    make_world()
    for _ in range(MAX_FAILED_LOGINS):
        assert _message("sup.north", "guess-123") == LOGIN_FAILED
    assert _locked_out("sup.north")
    assert authenticate("sup.south", PASSWORD).username == "sup.south"  # others unaffected


def test_the_lock_lifts_after_the_lockout_and_the_count_starts_again(database, monkeypatch):
    make_world()
    for _ in range(MAX_FAILED_LOGINS):
        _message("sup.north", "guess-123")
    later = utcnow() + LOCKOUT + timedelta(seconds=1)
    monkeypatch.setattr("db.services.auth.utcnow", lambda: later)
    assert authenticate("sup.north", PASSWORD).username == "sup.north"
    for _ in range(MAX_FAILED_LOGINS - 1):  # a fresh count: not locked again at once
        _message("sup.north", "guess-123")
    assert authenticate("sup.north", PASSWORD).username == "sup.north"


def test_a_success_resets_the_count(database):
    make_world()
    for _ in range(2):
        for _ in range(MAX_FAILED_LOGINS - 1):
            _message("sup.north", "typo-typo")
        assert authenticate("sup.north", PASSWORD).username == "sup.north"


def test_spelling_variants_of_a_username_count_toward_the_same_lock(database):
    make_world()
    for variant in ["SUP.NORTH", " sup.north ", "Sup.North", "sup.north\t", "sup.NORTH"]:
        assert _message(variant, "guess-123") == LOGIN_FAILED
    assert _locked_out("sup.north")


def test_a_deactivated_account_gets_the_same_answer_as_a_wrong_password(database):
    world = make_world()
    set_active(world.admin, world.agent_north.id, False)
    assert (
        _message("agent.north", PASSWORD) == _message("agent.north2", "wrong-one") == (LOGIN_FAILED)
    )


def test_answers_do_not_reveal_whether_a_username_exists(database):
    """A guesser who tries a name MAX+2 times must not learn from the answers whether the
    account exists: the same sequence of messages for a real and a made-up username."""
    make_world()
    attempts = MAX_FAILED_LOGINS + 2
    real = [_message("sup.north", f"guess-{i}") for i in range(attempts)]
    made_up = [_message("nobody.here", f"guess-{i}") for i in range(attempts)]
    assert real == made_up, f"real user: {real[-1]!r}; unknown user: {made_up[-1]!r}"


HOSTILE_USERNAMES = [
    "",
    "   ",
    "a" * 100_000,
    "' OR '1'='1",
    "admin'--",
    "admin\x00",
    "\x00",
    "\u202eadmin",
    "adm\u200bin",
    "\U0001f600",
    "%",
    "_",
    "*",
]


def test_odd_usernames_are_a_plain_failed_login(database):
    make_world()
    answers = {}
    for username in HOSTILE_USERNAMES:
        try:
            authenticate(username, PASSWORD)
        except LoginFailed as exc:
            answers[username[:20]] = str(exc)
        except Exception as exc:
            answers[username[:20]] = f"crash: {type(exc).__name__}"
        else:
            answers[username[:20]] = "logged in!"
    assert answers == {u[:20]: LOGIN_FAILED for u in HOSTILE_USERNAMES}
    assert authenticate("admin", PASSWORD).username == "admin"  # and no one got locked out


def test_odd_passwords_are_a_plain_failed_login(database):
    make_world()
    for password in ["", "\x00", PASSWORD + "\x00", "p" * 1_000_000, "\U0001f600" * 1000, None]:
        assert _message("sup.north", password) == LOGIN_FAILED
        authenticate("sup.north", PASSWORD)  # (resets the count between odd passwords)


def test_parallel_guesses_cannot_slip_past_the_count(database):
    """Twelve guesses at once (a script with many connections) must lock the account,
    exactly as twelve in a row would: no failed attempt may be lost in a race."""
    make_world()
    guesses = 12
    barrier = threading.Barrier(guesses, timeout=30)
    answers: list[str] = []
    lock = threading.Lock()

    def guess(i: int) -> None:
        barrier.wait()
        try:
            authenticate("sup.north", f"parallel-guess-{i}")
        except LoginFailed as exc:
            with lock:
                answers.append(str(exc))
        except Exception as exc:
            with lock:
                answers.append(f"crash: {exc!r}")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == guesses and not any(a.startswith("crash") for a in answers)
    assert _locked_out("sup.north")
