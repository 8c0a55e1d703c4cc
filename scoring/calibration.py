"""Calibration-session comparisons: who scored what, how far apart, and how reliably.

Scores arrive as plain mappings, scorer name → item key → rubric level (int) or None for
N/A. Deviations are in rubric points and signed so that positive means the scorer scored
higher than the reference (lenient). Agreement shares are 0–1, not percentages.
"""

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoring.agreement import cohen_kappa, icc, krippendorff_alpha, percent_agreement, reading

Scores = Mapping[str, Mapping[str, int | None]]
Reference = Mapping[str, int | None]

SPREAD_COLUMNS: tuple[str, ...] = (
    "n",
    "min",
    "max",
    "range",
    "std",
    "median",
    "reference",
    "mean_abs_deviation",
    "agreement_within_1",
)
DEVIATION_COLUMNS: tuple[str, ...] = (
    "mean_signed_deviation",
    "mean_abs_deviation",
    "n_items",
    "label",
)
ACCURACY_COLUMNS: tuple[str, ...] = (
    "scorer",
    "session_id",
    "session_date",
    "n_items",
    "exact_agreement",
    "within_1",
    "mean_abs_deviation",
)


def _as_float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _unique_keys(item_keys: Sequence[str]) -> list[str]:
    keys = list(item_keys)
    if len(set(keys)) != len(keys):
        duplicated = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"item_keys must be unique; repeated: {duplicated}")
    return keys


def calibration_grid(scores: Scores, item_keys: Sequence[str]) -> pd.DataFrame:
    """Scorers × items table of levels as float, NaN where N/A or not scored.

    Rows keep the order of ``scores``, columns the rubric order of ``item_keys``; item keys
    in ``scores`` that are not in ``item_keys`` are ignored.
    """
    keys = _unique_keys(item_keys)
    values = np.array(
        [[_as_float(row.get(key)) for key in keys] for row in scores.values()], dtype=float
    ).reshape(len(scores), len(keys))
    return pd.DataFrame(
        values,
        index=pd.Index(list(scores), name="scorer"),
        columns=pd.Index(keys, name="item"),
    )


def reference_values(grid: pd.DataFrame, reference: Reference | None = None) -> pd.Series:
    """Per-item reference level: ``reference`` when given (None → NaN), else the group median.

    The group median skips N/A; an item nobody scored has NaN.
    """
    if reference is None:
        return grid.median(axis=0, skipna=True).rename("reference")
    return pd.Series(
        [_as_float(reference.get(item)) for item in grid.columns],
        index=grid.columns,
        name="reference",
        dtype=float,
    )


def _share_within(values: np.ndarray, points: float) -> float:
    present = values[~np.isnan(values)]
    if present.size < 2:
        return math.nan
    gaps = np.abs(np.subtract.outer(present, present))[np.triu_indices(present.size, k=1)]
    return float((gaps <= points).mean())


def item_spreads(grid: pd.DataFrame, reference: Reference | None = None) -> pd.DataFrame:
    """Per-item spread of the scorers' levels, indexed by item in grid column order.

    Columns: n (scorers with a level), min, max, range, std (population, ddof=0: the scorers
    in the room are the whole group), median, reference (``reference`` or group median),
    mean_abs_deviation (from reference, in points), agreement_within_1 (share 0–1 of
    scorer pairs within ±1 point). N/A is skipped throughout; statistics with no data are NaN
    (agreement_within_1 needs two levels, the deviation needs a reference value).
    """
    ref = reference_values(grid, reference)
    spreads = pd.DataFrame(
        {
            "n": grid.count(axis=0).astype(int),
            "min": grid.min(axis=0),
            "max": grid.max(axis=0),
            "range": grid.max(axis=0) - grid.min(axis=0),
            "std": grid.std(axis=0, ddof=0),
            "median": grid.median(axis=0),
            "reference": ref,
            "mean_abs_deviation": grid.sub(ref, axis=1).abs().mean(axis=0),
            "agreement_within_1": [
                _share_within(grid[item].to_numpy(dtype=float), 1) for item in grid.columns
            ],
        },
        index=grid.columns,
    )
    return spreads.loc[:, list(SPREAD_COLUMNS)]


def tendency(
    mean_signed: float,
    mean_abs: float,
    n_items: int,
    bias_threshold: float = 0.5,
    spread_threshold: float = 1.0,
) -> str:
    """A scorer's tendency against the reference, in words, from their deviations.

    With d̄ the mean signed deviation and |d|̄ the mean absolute deviation (points,
    positive = above the reference): "lenient" when d̄ ≥ ``bias_threshold``, "strict" when
    d̄ ≤ −``bias_threshold``; otherwise "inconsistent" when |d|̄ ≥ ``spread_threshold``
    (deviations that cancel in the signed mean, e.g. +1, −1, +1, −1: no direction, but a
    point off on average), else "in line". "no comparable items" when ``n_items`` is 0.
    """
    if n_items == 0:
        return "no comparable items"
    if mean_signed >= bias_threshold:
        return "lenient"
    if mean_signed <= -bias_threshold:
        return "strict"
    if mean_abs >= spread_threshold:
        return "inconsistent"
    return "in line"


def scorer_deviation(
    grid: pd.DataFrame,
    reference: Reference | None = None,
    bias_threshold: float = 0.5,
    spread_threshold: float = 1.0,
) -> pd.DataFrame:
    """Per-scorer deviation from the reference, indexed by scorer in grid row order.

    Columns: mean_signed_deviation (points; positive = lenient, scores above reference),
    mean_abs_deviation (points), n_items (items where both scorer and reference have a
    level), label: the scorer's :func:`tendency` ("lenient", "strict", "inconsistent",
    "in line", or "no comparable items" when n_items is 0, deviations then NaN). Without
    ``reference`` the group median per item is used.
    """
    if bias_threshold < 0:
        raise ValueError(f"bias_threshold must be 0 or more points; got {bias_threshold}")
    if spread_threshold <= 0:
        raise ValueError(f"spread_threshold must be more than 0 points; got {spread_threshold}")
    differences = grid.sub(reference_values(grid, reference), axis=1)
    signed = differences.mean(axis=1)
    absolute = differences.abs().mean(axis=1)
    n_items = differences.count(axis=1).astype(int)
    labels = [
        tendency(float(mean), float(spread), int(count), bias_threshold, spread_threshold)
        for mean, spread, count in zip(signed, absolute, n_items, strict=True)
    ]
    return pd.DataFrame(
        {
            "mean_signed_deviation": signed,
            "mean_abs_deviation": absolute,
            "n_items": n_items,
            "label": labels,
        },
        index=grid.index,
    )


# --- Session statistics ---------------------------------------------------------------


@dataclass(frozen=True)
class StatisticResult:
    """One statistic: ``value`` with its plain-language ``reading``, or None and a ``reason``.

    ``basis`` says what it was computed over (e.g. "50 call × item units, 20 scorers").
    Exactly one of ``value`` and ``reason`` is set; ``value`` is never NaN.
    """

    value: float | None
    reading: str | None
    reason: str | None = None
    basis: str = ""


def _computed(statistic: str, value: float, basis: str) -> StatisticResult:
    return StatisticResult(value=value, reading=reading(statistic, value), basis=basis)


def _not_computed(reason: str, basis: str = "") -> StatisticResult:
    return StatisticResult(value=None, reading=None, reason=reason, basis=basis)


@dataclass(frozen=True)
class SessionStatistics:
    """Agreement statistics of one calibration session.

    ``alpha``: Krippendorff's α (ordinal) over every call × item unit. ``item_agreement``:
    per item key, share of scorer pairs within ±1 point (mean over calls).
    ``totals_icc``: ICC(2,1) of call totals, calls × scorers with a total on every call.
    ``kappa_vs_benchmark``: per scorer (benchmark excluded), quadratic-weighted Cohen's κ
    against the benchmark over all call × item pairs both scored; empty without a benchmark.
    """

    scorers: list[str]
    call_ids: list[str]
    item_keys: list[str]
    alpha: StatisticResult
    item_agreement: dict[str, StatisticResult]
    totals_icc: StatisticResult
    benchmark: str | None
    kappa_vs_benchmark: dict[str, StatisticResult]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _score_cube(
    calls: Mapping[str, Scores],
    scorers: list[str],
    item_keys: list[str],
    scale: tuple[int, int],
) -> np.ndarray:
    """Scorers × calls × items levels (NaN = N/A or not scored), checked against ``scale``."""
    low, high = scale
    cube = np.full((len(scorers), len(calls), len(item_keys)), np.nan)
    scorer_row = {name: row for row, name in enumerate(scorers)}
    for call_col, (call_id, scores) in enumerate(calls.items()):
        for scorer, levels in scores.items():
            for item_col, key in enumerate(item_keys):
                level = levels.get(key)
                if level is None or (isinstance(level, float) and math.isnan(level)):
                    continue  # N/A
                if isinstance(level, bool) or not isinstance(level, int | float | np.number):
                    raise ValueError(
                        f"call {call_id!r}, scorer {scorer!r}, item {key!r}: level must be a "
                        f"whole number or None; got {level!r}"
                    )
                if not (low <= level <= high) or float(level) != int(level):
                    raise ValueError(
                        f"call {call_id!r}, scorer {scorer!r}, item {key!r}: level {level!r} "
                        f"is not a whole number on the {low}–{high} scale"
                    )
                cube[scorer_row[scorer], call_col, item_col] = float(level)
    return cube


def _session_alpha(cube: np.ndarray) -> StatisticResult:
    n_scorers, n_calls, n_items = cube.shape
    basis = f"{_plural(n_calls * n_items, 'call × item unit')}, {_plural(n_scorers, 'scorer')}"
    if n_scorers < 2:
        return _not_computed(
            f"Needs at least two scorers; this session has {n_scorers}.", basis=basis
        )
    units = cube.reshape(n_scorers, n_calls * n_items)
    present = ~np.isnan(units)
    shared = present.sum(axis=0) >= 2
    if not shared.any():
        return _not_computed(
            "No item was scored (other than N/A) by two or more scorers on the same call.",
            basis=basis,
        )
    if np.unique(units[:, shared][present[:, shared]]).size < 2:
        return _not_computed(
            "Every scorer gave the same level wherever they overlapped, so there is no "
            "variation for α to measure (agreement is complete but uninformative).",
            basis=basis,
        )
    try:
        value = krippendorff_alpha(units, level="ordinal")
    except ValueError as exc:
        return _not_computed(str(exc), basis=basis)
    return _computed("krippendorff_alpha", value, basis)


def _item_agreement(cube: np.ndarray, item_keys: list[str]) -> dict[str, StatisticResult]:
    results: dict[str, StatisticResult] = {}
    for item_col, key in enumerate(item_keys):
        per_call = cube[:, :, item_col]  # scorers × calls for this item
        comparable_calls = int(((~np.isnan(per_call)).sum(axis=0) >= 2).sum())
        basis = f"{_plural(comparable_calls, 'call')} with two or more levels"
        if comparable_calls == 0:
            results[key] = _not_computed(
                "Fewer than two scorers gave a level (not N/A) for this item on any call.",
                basis=basis,
            )
            continue
        share = percent_agreement(per_call, within=1).overall
        results[key] = _computed("percent_agreement_within_1", share, basis)
    return results


def _totals_icc(
    call_ids: list[str], totals: Mapping[str, Mapping[str, float]] | None
) -> StatisticResult:
    if totals is None:
        return _not_computed("No call totals were provided.")
    # Calls in session order first, then any totals for calls without item scores.
    ordered_calls = [c for c in call_ids if c in totals] + [c for c in totals if c not in call_ids]
    if len(ordered_calls) < 2:
        return _not_computed(
            f"Needs totals for at least two calls; this session has "
            f"{_plural(len(ordered_calls), 'call')} with totals."
        )
    candidates: list[str] = []
    for call in ordered_calls:
        for scorer in totals[call]:
            if scorer not in candidates:
                candidates.append(scorer)

    def has_total(call: str, scorer: str) -> bool:
        value = totals[call].get(scorer)
        return value is not None and math.isfinite(float(value))

    complete = [s for s in candidates if all(has_total(call, s) for call in ordered_calls)]
    left_out = [s for s in candidates if s not in complete]
    basis = f"{_plural(len(ordered_calls), 'call')} × {_plural(len(complete), 'scorer')}"
    if left_out:
        basis += f" (left out for a missing total: {', '.join(left_out)})"
    if len(complete) < 2:
        how_many = "none has" if not complete else "only 1 has"
        return _not_computed(
            f"Needs at least two scorers with a total on every call; {how_many}.",
            basis=basis,
        )
    table = np.array(
        [[float(totals[call][scorer]) for scorer in complete] for call in ordered_calls]
    )
    try:
        value = icc(table, form="ICC(2,1)")
    except ValueError:
        return _not_computed(
            "The call totals do not vary between calls, so ICC cannot tell scorers apart "
            "from the calls.",
            basis=basis,
        )
    return _computed("icc", value, basis)


def _kappa_vs_benchmark(
    cube: np.ndarray, scorers: list[str], benchmark: str | None, scale: tuple[int, int]
) -> dict[str, StatisticResult]:
    if benchmark is None:
        return {}
    others = [s for s in scorers if s != benchmark]
    if benchmark not in scorers:
        reason = f"The benchmark scorer {benchmark!r} did not score any call in this session."
        return {s: _not_computed(reason) for s in others}
    labels = list(range(scale[0], scale[1] + 1))
    benchmark_levels = cube[scorers.index(benchmark)].ravel()
    results: dict[str, StatisticResult] = {}
    for scorer in others:
        levels = cube[scorers.index(scorer)].ravel()
        both = ~np.isnan(levels) & ~np.isnan(benchmark_levels)
        basis = f"{_plural(int(both.sum()), 'call × item pair')} scored by both"
        if not both.any():
            results[scorer] = _not_computed(
                f"{scorer} and the benchmark never both gave a level (not N/A) to the same "
                f"item of the same call.",
                basis=basis,
            )
            continue
        try:
            value = cohen_kappa(
                levels[both].astype(int).tolist(),
                benchmark_levels[both].astype(int).tolist(),
                weights="quadratic",
                labels=labels,
            )
        except ValueError:
            results[scorer] = _not_computed(
                f"{scorer} and the benchmark each used one and the same level throughout, "
                f"so κ has nothing to compare against chance.",
                basis=basis,
            )
            continue
        results[scorer] = _computed("weighted_kappa", value, basis)
    return results


def session_statistics(
    calls: Mapping[str, Scores],
    item_keys: Sequence[str],
    totals: Mapping[str, Mapping[str, float]] | None = None,
    benchmark: str | None = None,
    scale: tuple[int, int] = (1, 5),
) -> SessionStatistics:
    """All agreement statistics of a calibration session.

    ``calls``: call id → scorer → item key → level or None (N/A). ``item_keys``: rubric
    order. ``totals``: call id → scorer → call total, for the ICC. ``benchmark``: scorer
    whose levels the others are compared to by weighted κ. ``scale``: lowest and highest
    level (inclusive), the κ weighting scale.

    Raises ValueError for malformed input (repeated item keys, a bad scale, a level that is
    not a whole number on the scale). Statistics that cannot be computed carry None and a
    reason instead; see :class:`SessionStatistics`.
    """
    keys = _unique_keys(item_keys)
    low, high = scale
    if int(low) != low or int(high) != high or low >= high:
        raise ValueError(f"scale must be two whole numbers, lowest first; got {scale!r}")
    scorers: list[str] = []
    for scores in calls.values():
        for scorer in scores:
            if scorer not in scorers:
                scorers.append(scorer)
    cube = _score_cube(calls, scorers, keys, (int(low), int(high)))
    call_ids = list(calls)
    return SessionStatistics(
        scorers=scorers,
        call_ids=call_ids,
        item_keys=keys,
        alpha=_session_alpha(cube),
        item_agreement=_item_agreement(cube, keys),
        totals_icc=_totals_icc(call_ids, totals),
        benchmark=benchmark,
        kappa_vs_benchmark=_kappa_vs_benchmark(cube, scorers, benchmark, (int(low), int(high))),
    )


# --- Accuracy over time ---------------------------------------------------------------


def scorer_accuracy_over_time(
    rows: Iterable[tuple[str, Hashable, Any, str, int | None, int | None]],
) -> pd.DataFrame:
    """Per scorer per session accuracy against the reference, for the drift trend.

    ``rows``: (scorer, session_id, session_date, item_key, scorer_value, reference_value).
    Returns one row per (scorer, session) sorted by scorer, date, session id, with columns
    n_items (items where both values are present), exact_agreement and within_1 (shares
    0–1) and mean_abs_deviation (points). Rows with N/A on either side are not comparable
    and are left out of the three measures; a session with none left has NaN measures.
    """
    frame = pd.DataFrame(
        list(rows),
        columns=[
            "scorer",
            "session_id",
            "session_date",
            "item_key",
            "scorer_value",
            "reference_value",
        ],
    )
    if frame.empty:
        return pd.DataFrame(columns=list(ACCURACY_COLUMNS))
    difference = pd.to_numeric(frame["scorer_value"], errors="raise").astype(float) - (
        pd.to_numeric(frame["reference_value"], errors="raise").astype(float)
    )
    comparable = difference.notna()
    frame = frame.assign(
        compared=comparable.astype(int),
        exact=(difference == 0).astype(float).where(comparable),
        within=(difference.abs() <= 1).astype(float).where(comparable),
        absolute=difference.abs(),
    )
    summary = (
        frame.groupby(["scorer", "session_id", "session_date"], sort=False, dropna=False)
        .agg(
            n_items=("compared", "sum"),
            exact_agreement=("exact", "mean"),
            within_1=("within", "mean"),
            mean_abs_deviation=("absolute", "mean"),
        )
        .reset_index()
        .sort_values(["scorer", "session_date", "session_id"], kind="stable")
        .reset_index(drop=True)
    )
    summary["n_items"] = summary["n_items"].astype(int)
    return summary.loc[:, list(ACCURACY_COLUMNS)]


def leniency_from_cells(
    cells: Iterable[tuple[Hashable, Hashable, Hashable, int, float]],
) -> dict[Hashable, tuple[float, int, int]]:
    """Scorer leniency from grouped rows ``(agent, week, scorer, n, sum_of_totals)``.

    For every (agent, week) cell that a scorer and at least one other scorer both scored:
    the scorer's mean total minus the other scorers' pooled mean total in that cell;
    leniency = the unweighted mean of those differences over the scorer's shared cells.
    Positive: scores higher than colleagues on the same agents in the same weeks.

    Returns scorer → (leniency in points, shared cells, evaluations in shared cells);
    scorers with no shared cell are absent.
    """
    by_cell: dict[tuple[Hashable, Hashable], dict[Hashable, tuple[int, float]]] = defaultdict(dict)
    for agent, week, scorer, n, total in cells:
        if n:
            by_cell[(agent, week)][scorer] = (int(n), float(total))
    deviations: dict[Hashable, list[float]] = defaultdict(list)
    counts: dict[Hashable, int] = defaultdict(int)
    for scorers in by_cell.values():
        if len(scorers) < 2:
            continue
        cell_n = sum(n for n, _ in scorers.values())
        cell_sum = sum(s for _, s in scorers.values())
        for scorer, (n, total) in scorers.items():
            others_mean = (cell_sum - total) / (cell_n - n)
            deviations[scorer].append(total / n - others_mean)
            counts[scorer] += n
    return {s: (sum(devs) / len(devs), len(devs), counts[s]) for s, devs in deviations.items()}


CONSENSUS, BENCHMARK, GROUP_MEDIAN = "consensus", "benchmark", "group median"


def reference_levels(
    grid: pd.DataFrame,
    item_keys: Sequence[str],
    consensus: Mapping[str, int | None],
    benchmark: Mapping[str, int | None] | None,
) -> tuple[dict[str, float | None], dict[str, str]]:
    """The level each scorer is compared with, item by item: the recorded consensus, else
    the benchmark scorer's level, else the group median of `grid` (scorers × items, NaN
    where not scored). None where there is nothing to compare with (an N/A consensus or
    benchmark, or nobody scored the item). Returns (item → level, item → its source)."""
    median = grid.median(axis=0, skipna=True)
    reference: dict[str, float | None] = {}
    source: dict[str, str] = {}
    for key in item_keys:
        if key in consensus:
            level, source[key] = consensus[key], CONSENSUS
        elif benchmark is not None and key in benchmark:
            level, source[key] = benchmark[key], BENCHMARK
        else:
            found = median.get(key)
            level, source[key] = (None if found is None or pd.isna(found) else found), GROUP_MEDIAN
        reference[key] = None if level is None else float(level)
    return reference, source


def consensus_proposals(
    item_keys: Sequence[str],
    reference: Mapping[str, float | None],
    source: Mapping[str, str],
    na_allowed: Mapping[str, bool],
) -> dict[str, int | None]:
    """What the consensus form starts from, item by item: the recorded consensus, else the
    benchmark's level, else the group median when it is a whole level (a median between two
    levels, e.g. 3.5, is no level: nothing is proposed). ``reference`` and ``source`` come
    from :func:`reference_levels`. Returns item → level, or None for N/A (a recorded N/A, or
    the benchmark's N/A on an item that allows it); items with no proposal are absent."""
    proposals: dict[str, int | None] = {}
    for key in item_keys:
        level = reference.get(key)
        if level is None:
            if source.get(key) in (CONSENSUS, BENCHMARK) and na_allowed.get(key, False):
                proposals[key] = None
            continue
        if float(level).is_integer():
            proposals[key] = int(level)
    return proposals
