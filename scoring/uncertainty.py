"""How sure an average is: intervals for means of bounded scores, comparisons, and what a
sampling quota buys. Pure functions of plain numbers.

Scores are bounded (totals 0–100, item levels 1–5) and samples are small (an agent has
2–30 evaluations a period). The method, for n values with mean x̄ and sample standard
deviation s (ddof 1), at level L (0.9 → a 90 % interval):

    x̄ ± t_{(1+L)/2, ν} · s_p / √n,  clipped to the scale's bounds

* without a reference spread: ν = n − 1 and s_p = s, the Student-t interval;
* with a reference spread s₀ (the spread of scores in the team or on the rubric, say) worth
  ν₀ degrees of freedom: ν = ν₀ + n − 1 and s_p² = (ν₀·s₀² + (n − 1)·s²) / (ν₀ + n − 1).

The second is the exact posterior interval of the normal model with a flat prior on the
mean and a scaled-inverse-χ²(ν₀, s₀²) prior on the variance (Gelman et al., Bayesian Data
Analysis, 3rd ed., §3.2–3.3: the mean's marginal posterior is t_{ν₀+n−1}(x̄, s_p²/n)). With
ν₀ = 0 it is the Student-t interval. A small sample borrows a floor of spread, so three
identical scores do not claim a zero-width interval, and the extra degrees of freedom
shrink the t quantile. Clipping to the bounds never removes true values of the mean, so
coverage is unchanged by it. Seeded simulations (tests/unit/test_uncertainty.py) give
about nominal coverage for realistic score distributions at n = 3…30 with the reference
spread, and 85–90 % for the plain t interval on skewed or discrete scores at n ≤ 5.

Fewer than ``MIN_N`` values, or a sample with no spread and no reference spread, give an
``Interval`` flagged ``too_few`` with no bounds: a flag, not a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from scipy import stats  # type: ignore[import-untyped, unused-ignore]

MIN_N = 3
LEVEL = 0.9
TOTAL_BOUNDS = (0.0, 100.0)
ITEM_BOUNDS = (1.0, 5.0)
PRIOR_DF = 2.0


@dataclass(frozen=True)
class Summary:
    """n values, their mean and sample standard deviation (ddof 1; 0.0 when n < 2)."""

    n: int
    mean: float
    sd: float

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"n must not be negative; got {self.n}")
        if self.n and not math.isfinite(self.mean):
            raise ValueError(f"mean must be a finite number; got {self.mean}")
        if not (math.isfinite(self.sd) and self.sd >= 0):
            raise ValueError(f"sd must be a finite number ≥ 0; got {self.sd}")


@dataclass(frozen=True)
class Interval:
    """``mean`` with a ``level`` interval [low, high] from ``n`` values. ``too_few``: the
    bounds are None and ``reason`` says why (the mean is still given when n ≥ 1)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    level: float
    too_few: bool
    reason: str | None = None

    @property
    def half_width(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2

    def label(self, digits: int = 1) -> str:
        """e.g. "72.4 (66.1–78.7, n = 8)", or "too few (n = 2)"."""
        if self.too_few or self.low is None or self.high is None or self.mean is None:
            return f"too few (n = {self.n})"
        return (
            f"{self.mean:.{digits}f} ({self.low:.{digits}f}–{self.high:.{digits}f}, n = {self.n})"
        )


def _check_level(level: float) -> None:
    if not (0.0 < level < 1.0):
        raise ValueError(f"level must be between 0 and 1 (0.9 for 90 %); got {level}")


def _check_bounds(bounds: tuple[float, float]) -> None:
    low, high = bounds
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"bounds must be two finite numbers, low < high; got {bounds}")


@lru_cache(maxsize=1024)
def _t(level: float, df: float) -> float:
    """The two-sided ``level`` quantile of Student's t with ``df`` degrees of freedom."""
    return float(stats.t.ppf(0.5 + level / 2.0, df))


def summarise(values: Sequence[float], bounds: tuple[float, float] = TOTAL_BOUNDS) -> Summary:
    """n, mean and sample sd of ``values``; refuses a value outside ``bounds`` by position."""
    _check_bounds(bounds)
    xs: list[float] = []
    for index, value in enumerate(values):
        if value is None or isinstance(value, bool):
            raise ValueError(f"values[{index}] is {value!r}; expected a number")
        x = float(value)
        if not math.isfinite(x) or not bounds[0] <= x <= bounds[1]:
            raise ValueError(
                f"values[{index}] = {value!r} is outside the scale {bounds[0]:g}–{bounds[1]:g}"
            )
        xs.append(x)
    n = len(xs)
    if n == 0:
        return Summary(0, math.nan, 0.0)
    mean = math.fsum(xs) / n
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else 0.0
    return Summary(n, mean, sd)


def _pooled(summary: Summary, prior_sd: float | None, prior_df: float) -> tuple[float, float]:
    """(s_p, ν) of the module docstring."""
    if prior_sd is None or prior_df <= 0:
        return summary.sd, float(summary.n - 1)
    df = prior_df + summary.n - 1
    return math.sqrt((prior_df * prior_sd**2 + (summary.n - 1) * summary.sd**2) / df), df


def _check_prior(prior_sd: float | None, prior_df: float) -> None:
    if prior_sd is not None and not (math.isfinite(prior_sd) and prior_sd > 0):
        raise ValueError(f"prior_sd must be a positive number; got {prior_sd}")
    if not (math.isfinite(prior_df) and prior_df >= 0):
        raise ValueError(f"prior_df must be a number ≥ 0; got {prior_df}")


def summary_interval(
    summary: Summary,
    level: float = LEVEL,
    bounds: tuple[float, float] = TOTAL_BOUNDS,
    min_n: int = MIN_N,
    prior_sd: float | None = None,
    prior_df: float = PRIOR_DF,
) -> Interval:
    """``mean_interval`` from an aggregate (n, mean, sd), as a query returns it."""
    _check_level(level)
    _check_bounds(bounds)
    _check_prior(prior_sd, prior_df)
    if min_n < 2:
        raise ValueError(f"min_n must be at least 2; got {min_n}")
    n = summary.n
    mean = summary.mean if n else None
    if n < min_n:
        return Interval(mean, None, None, n, level, True, f"too few evaluations ({n} < {min_n})")
    sd, df = _pooled(summary, prior_sd, prior_df)
    if sd == 0.0:
        return Interval(
            mean,
            None,
            None,
            n,
            level,
            True,
            "every score is the same; a reference spread (prior_sd) is needed",
        )
    half = _t(level, df) * sd / math.sqrt(n)
    return Interval(
        summary.mean,
        max(bounds[0], summary.mean - half),
        min(bounds[1], summary.mean + half),
        n,
        level,
        False,
    )


def mean_interval(
    values: Sequence[float],
    level: float = LEVEL,
    bounds: tuple[float, float] = TOTAL_BOUNDS,
    min_n: int = MIN_N,
    prior_sd: float | None = None,
    prior_df: float = PRIOR_DF,
) -> Interval:
    """The mean of ``values`` (each within ``bounds``) with a ``level`` interval by the
    module docstring's method; ``prior_sd`` (with ``prior_df`` degrees of freedom) is the
    reference spread, None for the plain Student-t interval. Fewer than ``min_n`` values:
    flagged ``too_few``."""
    return summary_interval(summarise(values, bounds), level, bounds, min_n, prior_sd, prior_df)


# ---------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class Difference:
    """a − b with a ``level`` interval. ``clear``: the interval excludes 0, so the difference
    is larger than the uncertainty (None when ``too_few``)."""

    difference: float | None
    low: float | None
    high: float | None
    n_a: int
    n_b: int
    level: float
    too_few: bool
    reason: str | None = None

    @property
    def clear(self) -> bool | None:
        if self.too_few or self.low is None or self.high is None:
            return None
        return self.low > 0 or self.high < 0

    def label(self, digits: int = 1, unit: str = "points") -> str:
        """e.g. "+6.2 points (1.0 to 11.4): larger than the uncertainty"."""
        if self.too_few or self.difference is None or self.low is None or self.high is None:
            return f"too few to compare (n = {self.n_a} and {self.n_b})"
        verdict = "larger than the uncertainty" if self.clear else "within the uncertainty"
        return (
            f"{self.difference:+.{digits}f} {unit} ({self.low:+.{digits}f} to "
            f"{self.high:+.{digits}f}): {verdict}"
        )


def _as_summary(sample: Sequence[float] | Summary, bounds: tuple[float, float]) -> Summary:
    return sample if isinstance(sample, Summary) else summarise(sample, bounds)


def compare(
    a: Sequence[float] | Summary,
    b: Sequence[float] | Summary,
    level: float = LEVEL,
    bounds: tuple[float, float] = TOTAL_BOUNDS,
    min_n: int = MIN_N,
    prior_sd: float | None = None,
    prior_df: float = PRIOR_DF,
) -> Difference:
    """Is mean(a) − mean(b) larger than the uncertainty? Welch's interval on the difference:

        d = ā − b̄,  se² = s_a²/n_a + s_b²/n_b,
        ν = se⁴ / (s_a⁴/(n_a²·ν_a) + s_b⁴/(n_b²·ν_b)),  d ± t_{(1+L)/2, ν}·se

    with ν_a = n_a − 1 (Welch–Satterthwaite), or, given a reference spread, each side's
    s_p and ν = ν₀ + n − 1 as in ``mean_interval``. The difference is "clear" when the
    interval excludes 0. For agent vs team pass the rest of the team (not the agent
    again); for this period vs the last pass the two periods' scores.
    """
    _check_level(level)
    _check_bounds(bounds)
    _check_prior(prior_sd, prior_df)
    sa, sb = _as_summary(a, bounds), _as_summary(b, bounds)
    if sa.n < min_n or sb.n < min_n:
        difference = sa.mean - sb.mean if sa.n and sb.n else None
        return Difference(
            difference,
            None,
            None,
            sa.n,
            sb.n,
            level,
            True,
            f"too few evaluations ({sa.n} and {sb.n}; at least {min_n} each)",
        )
    sd_a, df_a = _pooled(sa, prior_sd, prior_df)
    sd_b, df_b = _pooled(sb, prior_sd, prior_df)
    va, vb = sd_a**2 / sa.n, sd_b**2 / sb.n
    se2 = va + vb
    difference = sa.mean - sb.mean
    if se2 == 0.0:
        return Difference(
            difference,
            None,
            None,
            sa.n,
            sb.n,
            level,
            True,
            "every score is the same on both sides; a reference spread (prior_sd) is needed",
        )
    df = se2**2 / (va**2 / df_a + vb**2 / df_b)
    half = _t(level, df) * math.sqrt(se2)
    return Difference(difference, difference - half, difference + half, sa.n, sb.n, level, False)


# ---------------------------------------------------------------- what a quota buys


@dataclass(frozen=True)
class Precision:
    """An average of ``n`` evaluations is known to ± ``half_width`` (at ``level``); None
    when n is below 2."""

    n: int
    half_width: float | None
    level: float

    def label(self, unit: str = "points", digits: int = 1) -> str:
        """e.g. "± 6.2 points"."""
        if self.half_width is None:
            return f"too few evaluations to say (n = {self.n})"
        return f"± {self.half_width:.{digits}f} {unit}"


def quota_precision(
    evaluations_per_period: int,
    observed_sd: float,
    level: float = LEVEL,
    periods: int = 1,
) -> Precision:
    """What a quota buys: with n = evaluations_per_period × periods evaluations of an agent
    and scores spread like ``observed_sd`` (the spread seen so far), their average is
    known to ± t_{(1+L)/2, n−1} · observed_sd / √n — the expected half-width of the
    Student-t interval of ``mean_interval``."""
    _check_level(level)
    if evaluations_per_period < 0 or periods < 1:
        raise ValueError(
            f"evaluations per period must be ≥ 0 and periods ≥ 1; got "
            f"{evaluations_per_period} and {periods}"
        )
    if not (math.isfinite(observed_sd) and observed_sd >= 0):
        raise ValueError(f"observed_sd must be a finite number ≥ 0; got {observed_sd}")
    n = evaluations_per_period * periods
    if n < 2:
        return Precision(n, None, level)
    return Precision(n, _t(level, n - 1) * observed_sd / math.sqrt(n), level)
