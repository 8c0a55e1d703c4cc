"""Intervals for averages of bounded scores: published values, scipy, the posterior by
simulation, and coverage by seeded simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from scoring.uncertainty import (
    ITEM_BOUNDS,
    Difference,
    Summary,
    compare,
    mean_interval,
    quota_precision,
    summarise,
    summary_interval,
)

# Cushny & Peebles' sleep data as printed by Student (1908) and shipped with R (`sleep`):
# extra hours of sleep under two drugs, the same ten patients.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
WIDE = (-10.0, 10.0)


def test_student_t_interval_matches_r_paired_t_test_on_the_sleep_data():
    # R: t.test(extra ~ group, data = sleep, paired = TRUE) prints mean difference -1.58
    # and the 95 percent confidence interval -2.4598858 -0.7001142.
    differences = [b - a for a, b in zip(SLEEP_1, SLEEP_2, strict=True)]
    interval = mean_interval(differences, level=0.95, bounds=WIDE)
    assert interval.mean == pytest.approx(1.58)
    assert (interval.low, interval.high) == pytest.approx((0.7001142, 2.4598858), abs=1e-6)
    assert interval.n == 10 and not interval.too_few


def test_welch_interval_matches_r_welch_t_test_on_the_sleep_data():
    # R: t.test(extra ~ group, data = sleep) prints Welch's t = -1.8608, df = 17.776 and
    # the 95 percent confidence interval -3.3654832 0.2054832.
    result = compare(SLEEP_1, SLEEP_2, level=0.95, bounds=WIDE)
    assert result.difference == pytest.approx(0.75 - 2.33)
    assert (result.low, result.high) == pytest.approx((-3.3654832, 0.2054832), abs=1e-6)
    assert result.clear is False
    assert "within the uncertainty" in result.label()


@pytest.mark.parametrize("seed", range(5))
def test_plain_interval_and_welch_agree_with_scipy(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(40, 101, size=int(rng.integers(3, 30))).astype(float)
    b = rng.integers(40, 101, size=int(rng.integers(3, 30))).astype(float)
    interval = mean_interval(list(a), level=0.9)
    low, high = stats.t.interval(0.9, len(a) - 1, loc=a.mean(), scale=stats.sem(a))
    assert interval.low == pytest.approx(max(low, 0.0))
    assert interval.high == pytest.approx(min(high, 100.0))
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.9)
    result = compare(list(a), list(b), level=0.9)
    assert (result.low, result.high) == pytest.approx((welch.low, welch.high))
    assert result.clear == (welch.low > 0 or welch.high < 0)


def test_reference_spread_interval_is_the_posterior_of_the_normal_model():
    """Flat prior on the mean, scaled-inverse-χ²(ν₀, s₀²) on the variance: sample the
    posterior directly (σ² | y, then μ | σ², y) and compare its quantiles."""
    values = [72.0, 80.0, 75.0, 91.0]
    prior_sd, prior_df = 12.0, 2.0
    n = len(values)
    mean, s2 = float(np.mean(values)), float(np.var(values, ddof=1))
    rng = np.random.default_rng(7)
    df = prior_df + n - 1
    scale2 = (prior_df * prior_sd**2 + (n - 1) * s2) / df
    sigma2 = df * scale2 / rng.chisquare(df, size=400_000)
    mu = rng.normal(mean, np.sqrt(sigma2 / n))
    low, high = np.quantile(mu, [0.05, 0.95])
    interval = mean_interval(values, level=0.9, prior_sd=prior_sd, prior_df=prior_df)
    assert (interval.low, interval.high) == pytest.approx((low, high), abs=0.15)
    # ν₀ = 0 is the plain Student-t interval.
    assert mean_interval(values, prior_sd=prior_sd, prior_df=0) == mean_interval(values)


def _qa_totals(rng: np.random.Generator, size: int, probabilities: list[float]) -> np.ndarray:
    """Totals of ten 1–5 items with equal weights, rescaled to 0–100."""
    levels = rng.choice(5, size=(size, 10), p=probabilities)
    return levels.sum(axis=1) / 40 * 100


def _coverage(population: np.ndarray, n: int, reps: int, seed: int, **kw: object) -> float:
    rng = np.random.default_rng(seed)
    truth = float(population.mean())
    hits = 0
    for _ in range(reps):
        interval = mean_interval(list(rng.choice(population, size=n)), **kw)  # type: ignore[arg-type]
        # A sample of identical totals has no interval: counted as a miss.
        hits += not interval.too_few and interval.low <= truth <= interval.high
    return hits / reps


@pytest.mark.parametrize("n", [5, 10, 30])
def test_plain_interval_covers_about_90_percent_of_realistic_totals(n):
    population = _qa_totals(np.random.default_rng(1), 100_000, [0.02, 0.08, 0.25, 0.4, 0.25])
    coverage = _coverage(population, n, reps=1500, seed=n)
    assert 0.87 <= coverage <= 0.93


@pytest.mark.parametrize("n", [3, 5, 10])
def test_with_the_reference_spread_small_samples_cover_at_least_about_90_percent(n):
    # A skewed, strong agent (most items at 4–5): the plain t interval under-covers at
    # n = 3 (about 85 %); borrowing the spread brings it back to about nominal.
    population = _qa_totals(np.random.default_rng(2), 100_000, [0.0, 0.02, 0.08, 0.3, 0.6])
    coverage = _coverage(population, n, reps=1500, seed=10 + n, prior_sd=float(population.std()))
    assert 0.88 <= coverage <= 0.97


def test_item_levels_use_their_own_scale():
    interval = mean_interval([4, 5, 5, 4, 5], bounds=ITEM_BOUNDS)
    assert interval.mean == pytest.approx(4.6)
    assert 1.0 <= interval.low < 4.6 < interval.high <= 5.0
    assert interval.high == 5.0  # clipped: the mean cannot exceed the top level


def test_too_few_is_a_flag_not_a_number():
    two = mean_interval([70.0, 90.0])
    assert two.too_few and two.low is None and two.high is None
    assert two.mean == 80.0 and two.n == 2 and "too few" in (two.reason or "")
    assert two.label() == "too few (n = 2)"
    empty = mean_interval([])
    assert empty.too_few and empty.mean is None and empty.n == 0
    assert not mean_interval([70.0, 90.0], min_n=2).too_few
    # Identical scores say nothing about spread unless a reference spread is given.
    same = mean_interval([100.0, 100.0, 100.0])
    assert same.too_few and "reference spread" in (same.reason or "")
    borrowed = mean_interval([100.0, 100.0, 100.0], prior_sd=10.0)
    assert not borrowed.too_few and borrowed.low < 100.0 == borrowed.high


def test_interval_narrows_as_evaluations_accumulate():
    rng = np.random.default_rng(3)
    values = list(_qa_totals(rng, 30, [0.02, 0.08, 0.25, 0.4, 0.25]))
    widths = [mean_interval(values[:n]).half_width for n in (4, 8, 16, 30)]
    assert widths == sorted(widths, reverse=True)
    assert mean_interval(values).label().endswith("n = 30)")


def test_summary_interval_equals_the_interval_of_the_values():
    values = [55.0, 60.0, 72.5, 81.0, 66.0]
    summary = summarise(values)
    assert summary.n == 5 and summary.sd == pytest.approx(np.std(values, ddof=1))
    assert summary_interval(summary) == mean_interval(values)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mean_interval([50.0, 101.0, 60.0]), r"values\[1\] = 101.0 is outside"),
        (lambda: mean_interval([3, 0, 4], bounds=ITEM_BOUNDS), r"values\[1\] = 0 is outside"),
        (lambda: mean_interval([50.0, None, 60.0]), r"values\[1\] is None"),  # type: ignore[list-item]
        (lambda: mean_interval([50.0, 60.0, 70.0], level=90), "level must be between 0 and 1"),
        (lambda: mean_interval([1.0, 2.0, 3.0], bounds=(5.0, 1.0)), "bounds"),
        (lambda: mean_interval([1.0, 2.0, 3.0], prior_sd=0.0), "prior_sd"),
        (lambda: Summary(3, 50.0, -1.0), "sd must be"),
        (lambda: quota_precision(-1, 10.0), "evaluations per period"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_compare_says_whether_a_difference_is_larger_than_the_uncertainty():
    agent = [55.0, 60.0, 58.0, 62.0, 57.0, 61.0]
    rest_of_team = Summary(n=40, mean=75.0, sd=9.0)
    below = compare(agent, rest_of_team)
    assert below.clear is True and below.high < 0
    assert below.label().startswith("-") and "larger than the uncertainty" in below.label()
    close = compare([74.0, 78.0, 71.0], rest_of_team)
    assert close.clear is False
    few = compare([60.0, 62.0], rest_of_team)
    assert few.too_few and few.clear is None and few.difference == pytest.approx(-14.0)
    assert "too few to compare" in few.label()
    flat = compare([80.0] * 4, [80.0] * 4)
    assert flat.too_few and "reference spread" in (flat.reason or "")
    assert compare([80.0] * 4, [70.0] * 4, prior_sd=8.0).clear is True
    assert isinstance(below, Difference)


def test_quota_precision_is_the_expected_half_width():
    # t(0.95; 3 df) = 2.353 (any t table): four evaluations, spread 10 → ± 11.8 points.
    four = quota_precision(4, 10.0)
    assert four.half_width == pytest.approx(2.353363 * 10 / 2, abs=1e-5)
    assert four.label() == "± 11.8 points"
    # The same as the interval of a sample with exactly that spread.
    sample = [50.0 - 10 * math.sqrt(3) / 2, 50.0 - 10 * math.sqrt(3) / 2]
    sample += [50.0 + 10 * math.sqrt(3) / 2] * 2
    assert np.std(sample, ddof=1) == pytest.approx(10.0)
    assert mean_interval(sample).half_width == pytest.approx(four.half_width)
    widths = [quota_precision(n, 10.0).half_width for n in (2, 4, 8, 16)]
    assert widths == sorted(widths, reverse=True)
    assert quota_precision(4, 10.0, periods=4).half_width == quota_precision(16, 10.0).half_width
    assert quota_precision(1, 10.0).half_width is None
    assert "too few" in quota_precision(1, 10.0).label()
    assert quota_precision(5, 0.6).label(unit="levels", digits=2) == (
        f"± {stats.t.ppf(0.95, 4) * 0.6 / math.sqrt(5):.2f} levels"
    )
