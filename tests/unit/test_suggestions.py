"""Suggested levels: a planted relation is recovered, thin data withholds, storage round-trips,
and the suggester-as-scorer statistics match values computed independently."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from scoring.agreement import reading
from scoring.listening import report_from_speech
from scoring.suggestions import (
    ALPHA_RELIABLE,
    ALPHA_TENTATIVE,
    SUGGESTER_COLUMNS,
    SuggestionModel,
    SuggestionOutcome,
    TrainingRow,
    call_features,
    evidence_moments,
    fit,
    reliable_items,
    suggest,
    suggester_agreement,
)
from scoring.text_evidence import analyze_text
from scoring.transcripts import Transcript, Utterance

BE_PATIENT = {"be_patient": ("interruptions", "overtalk", "completions")}


@pytest.fixture(scope="module")
def planted_model() -> SuggestionModel:
    """Fitted once for the tests that only read it (models are immutable)."""
    return fit(planted_rows(400), BE_PATIENT)


def planted_rows(n: int, seed: int = 7) -> list[TrainingRow]:
    """Calls where each agent interruption costs about 0.8 of a level on "be patient".

    Level = round(4.6 − 0.8·interruptions + noise), clipped to 1–5; overtalk and completions
    are noise, unrelated to the level. About one row in ten misses overtalk (mono call).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        interruptions = int(rng.poisson(2.0))
        latent = 4.6 - 0.8 * interruptions + rng.normal(0, 0.35)
        level = int(np.clip(round(latent), 1, 5))
        overtalk = None if rng.random() < 0.1 else float(rng.gamma(2.0, 3.0))
        features = {
            "interruptions": interruptions,
            "overtalk": overtalk,
            "completions": int(rng.poisson(1.0)),
        }
        rows.append(TrainingRow(features, {"be_patient": level, "eye_contact": None}))
    return rows


def test_recovers_a_planted_relation(planted_model):
    model = planted_model
    item = model.items["be_patient"]
    coefficients = dict(zip(item.features, item.coefficients, strict=True))
    assert coefficients["interruptions"] < -1.0  # more interruptions, lower level
    assert abs(coefficients["overtalk"]) < 0.3 * abs(coefficients["interruptions"])
    assert abs(coefficients["completions"]) < 0.3 * abs(coefficients["interruptions"])
    assert item.cv_alpha is not None and item.cv_alpha >= ALPHA_RELIABLE

    patient = suggest(model, {"interruptions": 0, "overtalk": 6.0, "completions": 1})
    impatient = suggest(model, {"interruptions": 5, "overtalk": 6.0, "completions": 1})
    assert [s.level for s in patient] == [5]
    assert impatient[0].level == 1
    assert impatient[0].confidence >= model.min_confidence
    assert sum(impatient[0].probabilities.values()) == pytest.approx(1.0)


def test_suggestions_agree_with_fresh_data_like_a_reliable_scorer(planted_model):
    model = planted_model
    fresh = planted_rows(300, seed=99)
    outcomes = []
    for row in fresh:
        found = suggest(model, row.features)
        if found:
            outcomes.append(
                SuggestionOutcome("be_patient", found[0].level, row.scores["be_patient"])
            )
    assert len(outcomes) >= 200  # most calls get a suggestion
    table = suggester_agreement(outcomes)
    assert table.loc["be_patient", "alpha"] >= ALPHA_RELIABLE
    assert abs(table.loc["be_patient", "mean_signed_deviation"]) < 0.2


def test_reasons_point_at_the_feature_and_its_moments(planted_model):
    model = planted_model
    features = {"interruptions": 5, "overtalk": None, "completions": 1}
    moments = {"interruptions": [{"t_s": 42.0}, {"t_s": 12.5}], "overtalk": []}
    (found,) = suggest(model, features, moments)
    first = found.reasons[0]
    assert first.feature == "interruptions"
    assert first.effect < 0 and "lowers" in first.text
    assert first.moments == (12.5, 42.0)
    assert first.text.startswith("agent interruptions: 5 (typical ")
    assert all(r.feature != "overtalk" for r in found.reasons)  # missing: no push


def test_typical_evidence_says_so_instead_of_giving_no_reason(planted_model):
    model = planted_model
    item = model.items["be_patient"]
    typical = dict(zip(item.features, item.means, strict=True))
    (found,) = suggest(model, typical)
    assert [r.feature for r in found.reasons] == ["typical"]
    assert f"level {found.level} is the usual level" in found.reasons[0].text


def test_no_suggestion_for_a_call_with_no_evidence_for_the_item(planted_model):
    model = planted_model
    assert suggest(model, {"interruptions": None, "overtalk": None, "talk_share": 0.5}) == []
    assert len(suggest(model, {"interruptions": 4})) == 1


def test_withholds_when_data_is_thin():
    model = fit(planted_rows(20), BE_PATIENT)
    assert model.items == {}
    assert model.skipped["be_patient"] == ("20 submitted evaluations score it; at least 30 needed")
    assert suggest(model, {"interruptions": 5}) == []


def test_withholds_when_evidence_says_nothing_about_the_level():
    rng = np.random.default_rng(3)
    rows = [
        TrainingRow(
            {"interruptions": int(rng.poisson(2)), "overtalk": 1.0, "completions": 0},
            {"be_patient": int(rng.integers(1, 6))},
        )
        for _ in range(300)
    ]
    model = fit(rows, BE_PATIENT)
    item = model.items["be_patient"]
    assert item.cv_alpha is None or item.cv_alpha < ALPHA_TENTATIVE
    assert suggest(model, {"interruptions": 0, "overtalk": 1.0, "completions": 0}) == []
    # Without the α gate it is the confidence threshold that holds it back.
    ungated = SuggestionModel(model.items, min_confidence=0.5, min_cv_alpha=None)
    assert suggest(ungated, {"interruptions": 0, "overtalk": 1.0, "completions": 0}) == []


def test_a_single_level_is_not_a_model():
    rows = [TrainingRow({"interruptions": i % 3}, {"be_patient": 4}) for i in range(40)]
    model = fit(rows, {"be_patient": ("interruptions",)})
    assert model.skipped["be_patient"] == "every training evaluation gave level 4"


def test_items_filter_limits_suggestions(planted_model):
    model = planted_model
    assert suggest(model, {"interruptions": 5}, items=["paraphrase"]) == []
    assert len(suggest(model, {"interruptions": 5}, items=["be_patient"])) == 1


def test_model_round_trips_through_json():
    model = fit(planted_rows(200), BE_PATIENT)
    again = SuggestionModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    call = {"interruptions": 3, "overtalk": 2.0, "completions": 2}
    assert suggest(again, call) == suggest(model, call)
    with pytest.raises(ValueError, match="not a suggestion model"):
        SuggestionModel.from_dict({"version": 1, "items": {"x": {"item_key": "x"}}})


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="min_confidence"):
        fit([], BE_PATIENT, min_confidence=0)
    with pytest.raises(ValueError, match="no features"):
        fit(planted_rows(40), {"be_patient": ()})


def test_missing_and_non_finite_features_count_as_typical(planted_model):
    model = planted_model
    (with_nan,) = suggest(model, {"interruptions": 5, "overtalk": float("nan")})
    (without,) = suggest(model, {"interruptions": 5})
    assert with_nan == without
    assert suggest(model, {"interruptions": float("nan")}) == []  # nothing measured


def test_bad_training_rows_name_the_row():
    rows = planted_rows(40)
    bad_level = [*rows, TrainingRow({"interruptions": 1}, {"be_patient": 3.5})]
    with pytest.raises(ValueError, match=r"row 40, item be_patient: level must be a whole"):
        fit(bad_level, BE_PATIENT)
    bad_feature = [*rows, TrainingRow({"interruptions": "many"}, {"be_patient": 3})]
    with pytest.raises(ValueError, match=r"row 40, feature interruptions: not a number"):
        fit(bad_feature, BE_PATIENT)


def test_evidence_moments_from_a_listening_report_and_text_evidence():
    report = report_from_speech(
        [(0.0, 4.0), (6.0, 20.0), (26.5, 28.0), (37.0, 39.0)],  # agent
        [(4.5, 5.5), (21.0, 33.0)],  # customer: the agent cuts in at 26.5
        duration_s=40.0,
    )
    assert report.long_silences and report.interruptions
    text = analyze_text(
        Transcript(
            "t",
            (
                Utterance("customer", "C", 4.5, 5.5, "It crashed."),
                Utterance("agent", "A", 6.0, 20.0, "What were you doing? Calm down."),
            ),
        )
    )
    found = evidence_moments(report.to_dict(), text)
    agent_interruptions = [e.t_s for e in report.interruptions if e.by == "agent"]
    assert found["interruptions"] == tuple(sorted(agent_interruptions))
    assert found["long_silences"] == tuple(s.start_s for s in report.long_silences)
    assert found["longest_agent_turn"] == (6.0,)
    assert found["open_questions"] == (6.0,) and found["defensive"] == (6.0,)
    assert evidence_moments(None, None) == {}


def test_call_features_merges_listening_and_text_summaries():
    merged = call_features({"talk_share": 0.62, "interruptions": 3}, {"paraphrases": 2}, None)
    assert merged == {"talk_share": 0.62, "interruptions": 3.0, "paraphrases": 2.0}


# --- The suggester as a scorer --------------------------------------------------------

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section A: two observers,
# binary data, ten units; α = 0.095. With two values every metric gives the same α, so the
# ordinal α here (levels 1 and 2 for 0 and 1) must match.
KRIPPENDORFF_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
KRIPPENDORFF_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def test_alpha_matches_krippendorffs_published_two_observer_example():
    outcomes = [
        SuggestionOutcome("paraphrase", a + 1, b + 1)
        for a, b in zip(KRIPPENDORFF_A, KRIPPENDORFF_B, strict=True)
    ]
    table = suggester_agreement(outcomes, min_pairs=5)
    assert table.loc["paraphrase", "alpha"] == pytest.approx(0.095, abs=0.0005)


def _ordinal_alpha_by_hand(a: list[int], b: list[int]) -> float:
    """Krippendorff's ordinal α for two complete coders, from the coincidence matrix."""
    values = sorted(set(a) | set(b))
    at = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for x, y in zip(a, b, strict=True):  # each unit adds both ordered pairs, weight 1/(2−1)
        o[at[x], at[y]] += 1
        o[at[y], at[x]] += 1
    n_c = o.sum(axis=1)
    n = n_c.sum()
    delta = np.zeros_like(o)
    for c in range(len(values)):
        for k in range(len(values)):
            lo, hi = min(c, k), max(c, k)
            delta[c, k] = (n_c[lo : hi + 1].sum() - (n_c[c] + n_c[k]) / 2) ** 2
    observed = (o * delta).sum()
    expected = (np.outer(n_c, n_c) * delta).sum() / (n - 1)
    return float(1 - observed / expected)


def test_per_item_statistics_against_independent_computation():
    suggested = [3, 4, 2, 5, 3, 4, 1, 3]
    human = [3, 3, 2, 4, 4, 4, 2, None]  # last one N/A: dropped
    taken = [True, False, True, None, False, True, None, True]
    outcomes = [
        SuggestionOutcome("not_defensive", s, h, t)
        for s, h, t in zip(suggested, human, taken, strict=True)
    ]
    outcomes.append(SuggestionOutcome("be_patient", 4, 4, True))
    table = suggester_agreement(outcomes, min_pairs=5)
    assert list(table.columns) == list(SUGGESTER_COLUMNS)
    assert list(table.index) == ["be_patient", "not_defensive"]
    row = table.loc["not_defensive"]
    pairs_s, pairs_h = suggested[:7], [h for h in human if h is not None]
    assert row["n"] == 7
    assert row["alpha"] == pytest.approx(_ordinal_alpha_by_hand(pairs_s, pairs_h))
    # Quadratic-weighted κ by hand on the 1–5 scale: observed disagreement Σ(s−h)² / n =
    # (0+1+0+1+1+0+1)/7 = 4/7; chance disagreement = mean over all s×h pairs of (s−h)².
    chance = np.mean([(s - h) ** 2 for s in pairs_s for h in pairs_h])
    assert row["weighted_kappa"] == pytest.approx(1 - (4 / 7) / chance)
    assert row["mean_signed_deviation"] == pytest.approx((0 + 1 + 0 + 1 - 1 + 0 - 1) / 7)
    assert row["exact_agreement"] == pytest.approx(3 / 7)
    assert row["n_shown"] == 6
    assert row["take_rate"] == pytest.approx(4 / 6)
    # One pair, no variation: undefined statistics are NaN and the item is not measured.
    single = table.loc["be_patient"]
    assert math.isnan(single["alpha"]) and single["status"] == "not measured"


def test_over_time_and_reliable_items():
    outcomes = []
    for period, noise in (("2026-10", 2), ("2026-11", 0)):
        for k in range(30):
            human = 1 + k % 5
            off = min(5, max(1, human + (k % 3 - 1) * noise))
            outcomes.append(SuggestionOutcome("paraphrase", off, human, period=period))
            outcomes.append(SuggestionOutcome("be_patient", 1 + (k * 2) % 5, human, period=period))
    by_period = suggester_agreement(outcomes, by_period=True)
    assert by_period.index.names == ["item", "period"]
    assert by_period.loc[("paraphrase", "2026-11"), "alpha"] == pytest.approx(1.0)
    assert by_period.loc[("paraphrase", "2026-10"), "alpha"] < ALPHA_TENTATIVE
    overall = suggester_agreement(outcomes)
    assert overall.loc["be_patient", "status"] == "unreliable"
    assert reliable_items(suggester_agreement(o for o in outcomes if o.period == "2026-11")) == {
        "paraphrase"
    }
    assert reliable_items(overall, min_pairs=1000) == frozenset()
    with pytest.raises(ValueError, match="per item"):
        reliable_items(by_period)


def test_levels_outside_the_scale_are_refused():
    with pytest.raises(ValueError, match="item paraphrase: level 7 is outside the scale 1–5"):
        suggester_agreement([SuggestionOutcome("paraphrase", 7, 3)])


def test_threshold_is_the_calibration_pages_convention():
    # The same numbers scoring.agreement.reading cites to scorers (Krippendorff 2004).
    assert "tentative" in reading("alpha", ALPHA_TENTATIVE)
    assert "unreliable" in reading("alpha", ALPHA_TENTATIVE - 0.001)
    assert "reliable:" in reading("alpha", ALPHA_RELIABLE)
    assert "tentative" in reading("alpha", ALPHA_RELIABLE - 0.001)


def test_empty_outcomes_give_an_empty_table():
    table = suggester_agreement([])
    assert isinstance(table, pd.DataFrame) and table.empty
    assert list(table.columns) == list(SUGGESTER_COLUMNS)
