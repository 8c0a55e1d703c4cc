"""A process-local cache of read-only aggregates, keyed by the database's data version.

Trend queries group hundreds of thousands of rows; the answer only changes when an
evaluation is submitted or amended (or a listening report or a user's team changes).
Those writes call `bump_data_version` in their own transaction, so a cached answer is
reused exactly as long as nothing it depends on has changed, in any app process.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import update
from sqlmodel import Session

from db.engine import get_engine, session_scope
from db.models import DataVersion

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


def _copy(value: Any) -> Any:
    # DataFrame.copy is many times faster than deepcopy for the frames cached here.
    return value.copy(deep=True) if isinstance(value, pd.DataFrame) else copy.deepcopy(value)


# A page asks for the version once per cached call; re-reading it within this many seconds
# reuses the last answer. Changes made in this process reset it at once; another process's
# change shows within this window.
VERSION_TTL_S = 1.0
_last_version: tuple[str, float, int] | None = None  # (engine id, read at, version)


def bump_data_version(session: Session) -> None:
    """Mark every cached aggregate stale; call inside the transaction that changes data."""
    global _last_version
    result = session.exec(update(DataVersion).values(version=DataVersion.version + 1))
    if result.rowcount == 0:
        session.add(DataVersion(id=1, version=1))
    _last_version = None


def data_version() -> int:
    global _last_version
    engine_id, now = _engine_id(), time.monotonic()
    last = _last_version
    if last is not None and last[0] == engine_id and now - last[1] < VERSION_TTL_S:
        return last[2]
    with session_scope() as session:
        row = session.get(DataVersion, 1)
        version = row.version if row else 0
    _last_version = (engine_id, now, version)
    return version


def cached_by_data_version(fn: F) -> F:
    """Cache `fn(actor, *args)` per actor scope (id, role, team) and arguments, until the
    data version moves. Results are copied out so callers cannot change the cache."""

    @functools.wraps(fn)
    def wrapper(actor, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
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
                return _copy(_entries[key])
        value = fn(actor, *args, **kwargs)
        with _lock:
            _entries[key] = value
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        return _copy(value)

    return wrapper  # type: ignore[return-value]


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
        _last_version = None
    for clear in _other_caches:
        clear()
