"""One error vocabulary. Every error Earshot raises on purpose is an `EarshotError`,
whose message is written for the person using the app and is safe to show them. Pages
catch `EarshotError`; anything else is a bug and is left to surface."""

from __future__ import annotations


class EarshotError(Exception):
    """An expected refusal. `str(error)` is safe to show to the user who caused it."""


class NotFound(EarshotError, LookupError):
    """No such record, or none this user may know about (one message for both)."""


class Denied(EarshotError, PermissionError):
    """The user may not see or do this."""


class Conflict(EarshotError):
    """The record changed or closed since it was read (stale version, submitted, revealed)."""


class Invalid(EarshotError, ValueError):
    """Input that cannot be accepted; the message names what is wrong and where."""
