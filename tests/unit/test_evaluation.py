"""Evaluation scoring: hand-computed totals, N/A rescaling, critical fails, bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scoring.evaluation import (
    AllItemsNotApplicable,
    EvaluationResult,
    NotApplicableNotAllowed,
    ScoreOutOfRange,
    UnknownItem,
    item_percent,
    score_evaluation,
    validate_values,
)
from scoring.rubric import Rubric, load_rubric, parse_rubric

DEFAULT = Path(__file__).resolve().parents[2] / "rubrics" / "listening.v1.toml"


def _item(key: str, weight: float, **flags: Any) -> dict[str, Any]:
    anchors = {str(level): f"Level {level}." for level in range(1, 6)}
    return {
        "key": key,
        "title": key.title(),
        "listen_for": "Something.",
        "weight": weight,
        "anchors": anchors,
        **flags,
    }


@pytest.fixture
def rubric() -> Rubric:
    """Scale 1–5; weights a=1, b=2, c=1 (N/A allowed), d=1 (critical)."""
    return parse_rubric(
        {
            "key": "test",
            "version": 1,
            "title": "Test",
            "items": [
                _item("a", 1),
                _item("b", 2),
                _item("c", 1, na_allowed=True),
                _item("d", 1, critical=True),
            ],
        }
    )


def test_total_with_every_item_answered(rubric: Rubric) -> None:
    # Fractions (v-1)/4: a=5→1.0, b=4→0.75, c=3→0.5, d=2→0.25.
    # 100 × (1×1.0 + 2×0.75 + 1×0.5 + 1×0.25) / (1+2+1+1) = 100 × 3.25 / 5 = 65.0
    result = score_evaluation(rubric, {"a": 5, "b": 4, "c": 3, "d": 2})
    assert result == EvaluationResult(
        total=65.0,
        failed_critical=(),
        answered=("a", "b", "c", "d"),
        not_applicable=(),
        open_items=(),
    )
    assert result.complete and not result.failed


def test_na_item_drops_out_and_weights_rescale(rubric: Rubric) -> None:
    # c is N/A: 100 × (1×1.0 + 2×0.75 + 1×0.25) / (1+2+1) = 100 × 2.75 / 4 = 68.75 → 68.8
    result = score_evaluation(rubric, {"a": 5, "b": 4, "c": None, "d": 2})
    assert result.total == 68.8
    assert result.not_applicable == ("c",)
    assert result.answered == ("a", "b", "d")
    assert result.complete


def test_draft_total_uses_answered_items_only(rubric: Rubric) -> None:
    # Only a=2 (0.25) and b=3 (0.5): 100 × (1×0.25 + 2×0.5) / 3 = 125 / 3 = 41.666… → 41.7
    result = score_evaluation(rubric, {"b": 3, "a": 2})
    assert result.total == 41.7
    assert result.answered == ("a", "b")  # rubric order, not dict order
    assert result.open_items == ("c", "d")
    assert not result.complete


def test_nothing_answered_yet_has_no_total(rubric: Rubric) -> None:
    result = score_evaluation(rubric, {})
    assert result.total is None
    assert result.open_items == ("a", "b", "c", "d")


def test_only_na_so_far_has_no_total(rubric: Rubric) -> None:
    result = score_evaluation(rubric, {"c": None})
    assert result.total is None and result.not_applicable == ("c",)


def test_extremes(rubric: Rubric) -> None:
    assert score_evaluation(rubric, dict.fromkeys("abcd", 5)).total == 100.0
    # All at 2 → every fraction 0.25 → 25.0 (d at 2 is above the critical floor).
    assert score_evaluation(rubric, dict.fromkeys("abcd", 2)).total == 25.0
    assert score_evaluation(rubric, {"a": 1, "b": 1}).total == 0.0


def test_critical_item_at_lowest_level_fails_the_call(rubric: Rubric) -> None:
    # Without the rule this would be 100 × (1+2+1+0)/5 = 80.0.
    result = score_evaluation(rubric, {"a": 5, "b": 5, "c": 5, "d": 1})
    assert result.total == 0.0
    assert result.failed_critical == ("d",)
    assert result.failed


def test_critical_fail_applies_while_drafting(rubric: Rubric) -> None:
    result = score_evaluation(rubric, {"a": 5, "d": 1})
    assert result.total == 0.0 and result.failed and not result.complete


def test_all_items_na_is_an_error() -> None:
    rubric = parse_rubric(
        {
            "key": "t",
            "version": 1,
            "title": "T",
            "items": [_item("x", 1, na_allowed=True), _item("y", 2, na_allowed=True)],
        }
    )
    with pytest.raises(AllItemsNotApplicable):
        score_evaluation(rubric, {"x": None, "y": None})
    assert score_evaluation(rubric, {"x": None}).total is None


@pytest.mark.parametrize("value", [0, 6, -1, 100])
def test_level_out_of_range(rubric: Rubric, value: int) -> None:
    with pytest.raises(ScoreOutOfRange, match=r"'B' .*range 1 to 5"):
        score_evaluation(rubric, {"b": value})


@pytest.mark.parametrize("value", [True, False, 3.0, "3", [3]])
def test_non_integer_levels_are_rejected(rubric: Rubric, value: Any) -> None:
    with pytest.raises(ScoreOutOfRange, match="'A' needs a whole-number level from 1 to 5"):
        validate_values(rubric, {"a": value})


def test_na_where_not_allowed(rubric: Rubric) -> None:
    with pytest.raises(NotApplicableNotAllowed, match="'A' cannot be N/A"):
        score_evaluation(rubric, {"a": None})
    # Callers that only know ScoreOutOfRange still catch it.
    assert issubclass(NotApplicableNotAllowed, ScoreOutOfRange)


def test_unknown_item(rubric: Rubric) -> None:
    with pytest.raises(UnknownItem, match="no item 'zz'; its items are: a, b, c, d"):
        score_evaluation(rubric, {"a": 3, "zz": 3})


def test_validate_values_accepts_good_values(rubric: Rubric) -> None:
    validate_values(rubric, {"a": 1, "c": None, "d": 5})


def test_item_percent(rubric: Rubric) -> None:
    assert [item_percent(rubric, "a", level) for level in range(1, 6)] == [
        0.0,
        25.0,
        50.0,
        75.0,
        100.0,
    ]
    with pytest.raises(ScoreOutOfRange):
        item_percent(rubric, "a", 9)
    with pytest.raises(NotApplicableNotAllowed):
        item_percent(rubric, "c", None)  # type: ignore[arg-type]
    with pytest.raises(UnknownItem):
        item_percent(rubric, "zz", 3)


def test_default_rubric_audio_only_call() -> None:
    rubric = load_rubric(DEFAULT)
    values: dict[str, int | None] = rubric.default_values(audio_only=True)
    values.update({key: 4 for key in rubric.item_keys if key != "eye_contact"})
    # Every answered item at 4 → fraction 0.75 regardless of weights → 75.0
    result = score_evaluation(rubric, values)
    assert result.total == 75.0
    assert result.not_applicable == ("eye_contact",)
    assert result.complete


def test_default_rubric_weighted_total() -> None:
    rubric = load_rubric(DEFAULT)
    values: dict[str, int | None] = dict.fromkeys(rubric.item_keys, 3)
    values["eye_contact"] = None
    values["stop_talking"] = 5  # weight 1.5, fraction 1.0
    values["open_mind"] = 1  # weight 1.0, fraction 0.0
    # Weights without eye_contact: 1.5+1.0+1.25+1.0+1.25+1.0+1.25+1.5+1.0 = 10.75
    # Weighted: 1.5×1 + 1.0×0 + (10.75 − 1.5 − 1.0)×0.5 = 1.5 + 4.125 = 5.625
    # 100 × 5.625 / 10.75 = 52.325… → 52.3
    assert score_evaluation(rubric, values).total == 52.3


def test_scale_starting_at_zero() -> None:
    rubric = parse_rubric(
        {
            "key": "z",
            "version": 1,
            "title": "Z",
            "scale": {"min": 0, "max": 2},
            "items": [
                {
                    "key": "only",
                    "title": "Only",
                    "listen_for": "x",
                    "weight": 1,
                    "anchors": {"0": "no", "1": "some", "2": "yes"},
                }
            ],
        }
    )
    assert score_evaluation(rubric, {"only": 1}).total == 50.0
    with pytest.raises(ScoreOutOfRange, match="range 0 to 2"):
        score_evaluation(rubric, {"only": 3})


# ---------------------------------------------------------------- item rows and changes


def test_answered_values_keep_levels_and_na_and_leave_open_items_out():
    from scoring.evaluation import answered_values

    rows = [("a", 3, False), ("b", None, True), ("c", None, False), ("d", 1, False)]
    assert answered_values(rows) == {"a": 3, "b": None, "d": 1}


def test_apply_item_change_na_clears_the_level_and_a_level_clears_na():
    from scoring.evaluation import UNCHANGED, apply_item_change

    assert apply_item_change(4, False, new_na=True) == (None, True)
    assert apply_item_change(None, True, new_value=2) == (2, False)
    assert apply_item_change(4, False, new_na=False) == (4, False)
    assert apply_item_change(4, False) == (4, False)
    assert apply_item_change(4, False, new_value=UNCHANGED, new_na=UNCHANGED) == (4, False)
    # Both given: N/A first, then the level wins; a level of None keeps N/A as set.
    assert apply_item_change(4, False, new_value=5, new_na=True) == (5, False)
    assert apply_item_change(4, False, new_value=None, new_na=True) == (None, True)


def test_item_changes_describe_what_an_amendment_changed_in_words():
    from scoring.evaluation import item_changes

    before = {"a": {"value": 2, "na": False, "note": ""}, "b": {"value": 3, "na": False}}
    after = {
        "a": {"value": 3, "na": False, "note": ""},
        "b": {"value": 3, "na": False, "note": "heard at 0:40"},
        "c": {"value": None, "na": True, "note": ""},
    }
    changes = item_changes(before, after)
    assert [c.describe(c.key.upper()) for c in changes] == [
        "A: 2 → 3",
        "B: note changed",
        "C: – → N/A",
    ]
    assert item_changes(after, after) == []
