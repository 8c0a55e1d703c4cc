"""Rubric versions in the database. Stored versions are immutable: a changed file must
carry a new version number, and every evaluation keeps the version it was scored with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from db.access import AccessDenied, Actor, can_edit_rubric, current_actor
from db.engine import read_scope, session_scope
from db.models import Rubric as RubricRow
from db.operations.config import REPO_ROOT
from db.queries.rubrics import rubric_from_row
from db.services.audit import record_audit
from scoring.errors import Conflict, Invalid
from scoring.rubric import Rubric, RubricError, RubricProblem, load_rubric_dir, parse_rubric

RUBRIC_DIR = REPO_ROOT / "rubrics"


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
                    "version number (above any version saved in the app under Rubrics)."
                )
    return added


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


# ---------------------------------------------------------------- editing in the app

FIELD_LABELS = {
    "key": "Key",
    "title": "Title",
    "listen_for": "Listen for",
    "weight": "Weight",
    "na_allowed": "N/A allowed",
    "na_default_audio_only": "N/A by default on audio-only calls",
    "critical": "Critical",
    "evidence": "Evidence",
    "anchors": "Anchors",
    "description": "Description",
    "items": "Items",
    "scale": "Scale",
    "scale.labels": "Level labels",
    "version": "Version",
}


class RubricDraftError(Invalid):
    """An edited rubric the file loader would refuse; ``lines`` says each problem with the
    item's number and title and the field's name as the editor shows them."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


def _field_label(field: str) -> str:
    if field.startswith("anchors."):
        return f"Anchor for level {field.split('.', 1)[1]}"
    if field.startswith("scale.labels."):
        return f"Label of level {field.rsplit('.', 1)[1]}"
    return FIELD_LABELS.get(field, field)


def describe_problem(problem: RubricProblem, data: Mapping[str, Any]) -> str:
    """One loader problem in the editor's words: "Item 3 “Title” · Listen for: must not be
    empty" (the item named by its position and title, never only by its key)."""
    where = "Rubric"
    if problem.item is not None:
        items = data.get("items") or []
        number = None
        if problem.item.startswith("#") and problem.item[1:].isdigit():
            number = int(problem.item[1:])
        else:
            number = next(
                (n for n, it in enumerate(items, 1) if it.get("key") == problem.item), None
            )
        title = ""
        if number is not None and 0 < number <= len(items):
            title = str(items[number - 1].get("title") or "").strip()
        where = f"Item {number}" if number is not None else "An item"
        where += f" “{title}”" if title else " (no title yet)"
    message = problem.message
    if problem.field == "na_default_audio_only" and "requires na_allowed" in message:
        message = "needs “N/A allowed” too"
    if problem.field == "title" and problem.item is None:
        return f"Rubric title: {message}"
    return (
        f"{where} · {_field_label(problem.field)}: {message}"
        if problem.field
        else (f"{where}: {message}")
    )


def check_rubric_draft(data: Mapping[str, Any]) -> Rubric:
    """The rubric an edited definition makes, validated exactly as a file is
    (scoring.rubric.parse_rubric); RubricDraftError naming each item and field otherwise."""
    try:
        return parse_rubric(data, source="edited rubric")
    except RubricError as exc:
        raise RubricDraftError([describe_problem(p, data) for p in exc.problems]) from None


@dataclass(frozen=True)
class SavedVersion:
    id: int
    key: str
    version: int


def save_rubric_version(actor: Actor, base_id: int, data: Mapping[str, Any]) -> SavedVersion:
    """Store an edited rubric as the next version of its base's key (versions never
    change: every evaluation keeps the one it was scored with; new ones take the newest).
    Validated as a file is (the key is the base's); refused when nothing changed. Audited."""
    with session_scope() as session:
        actor = current_actor(session, actor)
        if not can_edit_rubric(actor):
            raise AccessDenied("Only an admin can make a new rubric version.")
        base = session.get(RubricRow, base_id)
        if base is None:
            raise LookupError(f"Rubric version {base_id} was not found.")
        newest = session.exec(
            select(RubricRow.version)
            .where(RubricRow.key == base.key)
            .order_by(col(RubricRow.version).desc())
        ).first()
        draft = {**dict(data), "key": base.key, "version": int(newest or 0) + 1}
        rubric = check_rubric_draft(draft)
        before = rubric_from_row(base)
        unchanged = {**rubric.to_dict(), "version": before.version} == before.to_dict()
        if unchanged:
            raise Invalid(f"Nothing changed: the rubric is the same as version {before.version}.")
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
            before={"key": base.key, "version": base.version},
            after={"key": rubric.key, "version": rubric.version, "edited_in_app": True},
        )
        assert row.id is not None
        return SavedVersion(row.id, rubric.key, rubric.version)
