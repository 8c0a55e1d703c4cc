"""A process-local cache of read-only aggregates, keyed by the database's data version.

Trend queries group hundreds of thousands of rows; the answer only changes when an
evaluation is submitted or amended (or a listening report, a user's team, a calibration
reveal or consensus changes). A listener on every flush bumps the version in the same
transaction as such a change, so a cached answer is reused exactly as long as nothing it
depends on has changed, in any app process.

`cached_by_versions` is the same idea for answers keyed on versions the caller reads itself
(an agent's feedback: their `User.feedback_version`, moved by `bump_feedback_version`).

Every caller of a cached function gets the one value the cache holds, so the cache makes it
immutable once, when it stores it (`freeze`): frames become `ReadOnlyFrame`s, lists tuples,
dicts `MappingProxyType`s, sets frozensets, and frozen dataclasses hold frozen fields. A
caller that changes it gets an error instead of changing every other caller's answer;
anything derived from it (a sort, a filter, `assign`, `copy()`) is an ordinary value.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray
from sqlalchemy import event, inspect, update
from sqlmodel import Session

from db.engine import ReadSession, get_engine, read_scope
from db.models import (
    AssignmentRow,
    CalibrationSeat,
    CalibrationSession,
    ConsensusScore,
    DataVersion,
    Evaluation,
    ListeningReportRow,
    Status,
    Team,
    User,
)

F = TypeVar("F", bound=Callable[..., Any])
MAX_ENTRIES = 256

_lock = threading.Lock()
_entries: OrderedDict[tuple, Any] = OrderedDict()
_engine_ids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _engine_id() -> str:
    """A name for the current database that is never reused (unlike id() of an engine)."""
    engine = get_engine()
    with _lock:
        return _engine_ids.setdefault(engine, uuid.uuid4().hex)


class ReadOnlyFrame(pd.DataFrame):  # type: ignore[misc]  # pandas is untyped here
    """A DataFrame that refuses to change: no column set or deleted, no cell written, no
    `inplace=` operation, no new columns or index. Anything derived from it (`copy()`, a
    selection, a sort, `assign`, `rename`, `reset_index`) is an ordinary `pd.DataFrame`.

    pandas has no public read-only frame, so this guards the two ways a frame changes: its
    own methods (overridden below) and writes into its arrays (marked read-only, as
    numpy's `setflags(write=False)` and pandas' extension arrays' `_readonly` allow). A
    shallow `copy(deep=False)` shares those arrays: take `copy()` to change one.
    """

    _metadata: list[str] = []

    @property
    def _constructor(self) -> Any:
        return pd.DataFrame

    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise TypeError(
            "This table is shared by every reader of the cache: take .copy() to change it."
        )

    __setitem__ = _refuse
    __delitem__ = _refuse
    insert = _refuse
    pop = _refuse
    isetitem = _refuse
    _set_item = _refuse
    _iset_item = _refuse
    _update_inplace = _refuse

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_sealed"):
            self._refuse()
        super().__setattr__(name, value)


def _read_only_frame(frame: pd.DataFrame) -> ReadOnlyFrame:
    out = ReadOnlyFrame(frame.copy(deep=True))  # its own arrays: the caller's stay writable
    for array in out._mgr.arrays:
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
        elif isinstance(array, ExtensionArray):
            array._readonly = True
    out.__dict__["_sealed"] = True
    return out


_IMMUTABLE = (
    str,
    bytes,
    int,
    float,
    complex,
    type(None),
    date,
    datetime,
    clock_time,
    timedelta,
    Decimal,
    enum.Enum,
    np.generic,
    pd.Timestamp,
    ReadOnlyFrame,
)


def freeze(value: Any) -> Any:
    """`value` made immutable, deeply: what the caches store and hand to every caller.
    A value of any other (mutable) type is refused, so nothing shared can change."""
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, pd.DataFrame):
        return _read_only_frame(value)
    if isinstance(value, tuple):
        items = [freeze(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    if isinstance(value, (dict, MappingProxyType)):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _frozen_dataclass(value)
    raise TypeError(f"The cache holds immutable values only, not a {type(value).__name__}.")


def _frozen_dataclass(value: Any) -> Any:
    if not type(value).__dataclass_params__.frozen:
        raise TypeError(f"The cache holds frozen dataclasses only, not {type(value).__name__}.")
    out = copy.copy(value)
    for f in dataclasses.fields(value):
        object.__setattr__(out, f.name, freeze(getattr(value, f.name)))
    return out


# A page asks for the version once per cached call; re-reading it within this many seconds
# reuses the last answer. Changes made in this process reset it at once; another process's
# change shows within this window.
VERSION_TTL_S = 1.0
_last_version: tuple[str, float, int] | None = None  # (engine id, read at, version)


def bump_data_version(session: Session) -> None:
    """Mark every cached aggregate stale; call inside the transaction that changes data."""
    result = session.exec(update(DataVersion).values(version=DataVersion.version + 1))
    if result.rowcount == 0:
        session.add(DataVersion(id=1, version=1))
    _forget_version()
    # Again once committed: a reader between this bump and the commit still saw (and kept
    # for VERSION_TTL_S) the old version.
    event.listen(session, "after_commit", _forget_version_after_commit, once=True)


# What the cached aggregates read, and which changes to it make them stale. One listener
# sees every ORM flush, so no write has to remember to bump the version itself. Writes
# that bypass the ORM (bulk seeding) call `bump_data_version` directly.
_WATCHED_FIELDS: dict[type, frozenset[str] | None] = {
    Evaluation: None,  # submitted only: see _moves_aggregates
    User: frozenset({"role", "team_id", "display_name", "active"}),
    Team: frozenset({"name"}),
    ListeningReportRow: None,
    CalibrationSession: frozenset({"revealed", "revealed_at", "benchmark_scorer_id"}),
    CalibrationSeat: None,
    ConsensusScore: None,
    AssignmentRow: frozenset({"status", "scorer_id", "due_at"}),  # the navigation's count
}


def _moves_aggregates(obj: object, changed: bool) -> bool:
    """Whether flushing `obj` (new or deleted when not `changed`) can change a cached answer."""
    kind = type(obj)
    if kind not in _WATCHED_FIELDS:
        return False
    if isinstance(obj, Evaluation) and obj.status != Status.submitted:
        return False  # drafts feed no aggregate
    fields = _WATCHED_FIELDS[kind]
    if not changed or fields is None:
        return True
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "before_flush")
def _bump_when_aggregates_move(session: Session, _context: object, _instances: object) -> None:
    if isinstance(session, ReadSession):
        return  # it refuses the flush itself
    touched = any(_moves_aggregates(o, False) for o in (*session.new, *session.deleted))
    if touched or any(_moves_aggregates(o, True) for o in session.dirty):
        bump_data_version(session)


def _forget_version() -> None:
    global _last_version
    _last_version = None


def _forget_version_after_commit(_session: Session) -> None:
    _forget_version()


def bump_feedback_version(session: Session, agent_id: int) -> None:
    """Mark the agent's cached feedback (list, unread count, detail) stale; call inside the
    transaction that changes it, once its own rows are written or locked: taking the agent's
    row last keeps two such writers from waiting on each other in opposite order."""
    session.flush()
    session.exec(
        update(User)
        .where(User.id == agent_id)
        .values(feedback_version=User.feedback_version + 1)
        .execution_options(synchronize_session=False)
    )


def data_version() -> int:
    global _last_version
    engine_id, now = _engine_id(), time.monotonic()
    last = _last_version
    if last is not None and last[0] == engine_id and now - last[1] < VERSION_TTL_S:
        return last[2]
    with read_scope() as session:
        row = session.get(DataVersion, 1)
        version = row.version if row else 0
    _last_version = (engine_id, now, version)
    return version


def cached_by_data_version(fn: F) -> F:
    """Cache `fn(actor, *args)` per actor scope (id, role, team) and arguments, until the
    data version moves. Every caller gets the one frozen answer (`freeze`)."""

    @functools.wraps(fn)
    def wrapper(actor, *args, **kwargs):
        key = (
            fn.__module__,
            fn.__qualname__,
            _engine_id(),
            actor.id,
            actor.role,
            actor.team_id,
            args,
            tuple(sorted(kwargs.items())),
            data_version(),
        )
        with _lock:
            if key in _entries:
                _entries.move_to_end(key)
                return _entries[key]
        value = freeze(fn(actor, *args, **kwargs))
        with _lock:
            _entries[key] = value
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        return value

    return wrapper  # type: ignore[return-value]


T = TypeVar("T")
MAX_VERSIONED_ENTRIES = 512
# scope -> (versions, value): one answer per scope, the newest computed; a superseded one
# is replaced, not kept until the LRU drops it.
_versioned: OrderedDict[tuple, tuple[tuple, Any]] = OrderedDict()


def cached_by_versions(scope: tuple, versions: tuple, compute: Callable[[], T]) -> T:
    """`compute()` frozen (`freeze`), or the answer it gave for the same `scope` (plus this
    database) and equal `versions`. The caller reads `versions` from the database just
    before, and every write that could change the answer must move one of them in its own
    transaction: then a reused answer is never stale, even across processes."""
    scope = (_engine_id(), *scope)
    with _lock:
        found = _versioned.get(scope)
        if found is not None and found[0] == versions:
            _versioned.move_to_end(scope)
    if found is not None and found[0] == versions:
        return found[1]  # type: ignore[no-any-return]  # frozen: safe to share
    value = freeze(compute())
    with _lock:
        # Versions read before a concurrent write may store an answer that is already old:
        # harmless, as its versions no longer match what the next caller reads.
        _versioned[scope] = (versions, value)
        _versioned.move_to_end(scope)
        while len(_versioned) > MAX_VERSIONED_ENTRIES:
            _versioned.popitem(last=False)
    return value  # type: ignore[no-any-return]


_other_caches: list[Callable[[], None]] = []


def register_cache(clear: Callable[[], None]) -> None:
    """Have `clear_cache` also empty another per-process cache of database content."""
    _other_caches.append(clear)


def clear_cache() -> None:
    """Forget everything cached from the database (tests that empty a database in place;
    a restore)."""
    global _last_version
    with _lock:
        _entries.clear()
        _versioned.clear()
        _last_version = None
    for clear in _other_caches:
        clear()
