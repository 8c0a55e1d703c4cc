"""Local accounts: argon2id hashes, a password policy, and sign-in throttled three ways.

Throttling, checked in this order before any password is hashed:

1. per client address (this process): at most `login_address_failures` failed sign-ins
   per `login_address_window_minutes`; attempts in flight count as failures until they
   succeed, so a burst from one address cannot slip past the limit;
2. per account (in the database, atomic across processes): each attempt is CLAIMED by one
   conditional UPDATE before its hash is checked, so parallel guesses cannot all read
   "not locked"; every MAX_FAILED_LOGINS consecutive failures pause the account, LOCKOUT
   the first time and twice as long each time after, up to `login_lockout_max_minutes`;
   a success resets the count, and a pause always ends by itself. (A guesser can still
   pause someone else's account; limit 1 makes that cost them their address's budget.)
3. globally: at most `login_concurrent_hashes` argon2 checks at once per process (each
   takes 64 MiB); an attempt that cannot get a turn within HASH_WAIT_S is refused.

A paused username is told so, with the minutes left, whether or not it exists: failures
on unknown names are counted and paused the same way (in this process). A paused account
answers as fast as a real check would (the wait is padded to a typical
hash time), so the timing tells a guesser no more than the message does.
"""

from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import or_, update
from sqlmodel import col, select

from db.access import Actor
from db.cache import _engine_id, register_cache
from db.engine import read_scope, session_scope
from db.models import User, utcnow
from db.operations.config import settings

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)  # the first pause; each later one doubles
HASH_WAIT_S = 10.0  # how long an attempt waits for a turn at hashing before "busy"
# One answer for every refusal (unknown user, wrong password, deactivated), so a guesser
# learns nothing about which usernames exist; it still tells people what to do. A paused
# username gets paused_message instead, unknown names included (_NamePauses).
LOGIN_FAILED = (
    f"Wrong username or password. After {MAX_FAILED_LOGINS} failed attempts an account "
    f"pauses for {int(LOCKOUT.total_seconds() // 60)} minutes (longer if it happens again)."
)
LOGIN_BUSY = "The server is busy signing people in. Please try again in a moment."


def paused_message(minutes_left: int) -> str:
    """The answer while sign-in for a username is paused. Unknown usernames pause the same
    way after the same failures (see _NamePauses), so this tells a guesser nothing about
    which usernames exist."""
    minutes_left = max(1, minutes_left)
    return (
        "Too many failed attempts: sign-in for this username is paused. Try again in "
        f"{minutes_left} minute{'s' if minutes_left != 1 else ''}, or ask an administrator "
        "to reset the password."
    )


_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash = _hasher.hash("earshot-timing-equaliser")


class LoginFailed(Exception):
    """Login refused; the message never says which part was wrong."""


class LoginPaused(LoginFailed):
    """Sign-in for this username is paused after repeated failures; the message says for
    how long, in the same words whether or not the username exists."""


class LoginThrottled(LoginFailed):
    """Refused before any check: too many failures from this address, or the server is
    at its limit of password checks. The message says what to do."""


# ------------------------------------------------------------------ password policy

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "common_passwords.txt"
_SEQUENCES = (
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "1234567890-=",
    "qwertyuiop[]",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertzuiop",
    "azertyuiop",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1q2w3e4r5t6y7u8i9o0p",
)
_WEAK_WORD_RE = re.compile(r"^[\W\d_]*(p[a@4]s+w[o0]r[dt]|passwort|motdepasse|earshot)[\W\d_]*$")
_MIN_DISTINCT = 4


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, lower case (db/data/common_passwords.txt)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_walk(text: str) -> bool:
    """True when `text` is a run along a sequence or keyboard row, either way, repeated
    or not ("1234567890", "qwertyuiop", "9876543210", "abcabcabcabc")."""
    for seq in _SEQUENCES:
        for line in (seq, seq[::-1]):
            if text in line * (len(text) // len(line) + 2):
                return True
    return False


def password_problem(password: object, username: str | None = None) -> str | None:
    """What is wrong with a new password, as a sentence, or None when it is acceptable.

    Refused: not text; shorter than `password_min_length` or longer than
    `password_max_length` characters; control characters (NUL, newline, tab ...); only
    spaces; fewer than four different characters; a run along a sequence or keyboard row;
    the username (or the username inside it); a word like "password" with digits or signs
    around it; one of the 5,000 most common passwords, alone or with digits or signs
    around it.
    """
    if not isinstance(password, str):
        return "A password must be text."
    low, high = settings().password_min_length, settings().password_max_length
    if len(password) < low:
        return f"A password needs at least {low} characters; this one has {len(password)}."
    if len(password) > high:
        return f"A password may have at most {high} characters; this one has {len(password)}."
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in password):
        return "A password may not contain control characters (such as NUL, tab or newline)."
    if not password.strip():
        return "A password may not be only spaces."
    folded = password.casefold()
    if len(set(folded)) < _MIN_DISTINCT:
        return "This password repeats too few characters; use at least four different ones."
    compact = re.sub(r"[\s_.-]+", "", folded)
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", folded)  # without digits or signs around it
    if _is_walk(compact) or (len(core) >= 6 and _is_walk(core)):
        return "This password is a run of keys or letters in order; choose something else."
    name = (username or "").strip().casefold()
    if len(name) >= 3 and (name in folded or name[::-1] in folded):
        return "A password may not contain the username."
    if _WEAK_WORD_RE.match(folded):
        return "This password is a common word with digits or signs added; choose another."
    common = common_passwords()
    if folded in common or compact in common or (len(core) >= 4 and core in common):
        return "This password is one of the most common passwords; choose another."
    return None


def check_new_password(password: object, username: str | None = None) -> str:
    """The password if acceptable, else ValueError with the reason."""
    problem = password_problem(password, username)
    if problem:
        raise ValueError(problem)
    assert isinstance(password, str)
    return password


def hash_password(password: str, username: str | None = None) -> str:
    """An argon2id hash of a new password that passes the policy (ValueError if not)."""
    return _hasher.hash(check_new_password(password, username))


def check_current_password(password_hash: str, password: object) -> bool:
    """Whether `password` matches a stored hash, checked in one of the process's hashing
    turns (for a signed-in user confirming their password, not for signing in)."""
    return isinstance(password, str) and _checked(password_hash, password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# ------------------------------------------------------------------ throttles


def _clock() -> float:
    """Monotonic seconds for the in-process throttles (tests move it)."""
    return time.monotonic()


class AddressThrottle:
    """Failed sign-ins per client address in a sliding window, in this process. An
    attempt is counted when it starts and forgiven when it succeeds."""

    MAX_ADDRESSES = 100_000  # the oldest are forgotten past this (memory stays bounded)

    def __init__(self) -> None:
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, address: str, limit: int, window_s: float) -> float | None:
        """Count an attempt from `address`: None when allowed (returns after counting
        it), else the seconds until the oldest failure leaves the window."""
        now = _clock()
        with self._lock:
            stamps = self._failures.setdefault(address, deque())
            self._failures.move_to_end(address)
            while stamps and stamps[0] <= now - window_s:
                stamps.popleft()
            if len(stamps) >= limit:
                return stamps[0] + window_s - now
            stamps.append(now)
            while len(self._failures) > self.MAX_ADDRESSES:
                self._failures.popitem(last=False)
            return None

    def forgive(self, address: str) -> None:
        """The attempt just counted succeeded: it is not a failure."""
        with self._lock:
            stamps = self._failures.get(address)
            if stamps:
                stamps.pop()

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()


_addresses = AddressThrottle()


class _NamePauses:
    """Failed sign-ins for usernames that do not exist, counted and paused exactly as an
    account's are (MAX_FAILED_LOGINS, then _lock_for), so the paused answer never tells
    a guesser that a name exists. Kept per database in this process, bounded (the oldest
    are forgotten), and forgotten with the database's other caches."""

    MAX_NAMES = 100_000

    def __init__(self) -> None:
        self._names: OrderedDict[tuple[str, str], tuple[int, datetime | None]] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, username: str, now: datetime) -> datetime | None:
        """Count a failed attempt on an unknown name; when the name is paused, the time the
        pause ends instead (the attempt is not counted)."""
        name = (_engine_id(), username)
        with self._lock:
            failures, until = self._names.get(name, (0, None))
            if until is not None and until > now:
                return until
            failures += 1
            until = now + _lock_for(failures) if failures % MAX_FAILED_LOGINS == 0 else None
            self._names[name] = (failures, until)
            self._names.move_to_end(name)
            while len(self._names) > self.MAX_NAMES:
                self._names.popitem(last=False)
            return None

    def clear(self) -> None:
        with self._lock:
            self._names.clear()


_unknown_names = _NamePauses()
register_cache(_unknown_names.clear)
_hash_slots: threading.BoundedSemaphore | None = None
_hash_slots_lock = threading.Lock()
_typical_hash_s = 0.05  # a moving average of real checks: the padding of a paused answer


def _slots() -> threading.BoundedSemaphore:
    global _hash_slots
    with _hash_slots_lock:
        if _hash_slots is None:
            _hash_slots = threading.BoundedSemaphore(settings().login_concurrent_hashes)
        return _hash_slots


def reset_throttles() -> None:
    """Forget every in-process count (tests; an operator's restart does the same)."""
    global _hash_slots
    _addresses.clear()
    _unknown_names.clear()
    _epoch_memo.clear()
    with _hash_slots_lock:
        _hash_slots = None


def _checked(password_hash: str, password: str) -> bool:
    """verify_password inside one of the process's hashing turns; LoginThrottled when no
    turn frees up within HASH_WAIT_S."""
    global _typical_hash_s
    slots = _slots()
    if not slots.acquire(timeout=HASH_WAIT_S):
        raise LoginThrottled(LOGIN_BUSY)
    try:
        started = time.perf_counter()
        correct = verify_password(password_hash, password)
        took = min(time.perf_counter() - started, 2.0)
        _typical_hash_s = 0.8 * _typical_hash_s + 0.2 * took
        return correct
    finally:
        slots.release()


def _pad_like_a_check() -> None:
    time.sleep(_typical_hash_s)


def _lock_for(failures: int) -> timedelta:
    """The pause after `failures` consecutive failures (a multiple of MAX_FAILED_LOGINS):
    LOCKOUT · 2^(failures / MAX_FAILED_LOGINS − 1), at most login_lockout_max_minutes."""
    factor: int = 2 ** min(max(failures // MAX_FAILED_LOGINS - 1, 0), 20)
    longest = timedelta(minutes=settings().login_lockout_max_minutes)
    return min(LOCKOUT * factor, max(longest, LOCKOUT))


@dataclass(frozen=True)
class _Claim:
    user_id: int
    password_hash: str
    active: bool


def _claim_in_database(username: str, now: datetime) -> _Claim | None:
    """Count one attempt against the account unless it is paused: one conditional UPDATE,
    committed before any hashing, so parallel attempts are each counted and those past
    the limit are refused. The attempt that reaches a multiple of MAX_FAILED_LOGINS sets
    the pause in the same transaction (the row stays locked until it commits). None when
    the account is paused or unknown."""
    with session_scope() as session:
        row = session.execute(
            update(User)
            .where(col(User.username) == username)
            .where(or_(col(User.locked_until).is_(None), col(User.locked_until) <= now))
            .values(failed_logins=col(User.failed_logins) + 1)
            .returning(
                col(User.id), col(User.failed_logins), col(User.password_hash), col(User.active)
            )
        ).first()
        if row is None:
            return None
        user_id, failures, password_hash, active = row
        if failures % MAX_FAILED_LOGINS == 0:
            session.execute(
                update(User)
                .where(User.id == user_id)
                .values(locked_until=now + _lock_for(failures))
            )
        return _Claim(user_id, password_hash, active)


def _account_exists(username: str) -> bool:
    with read_scope() as session:
        return session.exec(select(User.id).where(User.username == username)).first() is not None


def _paused_until(username: str) -> datetime | None:
    """When an account's pause ends (None: no such account)."""
    with read_scope() as session:
        return session.exec(select(User.locked_until).where(User.username == username)).first()


def _minutes_until(until: datetime | None, now: datetime) -> int:
    if until is None:
        return 1
    if until.tzinfo is None:  # SQLite keeps no zone; stored times are UTC
        until = until.replace(tzinfo=now.tzinfo)
    return math.ceil((until - now).total_seconds() / 60)


def authenticate(username: str, password: str, client_address: str | None = None) -> Actor:
    """The actor for these credentials, or LoginFailed (LoginThrottled when refused
    before any check). `client_address` is the browser's address as the app sees it
    (behind a trusted proxy, the forwarded one); None only for local tools and tests,
    which skip the per-address limits."""
    username = (username or "").strip().lower() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    address = _claim_address(client_address)
    actor = _authenticate_account(username, password)
    if address is not None:
        _addresses.forgive(address)
    return actor


def _claim_address(client_address: str | None) -> str | None:
    """Count an attempt from this address (None: no address, nothing counted), or
    LoginThrottled saying how long the address must wait."""
    address = (client_address or "").strip()[:64] or None
    if address is None:
        return None
    cfg = settings()
    wait = _addresses.claim(
        address, cfg.login_address_failures, cfg.login_address_window_minutes * 60.0
    )
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        raise LoginThrottled(
            f"Too many failed sign-ins from your network. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        )
    return address


def _authenticate_account(username: str, password: str) -> Actor:
    if not username or len(username) > 64 or "\x00" in username:
        _checked(_dummy_hash, password)  # the same work as a real check
        raise LoginFailed(LOGIN_FAILED)
    now = utcnow()
    claim = _claim_in_database(username, now)
    if claim is None:
        if _account_exists(username):  # paused: no hashing, but as slow as a check
            _pad_like_a_check()
            raise LoginPaused(paused_message(_minutes_until(_paused_until(username), now)))
        # No such account: counted and paused like one, so both answers read the same.
        until = _unknown_names.claim(username, now)
        if until is not None:
            _pad_like_a_check()
            raise LoginPaused(paused_message(_minutes_until(until, now)))
        _checked(_dummy_hash, password)
        raise LoginFailed(LOGIN_FAILED)
    if not _checked(claim.password_hash, password) or not claim.active:
        raise LoginFailed(LOGIN_FAILED)
    with session_scope() as session:
        user = session.get(User, claim.user_id)
        if user is None or not user.active:
            raise LoginFailed(LOGIN_FAILED)
        from db.services.sso import SSO_REQUIRED_MESSAGE, local_login_allowed

        if not local_login_allowed(session, user):  # an admin required single sign-on
            raise LoginFailed(SSO_REQUIRED_MESSAGE)
        user.failed_logins = 0
        user.locked_until = None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        session.add(user)
        actor = Actor.of(user)
    return actor


# ------------------------------------------------------------------ sessions


@dataclass(frozen=True)
class SessionInfo:
    """What a signed-in browser session carries besides the actor: the user's session
    epoch when it began (logout everywhere bumps it) and when it began and last acted,
    in Unix seconds."""

    epoch: int
    started_at: float
    seen_at: float
    # An admin gave the user a temporary password: they must choose their own first.
    password_change_due: bool = False


class SessionEnded(Exception):
    """The session is over; the message says why, for the login page."""


def session_idle_s() -> float:
    return settings().session_idle_minutes * 60.0


def session_max_s() -> float:
    return settings().session_max_hours * 3600.0


def _wall() -> float:
    """Unix seconds (tests move it)."""
    return time.time()


# The epoch last read per user, for SIGNING audio links only (never for checking them):
# a stale epoch can only make a new link fail (the route compares with the database),
# never keep an old one alive. Every full page run refreshes it (continue_session).
EPOCH_MEMO_S = 60.0
_epoch_memo: dict[tuple[str, int], tuple[int, float]] = {}  # (database, user) -> epoch, when
register_cache(_epoch_memo.clear)


def _remember_epoch(user_id: int, epoch: int) -> None:
    _epoch_memo[(_engine_id(), user_id)] = (epoch, _clock())


def session_epoch_of(user_id: int) -> int | None:
    """The user's current session epoch, read now; None for a missing or deactivated
    user. (The audio route asks this on every request.)"""
    with read_scope() as session:
        row = session.exec(
            select(User.session_epoch, User.active).where(User.id == user_id)
        ).first()
    if row is None or not row[1]:
        return None
    _remember_epoch(user_id, int(row[0]))
    return int(row[0])


def signing_epoch(user_id: int) -> int:
    """The epoch to put in a new audio link: the one read within EPOCH_MEMO_S, else read."""
    memo = _epoch_memo.get((_engine_id(), user_id))
    if memo is not None and _clock() - memo[1] < EPOCH_MEMO_S:
        return memo[0]
    return session_epoch_of(user_id) or 0


def start_session(actor: Actor) -> SessionInfo:
    """The session record for a sign-in that just succeeded."""
    epoch = session_epoch_of(actor.id)
    if epoch is None:
        raise SessionEnded("Your account is not active. Ask an administrator.")
    now = _wall()
    return SessionInfo(epoch, now, now)


def continue_session(actor: Actor, info: SessionInfo) -> tuple[Actor, SessionInfo]:
    """The actor as stored now and the session marked as acting now, or SessionEnded when
    the user logged out everywhere, was deactivated, sat idle past
    `session_idle_minutes`, or signed in more than `session_max_hours` ago."""
    now = _wall()
    if now - info.started_at >= session_max_s():
        raise SessionEnded("Your session has ended after the longest time allowed. Log in again.")
    if now - info.seen_at >= session_idle_s():
        raise SessionEnded("Your session ended after a time without activity. Log in again.")
    with read_scope() as session:
        user = session.get(User, actor.id)
        if user is None or not user.active:
            raise SessionEnded("Your account is not active. Ask an administrator.")
        _remember_epoch(actor.id, user.session_epoch)
        if user.session_epoch != info.epoch:
            raise SessionEnded("You were logged out. Log in again.")
        return Actor.of(user), SessionInfo(
            info.epoch, info.started_at, now, user.must_change_password
        )


# ------------------------------------------------------------------ remembered logins

SESSION_MAX_AGE_S = 12 * 3600  # the cookie's longest life; session_max_hours decides


def _session_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="earshot-session")


def issue_session_token(actor: Actor, info: SessionInfo | None = None) -> str:
    """A signed token that logs this user back in after a refresh, until the session's
    idle or absolute lifetime runs out or the user logs out (which bumps their session
    epoch and so ends every token). Its signing time is the session's last action: a
    page re-issues it as the user works."""
    with read_scope() as session:
        user = session.get(User, actor.id)
        if user is None:
            raise SessionEnded("Your account is not active. Ask an administrator.")
        epoch = user.session_epoch if info is None else info.epoch
        started = _wall() if info is None else info.started_at
        return _session_serializer().dumps({"u": actor.id, "e": epoch, "t": int(started)})


def session_from_token(token: str | None) -> tuple[Actor, SessionInfo] | None:
    """The actor and session a token stands for, or None if it is bad, idle past its
    time, past the session's absolute lifetime, or revoked (logout, deactivation)."""
    if not isinstance(token, str) or not token or len(token) > 400:
        return None
    try:
        data, signed = _session_serializer().loads(token, return_timestamp=True)
        user_id, epoch = int(data["u"]), int(data["e"])
        signed_at = signed.timestamp()
        started = float(data.get("t", signed_at))
    except (BadData, KeyError, TypeError, ValueError, AttributeError, OverflowError):
        return None
    now = _wall()
    if now - signed_at >= session_idle_s() or not started <= signed_at <= now + 60:
        return None  # idle too long since the last re-issue (or a clock from the future)
    if now - started >= session_max_s():
        return None
    with read_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.session_epoch != epoch:
            return None
        return Actor.of(user), SessionInfo(epoch, started, now, user.must_change_password)


def session_from_token_at(
    token: str | None, client_address: str | None
) -> tuple[Actor, SessionInfo] | None:
    """session_from_token for a request from `client_address`: a token that logs no one
    in counts as a failed sign-in of that address, and a paused address is refused with
    LoginThrottled before the token is read."""
    address = _claim_address(client_address)
    restored = session_from_token(token)
    if restored is not None and address is not None:
        _addresses.forgive(address)
    return restored


def actor_from_session_token(token: str | None) -> Actor | None:
    """The actor a session token stands for, or None if it is bad, old or revoked."""
    restored = session_from_token(token)
    return None if restored is None else restored[0]


def end_sessions(actor: Actor) -> None:
    """Log the user out everywhere: every open session ends at its next action, and
    remembered logins and audio links issued so far stop working."""
    with session_scope() as session:
        user = session.get(User, actor.id)
        if user is not None:
            user.session_epoch += 1
            session.add(user)
            epoch = user.session_epoch
    if user is not None:
        _remember_epoch(actor.id, epoch)


def current_actor_state(actor: Actor) -> Actor | None:
    """The actor as stored now (role or team may have changed); None once deactivated."""
    with read_scope() as session:
        user = session.get(User, actor.id)
        return Actor.of(user) if user is not None and user.active else None
