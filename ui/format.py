"""Formatting for display."""

from __future__ import annotations

from datetime import datetime


def mmss(seconds: float | None) -> str:
    """Seconds as m:ss (or h:mm:ss past an hour)."""
    if seconds is None:
        return "–"
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def local_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"
