"""Suggested levels per rubric item from a call's evidence, measured like another scorer.

Features of a call are plain numbers keyed by name: the listening summary
(``scoring.listening.SUMMARY_METRICS``: talk_share, interruptions, backchannels, ...) and
the text-evidence summary (``scoring.text_evidence.TEXT_METRICS``: paraphrases,
defensive, ...), merged by ``call_features``. ``None`` means not measured (e.g. mono audio).

Model, one per rubric item: a proportional-odds (cumulative-logit) ordinal regression on
the item's few features, standardised with the training mean and standard deviation:

    P(level ≤ k | x) = σ(θ_k − Σ_j β_j z_j),   z_j = (x_j − mean_j) / sd_j

with cut points θ_1 < … < θ_{K−1} over the K levels seen in training, fitted by maximum
likelihood with a ridge penalty ½·λ·Σβ_j² (λ = ``ridge``) using BFGS. β_j > 0 means a
higher feature value pushes towards higher levels; β_j·z_j is the feature's push for one
call, in logits, and is what the reasons report. A missing feature counts as its training
mean (no push).

An item gets no model below ``min_evaluations`` submitted scores or with only one level
seen. Each model is cross-validated when fitted (``folds``-fold, deterministic split):
Krippendorff's α (ordinal) between its held-out suggestions and the human levels. An item
whose cross-validated α is below the calibration page's reliability convention
(Krippendorff 2004: α < 0.667 unreliable) is not suggested, and neither is a call whose
most likely level has probability below ``min_confidence``.

Reliability in use: ``suggester_agreement`` treats the suggester as one more scorer against
the submitted human scores (α, quadratic-weighted κ, mean signed deviation, take-rate,
per item and optionally per period), and ``reliable_items`` keeps the items at or above
the same α convention. Keep computing (unshown) suggestions for items that fall below it,
so their agreement can be measured again and they can return.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from scoring.agreement import cohen_kappa, krippendorff_alpha
from scoring.metrics import METRICS
from scoring.text_evidence import TextEvidence

MODEL_VERSION = 1

ALPHA_RELIABLE = 0.800
ALPHA_TENTATIVE = 0.667
"""Krippendorff (2004), as cited by ``scoring.agreement.reading`` on the calibration page:
α ≥ 0.800 reliable, 0.667–0.800 tentative, below 0.667 unreliable."""

MIN_EVALUATIONS = 30
MIN_CONFIDENCE = 0.5
RIDGE = 1.0
FOLDS = 5
MIN_PAIRS = 20

DEFAULT_ITEM_FEATURES: dict[str, tuple[str, ...]] = {
    "stop_talking": ("talk_share", "longest_agent_turn", "questions"),
    "open_mind": ("questions_before_fix", "open_question_share"),
    "active_listening": ("backchannels", "paraphrases", "open_questions"),
    "natural_pauses": ("response_gaps", "long_silences"),
    "understand_remember": ("repeats", "paraphrases"),
    "paraphrase": ("paraphrases",),
    "not_defensive": ("defensive", "empathy"),
    "be_patient": ("interruptions", "overtalk", "completions"),
}
"""Rubric item key → the features its model reads (the listening rubric's keys)."""

FEATURE_LABELS: dict[str, str] = {m.name: m.feature_label for m in METRICS}
"""Features as named inside a reason's sentence (from the registry, `scoring.metrics`)."""

Features = Mapping[str, float | int | None]


def call_features(*summaries: Mapping[str, float | int | None] | None) -> dict[str, float | None]:
    """One feature dict from summaries (listening, text evidence, ...); later keys win."""
    merged: dict[str, float | None] = {}
    for summary in summaries:
        for name, value in (summary or {}).items():
            merged[name] = None if value is None else float(value)
    return merged


@dataclass(frozen=True)
class TrainingRow:
    """One submitted evaluation: the call's features and the human level per item (None=N/A)."""

    features: Features
    scores: Mapping[str, int | None]


def _measured(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is missing, NaN or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# --- The ordinal model ----------------------------------------------------------------


def _thresholds(params: np.ndarray, n_features: int) -> np.ndarray:
    raw = params[n_features:]
    steps = np.concatenate([raw[:1], np.exp(raw[1:])])
    return np.cumsum(steps)


def _negative_log_likelihood(
    params: np.ndarray, z: np.ndarray, y: np.ndarray, n_levels: int, ridge: float
) -> tuple[float, np.ndarray]:
    """Penalised NLL and its gradient. ``y`` holds level indices 0..K−1."""
    n_features = z.shape[1]
    beta = params[:n_features]
    theta = _thresholds(params, n_features)
    eta = z @ beta
    cuts = np.concatenate([[-np.inf], theta, [np.inf]])
    upper = cuts[y + 1] - eta
    lower = cuts[y] - eta
    f_upper, f_lower = expit(upper), expit(lower)
    p = np.clip(f_upper - f_lower, 1e-300, None)
    d_upper = f_upper * (1.0 - f_upper)
    d_lower = f_lower * (1.0 - f_lower)
    value = -float(np.log(p).sum()) + 0.5 * ridge * float(beta @ beta)

    grad_beta = z.T @ ((d_upper - d_lower) / p) + ridge * beta
    grad_theta = np.zeros(n_levels - 1)
    np.add.at(grad_theta, y[y < n_levels - 1], -(d_upper / p)[y < n_levels - 1])
    np.add.at(grad_theta, y[y > 0] - 1, (d_lower / p)[y > 0])
    # θ = cumsum(a0, e^a1, e^a2, ...): dθ_j/da0 = 1, dθ_j/da_m = e^a_m for j ≥ m.
    tail_sums = np.cumsum(grad_theta[::-1])[::-1]
    raw = params[n_features:]
    grad_raw = tail_sums.copy()
    grad_raw[1:] *= np.exp(raw[1:])
    return value, np.concatenate([grad_beta, grad_raw])


def _fit_ordinal(z: np.ndarray, y: np.ndarray, n_levels: int, ridge: float) -> np.ndarray:
    """(β, raw threshold parameters) maximising the penalised likelihood."""
    counts = np.bincount(y, minlength=n_levels).astype(float) + 0.5
    cumulative = np.cumsum(counts)[:-1] / counts.sum()
    theta0 = np.log(cumulative / (1.0 - cumulative))
    raw0 = np.concatenate([theta0[:1], np.log(np.maximum(np.diff(theta0), 1e-3))])
    start = np.concatenate([np.zeros(z.shape[1]), raw0])
    fitted = minimize(
        _negative_log_likelihood,
        start,
        args=(z, y, n_levels, ridge),
        jac=True,
        method="BFGS",  # a handful of parameters: dense BFGS is quicker than L-BFGS-B here
        options={"maxiter": 500, "gtol": 1e-6},
    )
    return np.asarray(fitted.x, dtype=float)


@dataclass(frozen=True)
class ItemModel:
    """One item's fitted model (see the module docstring for the formula).

    ``means``/``scales`` standardise each feature; ``coefficients`` are β in logits per
    standard deviation; ``thresholds`` the K−1 increasing cut points for ``levels``;
    ``cv_alpha`` the cross-validated α of its suggestions against the human levels (None when
    it could not be computed, e.g. every held-out level the same).
    """

    item_key: str
    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    thresholds: tuple[float, ...]
    levels: tuple[int, ...]
    n_train: int
    cv_alpha: float | None

    def standardise(self, features: Features) -> np.ndarray:
        """z per feature; a missing (None or NaN) or infinite value counts as typical (0)."""
        values = []
        for name, mean, scale in zip(self.features, self.means, self.scales, strict=True):
            value = _measured(features.get(name))
            values.append(0.0 if value is None else (value - mean) / scale)
        return np.array(values, dtype=float)

    def probabilities(self, features: Features) -> np.ndarray:
        """P(level) for each of ``levels``, from one call's features."""
        eta = float(self.standardise(features) @ np.array(self.coefficients))
        cumulative = expit(np.array(self.thresholds) - eta)
        return np.diff(np.concatenate([[0.0], cumulative, [1.0]]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_key": self.item_key,
            "features": list(self.features),
            "means": list(self.means),
            "scales": list(self.scales),
            "coefficients": list(self.coefficients),
            "thresholds": list(self.thresholds),
            "levels": list(self.levels),
            "n_train": self.n_train,
            "cv_alpha": self.cv_alpha,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemModel:
        model = cls(
            item_key=str(data["item_key"]),
            features=tuple(str(f) for f in data["features"]),
            means=tuple(float(v) for v in data["means"]),
            scales=tuple(float(v) for v in data["scales"]),
            coefficients=tuple(float(v) for v in data["coefficients"]),
            thresholds=tuple(float(v) for v in data["thresholds"]),
            levels=tuple(int(v) for v in data["levels"]),
            n_train=int(data["n_train"]),
            cv_alpha=None if data.get("cv_alpha") is None else float(data["cv_alpha"]),
        )
        n = len(model.features)
        if not (len(model.means) == len(model.scales) == len(model.coefficients) == n):
            raise ValueError(
                f"item {model.item_key}: features, means, scales and coefficients must have "
                "the same length"
            )
        if len(model.thresholds) != len(model.levels) - 1 or len(model.levels) < 2:
            raise ValueError(f"item {model.item_key}: needs K ≥ 2 levels and K − 1 thresholds")
        return model


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _design(
    rows: Sequence[TrainingRow], item_key: str, features: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(raw feature matrix with NaN for missing, human levels) for rows that scored the item."""
    matrix: list[list[float]] = []
    levels: list[int] = []
    for index, row in enumerate(rows):
        level = row.scores.get(item_key)
        if level is None:
            continue
        if isinstance(level, bool) or not float(level).is_integer():
            raise ValueError(
                f"row {index}, item {item_key}: level must be a whole number, got {level!r}"
            )
        values: list[float] = []
        for name in features:
            raw = row.features.get(name)
            value = _measured(raw)
            if value is None and raw is not None and not _is_nan(raw):
                raise ValueError(f"row {index}, feature {name}: not a number: {raw!r}")
            values.append(math.nan if value is None else value)
        matrix.append(values)
        levels.append(int(level))
    return np.array(matrix, dtype=float).reshape(len(levels), len(features)), np.array(levels)


def _fit_item(
    item_key: str, features: tuple[str, ...], x: np.ndarray, levels: np.ndarray, ridge: float
) -> ItemModel:
    means = np.array([np.nanmean(c) if np.isfinite(c).any() else 0.0 for c in x.T])
    scales = np.array([np.nanstd(c) if np.isfinite(c).any() else 0.0 for c in x.T])
    scales = np.where(scales > 1e-12, scales, 1.0)  # a constant feature: no push, no division
    z = np.where(np.isnan(x), 0.0, (x - means) / scales)
    seen = np.unique(levels)
    y = np.searchsorted(seen, levels)
    params = _fit_ordinal(z, y, len(seen), ridge)
    return ItemModel(
        item_key=item_key,
        features=features,
        means=tuple(float(v) for v in means),
        scales=tuple(float(v) for v in scales),
        coefficients=tuple(float(v) for v in params[: len(features)]),
        thresholds=tuple(float(v) for v in _thresholds(params, len(features))),
        levels=tuple(int(v) for v in seen),
        n_train=len(levels),
        cv_alpha=None,
    )


def _most_likely(model: ItemModel, x: np.ndarray) -> np.ndarray:
    """The most likely level for each row of a raw feature matrix (NaN = missing)."""
    z = (x - np.array(model.means)) / np.array(model.scales)
    eta = np.where(np.isnan(z), 0.0, z) @ np.array(model.coefficients)
    cumulative = expit(np.array(model.thresholds)[None, :] - eta[:, None])
    ones = np.ones((len(eta), 1))
    probabilities = np.diff(np.hstack([0.0 * ones, cumulative, ones]), axis=1)
    chosen: np.ndarray = np.array(model.levels)[np.argmax(probabilities, axis=1)]
    return chosen


def _cross_validated_alpha(
    item_key: str,
    features: tuple[str, ...],
    x: np.ndarray,
    levels: np.ndarray,
    ridge: float,
    folds: int,
) -> float | None:
    """α (ordinal) between out-of-fold suggestions and the human levels; None if undefined."""
    fold_of = np.arange(len(levels)) % folds
    predicted = np.zeros(len(levels))
    for fold in range(folds):
        train, test = fold_of != fold, fold_of == fold
        if np.unique(levels[train]).size < 2:
            return None
        model = _fit_item(item_key, features, x[train], levels[train], ridge)
        predicted[test] = _most_likely(model, x[test])
    try:
        return krippendorff_alpha([predicted.tolist(), levels.astype(float).tolist()], "ordinal")
    except ValueError:
        return None


@dataclass(frozen=True)
class SuggestionModel:
    """Fitted item models, the items left without one and why, and the gates in use."""

    items: Mapping[str, ItemModel]
    skipped: Mapping[str, str] = field(default_factory=dict)
    min_confidence: float = MIN_CONFIDENCE
    min_cv_alpha: float | None = ALPHA_TENTATIVE
    version: int = MODEL_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict for storage; inverse of ``from_dict``."""
        return {
            "version": self.version,
            "min_confidence": self.min_confidence,
            "min_cv_alpha": self.min_cv_alpha,
            "items": {key: model.to_dict() for key, model in self.items.items()},
            "skipped": dict(self.skipped),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SuggestionModel:
        try:
            version = int(data["version"])
            if version != MODEL_VERSION:
                raise ValueError(f"model version {version}; this code reads {MODEL_VERSION}")
            gate = data.get("min_cv_alpha")
            return cls(
                items={str(k): ItemModel.from_dict(v) for k, v in data["items"].items()},
                skipped={str(k): str(v) for k, v in data.get("skipped", {}).items()},
                min_confidence=float(data["min_confidence"]),
                min_cv_alpha=None if gate is None else float(gate),
                version=version,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a suggestion model: {exc}") from exc


def fit(
    rows: Iterable[TrainingRow],
    item_features: Mapping[str, Sequence[str]] | None = None,
    *,
    min_evaluations: int = MIN_EVALUATIONS,
    min_confidence: float = MIN_CONFIDENCE,
    min_cv_alpha: float | None = ALPHA_TENTATIVE,
    ridge: float = RIDGE,
    folds: int = FOLDS,
) -> SuggestionModel:
    """Fit one ordinal model per item of ``item_features`` (default ``DEFAULT_ITEM_FEATURES``).

    ``rows``: the programme's submitted evaluations (calibration ones excluded by the caller).
    Items with fewer than ``min_evaluations`` levels (N/A not counted) or a single level seen
    go to ``skipped`` with the reason. Raises ValueError on bad settings or an empty feature
    list.
    """
    if min_evaluations < folds or folds < 2:
        raise ValueError(
            f"need folds ≥ 2 and min_evaluations ≥ folds; got folds={folds}, "
            f"min_evaluations={min_evaluations}"
        )
    if not 0 < min_confidence <= 1:
        raise ValueError(f"min_confidence must be in (0, 1]; got {min_confidence}")
    if ridge < 0:
        raise ValueError(f"ridge must be 0 or more; got {ridge}")
    table = list(rows)
    mapping = DEFAULT_ITEM_FEATURES if item_features is None else item_features
    items: dict[str, ItemModel] = {}
    skipped: dict[str, str] = {}
    for item_key, names in mapping.items():
        features = tuple(names)
        if not features:
            raise ValueError(f"item {item_key}: no features to fit on")
        x, levels = _design(table, item_key, features)
        if len(levels) < min_evaluations:
            skipped[item_key] = (
                f"{len(levels)} submitted evaluations score it; at least {min_evaluations} needed"
            )
            continue
        if np.unique(levels).size < 2:
            skipped[item_key] = f"every training evaluation gave level {int(levels[0])}"
            continue
        model = _fit_item(item_key, features, x, levels, ridge)
        cv_alpha = _cross_validated_alpha(item_key, features, x, levels, ridge, folds)
        items[item_key] = ItemModel(**{**model.__dict__, "cv_alpha": cv_alpha})
    return SuggestionModel(items, skipped, min_confidence, min_cv_alpha)


# --- Suggesting -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One feature's push on a suggestion: ``effect`` in logits (+ raises the level),
    ``typical`` its training mean, ``moments`` the times (s) of the moments behind it.
    """

    feature: str
    value: float | None
    typical: float
    effect: float
    text: str
    moments: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "value": self.value,
            "typical": self.typical,
            "effect": self.effect,
            "text": self.text,
            "moments": list(self.moments),
        }


@dataclass(frozen=True)
class Suggestion:
    """A suggested ``level`` for ``item_key``; ``confidence`` = its probability (0–1)."""

    item_key: str
    level: int
    confidence: float
    reasons: tuple[Reason, ...]
    probabilities: Mapping[int, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_key": self.item_key,
            "level": self.level,
            "confidence": self.confidence,
            "reasons": [r.to_dict() for r in self.reasons],
            "probabilities": {str(k): v for k, v in self.probabilities.items()},
        }


def _moment_time(moment: Any) -> float:
    if isinstance(moment, int | float):
        return float(moment)
    for key in ("t_s", "start_s"):
        value = moment.get(key) if isinstance(moment, Mapping) else getattr(moment, key, None)
        if value is not None:
            return float(value)
    raise ValueError(f"a moment needs a time (t_s or start_s); got {moment!r}")


def _moment_times(moments: Sequence[Any]) -> tuple[float, ...]:
    """Times (s) from numbers, or objects/dicts with ``t_s`` or ``start_s``, sorted."""
    return tuple(sorted(_moment_time(moment) for moment in moments))


def evidence_moments(
    listening: Mapping[str, Any] | None, text: TextEvidence | None
) -> dict[str, tuple[float, ...]]:
    """Feature name → times (s) of the moments behind it, for ``suggest``'s reasons.

    ``listening`` is a stored ``ListeningReport.to_dict()``: the agent's interruptions and
    backchannels (the summary counts the agent's), long silences (their start), the longest
    agent turn (its start). ``text`` gives ``TextEvidence.moments_by_metric()``.
    """
    found: dict[str, tuple[float, ...]] = {}
    if listening:
        for name in ("interruptions", "backchannels"):
            events = [e for e in listening.get(name, []) if e.get("by") == "agent"]
            found[name] = _moment_times(events)
        found["long_silences"] = _moment_times(listening.get("long_silences", []))
        agent_turns = [t for t in listening.get("turns", []) if t.get("speaker") == "agent"]
        if agent_turns:
            longest = max(agent_turns, key=lambda t: float(t["end_s"]) - float(t["start_s"]))
            found["longest_agent_turn"] = (float(longest["start_s"]),)
    if text is not None:
        for name, moments in text.moments_by_metric().items():
            found[name] = _moment_times(moments)
    return found


def _format(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def suggest(
    model: SuggestionModel,
    features: Features,
    moments: Mapping[str, Sequence[Any]] | None = None,
    *,
    items: Iterable[str] | None = None,
    max_reasons: int = 3,
) -> list[Suggestion]:
    """Suggestions for one call, in the model's item order.

    ``moments``: feature name → the moments behind it (``evidence_moments(...)``, or anything
    with ``t_s``/``start_s``, or times in seconds). ``items`` limits the items considered (e.g.
    ``reliable_items(...)``). An item is left out when none of its features was measured on
    this call (e.g. mono audio and no transcript), it has no model, its cross-validated
    α is below ``model.min_cv_alpha`` (or unknown), or its most likely level's probability is
    below ``model.min_confidence``. Reasons are the features with the largest push
    (|β·z| ≥ 0.1 logit), strongest first; when none pushes that much, one reason with
    feature "typical" says the evidence is ordinary and the level is the usual one.
    """
    wanted = None if items is None else set(items)
    found = moments or {}
    out: list[Suggestion] = []
    for key, item in model.items.items():
        if wanted is not None and key not in wanted:
            continue
        if model.min_cv_alpha is not None and (
            item.cv_alpha is None or item.cv_alpha < model.min_cv_alpha
        ):
            continue
        if all(_measured(features.get(name)) is None for name in item.features):
            continue  # nothing measured for this item on this call: no evidence, no suggestion
        probabilities = item.probabilities(features)
        best = int(np.argmax(probabilities))
        confidence = float(probabilities[best])
        if confidence < model.min_confidence:
            continue
        pushes = item.standardise(features) * np.array(item.coefficients)
        reasons: list[Reason] = []
        for j in np.argsort(-np.abs(pushes), kind="stable")[:max_reasons]:
            effect = float(pushes[j])
            if abs(effect) < 0.1:
                break
            name = item.features[j]
            value = _measured(features.get(name))
            label = FEATURE_LABELS.get(name, name)
            direction = "raises" if effect > 0 else "lowers"
            shown = "not measured" if value is None else _format(value)
            text = f"{label}: {shown} (typical {_format(round(item.means[j], 2))}) {direction} it"
            reasons.append(
                Reason(name, value, item.means[j], effect, text, _moment_times(found.get(name, ())))
            )
        if not reasons:
            text = (
                f"evidence close to the typical call ({', '.join(item.features)}); "
                f"level {item.levels[best]} is the usual level for such calls"
            )
            reasons.append(Reason("typical", None, 0.0, 0.0, text))
        out.append(
            Suggestion(
                key,
                item.levels[best],
                confidence,
                tuple(reasons),
                {level: float(p) for level, p in zip(item.levels, probabilities, strict=True)},
            )
        )
    return out


# --- The suggester as a scorer --------------------------------------------------------


@dataclass(frozen=True)
class SuggestionOutcome:
    """A suggestion and the human's submitted level for the same item of the same call.

    ``human`` None = N/A (left out). ``taken``: True/False when the suggestion was shown to
    the scorer, None when it was computed but not shown (blind calibration, unreliable item).
    ``period``: a label such as "2026-11" for the over-time view.
    """

    item_key: str
    suggested: int
    human: int | None
    taken: bool | None = None
    period: str | None = None


SUGGESTER_COLUMNS: tuple[str, ...] = (
    "n",
    "alpha",
    "weighted_kappa",
    "mean_signed_deviation",
    "exact_agreement",
    "n_shown",
    "take_rate",
    "status",
)


def _status(alpha: float, n: int, min_pairs: int) -> str:
    if n < min_pairs or math.isnan(alpha):
        return "not measured"
    if alpha >= ALPHA_RELIABLE:
        return "reliable"
    if alpha >= ALPHA_TENTATIVE:
        return "tentative"
    return "unreliable"


def _agreement_row(
    group: Sequence[SuggestionOutcome], labels: list[int], min_pairs: int
) -> dict[str, Any]:
    scored = [o for o in group if o.human is not None]
    suggested = [float(o.suggested) for o in scored]
    human = [float(o.human) for o in scored if o.human is not None]
    alpha = kappa = deviation = exact = math.nan
    if scored:
        deviation = float(np.mean(np.subtract(suggested, human)))
        exact = float(np.mean(np.equal(suggested, human)))
        # Undefined statistics (no variation, one category) stay NaN: "not measured".
        with contextlib.suppress(ValueError):
            alpha = krippendorff_alpha([suggested, human], "ordinal")
        with contextlib.suppress(ValueError):
            kappa = cohen_kappa(
                [o.suggested for o in scored],
                [o.human for o in scored],
                weights="quadratic",
                labels=labels,
            )
    shown = [o for o in group if o.taken is not None]
    take_rate = float(np.mean([bool(o.taken) for o in shown])) if shown else math.nan
    return {
        "n": len(scored),
        "alpha": alpha,
        "weighted_kappa": kappa,
        "mean_signed_deviation": deviation,
        "exact_agreement": exact,
        "n_shown": len(shown),
        "take_rate": take_rate,
        "status": _status(alpha, len(scored), min_pairs),
    }


def suggester_agreement(
    outcomes: Iterable[SuggestionOutcome],
    *,
    scale: tuple[int, int] = (1, 5),
    by_period: bool = False,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """The suggester as one more scorer, per item (and per period when ``by_period``).

    Columns ``SUGGESTER_COLUMNS``: n (pairs with a human level), alpha (Krippendorff,
    ordinal, suggester vs human), weighted_kappa (Cohen, quadratic weights over ``scale``, as
    the calibration page), mean_signed_deviation (suggested − human, points; positive = the
    suggester is more lenient), exact_agreement (share 0–1), n_shown, take_rate (share of
    shown suggestions the scorer took), status ("reliable"/"tentative"/"unreliable" by the
    α convention, "not measured" below ``min_pairs`` or when α is undefined). Statistics
    that are undefined are NaN. Rows sorted by item (then period).
    """
    labels = list(range(scale[0], scale[1] + 1))
    groups: dict[tuple[str, str | None], list[SuggestionOutcome]] = {}
    for outcome in outcomes:
        for level in (outcome.suggested, outcome.human):
            if level is not None and level not in labels:
                raise ValueError(
                    f"item {outcome.item_key}: level {level} is outside the scale "
                    f"{scale[0]}–{scale[1]}"
                )
        key = (outcome.item_key, outcome.period if by_period else None)
        groups.setdefault(key, []).append(outcome)
    ordered = sorted(groups, key=lambda k: (k[0], k[1] or ""))
    rows = [_agreement_row(groups[key], labels, min_pairs) for key in ordered]
    if by_period:
        index = pd.MultiIndex.from_tuples(ordered, names=["item", "period"])
    else:
        index = pd.Index([key[0] for key in ordered], name="item")
    return pd.DataFrame(rows, index=index, columns=list(SUGGESTER_COLUMNS))


def reliable_items(
    agreement: pd.DataFrame, threshold: float = ALPHA_TENTATIVE, min_pairs: int = MIN_PAIRS
) -> frozenset[str]:
    """Items whose suggestions may be shown: α ≥ ``threshold`` on at least ``min_pairs``.

    ``agreement`` is ``suggester_agreement(...)`` per item (not per period). The default
    threshold is the calibration page's convention: below α = 0.667 is unreliable.
    """
    if isinstance(agreement.index, pd.MultiIndex):
        raise ValueError("reliable_items needs agreement per item, not per period")
    keep = (agreement["n"] >= min_pairs) & (agreement["alpha"] >= threshold)
    return frozenset(str(item) for item in agreement.index[keep.to_numpy()])
