"""Rubric versions in the database. Stored versions are immutable: a changed file must
carry a new version number, and every evaluation keeps the version it was scored with."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from db.access import Actor
from db.audit import record_audit
from db.cache import register_cache
from db.config import REPO_ROOT
from db.engine import read_scope, session_scope
from db.models import Rubric as RubricRow
from scoring.errors import Conflict
from scoring.rubric import Rubric, load_rubric_dir, parse_rubric

RUBRIC_DIR = REPO_ROOT / "rubrics"
DEFAULT_RUBRIC_KEY = "listening"


class RubricVersionConflict(Conflict, ValueError):
    """A rubric file changed without a new version number."""


def sync_rubrics(actor: Actor | None = None, directory: Path = RUBRIC_DIR) -> list[str]:
    """Store every rubric file version not yet in the database. Returns what was added."""
    added = []
    with session_scope() as session:
        for rubric in load_rubric_dir(directory):
            stored = session.exec(
                select(RubricRow).where(
                    RubricRow.key == rubric.key, RubricRow.version == rubric.version
                )
            ).first()
            if stored is None:
                row = RubricRow(
                    key=rubric.key,
                    version=rubric.version,
                    title=rubric.title,
                    definition=rubric.to_dict(),
                    content_hash=rubric.content_hash(),
                )
                session.add(row)
                session.flush()
                record_audit(
                    session,
                    actor,
                    "add_rubric_version",
                    "rubric",
                    row.id,
                    after={"key": rubric.key, "version": rubric.version},
                )
                added.append(f"{rubric.key} v{rubric.version}")
            elif stored.content_hash != rubric.content_hash():
                raise RubricVersionConflict(
                    f"Rubric {rubric.key!r} version {rubric.version} in {directory} differs from "
                    "the stored version. Stored versions never change: give the file a new "
                    "version number."
                )
    return added


_parsed: dict[tuple[int, str], Rubric] = {}
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
        select(RubricRow).where(RubricRow.key == key).order_by(RubricRow.version.desc())
    ).first()
    if row is None:
        raise LookupError(f"No rubric {key!r} is stored. Run the migrations and sync rubrics.")
    return row


def load_rubric_version(rubric_id: int) -> Rubric:
    with read_scope() as session:
        row = session.get(RubricRow, rubric_id)
        if row is None:
            raise LookupError(f"Rubric version {rubric_id} was not found.")
        return rubric_from_row(row)


def list_rubric_versions() -> list[dict]:
    with read_scope() as session:
        rows = session.exec(select(RubricRow).order_by(RubricRow.key, RubricRow.version)).all()
        return [
            {
                "id": r.id,
                "key": r.key,
                "version": r.version,
                "title": r.title,
                "items": len(r.definition.get("items", [])),
                "created_at": r.created_at,
            }
            for r in rows
        ]


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
