"""Stored rubric versions, read inside the caller's session. Versions never change, so each
is parsed once per process."""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.cache import register_cache
from db.models import Rubric as RubricRow
from scoring.rubric import Rubric, parse_rubric

DEFAULT_RUBRIC_KEY = "listening"

_parsed: dict[tuple[int | None, str], Rubric] = {}
_by_id: dict[tuple[str, int], Rubric] = {}
register_cache(_by_id.clear)  # ids are only reused when a database is emptied or restored


def rubric_from_row(row: RubricRow) -> Rubric:
    """The validated rubric of a stored version. Stored versions never change, so each is
    parsed once per process (every autosave needs it)."""
    cache_key = (row.id, row.content_hash)
    if cache_key not in _parsed:
        _parsed[cache_key] = parse_rubric(
            row.definition, source=f"{row.key} v{row.version} (database)"
        )
    return _parsed[cache_key]


def latest_rubric_row(session: Session, key: str = DEFAULT_RUBRIC_KEY) -> RubricRow:
    row = session.exec(
        select(RubricRow).where(RubricRow.key == key).order_by(col(RubricRow.version).desc())
    ).first()
    if row is None:
        raise LookupError(f"No rubric {key!r} is stored. Run the migrations and sync rubrics.")
    return row


def rubric_by_id(session: Session, rubric_id: int) -> Rubric:
    """The stored rubric version `rubric_id`. Versions never change, so after the first
    read in a process no query is needed (every autosave asks)."""
    cache_key = (str(session.get_bind().engine.url), rubric_id)
    if cache_key not in _by_id:
        row = session.get(RubricRow, rubric_id)
        if row is None:
            raise LookupError(f"Rubric version {rubric_id} was not found.")
        _by_id[cache_key] = rubric_from_row(row)
    return _by_id[cache_key]
