"""Text people type: one set of limits and one cleaner for every service.

Limits are in characters and match the database columns that store the text.
"""

from __future__ import annotations

from scoring.errors import Invalid

NOTE_MAX = 5000  # ItemScore.note, Comment.text
COMMENT_MAX = 5000
REASON_MAX = 2000  # AuditEvent.reason: amend reasons, dispute reasons and resolutions
DISPUTE_TEXT_MAX = 2000  # Dispute.reason, Dispute.resolution
TITLE_MAX = 200  # CalibrationSession.title
CONSENSUS_NOTE_MAX = 2000  # ConsensusScore.note
REPLY_MAX = 2000  # EvaluationReply.text: one message of the thread on an evaluation


def clean_text(text: str | None, what: str, limit: int, error: type[Invalid] = Invalid) -> str:
    """`text` without NUL characters or surrounding white space; refused (with `error`,
    naming `what` and both lengths) when longer than `limit` characters."""
    cleaned = (text or "").replace("\x00", "").strip()
    if len(cleaned) > limit:
        raise error(f"The {what} is {len(cleaned)} characters; the limit is {limit}.")
    return cleaned


def shorten(text: str, limit: int, marker: str = " […]") -> str:
    """`text` cut to at most `limit` characters, marked where it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))] + marker


# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse_csv_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; other values
    pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
