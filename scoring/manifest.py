"""Call manifests and call ids, pure: a CSV manifest's rows checked and parsed.

A manifest is UTF-8 CSV with the columns MANIFEST_COLUMNS (and optionally "transcript"),
one recording per row; `parse_manifest` returns the good rows and one RowResult per bad
row, each naming its line and what is wrong. Times are timezone-aware (UTC when the
manifest gives none); agent_channel is an integer, checked against the recording
when it is imported.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scoring.errors import Invalid

MANIFEST_COLUMNS = ("file", "agent", "started_at", "external_id", "agent_channel")
OPTIONAL_MANIFEST_COLUMNS = ("transcript",)  # a transcript file beside the recording
EXTERNAL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,119}$")


def external_id_from_name(file_name: str) -> str:
    """A call id from a recording's file name, for when none is given.

    "Call with Müller (2).wav" → "Call-with-Muller-2": accents folded, every run of other
    characters one dash, at most 120 characters. "" when nothing usable is left.
    """
    folded = unicodedata.normalize("NFKD", Path(file_name).stem)
    folded = folded.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._:/-]+", "-", folded).strip("-._:/")[:120].rstrip("-._:/")


class IntakeProblem(Invalid):
    """A call could not be imported; the message names the file and the reason."""


@dataclass(frozen=True)
class ManifestRow:
    line: int
    file: str
    agent: str
    started_at: datetime
    external_id: str
    agent_channel: int
    transcript: str = ""  # a transcript file relative to the import folder, or ""


@dataclass
class RowResult:
    line: int
    file: str
    status: str  # imported | duplicate | error
    message: str = ""
    call_id: int | None = None


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(r.status == "imported" for r in self.rows)

    @property
    def failed(self) -> int:
        return sum(r.status != "imported" for r in self.rows)


def parse_manifest(
    raw: bytes, name: str = "manifest.csv"
) -> tuple[list[ManifestRow], list[RowResult]]:
    """Parse a CSV manifest. Returns the good rows and one RowResult per bad row.

    A manifest that cannot be read at all (encoding, missing columns) raises IntakeProblem.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IntakeProblem(
            f"{name}: not UTF-8 text (byte {exc.start}); save the manifest as UTF-8 CSV"
        ) from exc
    if "\x00" in text:
        raise IntakeProblem(f"{name}: contains NUL bytes; is it really a CSV text file?")
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        rows = list(reader)
    except csv.Error as exc:
        raise IntakeProblem(f"{name}: not a readable CSV file ({exc})") from exc
    missing = [c for c in MANIFEST_COLUMNS if c not in header]
    if missing:
        raise IntakeProblem(
            f"{name}: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(MANIFEST_COLUMNS)}"
        )
    good: list[ManifestRow] = []
    bad: list[RowResult] = []
    seen_files: set[str] = set()
    seen_ids: set[str] = set()
    for line, raw_row in enumerate(rows, start=2):
        surplus = raw_row.pop(None, None)  # DictReader files extra fields under None
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw_row.items()}
        try:
            if surplus:
                raise IntakeProblem(
                    f"{len(surplus)} field(s) more than the header has; check the commas"
                )
            parsed = _manifest_row(line, row, seen_files, seen_ids)
        except IntakeProblem as exc:
            bad.append(RowResult(line, row.get("file", ""), "error", str(exc)))
            continue
        seen_files.add(parsed.file)
        seen_ids.add(parsed.external_id)
        good.append(parsed)
    return good, bad


def _manifest_row(
    line: int, row: dict[str, str], seen_files: set[str], seen_ids: set[str]
) -> ManifestRow:
    """One manifest row's values, or IntakeProblem saying what is wrong with it."""
    file = row.get("file", "")
    if not file:
        raise IntakeProblem("the file column is empty")
    try:
        started = datetime.fromisoformat(row["started_at"].replace("Z", "+00:00"))
    except ValueError as exc:
        raise IntakeProblem(f"started_at {row['started_at']!r} is not an ISO date-time") from exc
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    try:
        channel = int(row["agent_channel"] or 0)
    except ValueError as exc:
        raise IntakeProblem(f"agent_channel {row['agent_channel']!r} is not 0 or 1") from exc
    if file in seen_files:
        raise IntakeProblem(f"file {file!r} is listed twice")
    external_id = row["external_id"] or external_id_from_name(file)
    if not external_id:
        raise IntakeProblem(f"no call id can be made from {file!r}; fill in the external_id column")
    if external_id in seen_ids:
        raise IntakeProblem(f"external id {external_id!r} is listed twice")
    if not row["agent"]:
        raise IntakeProblem("the agent column is empty")
    return ManifestRow(
        line, file, row["agent"], started, external_id, channel, row.get("transcript", "")
    )
