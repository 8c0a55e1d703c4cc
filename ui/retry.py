"""Saving through a brief database outage: retry with a growing pause, say so while
retrying, and end with a clear "not saved" instead of the generic error page.

No Streamlit here: the page passes what to show (``on_retry``), so the rule is tested
against a real database (tests/hostile/test_hostile_db_outage.py).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from scoring.errors import EarshotError

T = TypeVar("T")

UNREACHABLE: tuple[type[Exception], ...] = (OperationalError, DisconnectionError, InterfaceError)
"""What a database that is down, restarting or unreachable raises through SQLAlchemy."""

# SQLite answers every statement error with OperationalError; only these mean the file is
# busy or cannot be reached (a missing table is a bug, not an outage).
SQLITE_UNREACHABLE = frozenset(
    {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PROTOCOL"}
)


def is_unreachable(exc: BaseException) -> bool:
    """True when `exc` (or the error it was raised from) says the database is down,
    restarting or unreachable: a disconnect, a refused or dropped connection, a busy or
    unopenable SQLite file. A bug in a statement (a missing table) is not an outage."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DisconnectionError):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, UNREACHABLE):
            orig = getattr(error, "orig", None)
            if not isinstance(orig, sqlite3.Error):
                return True
            name = str(getattr(orig, "sqlite_errorname", ""))
            return "_".join(name.split("_")[:2]) in SQLITE_UNREACHABLE  # SQLITE_IOERR_READ
        error = error.__cause__
    return False


RETRYING = "Not saved: the database is not answering. Retrying…"
SAVE_ATTEMPTS = 4
FIRST_PAUSE_S = 0.25  # then 0.5 s, 1 s: about 1.75 s of waiting in all


class NotSaved(EarshotError):
    """Every attempt found the database unreachable; nothing was saved."""


def save_with_retry(
    save: Callable[[], T],
    *,
    attempts: int = SAVE_ATTEMPTS,
    first_pause_s: float = FIRST_PAUSE_S,
    on_retry: Callable[[int, Exception], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``save()``, tried up to ``attempts`` times while the database is unreachable
    (``UNREACHABLE``), pausing ``first_pause_s`` and doubling before each retry;
    ``on_retry(attempt, error)`` is called before each pause (attempt counts from 1).

    Any other error is raised at once (a conflict or a refusal is not an outage). A save
    is safe to repeat: the draft's row version refuses one that did land twice.

    Raises ``NotSaved`` (its message says so and what to do) when every attempt failed.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be 1 or more, not {attempts}")
    pause = first_pause_s
    for attempt in range(1, attempts + 1):
        try:
            return save()
        except UNREACHABLE as exc:
            if not is_unreachable(exc):
                raise
            if attempt == attempts:
                raise NotSaved(
                    f"Not saved: the database did not answer ({attempts} tries). What you "
                    "chose is still on the page, marked not saved: choose it again in a "
                    "moment to save it."
                ) from exc
            if on_retry is not None:
                on_retry(attempt, exc)
            sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
