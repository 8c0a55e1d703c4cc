"""Inter-rater agreement statistics as pure functions.

Orientation differs by statistic and follows each one's usual textbook layout; every
function says which it expects. Missing ratings (N/A) are ``None`` or ``NaN``. Functions
raise ``ValueError`` with a plain message on malformed or degenerate input rather than
returning ``NaN``, so callers can show the reason instead of a meaningless number.
"""

import math
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import krippendorff as _krippendorff
import numpy as np
from scipy.stats import rankdata

AlphaLevel = Literal["nominal", "ordinal", "interval", "ratio"]
KappaWeights = Literal["linear", "quadratic"] | None

ALPHA_LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
ICC_FORMS: tuple[str, ...] = (
    "ICC(1,1)",
    "ICC(2,1)",
    "ICC(3,1)",
    "ICC(1,k)",
    "ICC(2,k)",
    "ICC(3,k)",
)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(value))
    except TypeError:  # strings and other labels are never missing
        return False


def _numeric_table(ratings: Any, layout: str) -> np.ndarray:
    """2-D float array from nested sequences or an array; None becomes NaN."""
    try:
        table = np.array(ratings, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"ratings must be a rectangular table of numbers ({layout}); {exc}"
        ) from None
    if table.ndim != 2:
        raise ValueError(f"ratings must be 2-D ({layout}); got {table.ndim}-D input")
    if table.size == 0:
        raise ValueError(f"ratings are empty; expected a {layout} table")
    if np.isinf(table).any():
        row, col = (int(i) for i in np.argwhere(np.isinf(table))[0])
        raise ValueError(f"ratings[{row}, {col}] is infinite")
    return table


def _require_complete(table: np.ndarray, what_row: str, what_col: str) -> None:
    missing = np.argwhere(np.isnan(table))
    if missing.size:
        row, col = (int(i) for i in missing[0])
        raise ValueError(
            f"ratings[{row}, {col}] ({what_row} {row}, {what_col} {col}) is missing; "
            f"this statistic needs complete ratings ({len(missing)} missing in total)"
        )


# --- Krippendorff's alpha -------------------------------------------------------------


def krippendorff_alpha(ratings: Any, level: AlphaLevel = "ordinal") -> float:
    """Krippendorff's α for ``ratings`` shaped raters × units.

    ``None``/``NaN`` cells are missing (N/A) and simply not paired; units with fewer than two
    ratings contribute nothing. ``level`` is the level of measurement: nominal, ordinal,
    interval or ratio. Computed with the ``krippendorff`` package.

    Raises ValueError when α is undefined: fewer than two raters, no unit with two or more
    ratings, or no variation among the pairable ratings (everyone gave the same value — α is
    0/0 there, and the reading "perfect" versus "no information" is for the caller to make).
    """
    if level not in ALPHA_LEVELS:
        raise ValueError(f"level must be one of {', '.join(ALPHA_LEVELS)}; got {level!r}")
    table = _numeric_table(ratings, "raters × units")
    if table.shape[0] < 2:
        raise ValueError(f"Krippendorff's α needs at least 2 raters; got {table.shape[0]}")
    present = ~np.isnan(table)
    pairable_units = present.sum(axis=0) >= 2
    if not pairable_units.any():
        raise ValueError("Krippendorff's α needs at least one unit rated by two or more raters")
    pairable_values = np.unique(table[:, pairable_units][present[:, pairable_units]])
    if pairable_values.size < 2:
        raise ValueError(
            f"Krippendorff's α is undefined without variation: every paired rating is "
            f"{pairable_values[0]:g}"
        )
    value = float(_krippendorff.alpha(reliability_data=table, level_of_measurement=level))
    if not math.isfinite(value):  # defensive: the checks above should make this unreachable
        raise ValueError("Krippendorff's α could not be computed for these ratings")
    return value


# --- Intraclass correlation -----------------------------------------------------------


def _normalise_icc_form(form: str) -> str:
    compact = re.sub(r"\s+", "", form).upper().replace("K)", "k)")
    if compact not in ICC_FORMS:
        raise ValueError(f"form must be one of {', '.join(ICC_FORMS)}; got {form!r}")
    return compact


def icc(ratings: Any, form: str = "ICC(2,1)") -> float:
    """Intraclass correlation for ``ratings`` shaped units × raters, complete.

    ``form`` uses Shrout & Fleiss (1979) naming: ICC(1,1), ICC(2,1), ICC(3,1) for a single
    rater and ICC(1,k), ICC(2,k), ICC(3,k) for the mean of the k raters, computed from the
    two-way ANOVA mean squares (BMS targets, JMS judges, EMS residual, WMS within targets).

    Raises ValueError on any missing cell (naming its position), fewer than 2 units or
    raters, all-identical ratings, or a zero denominator for the chosen form.
    """
    canonical = _normalise_icc_form(form)
    table = _numeric_table(ratings, "units × raters")
    _require_complete(table, "unit", "rater")
    n_units, k_raters = table.shape
    if n_units < 2 or k_raters < 2:
        raise ValueError(f"ICC needs at least 2 units and 2 raters; got {n_units} × {k_raters}")
    grand_mean = table.mean()
    total_ss = float(((table - grand_mean) ** 2).sum())
    if total_ss == 0.0:
        raise ValueError("ICC is undefined: every rating is identical")
    between_units_ss = k_raters * float(((table.mean(axis=1) - grand_mean) ** 2).sum())
    between_raters_ss = n_units * float(((table.mean(axis=0) - grand_mean) ** 2).sum())
    residual_ss = total_ss - between_units_ss - between_raters_ss

    bms = between_units_ss / (n_units - 1)
    jms = between_raters_ss / (k_raters - 1)
    ems = residual_ss / ((n_units - 1) * (k_raters - 1))
    wms = (total_ss - between_units_ss) / (n_units * (k_raters - 1))

    numerator, denominator = {
        "ICC(1,1)": (bms - wms, bms + (k_raters - 1) * wms),
        "ICC(2,1)": (bms - ems, bms + (k_raters - 1) * ems + k_raters * (jms - ems) / n_units),
        "ICC(3,1)": (bms - ems, bms + (k_raters - 1) * ems),
        "ICC(1,k)": (bms - wms, bms),
        "ICC(2,k)": (bms - ems, bms + (jms - ems) / n_units),
        "ICC(3,k)": (bms - ems, bms),
    }[canonical]
    # Relative tolerance: sums of squares carry float noise proportional to their size.
    if abs(denominator) <= 1e-12 * total_ss:
        raise ValueError(f"{canonical} is undefined here: the units do not differ at all")
    return float(numerator / denominator)


# --- Kappas ---------------------------------------------------------------------------


def cohen_kappa(
    a: Sequence[Hashable | None],
    b: Sequence[Hashable | None],
    weights: KappaWeights = None,
    labels: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's κ between two raters' labels ``a`` and ``b`` (same length, same units).

    ``weights`` None is plain κ; "linear"/"quadratic" weight a disagreement by its distance
    along ``labels`` (as scikit-learn does: distance in positions, not raw values).
    ``labels`` is the full ordered scale when given, else the categories that occur, sorted.
    Pairs where either value is None/NaN are dropped.

    Raises ValueError on length mismatch, a value outside ``labels``, no complete pair, or
    when chance disagreement is zero (both raters used one and the same category).
    """
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic'; got {weights!r}")
    if len(a) != len(b):
        raise ValueError(f"a and b must be the same length; got {len(a)} and {len(b)}")
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not (_is_missing(x) or _is_missing(y))]
    if not pairs:
        raise ValueError("Cohen's κ needs at least one unit rated by both raters")
    if labels is None:
        try:
            scale = sorted({value for pair in pairs for value in pair})  # type: ignore[type-var]
        except TypeError:
            raise ValueError("categories of mixed types cannot be sorted; pass labels") from None
    else:
        scale = list(labels)
        if len(set(scale)) != len(scale):
            raise ValueError("labels must not repeat")
    position = {label: index for index, label in enumerate(scale)}
    unknown = sorted({v for pair in pairs for v in pair if v not in position}, key=str)
    if unknown:
        raise ValueError(f"values not in labels: {unknown}")

    size = len(scale)
    observed = np.zeros((size, size))
    for x, y in pairs:
        observed[position[x], position[y]] += 1
    observed /= len(pairs)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))

    distance = np.abs(np.subtract.outer(np.arange(size), np.arange(size))).astype(float)
    if weights is None:
        disagreement = (distance > 0).astype(float)
    elif weights == "linear":
        disagreement = distance
    else:
        disagreement = distance**2
    expected_disagreement = float((disagreement * expected).sum())
    if expected_disagreement == 0.0:
        raise ValueError(
            "Cohen's κ is undefined: both raters used a single, identical category, "
            "so no disagreement is possible even by chance"
        )
    return 1.0 - float((disagreement * observed).sum()) / expected_disagreement


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]] | np.ndarray) -> float:
    """Fleiss' κ (1971) for ``ratings`` shaped subjects × raters holding category labels.

    Every subject needs the same number of ratings (≥ 2); a None/NaN cell raises ValueError
    naming its position. Raises ValueError when only one category is used anywhere (chance
    agreement is then 1 and κ is 0/0).
    """
    rows = [list(row) for row in ratings]
    if not rows or not rows[0]:
        raise ValueError("ratings are empty; expected a subjects × raters table")
    n_raters = len(rows[0])
    for index, row in enumerate(rows):
        if len(row) != n_raters:
            raise ValueError(
                f"every subject needs the same number of ratings; subject {index} has "
                f"{len(row)}, subject 0 has {n_raters}"
            )
        for col, value in enumerate(row):
            if _is_missing(value):
                raise ValueError(
                    f"ratings[{index}, {col}] (subject {index}, rater {col}) is missing"
                )
    if n_raters < 2:
        raise ValueError("Fleiss' κ needs at least 2 raters per subject")

    category_index: dict[Hashable, int] = {}
    for row in rows:
        for value in row:
            category_index.setdefault(value, len(category_index))
    counts = np.zeros((len(rows), len(category_index)))
    for subject, row in enumerate(rows):
        for value in row:
            counts[subject, category_index[value]] += 1

    per_subject = ((counts**2).sum(axis=1) - n_raters) / (n_raters * (n_raters - 1))
    observed = float(per_subject.mean())
    shares = counts.sum(axis=0) / counts.sum()
    expected = float((shares**2).sum())
    if expected >= 1.0:
        raise ValueError("Fleiss' κ is undefined: every rating is the same category")
    return (observed - expected) / (1.0 - expected)


# --- Kendall's W ----------------------------------------------------------------------


def kendall_w(ratings: Any) -> float:
    """Kendall's coefficient of concordance W for ``ratings`` shaped raters × objects.

    Each rater's scores are ranked (ties get average ranks) and W is corrected for ties:
    W = 12·S / (m²(n³ − n) − m·ΣT), T = Σ(t³ − t) over tie groups. Needs complete data,
    at least 2 raters and 2 objects; raises ValueError when every rater ties every object.
    """
    table = _numeric_table(ratings, "raters × objects")
    _require_complete(table, "rater", "object")
    m_raters, n_objects = table.shape
    if m_raters < 2 or n_objects < 2:
        raise ValueError(
            f"Kendall's W needs at least 2 raters and 2 objects; got {m_raters} × {n_objects}"
        )
    ranks = rankdata(table, axis=1)
    rank_sums = ranks.sum(axis=0)
    spread = float(((rank_sums - rank_sums.mean()) ** 2).sum())
    tie_correction = 0.0
    for row in table:
        _, tie_sizes = np.unique(row, return_counts=True)
        tie_correction += float((tie_sizes**3 - tie_sizes).sum())
    denominator = m_raters**2 * (n_objects**3 - n_objects) - m_raters * tie_correction
    if denominator <= 0:
        raise ValueError("Kendall's W is undefined: every rater tied all objects")
    return float(12.0 * spread / denominator)


# --- Percent agreement ----------------------------------------------------------------


@dataclass(frozen=True)
class PercentAgreement:
    """Share (0–1) of rater pairs that agree, per unit and overall.

    ``per_unit`` follows the unit order; None where a unit has fewer than 2 ratings.
    ``overall`` is the mean of the defined per-unit shares, so each unit counts equally.
    """

    per_unit: list[float | None]
    overall: float


def percent_agreement(ratings: Any, within: float = 0) -> PercentAgreement:
    """Share of rater pairs agreeing exactly (``within=0``) or within ``within`` points.

    ``ratings`` is raters × units; None/NaN are missing and not paired. Raises ValueError
    when ``within`` is negative or no unit has two or more ratings.
    """
    if within < 0:
        raise ValueError(f"within must be 0 or more points; got {within}")
    table = _numeric_table(ratings, "raters × units")
    per_unit: list[float | None] = []
    for column in table.T:
        values = column[~np.isnan(column)]
        if values.size < 2:
            per_unit.append(None)
            continue
        gaps = np.abs(np.subtract.outer(values, values))
        upper = np.triu_indices(values.size, k=1)
        per_unit.append(float((gaps[upper] <= within).mean()))
    defined = [share for share in per_unit if share is not None]
    if not defined:
        raise ValueError("percent agreement needs at least one unit with two or more ratings")
    return PercentAgreement(per_unit=per_unit, overall=float(np.mean(defined)))


# --- Plain-language readings ----------------------------------------------------------

_STATISTIC_ALIASES: dict[str, str] = {
    "alpha": "alpha",
    "krippendorff_alpha": "alpha",
    "krippendorffs_alpha": "alpha",
    "kappa": "kappa",
    "cohen_kappa": "kappa",
    "cohens_kappa": "kappa",
    "weighted_kappa": "kappa",
    "fleiss_kappa": "kappa",
    "fleiss": "kappa",
    "cohens": "kappa",
    "krippendorffs": "alpha",
    "icc": "icc",
    "kendall_w": "kendall_w",
    "kendalls_w": "kendall_w",
    "percent_agreement": "percent_agreement",
}


def _landis_koch_band(value: float) -> str:
    if value < 0:
        return "poor (worse than chance)"
    for upper, band in (
        (0.20, "slight"),
        (0.40, "fair"),
        (0.60, "moderate"),
        (0.80, "substantial"),
    ):
        if value <= upper:
            return band
    return "almost perfect"


def reading(statistic: str, value: float) -> str:
    """One or two plain sentences on what ``value`` of ``statistic`` means, citing a convention.

    ``statistic``: "krippendorff_alpha" (or "alpha"), "cohen_kappa"/"weighted_kappa"/
    "fleiss_kappa" (or "kappa"), "icc" (or a form such as "ICC(2,1)"), "kendall_w",
    "percent_agreement" or
    "percent_agreement_within_N" (value as a share 0–1). Raises ValueError on an unknown
    statistic or a non-finite value.
    """
    if value is None or not math.isfinite(value):
        raise ValueError(f"cannot read a missing or non-finite value: {value!r}")
    key = re.sub(r"[^a-z0-9]+", "_", statistic.lower().replace("'", "")).strip("_")
    within_match = re.fullmatch(r"percent_agreement_within_(\d+(?:_\d+)?)", key)
    kind = "percent_agreement" if within_match else _STATISTIC_ALIASES.get(key)
    if kind is None and re.fullmatch(r"icc_[123]_(1|k|\d+)", key):  # e.g. "ICC(2,1)"
        kind = "icc"
    if kind is None:
        known = ", ".join(sorted(set(_STATISTIC_ALIASES.values())))
        raise ValueError(f"unknown statistic {statistic!r}; known: {known}")

    if kind == "percent_agreement":
        tolerance = within_match.group(1).replace("_", ".") if within_match else None
        return _read_percent_agreement(value, tolerance)
    return _READERS[kind](value)


def _read_alpha(value: float) -> str:
    if value >= 0.800:
        verdict = "reliable: scorers agree closely enough to rely on their scores"
    elif value >= 0.667:
        verdict = (
            "tentative: agreement is good enough only for tentative conclusions; keep calibrating"
        )
    else:
        verdict = (
            "unreliable: scorers disagree too much to rely on their scores; "
            "recalibrate before using them"
        )
    return (
        f"α = {value:.2f}, {verdict} (Krippendorff 2004: α ≥ 0.800 reliable, "
        f"0.667–0.800 tentative, below 0.667 unreliable)."
    )


def _read_kappa(value: float) -> str:
    band = _landis_koch_band(value)
    return (
        f"κ = {value:.2f}, {band} agreement beyond what chance alone would give "
        f"(Landis & Koch 1977 bands: ≤0.20 slight, 0.21–0.40 fair, 0.41–0.60 moderate, "
        f"0.61–0.80 substantial, above 0.80 almost perfect)."
    )


def _read_icc(value: float) -> str:
    if value < 0.50:
        band, meaning = "poor", "scores depend heavily on who did the scoring"
    elif value < 0.75:
        band, meaning = "moderate", "scores partly depend on who did the scoring"
    elif value <= 0.90:
        band, meaning = "good", "scores mostly reflect what was scored, not who scored it"
    else:
        band, meaning = "excellent", "scores reflect what was scored, hardly who scored it"
    return (
        f"ICC = {value:.2f}, {band} reliability: {meaning} (Koo & Li 2016: below 0.50 "
        f"poor, 0.50–0.75 moderate, 0.75–0.90 good, above 0.90 excellent)."
    )


_KENDALL_BANDS = ((0.10, "no real"), (0.30, "very weak"), (0.50, "weak"), (0.70, "moderate"))


def _read_kendall_w(value: float) -> str:
    band = next((name for upper, name in _KENDALL_BANDS if value < upper), None)
    band = band or ("strong" if value < 0.90 else "unusually strong")
    return (
        f"W = {value:.2f}, {band} agreement on the order of the items "
        f"(Schmidt 1997: 0.1 very weak, 0.3 weak, 0.5 moderate, 0.7 strong, "
        f"0.9 unusually strong)."
    )


def _read_percent_agreement(value: float, tolerance: str | None) -> str:
    # A raw share, no chance correction, so no banding convention.
    how = f"within ±{tolerance} point{'s' if tolerance != '1' else ''}" if tolerance else "exactly"
    return (
        f"Scorer pairs agreed {how} {value:.0%} of the time. This is a raw share that does "
        f"not allow for agreement by chance."
    )


_READERS: dict[str, Callable[[float], str]] = {
    "alpha": _read_alpha,
    "kappa": _read_kappa,
    "icc": _read_icc,
    "kendall_w": _read_kendall_w,
}
