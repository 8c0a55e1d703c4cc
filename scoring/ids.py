"""Record ids from untrusted places (URLs, widgets, API paths).

Every primary key is a 32-bit INTEGER on PostgreSQL, so an id outside 1..2**31-1 cannot
exist: it is "not found", never a database error.
"""

from __future__ import annotations

ID_MIN, ID_MAX = 1, 2**31 - 1


def parse_id(value: object) -> int | None:
    """The id `value` names, or None when it names none.

    Accepts an int (not a bool) or a string of ASCII digits ("42"); refuses everything
    else: "²", "4.0", " 4", "-1", "0", "99999999999999999999", True, None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
    else:
        return None
    return number if ID_MIN <= number <= ID_MAX else None


def id_fits(ident: object) -> bool:
    """Whether every int in `ident` (an id or a tuple of ids) can name a row. Non-int
    parts are left to the database to judge."""
    parts = ident if isinstance(ident, tuple | list) else (ident,)
    return all(
        ID_MIN <= part <= ID_MAX
        for part in parts
        if isinstance(part, int) and not isinstance(part, bool)
    )
