"""Moments of a call that someone cites in what they write (an agent disputing a score):
typed as m:ss or h:mm:ss, separated by commas, semicolons or spaces.

Plain Python: ``parse_moments`` turns the typed text into seconds from the call's start,
sorted and without repeats, refusing (``Invalid``, naming the time typed) anything that
is not a time or lies outside the call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from scoring.errors import Invalid

MAX_MOMENTS = 10
_SEPARATORS = re.compile(r"[,;\s]+")
_TIME = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)$")


def clock(seconds: float) -> str:
    """Seconds as m:ss (h:mm:ss past an hour), as the app writes times."""
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def parse_moments(text: str | None, duration_s: float) -> tuple[float, ...]:
    """The moments typed in `text` as seconds (floats, ascending, no repeats).

    Each time is ``m:ss`` or ``h:mm:ss`` (seconds 00–59). A time past the call's end
    (`duration_s`, seconds) or more than MAX_MOMENTS times are refused with a message that
    names the time typed. Empty text gives no moments.
    """
    found: set[float] = set()
    for token in _SEPARATORS.split((text or "").strip()):
        if not token:
            continue
        match = _TIME.match(token)
        if match is None:
            raise Invalid(
                f"“{token[:20]}” is not a time of the call: write minutes and seconds "
                "like 1:05, separated by commas."
            )
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        seconds = float(hours * 3600 + minutes * 60 + secs)
        if seconds > duration_s:
            raise Invalid(
                f"{token} is after the end of the call ({clock(duration_s)}): "
                "cite a moment within it."
            )
        found.add(seconds)
    if len(found) > MAX_MOMENTS:
        raise Invalid(f"Cite at most {MAX_MOMENTS} moments; you typed {len(found)}.")
    return tuple(sorted(found))


def valid_moments(moments: Iterable[float], duration_s: float) -> tuple[float, ...]:
    """Moments given as seconds, checked as `parse_moments` checks typed ones."""
    found: set[float] = set()
    for value in moments:
        seconds = float(value)
        if not (math.isfinite(seconds) and 0 <= seconds <= duration_s):
            shown = clock(max(seconds, 0)) if math.isfinite(seconds) else str(value)
            raise Invalid(
                f"{shown} is outside the call (0:00–{clock(duration_s)}): cite a moment within it."
            )
        found.add(seconds)
    if len(found) > MAX_MOMENTS:
        raise Invalid(f"Cite at most {MAX_MOMENTS} moments; you gave {len(found)}.")
    return tuple(sorted(found))
