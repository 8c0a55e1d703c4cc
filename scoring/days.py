"""Calendar days in a time zone, as the instants a database query needs.

A person picks days ("from 3 to 9 November"); the database stores instants in UTC. A
day in Auckland starts 11 or 13 hours before the same date starts in UTC, so a date
filter built on UTC midnights moves evaluations near midnight into the wrong day. These
helpers turn the reader's days into UTC instants: plain stdlib, no I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET_LENGTH = len("+05:30")


def zone_from_id(name: str | None) -> tzinfo:
    """The zone an id names: an IANA name ("Pacific/Auckland") or a fixed offset
    ("+05:30", "-08:00"); UTC for None, "", "UTC" or anything unknown."""
    if not name or name == "UTC":
        return UTC
    if len(name) == _OFFSET_LENGTH and name[0] in "+-" and name[3] == ":":
        try:
            hours, minutes = int(name[1:3]), int(name[4:6])
        except ValueError:
            return UTC
        if hours > 23 or minutes > 59:
            return UTC
        sign = -1 if name[0] == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def day_start(day: date, zone: tzinfo) -> datetime:
    """The UTC instant ``day`` begins in ``zone``: its local midnight (where a clock change
    skips midnight, the moment the day's clock starts)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_bounds(
    since: date | None, until: date | None, zone: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """Local days ``since``..``until`` (both included; None: open) as a half-open UTC
    interval ``[start, end)``: an instant ``t`` is in the days when ``start <= t < end``.
    ``end`` is the start of the day after ``until``, so a 23- or 25-hour day is whole."""
    start = None if since is None else day_start(since, zone)
    end = None if until is None else day_start(until + timedelta(days=1), zone)
    return start, end


def today_in(zone: tzinfo, now: datetime | None = None) -> date:
    """The date it is in ``zone`` at ``now`` (default: the present); a naive ``now`` is UTC."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def offset_changes(
    zone: tzinfo, start: datetime, end: datetime
) -> list[tuple[datetime | None, timedelta]]:
    """The UTC offsets ``zone`` keeps between the instants ``start`` and ``end``: first
    ``(None, offset at start)``, then ``(instant, new offset)`` for each change, in order,
    each instant naive UTC to the second (as the database stores them). A fixed zone gives
    one pair; a zone with summer time about two a year. Naive ``start``/``end`` are UTC."""
    start, end = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))

    def offset(t: datetime) -> timedelta:
        return t.astimezone(zone).utcoffset() or timedelta(0)

    changes: list[tuple[datetime | None, timedelta]] = [(None, offset(start))]
    step = timedelta(hours=6)  # no zone changes its offset twice within six hours
    here = start
    while here < end:
        after = min(here + step, end)
        if offset(after) != changes[-1][1]:
            low, high = here, after  # offset(low) is the old one, offset(high) the new
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == changes[-1][1] else (low, middle)
            changes.append(
                (high.astimezone(UTC).replace(tzinfo=None, microsecond=0), offset(after))
            )
        here = after
    return changes


def local_day(value: datetime, zone: tzinfo) -> date:
    """The date in ``zone`` of an instant; a naive ``value`` is UTC, as the database
    stores it."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()
