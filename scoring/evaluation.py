"""Scoring one evaluation against a rubric.

``values`` maps item key → level (int on the rubric's scale) or None for N/A. A key that is
absent is an item not answered yet, so the same function gives the live total of a draft.

Total (0–100) = 100 × Σ wᵢ·(vᵢ − min)/(max − min) / Σ wᵢ over answered items. N/A items drop
out and the remaining weights rescale. A critical item at the scale minimum fails the call:
the total is 0.0.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scoring.errors import Invalid
from scoring.rubric import Rubric, RubricItem


class AllItemsNotApplicable(Invalid):
    """Every item is marked N/A, so there is nothing to score."""


class ScoreOutOfRange(Invalid):
    """A value is not a level on the rubric's scale (or not a whole number at all)."""


class NotApplicableNotAllowed(ScoreOutOfRange):
    """N/A (None) was given for an item that must be scored."""


class UnknownItem(Invalid):
    """A value names an item the rubric does not have."""


@dataclass(frozen=True)
class EvaluationResult:
    """Outcome of scoring; item-key tuples keep rubric order.

    ``total`` is 0–100 rounded to 1 decimal, None while no item has a level, 0.0 when a
    critical item failed. ``open_items`` are items with no value at all yet.
    """

    total: float | None
    failed_critical: tuple[str, ...]
    answered: tuple[str, ...]
    not_applicable: tuple[str, ...]
    open_items: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.open_items

    @property
    def failed(self) -> bool:
        return bool(self.failed_critical)


def _level(rubric: Rubric, item: RubricItem, value: object) -> int | None:
    """The value as a level, None for N/A; raises if it is neither for this item. The
    messages name the item by its title, as the scorer sees it, never by its key."""
    allowed = f"{rubric.scale_min} to {rubric.scale_max}"
    if value is None:
        if not item.na_allowed:
            raise NotApplicableNotAllowed(
                f"'{item.title}' cannot be N/A; choose a level from {allowed}"
            )
        return None
    # bool is an int subclass; True must not quietly count as level 1.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ScoreOutOfRange(
            f"'{item.title}' needs a whole-number level from {allowed}"
            f"{' or N/A' if item.na_allowed else ''}, got {value!r}"
        )
    level = int(value)
    if not rubric.scale_min <= level <= rubric.scale_max:
        raise ScoreOutOfRange(
            f"'{item.title}' has level {level}, outside the allowed range {allowed}"
        )
    return level


def _item_or_raise(rubric: Rubric, key: object) -> RubricItem:
    if isinstance(key, str):
        for item in rubric.items:
            if item.key == key:
                return item
    raise UnknownItem(
        f"rubric '{rubric.key}' v{rubric.version} has no item {key!r}; "
        f"its items are: {', '.join(rubric.item_keys)}"
    )


def validate_values(rubric: Rubric, values: Mapping[str, int | None]) -> None:
    """Raises UnknownItem, ScoreOutOfRange or NotApplicableNotAllowed for the first bad
    entry; None (N/A) is allowed only where the item has ``na_allowed``."""
    for key, value in values.items():
        _level(rubric, _item_or_raise(rubric, key), value)


def answered_values(rows: Iterable[tuple[str, int | None, bool]]) -> dict[str, int | None]:
    """Item key → level (None = N/A) for the answered items among `(key, value, na)` rows:
    an item with neither a level nor N/A is open and left out, as `score_evaluation`
    expects."""
    return {key: value for key, value, na in rows if value is not None or na}


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # "leave this as it is" in `apply_item_change`


def apply_item_change(
    value: int | None, na: bool, *, new_value: Any = UNCHANGED, new_na: Any = UNCHANGED
) -> tuple[int | None, bool]:
    """An item's (level, N/A) after a change: setting N/A clears the level, setting a
    level clears N/A; a field left UNCHANGED keeps its value. Given both, N/A applies first
    and the level wins."""
    if new_na is not UNCHANGED:
        na = bool(new_na)
        if na:
            value = None
    if new_value is not UNCHANGED:
        value = new_value
        if value is not None:
            na = False
    return value, na


def score_evaluation(rubric: Rubric, values: Mapping[str, int | None]) -> EvaluationResult:
    """Scores ``values`` (item key → level, None = N/A, absent = open) against ``rubric``.

    Raises the errors of ``validate_values``, and AllItemsNotApplicable when every item is
    present and N/A.
    """
    validate_values(rubric, values)
    answered: list[str] = []
    not_applicable: list[str] = []
    open_items: list[str] = []
    failed_critical: list[str] = []
    weighted = 0.0
    weight_sum = 0.0
    span = rubric.scale_max - rubric.scale_min
    for item in rubric.items:
        if item.key not in values:
            open_items.append(item.key)
            continue
        level = _level(rubric, item, values[item.key])
        if level is None:
            not_applicable.append(item.key)
            continue
        answered.append(item.key)
        if item.critical and level == rubric.scale_min:
            failed_critical.append(item.key)
        weighted += item.weight * (level - rubric.scale_min) / span
        weight_sum += item.weight

    if not answered and not open_items:
        raise AllItemsNotApplicable(
            f"every item of rubric '{rubric.key}' v{rubric.version} is N/A; score at least one item"
        )
    if failed_critical:
        total: float | None = 0.0
    elif answered:
        total = round(100.0 * weighted / weight_sum, 1)
    else:
        total = None
    return EvaluationResult(
        total=total,
        failed_critical=tuple(failed_critical),
        answered=tuple(answered),
        not_applicable=tuple(not_applicable),
        open_items=tuple(open_items),
    )


def item_percent(rubric: Rubric, key: str, value: int) -> float:
    """One item's level as 0–100 of its scale (min → 0, max → 100), rounded to 1 decimal.

    Raises UnknownItem, ScoreOutOfRange, or NotApplicableNotAllowed for None (N/A has no
    percentage, whether or not the item allows it).
    """
    item = _item_or_raise(rubric, key)
    if value is None:
        raise NotApplicableNotAllowed(f"item '{key}' is N/A, which has no percentage")
    level = _level(rubric, item, value)
    assert level is not None
    return round(100.0 * (level - rubric.scale_min) / (rubric.scale_max - rubric.scale_min), 1)


@dataclass(frozen=True)
class ItemChange:
    """One item's change in an amendment: level (None = N/A or open) and N/A before and
    after, and whether its note changed."""

    key: str
    before: int | None
    before_na: bool
    after: int | None
    after_na: bool
    note_changed: bool

    def describe(self, title: str) -> str:
        """E.g. 'Be patient: 2 → 3' or 'Be patient: note changed'."""
        if (self.before, self.before_na) == (self.after, self.after_na):
            return f"{title}: note changed"
        return (
            f"{title}: {_shown(self.before, self.before_na)} → {_shown(self.after, self.after_na)}"
        )


def _shown(value: int | None, na: bool) -> str:
    return "N/A" if na else "–" if value is None else str(value)


def item_changes(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> list[ItemChange]:
    """What an amendment changed, from its audit record's `items` (key → {value, na,
    note}) before and after, in the order of `after`; unchanged items are left out."""
    changes = []
    for key, new in after.items():
        old = before.get(key, {})
        level = (old.get("value"), bool(old.get("na")), new.get("value"), bool(new.get("na")))
        note_changed = (old.get("note") or "") != (new.get("note") or "")
        if level[:2] != level[2:] or note_changed:
            changes.append(ItemChange(key, level[0], level[1], level[2], level[3], note_changed))
    return changes
