"""Rubric model, validation and loading.

A rubric is data: one TOML file per rubric version (format in ``rubrics/README.md``).
``parse_rubric`` checks a decoded file and reports every problem at once, each naming the
file, the item and the field, so an author can fix a file in one pass.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.errors import Invalid
from scoring.text_evidence import TEXT_METRICS

METRIC_NAMES: tuple[str, ...] = (
    "talk_share",
    "longest_agent_turn",
    "overtalk",
    "interruptions",
    "backchannels",
    "response_gaps",
    "long_silences",
)
"""Listening-metric names an item may show beside it as evidence."""

TEXT_METRIC_NAMES: tuple[str, ...] = TEXT_METRICS
"""Text-evidence metrics an item may show (``scoring.text_evidence.TEXT_METRICS``)."""
EVIDENCE_NAMES: tuple[str, ...] = METRIC_NAMES + TEXT_METRIC_NAMES

KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*")
MAX_KEY_CHARS = 64
MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 1000  # listen_for and each anchor
MAX_DESCRIPTION_CHARS = 2000
MAX_LABEL_CHARS = 40
MAX_LEVELS = 11
MAX_ITEMS = 50
MAX_WEIGHT = 1000.0  # keeps weighted sums far from float overflow
MAX_FILE_BYTES = 1_000_000
MAX_VERSION = 1_000_000  # far below the database's 32-bit integer column (2**31 - 1)

DEFAULT_SCALE_MIN = 1
DEFAULT_SCALE_MAX = 5

TOP_FIELDS = ("key", "version", "title", "description", "scale", "items")
SCALE_FIELDS = ("min", "max", "labels")
ITEM_FIELDS = (
    "key",
    "title",
    "listen_for",
    "weight",
    "na_allowed",
    "na_default_audio_only",
    "critical",
    "evidence",
    "anchors",
)

_MISSING: Any = object()


@dataclass(frozen=True)
class RubricProblem:
    """One thing wrong with a rubric file. ``item`` is None for file-level problems."""

    file: str
    item: str | None
    field: str
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.item is not None:
            parts.append(f"item '{self.item}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts) + ": " + self.message


class RubricError(Invalid):
    """A rubric file is unusable; ``problems`` lists every reason, ``str()`` one per line."""

    def __init__(self, problems: list[RubricProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


@dataclass(frozen=True)
class RubricItem:
    """One scored practice. ``anchors`` maps each scale level to a behavioural description."""

    key: str
    title: str
    listen_for: str
    anchors: dict[int, str]
    weight: float
    na_allowed: bool = False
    na_default_audio_only: bool = False
    critical: bool = False
    evidence: tuple[str, ...] = ()

    def __hash__(self) -> int:
        return hash(json.dumps(_item_to_dict(self), sort_keys=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, shaped like one ``[[items]]`` table of the file."""
        return _item_to_dict(self)


@dataclass(frozen=True)
class Rubric:
    """A validated rubric version. Items keep file order; levels run scale_min..scale_max."""

    key: str
    version: int
    title: str
    description: str
    scale_min: int
    scale_max: int
    scale_labels: dict[int, str]
    items: tuple[RubricItem, ...]

    def __hash__(self) -> int:
        return hash(self.content_hash())

    def item(self, key: str) -> RubricItem:
        """The item with this key; KeyError naming the rubric and its items if absent."""
        for candidate in self.items:
            if candidate.key == key:
                return candidate
        raise KeyError(
            f"rubric '{self.key}' v{self.version} has no item {key!r}; "
            f"its items are: {', '.join(self.item_keys)}"
        )

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    @property
    def levels(self) -> tuple[int, ...]:
        """Every scale level, lowest first, e.g. (1, 2, 3, 4, 5)."""
        return tuple(range(self.scale_min, self.scale_max + 1))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form shaped like the TOML file; ``parse_rubric`` reads it back."""
        return {
            "key": self.key,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "scale": {
                "min": self.scale_min,
                "max": self.scale_max,
                "labels": _levels_to_dict(self.scale_labels),
            },
            "items": [_item_to_dict(item) for item in self.items],
        }

    def content_hash(self) -> str:
        """Hex sha256 of the canonical JSON of ``to_dict()``: same content, same hash."""
        canonical = json.dumps(
            self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def default_values(self, audio_only: bool) -> dict[str, int | None]:
        """Starting values for a new evaluation: None (N/A) for items that default to N/A
        on audio-only calls when ``audio_only``; every other item is left out (open)."""
        if not audio_only:
            return {}
        return {item.key: None for item in self.items if item.na_default_audio_only}


def _levels_to_dict(levels: Mapping[int, str]) -> dict[str, str]:
    # JSON and TOML table keys are strings.
    return {str(level): text for level, text in sorted(levels.items())}


def _item_to_dict(item: RubricItem) -> dict[str, Any]:
    return {
        "key": item.key,
        "title": item.title,
        "listen_for": item.listen_for,
        "weight": item.weight,
        "na_allowed": item.na_allowed,
        "na_default_audio_only": item.na_default_audio_only,
        "critical": item.critical,
        "evidence": list(item.evidence),
        "anchors": _levels_to_dict(item.anchors),
    }


# --- validation -------------------------------------------------------------------------


def _kind(value: Any) -> str:
    """How a value reads to a rubric author (TOML terms, not Python ones)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _shown(value: Any, limit: int = 60) -> str:
    """A short, quoted rendering of an author's value for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Checker:
    """Collects problems for one source instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[RubricProblem] = []

    def add(self, item: str | None, field: str, message: str) -> None:
        self.problems.append(RubricProblem(self.source, item, field, message))

    def unknown_fields(
        self, table: Mapping[Any, Any], allowed: tuple[str, ...], item: str | None, prefix: str
    ) -> None:
        for name in table:
            if name in allowed:
                continue
            close = difflib.get_close_matches(str(name), allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"expected {', '.join(allowed)}"
            self.add(item, prefix + str(name), f"unknown field; {hint}")

    def text(
        self,
        table: Mapping[str, Any],
        field: str,
        item: str | None,
        *,
        max_chars: int,
        required: bool = True,
    ) -> str | None:
        """Required text must be non-blank; optional text defaults to "" and may be blank."""
        value = table.get(field, _MISSING)
        if value is _MISSING:
            if required:
                self.add(item, field, "is required")
                return None
            return ""
        return self.text_value(value, item, field, max_chars=max_chars, blank_ok=not required)

    def text_value(
        self, value: Any, item: str | None, field: str, *, max_chars: int, blank_ok: bool = False
    ) -> str | None:
        if not isinstance(value, str):
            self.add(item, field, f"must be text, got {_kind(value)}")
            return None
        if not blank_ok and not value.strip():
            self.add(item, field, "must not be empty")
            return None
        if len(value) > max_chars:
            self.add(item, field, f"is {len(value)} characters long; the limit is {max_chars}")
            return None
        return value

    def slug(self, table: Mapping[str, Any], field: str, item: str | None) -> str | None:
        value = self.text(table, field, item, max_chars=MAX_KEY_CHARS)
        if value is not None and not KEY_PATTERN.fullmatch(value):
            self.add(
                item,
                field,
                f"must be a slug (lower-case letters and digits joined by '_' or '-', "
                f"starting with a letter), got {_shown(value)}",
            )
            return None
        return value

    def integer(
        self, table: Mapping[str, Any], field: str, item: str | None, label: str, default: Any
    ) -> int | None:
        value = table.get(field, default)
        if value is _MISSING:
            self.add(item, label, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(item, label, f"must be a whole number, got {_kind(value)}")
            return None
        return value

    def boolean(self, table: Mapping[str, Any], field: str, item: str | None) -> bool | None:
        value = table.get(field, False)
        if not isinstance(value, bool):
            self.add(item, field, f"must be true or false, got {_kind(value)}")
            return None
        return value

    def weight(self, table: Mapping[str, Any], item: str | None) -> float | None:
        value = table.get("weight", _MISSING)
        if value is _MISSING:
            self.add(item, "weight", "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(item, "weight", f"must be a number, got {_kind(value)}")
            return None
        if not math.isfinite(value):
            self.add(item, "weight", "must be a finite number")
            return None
        if value <= 0:
            self.add(item, "weight", "must be greater than 0")
            return None
        if value > MAX_WEIGHT:
            self.add(item, "weight", f"must be at most {MAX_WEIGHT:g}")
            return None
        return float(value)

    def level_table(
        self,
        value: Any,
        item: str | None,
        field: str,
        levels: tuple[int, ...] | None,
        max_chars: int,
    ) -> dict[int, str] | None:
        """A table of level ("1".."5") → text. ``levels`` is None when the scale itself is
        broken; then only the texts are checked."""
        if not isinstance(value, Mapping):
            self.add(item, field, f"must be a table of level = text, got {_kind(value)}")
            return None
        result: dict[int, str] = {}
        ok = True
        for raw_level, text in value.items():
            level = _level_number(raw_level)
            if level is None:
                self.add(item, field, f"level {_shown(raw_level)} is not a whole number")
                ok = False
                continue
            if level in result:
                self.add(item, field, f"level {level} is given more than once")
                ok = False
            if levels is not None and level not in levels:
                self.add(
                    item, field, f"level {level} is outside the scale {levels[0]}–{levels[-1]}"
                )
                ok = False
            checked = self.text_value(text, item, f"{field}.{level}", max_chars=max_chars)
            if checked is None:
                ok = False
            else:
                result[level] = checked
        if levels is not None:
            absent = [str(level) for level in levels if _level_absent(value, level)]
            if absent:
                self.add(item, field, "missing level " + ", ".join(absent))
                ok = False
        return result if ok else None


def _level_number(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,4}", raw.strip()):
        return int(raw)
    return None


def _level_absent(table: Mapping[Any, Any], level: int) -> bool:
    return all(_level_number(raw) != level for raw in table)


def _check_scale(checker: _Checker, data: Mapping[str, Any]) -> tuple[int, int, Any] | None:
    """Returns (min, max, raw labels or _MISSING), or None when the scale is unusable."""
    scale = data.get("scale", {})
    if not isinstance(scale, Mapping):
        checker.add(None, "scale", f"must be a table, got {_kind(scale)}")
        return None
    checker.unknown_fields(scale, SCALE_FIELDS, None, "scale.")
    low = checker.integer(scale, "min", None, "scale.min", DEFAULT_SCALE_MIN)
    high = checker.integer(scale, "max", None, "scale.max", DEFAULT_SCALE_MAX)
    if low is None or high is None:
        return None
    if low < 0:
        checker.add(None, "scale.min", f"must be 0 or more, got {low}")
        return None
    if low >= high:
        checker.add(None, "scale", f"min ({low}) must be less than max ({high})")
        return None
    if high - low + 1 > MAX_LEVELS:
        checker.add(None, "scale", f"has {high - low + 1} levels; the limit is {MAX_LEVELS}")
        return None
    return low, high, scale.get("labels", _MISSING)


def _check_item(
    checker: _Checker,
    raw: Any,
    number: int,
    levels: tuple[int, ...] | None,
    seen: dict[str, int],
) -> RubricItem | None:
    """Validates one ``[[items]]`` table; ``number`` is its 1-based position in the file."""
    raw_key = raw.get("key") if isinstance(raw, Mapping) else None
    # Name the item by its key when that key is usable, else by its position.
    usable = isinstance(raw_key, str) and bool(KEY_PATTERN.fullmatch(raw_key))
    label = raw_key if usable and len(str(raw_key)) <= MAX_KEY_CHARS else f"#{number}"
    if not isinstance(raw, Mapping):
        checker.add(label, "", f"must be a table, got {_kind(raw)}")
        return None

    before = len(checker.problems)
    checker.unknown_fields(raw, ITEM_FIELDS, label, "")
    key = checker.slug(raw, "key", label)
    if key is not None:
        if key in seen:
            checker.add(
                label, "key", f"duplicate key: item #{number} repeats the key of item #{seen[key]}"
            )
        else:
            seen[key] = number
    title = checker.text(raw, "title", label, max_chars=MAX_TITLE_CHARS)
    listen_for = checker.text(raw, "listen_for", label, max_chars=MAX_TEXT_CHARS)
    weight = checker.weight(raw, label)
    na_allowed = checker.boolean(raw, "na_allowed", label)
    na_default = checker.boolean(raw, "na_default_audio_only", label)
    critical = checker.boolean(raw, "critical", label)
    if na_default and na_allowed is False:
        checker.add(label, "na_default_audio_only", "requires na_allowed = true")

    evidence_raw = raw.get("evidence", [])
    evidence: list[str] = []
    if not isinstance(evidence_raw, list | tuple):
        checker.add(label, "evidence", f"must be a list of metric names, got {_kind(evidence_raw)}")
    else:
        for name in evidence_raw:
            if name not in EVIDENCE_NAMES:
                checker.add(
                    label,
                    "evidence",
                    f"unknown metric {_shown(name)}; choose from {', '.join(EVIDENCE_NAMES)}",
                )
            elif name in evidence:
                checker.add(label, "evidence", f"metric '{name}' is listed more than once")
            else:
                evidence.append(name)

    anchors_raw = raw.get("anchors", _MISSING)
    anchors = None
    if anchors_raw is _MISSING:
        checker.add(label, "anchors", "is required")
    else:
        anchors = checker.level_table(anchors_raw, label, "anchors", levels, MAX_TEXT_CHARS)

    if len(checker.problems) > before or levels is None:
        return None
    assert key is not None and title is not None and listen_for is not None
    assert weight is not None and anchors is not None
    return RubricItem(
        key=key,
        title=title,
        listen_for=listen_for,
        anchors=anchors,
        weight=weight,
        na_allowed=bool(na_allowed),
        na_default_audio_only=bool(na_default),
        critical=bool(critical),
        evidence=tuple(evidence),
    )


def parse_rubric(data: Mapping[str, Any], source: str = "<rubric>") -> Rubric:
    """Validates decoded rubric data (a TOML document or ``Rubric.to_dict()`` output).

    ``source`` names the file in problems. Raises RubricError listing every problem found.
    """
    checker = _Checker(source)
    if not isinstance(data, Mapping):
        checker.add(None, "", f"must be a table of rubric fields, got {_kind(data)}")
        raise RubricError(checker.problems)

    checker.unknown_fields(data, TOP_FIELDS, None, "")
    key = checker.slug(data, "key", None)
    version = checker.integer(data, "version", None, "version", _MISSING)
    if version is not None and version < 1:
        checker.add(None, "version", f"must be 1 or more, got {version}")
    elif version is not None and version > MAX_VERSION:
        checker.add(None, "version", f"must be at most {MAX_VERSION}, got {version}")
    title = checker.text(data, "title", None, max_chars=MAX_TITLE_CHARS)
    description = checker.text(
        data, "description", None, max_chars=MAX_DESCRIPTION_CHARS, required=False
    )

    scale = _check_scale(checker, data)
    levels: tuple[int, ...] | None = None
    labels: dict[int, str] | None = None
    if scale is not None:
        low, high, raw_labels = scale
        levels = tuple(range(low, high + 1))
        if raw_labels is _MISSING:
            # Unlabelled scales show the bare level numbers.
            labels = {level: str(level) for level in levels}
        else:
            labels = checker.level_table(raw_labels, None, "scale.labels", levels, MAX_LABEL_CHARS)

    items: list[RubricItem] = []
    raw_items = data.get("items", _MISSING)
    if raw_items is _MISSING:
        checker.add(None, "items", "is required: add at least one [[items]] table")
    elif not isinstance(raw_items, list | tuple):
        checker.add(None, "items", f"must be a list of [[items]] tables, got {_kind(raw_items)}")
    elif not raw_items:
        checker.add(None, "items", "must list at least one item")
    elif len(raw_items) > MAX_ITEMS:
        checker.add(None, "items", f"has {len(raw_items)} items; the limit is {MAX_ITEMS}")
    else:
        seen: dict[str, int] = {}
        for number, raw in enumerate(raw_items, start=1):
            item = _check_item(checker, raw, number, levels, seen)
            if item is not None:
                items.append(item)

    if checker.problems:
        raise RubricError(checker.problems)
    assert key is not None and version is not None and title is not None
    assert description is not None and levels is not None and labels is not None
    return Rubric(
        key=key,
        version=version,
        title=title,
        description=description,
        scale_min=levels[0],
        scale_max=levels[-1],
        scale_labels=labels,
        items=tuple(items),
    )


# --- loading ----------------------------------------------------------------------------


def load_rubric(path: str | os.PathLike[str]) -> Rubric:
    """Reads and validates one rubric TOML file. Unreadable, non-UTF-8 or malformed files
    raise RubricError too, naming the file."""
    path = Path(path)
    name = path.name or str(path)

    def fail(message: str) -> RubricError:
        return RubricError([RubricProblem(name, None, "", message)])

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise fail("file not found") from None
    except IsADirectoryError:
        raise fail("is a directory, not a rubric file") from None
    except OSError as error:
        raise fail(f"cannot read file: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise fail(f"file is larger than {MAX_FILE_BYTES} bytes")
    try:
        # utf-8-sig: tolerate the byte-order mark some Windows editors write.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise fail(f"is not UTF-8 text (invalid byte at offset {error.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise fail(f"is not valid TOML: {error}") from None
    except RecursionError:
        raise fail("is not usable TOML: tables or arrays nest too deeply") from None
    return parse_rubric(data, source=name)


def load_rubric_dir(directory: str | os.PathLike[str]) -> list[Rubric]:
    """Every ``*.toml`` rubric in ``directory``, sorted by (key, version).

    Raises one RubricError with the problems of every bad file, and for any (key, version)
    defined by two files.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise RubricError([RubricProblem(str(directory), None, "", "is not a directory")])
    problems: list[RubricProblem] = []
    rubrics: list[Rubric] = []
    defined_in: dict[tuple[str, int], str] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            rubric = load_rubric(path)
        except RubricError as error:
            problems.extend(error.problems)
            continue
        identity = (rubric.key, rubric.version)
        if identity in defined_in:
            problems.append(
                RubricProblem(
                    path.name,
                    None,
                    "version",
                    f"rubric '{rubric.key}' version {rubric.version} is also defined in "
                    f"{defined_in[identity]}",
                )
            )
            continue
        defined_in[identity] = path.name
        rubrics.append(rubric)
    if problems:
        raise RubricError(problems)
    return sorted(rubrics, key=lambda rubric: (rubric.key, rubric.version))
