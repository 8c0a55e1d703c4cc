"""Times as every page (and the player) shows them.

Two kinds, one helper each:

* a moment in a call, as an offset from its start: :func:`call_offset`, ``m:ss`` (``0:14``,
  ``12:05``) or ``h:mm:ss`` past an hour (``1:02:03``). The player's ``fmt`` in
  ``player/frontend/player.js`` writes the same.
* a date and time: :func:`local_time`, ``YYYY-MM-DD HH:MM`` and the zone's abbreviation
  (``2026-11-20 11:03 CET``), in the reader's time zone (:func:`reader_zone`): the one
  saved on their account, else their browser's, else the server's. Never UTC by default.

Days follow the reader's zone too: :func:`reader_today` is today where they are,
:func:`day_label` an instant's date there, and :func:`reader_day_bounds` turns the days
they pick into the half-open UTC interval a query needs (pure helpers in
``scoring/days.py``).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from scoring.days import day_bounds, local_day, today_in

ZONE_KEY = "_earshot_time_zone"
"""Session state: (actor id, saved zone name or None), read once per session."""


def call_offset(seconds: float | None) -> str:
    """Seconds from the start of a call as m:ss, or h:mm:ss past an hour; "–" for None.

    Whole seconds, rounded down as a playhead reads (0.9 s is 0:00), so a moment's label
    matches the player's clock when it is there.
    """
    if seconds is None or not math.isfinite(seconds):
        return "–"
    whole = max(0, math.floor(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA time zone name this machine knows (tzdata), sorted."""
    return tuple(sorted(_known_zones()))


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name`` (e.g. "Europe/Dublin"), or None if empty or unknown."""
    if not name or name not in _known_zones():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_time(value: datetime | None, zone: tzinfo | None = None) -> str:
    """``value`` in ``zone`` (default: :func:`reader_zone`) as "YYYY-MM-DD HH:MM ZONE";
    "–" for None. A naive datetime is UTC, as the database stores it."""
    if value is None:
        return "–"
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    shown = aware.astimezone(zone or reader_zone())
    return f"{shown:%Y-%m-%d %H:%M} {shown.tzname() or shown.strftime('%z')}"


def day_label(value: datetime | None, zone: tzinfo | None = None) -> str:
    """The date of ``value`` in ``zone`` (default: :func:`reader_zone`) as "YYYY-MM-DD";
    "–" for None. A naive datetime is UTC, as the database stores it."""
    if value is None:
        return "–"
    return f"{local_day(value, zone or reader_zone()):%Y-%m-%d}"


def reader_today(zone: tzinfo | None = None) -> date:
    """Today's date where the reader is (``zone``, default :func:`reader_zone`)."""
    return today_in(zone or reader_zone())


def reader_day_bounds(
    since: date | None, until: date | None, zone: tzinfo | None = None
) -> tuple[datetime | None, datetime | None]:
    """The reader's days ``since``..``until`` (both included, None: open) as UTC
    ``[start, end)``: :func:`scoring.days.day_bounds` in ``zone`` (default: theirs)."""
    return day_bounds(since, until, zone or reader_zone())


def browser_zone_name() -> str | None:
    """The browser's IANA time zone (st.context.timezone), if it sent a known one."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    try:
        name = st.context.timezone
    except Exception:  # no browser (AppTest, bare mode)
        return None
    return name if zone_named(name) is not None else None


def server_zone() -> tzinfo:
    """The server's own time zone: the last resort when neither the user nor the
    browser names one."""
    return datetime.now().astimezone().tzinfo or UTC


def reader_zone() -> tzinfo:
    """The time zone dates are shown in for whoever is reading: the zone saved on their
    account (Account page), else their browser's, else the server's."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return server_zone()
    saved = zone_named(saved_zone_name())
    if saved is not None:
        return saved
    browser = zone_named(browser_zone_name())
    return browser if browser is not None else server_zone()


def zone_id(zone: tzinfo) -> str:
    """``zone`` as a table column's time zone takes it (Arrow, pandas): its IANA name, or
    a fixed offset such as "+05:30" (the server's zone may be one)."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = datetime.now(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def saved_zone_name() -> str | None:
    """The zone saved on the signed-in user's account, read once per session (and again
    after :func:`remember_zone`); None when they have not chosen one."""
    from db.services.users import time_zone_of
    from ui.session import current_actor

    actor = current_actor()
    if actor is None:
        return None
    cached = st.session_state.get(ZONE_KEY)
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == actor.id:
        name: str | None = cached[1]
        return name
    name = time_zone_of(actor)
    st.session_state[ZONE_KEY] = (actor.id, name)
    return name


def remember_zone(actor_id: int, name: str | None) -> None:
    """After the user saves their zone: this session shows it from the next draw on."""
    st.session_state[ZONE_KEY] = (actor_id, name)
