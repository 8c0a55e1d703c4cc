"""Calibration-session comparisons, checked on small hand-worked sessions."""

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from scoring.agreement import cohen_kappa, icc, krippendorff_alpha, percent_agreement
from scoring.calibration import (
    ACCURACY_COLUMNS,
    SPREAD_COLUMNS,
    SessionStatistics,
    StatisticResult,
    calibration_grid,
    item_spreads,
    reference_values,
    scorer_accuracy_over_time,
    scorer_deviation,
    session_statistics,
)

ITEMS = ["greeting", "empathy", "resolution"]
SCORES = {
    "Ann": {"greeting": 4, "empathy": 3, "resolution": None},
    "Bob": {"greeting": 5, "empathy": 5, "resolution": 4},
    "Cat": {"greeting": 4, "empathy": 2, "resolution": 2},
}


def _finite_or_none(result: StatisticResult) -> bool:
    return result.value is None or math.isfinite(result.value)


# --- Grid -----------------------------------------------------------------------------


def test_grid_is_scorers_by_items_in_given_order_with_nan_for_na():
    grid = calibration_grid(SCORES, ITEMS)
    assert list(grid.index) == ["Ann", "Bob", "Cat"]
    assert list(grid.columns) == ITEMS
    assert grid.index.name == "scorer"
    assert grid.columns.name == "item"
    assert grid.dtypes.unique().tolist() == [np.dtype(float)]
    assert math.isnan(grid.loc["Ann", "resolution"])
    assert grid.loc["Bob", "empathy"] == 5.0


def test_grid_missing_items_are_nan_and_unknown_items_ignored():
    grid = calibration_grid({"Ann": {"greeting": 3, "not_in_rubric": 1}}, ITEMS)
    assert grid.loc["Ann"].tolist()[0] == 3.0
    assert grid.loc["Ann"].isna().tolist() == [False, True, True]
    assert "not_in_rubric" not in grid.columns


def test_grid_of_no_scorers_is_empty_with_item_columns():
    grid = calibration_grid({}, ITEMS)
    assert grid.shape == (0, 3)
    assert list(grid.columns) == ITEMS


def test_grid_rejects_repeated_item_keys():
    with pytest.raises(ValueError, match="repeated"):
        calibration_grid(SCORES, ["greeting", "greeting"])


# --- Item spreads ---------------------------------------------------------------------


def test_item_spreads_against_group_median():
    spreads = item_spreads(calibration_grid(SCORES, ITEMS))
    assert list(spreads.columns) == list(SPREAD_COLUMNS)
    assert list(spreads.index) == ITEMS
    empathy = spreads.loc["empathy"]  # levels 3, 5, 2
    assert empathy["n"] == 3
    assert (empathy["min"], empathy["max"], empathy["range"]) == (2, 5, 3)
    assert empathy["median"] == 3
    assert empathy["reference"] == 3  # group median when no reference is given
    assert empathy["std"] == pytest.approx(np.std([3, 5, 2]))  # population std
    assert empathy["mean_abs_deviation"] == pytest.approx((0 + 2 + 1) / 3)
    # Pairs (3,5) ✗, (3,2) ✓, (5,2) ✗ within ±1.
    assert empathy["agreement_within_1"] == pytest.approx(1 / 3)
    resolution = spreads.loc["resolution"]  # Ann N/A: levels 4, 2
    assert resolution["n"] == 2
    assert resolution["reference"] == 3
    assert resolution["agreement_within_1"] == 0


def test_item_spreads_against_given_reference():
    spreads = item_spreads(
        calibration_grid(SCORES, ITEMS), {"greeting": 5, "empathy": 2, "resolution": None}
    )
    assert spreads.loc["greeting", "reference"] == 5
    assert spreads.loc["greeting", "mean_abs_deviation"] == pytest.approx((1 + 0 + 1) / 3)
    assert spreads.loc["empathy", "mean_abs_deviation"] == pytest.approx((1 + 3 + 0) / 3)
    # N/A reference: nothing to deviate from.
    assert math.isnan(spreads.loc["resolution", "reference"])
    assert math.isnan(spreads.loc["resolution", "mean_abs_deviation"])


def test_item_spreads_with_one_level_has_no_pair_agreement():
    spreads = item_spreads(calibration_grid({"Ann": {"greeting": 3}}, ["greeting", "empathy"]))
    assert spreads.loc["greeting", "n"] == 1
    assert spreads.loc["greeting", "std"] == 0
    assert math.isnan(spreads.loc["greeting", "agreement_within_1"])
    assert spreads.loc["empathy", "n"] == 0


def test_reference_values_default_to_median():
    grid = calibration_grid(SCORES, ITEMS)
    assert reference_values(grid).tolist() == [4.0, 3.0, 3.0]


# --- Scorer deviation -----------------------------------------------------------------


def test_scorer_deviation_labels_lenient_strict_in_line():
    grid = calibration_grid(SCORES, ITEMS)
    deviation = scorer_deviation(grid, {"greeting": 4, "empathy": 3, "resolution": 3})
    assert list(deviation.index) == ["Ann", "Bob", "Cat"]
    # Ann: 0, 0 (resolution N/A) → in line over 2 items.
    assert deviation.loc["Ann", "n_items"] == 2
    assert deviation.loc["Ann", "mean_signed_deviation"] == 0
    assert deviation.loc["Ann", "label"] == "in line"
    # Bob: +1, +2, +1 → lenient.
    assert deviation.loc["Bob", "mean_signed_deviation"] == pytest.approx(4 / 3)
    assert deviation.loc["Bob", "mean_abs_deviation"] == pytest.approx(4 / 3)
    assert deviation.loc["Bob", "label"] == "lenient"
    # Cat: 0, −1, −1 → strict.
    assert deviation.loc["Cat", "mean_signed_deviation"] == pytest.approx(-2 / 3)
    assert deviation.loc["Cat", "label"] == "strict"


def test_scorer_deviation_threshold_is_a_parameter_and_inclusive():
    grid = calibration_grid({"Dan": {"greeting": 4, "empathy": 4}}, ["greeting", "empathy"])
    reference = {"greeting": 3, "empathy": 4}  # Dan: +1, 0 → mean +0.5
    assert scorer_deviation(grid, reference).loc["Dan", "label"] == "lenient"
    assert scorer_deviation(grid, reference, bias_threshold=0.6).loc["Dan", "label"] == "in line"
    with pytest.raises(ValueError, match="bias_threshold"):
        scorer_deviation(grid, reference, bias_threshold=-1)


def test_scorer_deviation_without_comparable_items():
    grid = calibration_grid({"Eve": {"greeting": None}}, ["greeting"])
    row = scorer_deviation(grid, {"greeting": 3}).loc["Eve"]
    assert row["n_items"] == 0
    assert row["label"] == "no comparable items"
    assert math.isnan(row["mean_signed_deviation"])


def test_deviations_that_cancel_are_not_in_line():
    """Worked example (the issue's case): against a reference of 3, 3, 3, 3 a scorer gives
    4, 2, 4, 2. Signed deviations +1, −1, +1, −1 cancel (mean 0.00), so a rule on the
    signed mean alone reads "in line" although no item agrees exactly. The absolute
    deviations 1, 1, 1, 1 average 1.00 point: inconsistent."""
    items = ["a", "b", "c", "d"]
    grid = calibration_grid({"Zoe": {"a": 4, "b": 2, "c": 4, "d": 2}}, items)
    row = scorer_deviation(grid, dict.fromkeys(items, 3)).loc["Zoe"]
    assert row["mean_signed_deviation"] == 0
    assert row["mean_abs_deviation"] == 1
    assert row["label"] == "inconsistent"


def test_tendency_worked_examples():
    """Signed mean d̄ = Σ(xᵢ − rᵢ)/n, absolute mean |d|̄ = Σ|xᵢ − rᵢ|/n, in points.
    lenient: d̄ ≥ 0.5; strict: d̄ ≤ −0.5; else inconsistent when |d|̄ ≥ 1; else in line."""
    items = ["a", "b", "c", "d"]
    reference = {"a": 3, "b": 3, "c": 3, "d": 3}
    cases = {
        # d = 0, 0, +1, −1: d̄ 0.00, |d|̄ 0.50 → in line (half the items exact).
        "Ann": ({"a": 3, "b": 3, "c": 4, "d": 2}, 0.0, 0.5, "in line"),
        # d = +2, −2, +1, −1: d̄ 0.00, |d|̄ 1.50 → inconsistent.
        "Bob": ({"a": 5, "b": 1, "c": 4, "d": 2}, 0.0, 1.5, "inconsistent"),
        # d = +2, +2, +1, −1: d̄ +1.00, |d|̄ 1.50 → lenient (the direction is clear).
        "Cat": ({"a": 5, "b": 5, "c": 4, "d": 2}, 1.0, 1.5, "lenient"),
        # d = −1, −1, 0, 0: d̄ −0.50, |d|̄ 0.50 → strict (the threshold is inclusive).
        "Dan": ({"a": 2, "b": 2, "c": 3, "d": 3}, -0.5, 0.5, "strict"),
        # d = +1, −1, +1, 0: d̄ +0.25, |d|̄ 0.75 → in line.
        "Eve": ({"a": 4, "b": 2, "c": 4, "d": 3}, 0.25, 0.75, "in line"),
    }
    grid = calibration_grid({name: levels for name, (levels, *_) in cases.items()}, items)
    deviation = scorer_deviation(grid, reference)
    for name, (_, signed, absolute, label) in cases.items():
        assert deviation.loc[name, "mean_signed_deviation"] == pytest.approx(signed), name
        assert deviation.loc[name, "mean_abs_deviation"] == pytest.approx(absolute), name
        assert deviation.loc[name, "label"] == label, name
    loose = scorer_deviation(grid, reference, spread_threshold=2)
    assert loose.loc["Bob", "label"] == "in line"
    with pytest.raises(ValueError, match="spread_threshold"):
        scorer_deviation(grid, reference, spread_threshold=0)


# --- Session statistics ---------------------------------------------------------------

CALLS = {
    "call-1": {
        "Ann": {"greeting": 4, "empathy": 3, "resolution": None},
        "Bob": {"greeting": 5, "empathy": 4, "resolution": 4},
        "Cat": {"greeting": 4, "empathy": 2, "resolution": 3},
    },
    "call-2": {
        "Ann": {"greeting": 2, "empathy": 2, "resolution": 1},
        "Bob": {"greeting": 3, "empathy": 2, "resolution": 2},
        "Cat": {"greeting": 2, "empathy": 1, "resolution": 1},
    },
}
TOTALS = {
    "call-1": {"Ann": 70.0, "Bob": 86.0, "Cat": 60.0},
    "call-2": {"Ann": 30.0, "Bob": 44.0, "Cat": 25.0},
}


def test_session_statistics_values_match_the_agreement_functions():
    stats = session_statistics(CALLS, ITEMS, TOTALS, benchmark="Ann")
    assert isinstance(stats, SessionStatistics)
    assert stats.scorers == ["Ann", "Bob", "Cat"]
    assert stats.call_ids == ["call-1", "call-2"]

    # α over call × item units: columns call-1 items then call-2 items.
    n = None
    units = [
        [4, 3, n, 2, 2, 1],
        [5, 4, 4, 3, 2, 2],
        [4, 2, 3, 2, 1, 1],
    ]
    assert stats.alpha.value == pytest.approx(krippendorff_alpha(units, "ordinal"))
    assert stats.alpha.reading.startswith("α = ")
    assert stats.alpha.reason is None
    assert stats.alpha.basis == "6 call × item units, 3 scorers"

    # Empathy: call-1 (3, 4, 2) → 2 of 3 pairs within ±1; call-2 (2, 2, 1) → all 3.
    empathy = stats.item_agreement["empathy"]
    assert empathy.value == pytest.approx((2 / 3 + 1) / 2)
    assert "within ±1 point" in empathy.reading
    assert set(stats.item_agreement) == set(ITEMS)

    # ICC(2,1) of totals, calls × scorers.
    expected_icc = icc([[70, 86, 60], [30, 44, 25]], "ICC(2,1)")
    assert stats.totals_icc.value == pytest.approx(expected_icc)
    assert "Koo & Li" in stats.totals_icc.reading

    # Quadratic κ of Bob vs Ann over the 5 pairs Ann scored (resolution on call-1 is N/A).
    assert set(stats.kappa_vs_benchmark) == {"Bob", "Cat"}
    expected_kappa = cohen_kappa(
        [5, 4, 3, 2, 2], [4, 3, 2, 2, 1], weights="quadratic", labels=[1, 2, 3, 4, 5]
    )
    assert stats.kappa_vs_benchmark["Bob"].value == pytest.approx(expected_kappa)
    assert stats.kappa_vs_benchmark["Bob"].basis == "5 call × item pairs scored by both"
    assert "Landis & Koch" in stats.kappa_vs_benchmark["Bob"].reading


def test_session_statistics_single_scorer_gives_reasons_not_nan():
    calls = {"call-1": {"Ann": {"greeting": 3, "empathy": 4, "resolution": 5}}}
    stats = session_statistics(calls, ITEMS, {"call-1": {"Ann": 80.0}}, benchmark="Ann")
    assert stats.alpha.value is None
    assert stats.alpha.reading is None
    assert "at least two scorers" in stats.alpha.reason
    assert all(r.value is None and r.reason for r in stats.item_agreement.values())
    assert stats.totals_icc.value is None
    assert "at least two calls" in stats.totals_icc.reason
    assert stats.kappa_vs_benchmark == {}


def test_session_statistics_without_variation_explains_instead_of_nan():
    calls = {
        "c1": {"Ann": {"greeting": 3}, "Bob": {"greeting": 3}},
        "c2": {"Ann": {"greeting": 3}, "Bob": {"greeting": 3}},
    }
    totals = {"c1": {"Ann": 50.0, "Bob": 50.0}, "c2": {"Ann": 50.0, "Bob": 50.0}}
    stats = session_statistics(calls, ["greeting"], totals, benchmark="Ann")
    assert stats.alpha.value is None
    assert "no variation" in stats.alpha.reason
    assert stats.item_agreement["greeting"].value == 1.0
    assert stats.totals_icc.value is None
    assert "do not vary" in stats.totals_icc.reason
    assert stats.kappa_vs_benchmark["Bob"].value is None
    assert "one and the same level" in stats.kappa_vs_benchmark["Bob"].reason
    for result in [stats.alpha, stats.totals_icc, *stats.kappa_vs_benchmark.values()]:
        assert _finite_or_none(result)


def test_session_statistics_icc_uses_only_scorers_with_complete_totals():
    totals = {
        "call-1": {"Ann": 70.0, "Bob": 86.0, "Cat": 60.0},
        "call-2": {"Ann": 30.0, "Bob": 44.0},  # Cat has no total here
    }
    stats = session_statistics(CALLS, ITEMS, totals)
    assert stats.totals_icc.value == pytest.approx(icc([[70, 86], [30, 44]], "ICC(2,1)"))
    assert stats.totals_icc.basis == "2 calls × 2 scorers (left out for a missing total: Cat)"


def test_session_statistics_icc_reasons():
    assert "No call totals" in session_statistics(CALLS, ITEMS).totals_icc.reason
    only_one_complete = {"call-1": {"Ann": 70.0, "Bob": 80.0}, "call-2": {"Ann": 30.0}}
    reason = session_statistics(CALLS, ITEMS, only_one_complete).totals_icc.reason
    assert "only 1 has" in reason


def test_session_statistics_benchmark_who_did_not_score():
    stats = session_statistics(CALLS, ITEMS, benchmark="Zed")
    assert set(stats.kappa_vs_benchmark) == {"Ann", "Bob", "Cat"}
    assert all("did not score" in r.reason for r in stats.kappa_vs_benchmark.values())


def test_session_statistics_without_benchmark_has_no_kappas():
    assert session_statistics(CALLS, ITEMS).kappa_vs_benchmark == {}


def test_session_statistics_item_nobody_paired():
    calls = {
        "c1": {"Ann": {"greeting": 3, "empathy": None}, "Bob": {"greeting": 4, "empathy": 2}},
    }
    stats = session_statistics(calls, ["greeting", "empathy"])
    assert stats.item_agreement["greeting"].value == 1.0
    assert stats.item_agreement["empathy"].value is None
    assert "Fewer than two scorers" in stats.item_agreement["empathy"].reason


def test_session_statistics_validates_levels_and_scale():
    with pytest.raises(ValueError, match="level 7 is not a whole number on the 1–5 scale"):
        session_statistics({"c1": {"Ann": {"greeting": 7}}}, ["greeting"])
    with pytest.raises(ValueError, match="level must be a whole number or None"):
        session_statistics({"c1": {"Ann": {"greeting": "good"}}}, ["greeting"])
    with pytest.raises(ValueError, match="scale"):
        session_statistics(CALLS, ITEMS, scale=(5, 1))
    # A wider scale accepts the level.
    stats = session_statistics({"c1": {"Ann": {"greeting": 7}}}, ["greeting"], scale=(0, 10))
    assert stats.alpha.value is None


def test_session_statistics_empty_session():
    stats = session_statistics({}, ITEMS)
    assert stats.scorers == []
    assert stats.alpha.value is None and stats.alpha.reason


def test_session_statistics_large_session_is_all_finite():
    rng = np.random.default_rng(7)
    items = [f"item-{i}" for i in range(10)]
    calls = {}
    totals = {}
    for call in range(5):
        truth = rng.integers(1, 6, size=len(items))
        calls[f"call-{call}"] = {
            f"scorer-{s}": {
                key: None
                if rng.random() < 0.05
                else int(np.clip(level + rng.integers(-1, 2), 1, 5))
                for key, level in zip(items, truth, strict=True)
            }
            for s in range(20)
        }
        totals[f"call-{call}"] = {
            scorer: float(sum(v for v in levels.values() if v is not None))
            for scorer, levels in calls[f"call-{call}"].items()
        }
    stats = session_statistics(calls, items, totals, benchmark="scorer-0")
    results = [stats.alpha, stats.totals_icc, *stats.item_agreement.values()]
    results += list(stats.kappa_vs_benchmark.values())
    assert len(stats.kappa_vs_benchmark) == 19
    assert all(r.value is not None and math.isfinite(r.value) for r in results)


# --- Accuracy over time ---------------------------------------------------------------


def test_scorer_accuracy_over_time():
    rows = [
        ("Ann", "s1", date(2024, 1, 10), "greeting", 3, 3),
        ("Ann", "s1", date(2024, 1, 10), "empathy", 2, 4),
        ("Ann", "s1", date(2024, 1, 10), "resolution", 4, 5),
        ("Ann", "s1", date(2024, 1, 10), "hold", None, 3),  # not comparable
        ("Ann", "s0", date(2023, 12, 5), "greeting", 5, 4),
        ("Bob", "s1", date(2024, 1, 10), "greeting", 3, 3),
    ]
    table = scorer_accuracy_over_time(rows)
    assert list(table.columns) == list(ACCURACY_COLUMNS)
    assert table[["scorer", "session_id"]].values.tolist() == [
        ["Ann", "s0"],
        ["Ann", "s1"],
        ["Bob", "s1"],
    ]
    ann_s1 = table.iloc[1]
    assert ann_s1["n_items"] == 3
    assert ann_s1["exact_agreement"] == pytest.approx(1 / 3)
    assert ann_s1["within_1"] == pytest.approx(2 / 3)
    assert ann_s1["mean_abs_deviation"] == pytest.approx((0 + 2 + 1) / 3)
    assert table.iloc[0]["exact_agreement"] == 0
    assert table.iloc[0]["within_1"] == 1


def test_scorer_accuracy_session_with_nothing_comparable_has_nan_measures():
    table = scorer_accuracy_over_time([("Ann", "s1", "2024-01-10", "greeting", None, 3)])
    assert table.iloc[0]["n_items"] == 0
    assert math.isnan(table.iloc[0]["exact_agreement"])


def test_scorer_accuracy_over_time_empty():
    table = scorer_accuracy_over_time([])
    assert table.empty
    assert list(table.columns) == list(ACCURACY_COLUMNS)


def test_percent_agreement_matches_item_spreads_share():
    # The spreads' within ±1 share is the same statistic as percent_agreement per unit.
    grid = calibration_grid(SCORES, ITEMS)
    shares = item_spreads(grid)["agreement_within_1"].tolist()
    expected = percent_agreement(grid.to_numpy(), within=1).per_unit
    assert shares == pytest.approx(expected)
    assert isinstance(grid, pd.DataFrame)


def test_leniency_pools_the_other_scorers():
    cells = [("a", 1, "x", 1, 80.0), ("a", 1, "y", 1, 60.0), ("a", 1, "z", 2, 140.0)]
    from scoring.calibration import leniency_from_cells

    result = leniency_from_cells(cells)
    assert result["x"] == (80 - 200 / 3, 1, 1)
    assert result["z"] == (70 - 70, 1, 2)


def test_the_reference_is_consensus_then_benchmark_then_group_median():
    from scoring.calibration import reference_levels

    grid = pd.DataFrame(
        {"a": [2.0, 4.0, 5.0], "b": [1.0, 3.0, np.nan], "c": [3.0, 3.0, 4.0], "d": [np.nan] * 3},
        index=["x", "y", "z"],
    )
    level, source = reference_levels(
        grid, ["a", "b", "c", "d"], consensus={"a": 3, "c": None}, benchmark={"b": 1}
    )
    assert level == {"a": 3.0, "b": 1.0, "c": None, "d": None}
    assert source == {
        "a": "consensus",
        "b": "benchmark",
        "c": "consensus",  # an N/A consensus: nothing to compare with, still its source
        "d": "group median",
    }
    level, source = reference_levels(grid, ["a", "b"], consensus={}, benchmark=None)
    assert level == {"a": 4.0, "b": 2.0} and set(source.values()) == {"group median"}


def test_the_consensus_form_starts_from_consensus_benchmark_or_a_whole_median():
    from scoring.calibration import consensus_proposals

    keys = ["a", "b", "c", "d", "e", "f"]
    reference = {"a": 4.0, "b": 2.0, "c": 3.0, "d": 3.5, "e": None, "f": None}
    source = {
        "a": "consensus",
        "b": "benchmark",
        "c": "group median",
        "d": "group median",  # between two levels: no level to propose
        "e": "benchmark",  # the benchmark said N/A
        "f": "group median",  # nobody gave a level
    }
    allowed = dict.fromkeys(keys, True)
    assert consensus_proposals(keys, reference, source, allowed) == {
        "a": 4,
        "b": 2,
        "c": 3,
        "e": None,
    }
    assert "e" not in consensus_proposals(keys, reference, source, {**allowed, "e": False})
