"""Suggestion speed: seconds to suggest every item for one call once fitted (target < 50 ms).

    .venv/bin/python -m bench.suggestions_bench

The model is fitted (not timed) on seeded synthetic evaluations where each item's level
follows its first feature, so every item passes the reliability gate and the timed call
does the full work: all items, probabilities, reasons and moments.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from scoring.suggestions import (
    DEFAULT_ITEM_FEATURES,
    SuggestionModel,
    TrainingRow,
    fit,
    suggest,
)


def _features(rng: np.random.Generator) -> dict[str, float]:
    names = sorted({name for names in DEFAULT_ITEM_FEATURES.values() for name in names})
    return {name: float(rng.gamma(2.0, 1.5)) for name in names}


def fitted_model(n_evaluations: int = 1000, seed: int = 0) -> SuggestionModel:
    """A model over ``DEFAULT_ITEM_FEATURES`` fitted on synthetic evaluations."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_evaluations):
        features = _features(rng)
        scores = {
            item: int(np.clip(round(5.5 - features[names[0]] + rng.normal(0, 0.3)), 1, 5))
            for item, names in DEFAULT_ITEM_FEATURES.items()
        }
        rows.append(TrainingRow(features, scores))
    return fit(rows)


def suggestion_seconds(reps: int = 200, seed: int = 1) -> float:
    """Median seconds of ``suggest`` for one call (all items, with moments) on a fitted model."""
    model = fitted_model()
    rng = np.random.default_rng(seed)
    call = _features(rng)
    moments = {name: [{"t_s": float(t)} for t in range(0, 600, 60)] for name in call}
    times: list[float] = []
    for _ in range(reps):
        started = time.perf_counter()
        suggest(model, call, moments)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    model = fitted_model()
    print(f"items with a model: {len(model.items)}; skipped: {dict(model.skipped)}")
    print(f"suggestions, one call: {suggestion_seconds() * 1000:.2f} ms (target < 50 ms)")
