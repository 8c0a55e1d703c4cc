"""Agreement statistics checked against published worked examples."""

import math

import numpy as np
import pytest

from scoring.agreement import (
    ICC_FORMS,
    PercentAgreement,
    cohen_kappa,
    fleiss_kappa,
    icc,
    kendall_w,
    krippendorff_alpha,
    percent_agreement,
    reading,
)

# --- ICC ------------------------------------------------------------------------------

# Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
# reliability. Psychological Bulletin 86(2), 420-428. Table 2: 6 targets × 4 judges.
# The same matrix is the worked example of R psych::ICC ("sf"), which reproduces the paper.
SHROUT_FLEISS_TABLE_2 = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
# Published values for this data (Shrout & Fleiss 1979, to two decimals; psych::ICC's
# documentation prints the same).
SHROUT_FLEISS_PUBLISHED = {
    "ICC(1,1)": 0.17,
    "ICC(2,1)": 0.29,
    "ICC(3,1)": 0.71,
    "ICC(1,k)": 0.44,  # printed as ICC(1,4): k = 4 judges
    "ICC(2,k)": 0.62,
    "ICC(3,k)": 0.91,
}


@pytest.mark.parametrize("form", ICC_FORMS)
def test_icc_matches_shrout_fleiss_1979(form):
    assert icc(SHROUT_FLEISS_TABLE_2, form) == pytest.approx(
        SHROUT_FLEISS_PUBLISHED[form], abs=0.005
    )


def test_icc_mean_squares_by_hand():
    # Same data, ANOVA by hand: SS targets 56.208 (df 5), SS judges 97.458 (df 3),
    # SS residual 15.292 (df 15), so BMS 11.24, JMS 32.49, EMS 1.02, WMS 6.26 as in the paper.
    bms, jms, ems = (337.25 / 6) / 5, (584.75 / 6) / 3, (91.75 / 6) / 15
    wms = ((1013.75 - 337.25) / 6) / 18
    assert (round(bms, 2), round(jms, 2), round(ems, 2), round(wms, 2)) == (
        11.24,
        32.49,
        1.02,
        6.26,
    )
    assert icc(SHROUT_FLEISS_TABLE_2, "ICC(3,1)") == pytest.approx((bms - ems) / (bms + 3 * ems))
    assert icc(SHROUT_FLEISS_TABLE_2, "ICC(2,1)") == pytest.approx(
        (bms - ems) / (bms + 3 * ems + 4 * (jms - ems) / 6)
    )
    assert icc(SHROUT_FLEISS_TABLE_2, "ICC(1,1)") == pytest.approx((bms - wms) / (bms + 3 * wms))


def test_icc_default_form_is_two_way_random_single():
    assert icc(SHROUT_FLEISS_TABLE_2) == icc(SHROUT_FLEISS_TABLE_2, "ICC(2,1)")


def test_icc_form_spelling_is_forgiving_about_case_and_spaces():
    assert icc(SHROUT_FLEISS_TABLE_2, "icc(3, K)") == icc(SHROUT_FLEISS_TABLE_2, "ICC(3,k)")


def test_icc_rejects_unknown_form():
    with pytest.raises(ValueError, match="form must be one of"):
        icc(SHROUT_FLEISS_TABLE_2, "ICC(4,1)")


def test_icc_names_the_missing_position():
    table = [row[:] for row in SHROUT_FLEISS_TABLE_2]
    table[2][1] = None
    with pytest.raises(ValueError, match=r"ratings\[2, 1\] \(unit 2, rater 1\) is missing"):
        icc(table)


def test_icc_rejects_too_small_tables():
    with pytest.raises(ValueError, match="at least 2 units and 2 raters"):
        icc([[1, 2, 3]])
    with pytest.raises(ValueError, match="at least 2 units and 2 raters"):
        icc([[1], [2]])


def test_icc_rejects_identical_ratings():
    with pytest.raises(ValueError, match="every rating is identical"):
        icc([[3, 3], [3, 3], [3, 3]])


def test_icc_rejects_non_rectangular_and_wrong_dimensions():
    with pytest.raises(ValueError, match="rectangular"):
        icc([[1, 2], [3]])
    with pytest.raises(ValueError, match="2-D"):
        icc([1, 2, 3])
    with pytest.raises(ValueError, match="empty"):
        icc([[]])


def test_icc_perfect_agreement_is_one():
    assert icc([[1, 1], [2, 2], [5, 5]], "ICC(2,1)") == pytest.approx(1.0)


# --- Krippendorff's alpha -------------------------------------------------------------

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School
# for Communication, University of Pennsylvania (repository.upenn.edu/asc_papers/43), section
# "C. Nominal data, any number of observers, missing data": 4 observers × 12 units.
# Published: nominal α = 0.743, ordinal α = 0.815, interval α = 0.849, ratio α = 0.797.
# (The ordinal value is also the doctest of the krippendorff package.)
_ = None
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_matches_krippendorff_2011(level, published):
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(published, abs=0.0005)


def test_krippendorff_alpha_accepts_nan_as_missing_and_defaults_to_ordinal():
    as_nan = np.array(KRIPPENDORFF_2011, dtype=float)
    assert krippendorff_alpha(as_nan) == pytest.approx(0.815, abs=0.0005)


def test_krippendorff_alpha_needs_two_raters():
    with pytest.raises(ValueError, match="at least 2 raters"):
        krippendorff_alpha([[1, 2, 3]])


def test_krippendorff_alpha_needs_a_pairable_unit():
    with pytest.raises(ValueError, match="at least one unit rated by two or more"):
        krippendorff_alpha([[1, None, 3], [None, 2, None]])


def test_krippendorff_alpha_without_variation_is_an_error_not_nan():
    with pytest.raises(ValueError, match="undefined without variation"):
        krippendorff_alpha([[3, 3, 3], [3, 3, 3]])
    # Variation only in an unpaired value still leaves the pairable data constant.
    with pytest.raises(ValueError, match="undefined without variation"):
        krippendorff_alpha([[3, 3, 1], [3, 3, None]])


def test_krippendorff_alpha_rejects_unknown_level():
    with pytest.raises(ValueError, match="level must be one of"):
        krippendorff_alpha(KRIPPENDORFF_2011, "cardinal")


def test_krippendorff_alpha_rejects_bad_shapes():
    with pytest.raises(ValueError, match="2-D"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="rectangular"):
        krippendorff_alpha([[1, 2], [1]])


# --- Fleiss' kappa --------------------------------------------------------------------

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), 378-382: 10 subjects, 14 raters, 5 categories, κ = 0.210 (the worked
# example on Wikipedia's "Fleiss' kappa" page; Cardillo's MATLAB fleiss.m gives 0.2099).
FLEISS_1971_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def _counts_to_labels(counts):
    """Subjects × categories counts → subjects × raters labels (category 1..5)."""
    return [
        [category for category, n in enumerate(row, start=1) for _ in range(n)] for row in counts
    ]


def test_fleiss_kappa_matches_fleiss_1971():
    assert fleiss_kappa(_counts_to_labels(FLEISS_1971_COUNTS)) == pytest.approx(0.2099, abs=5e-5)


def test_fleiss_kappa_accepts_string_labels():
    names = {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
    labelled = [[names[c] for c in row] for row in _counts_to_labels(FLEISS_1971_COUNTS)]
    assert fleiss_kappa(labelled) == pytest.approx(0.2099, abs=5e-5)


def test_fleiss_kappa_errors():
    with pytest.raises(ValueError, match="same number of ratings"):
        fleiss_kappa([["a", "b"], ["a"]])
    with pytest.raises(ValueError, match=r"ratings\[1, 0\] \(subject 1, rater 0\) is missing"):
        fleiss_kappa([["a", "b"], [None, "b"]])
    with pytest.raises(ValueError, match="at least 2 raters"):
        fleiss_kappa([["a"], ["b"]])
    with pytest.raises(ValueError, match="same category"):
        fleiss_kappa([["a", "a"], ["a", "a"]])
    with pytest.raises(ValueError, match="empty"):
        fleiss_kappa([])


# --- Cohen's kappa --------------------------------------------------------------------


def test_cohen_kappa_textbook_two_by_two():
    # The standard worked example (Wikipedia "Cohen's kappa"; also tutorialspoint's
    # statistics course): 50 grant proposals, readers A and B; yes/yes 20, yes/no 5,
    # no/yes 10, no/no 15. p_o = 0.70, p_e = 0.50, κ = 0.40.
    reader_a = ["yes"] * 25 + ["no"] * 25
    reader_b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(reader_a, reader_b) == pytest.approx(0.40)


# Hand-computed weighted example, 10 units on a 1–3 scale, using scikit-learn's definition
# κ = 1 − Σ w·O / Σ w·E, E the outer product of the marginals, w the position distance
# (linear |i−j|, quadratic (i−j)²). Observed proportions: (1,1) .2, (1,2) .1, (2,1) .1,
# (2,2) .1, (2,3) .1, (3,2) .1, (3,3) .3; both marginals (.3, .3, .4).
#   unweighted: Σw·O = 2/5,  Σw·E = 33/50 → κ = 13/33
#   linear:     Σw·O = 2/5,  Σw·E = 9/10  → κ = 5/9
#   quadratic:  Σw·O = 2/5,  Σw·E = 69/50 → κ = 49/69
# Cross-check for quadratic: it equals Lin's concordance correlation with population
# moments, 2·s_ab / (s_a² + s_b² + (ā − b̄)²) = 0.49 / 0.69 = 49/69 here.
WEIGHTED_A = [1, 1, 2, 2, 3, 3, 1, 2, 3, 3]
WEIGHTED_B = [1, 2, 2, 3, 3, 3, 1, 1, 2, 3]


@pytest.mark.parametrize(
    ("weights", "expected"), [(None, 13 / 33), ("linear", 5 / 9), ("quadratic", 49 / 69)]
)
def test_cohen_kappa_weighted_hand_computed(weights, expected):
    assert cohen_kappa(WEIGHTED_A, WEIGHTED_B, weights=weights) == pytest.approx(expected)


def test_quadratic_kappa_equals_concordance_correlation():
    a, b = np.array(WEIGHTED_A, float), np.array(WEIGHTED_B, float)
    covariance = ((a - a.mean()) * (b - b.mean())).mean()
    concordance = 2 * covariance / (a.var() + b.var() + (a.mean() - b.mean()) ** 2)
    assert cohen_kappa(WEIGHTED_A, WEIGHTED_B, weights="quadratic") == pytest.approx(concordance)


def test_cohen_kappa_labels_set_the_scale_spacing():
    # Only 1, 2 and 5 occur: without labels they sit one position apart; with the full
    # 1–5 scale, 5 is three positions from 2, which changes the linear weights.
    a = [1, 2, 5, 5, 2, 1]
    b = [1, 5, 5, 2, 2, 2]
    occurring = cohen_kappa(a, b, weights="linear")
    full_scale = cohen_kappa(a, b, weights="linear", labels=[1, 2, 3, 4, 5])
    assert occurring != pytest.approx(full_scale)
    assert occurring == pytest.approx(cohen_kappa(a, b, weights="linear", labels=[1, 2, 5]))


def test_cohen_kappa_unused_labels_at_the_end_change_nothing():
    assert cohen_kappa(WEIGHTED_A, WEIGHTED_B, "quadratic", labels=[1, 2, 3, 4, 5]) == (
        pytest.approx(49 / 69)
    )


def test_cohen_kappa_drops_pairs_with_a_missing_side():
    assert cohen_kappa(WEIGHTED_A + [None, 2], WEIGHTED_B + [3, math.nan]) == pytest.approx(13 / 33)


def test_cohen_kappa_errors():
    with pytest.raises(ValueError, match="same length"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="weights must be"):
        cohen_kappa([1, 2], [1, 2], weights="cubic")
    with pytest.raises(ValueError, match="not in labels"):
        cohen_kappa([1, 7], [1, 2], labels=[1, 2, 3])
    with pytest.raises(ValueError, match="at least one unit rated by both"):
        cohen_kappa([None, 1], [2, None])
    with pytest.raises(ValueError, match="single, identical category"):
        cohen_kappa([3, 3, 3], [3, 3, 3], labels=[1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="must not repeat"):
        cohen_kappa([1], [1], labels=[1, 1, 2])


# --- Kendall's W ----------------------------------------------------------------------

# The "anxiety" data of R's irr package (20 subjects × 3 raters, many ties). Published
# result with the tie correction: W = 0.5396569, χ² = 30.76 (DescTools::KendallW and
# irr::kendall(anxiety, TRUE) documentation output).
ANXIETY_BY_RATER = [
    [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
    [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
    [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
]


def test_kendall_w_with_ties_matches_published_anxiety_example():
    assert kendall_w(ANXIETY_BY_RATER) == pytest.approx(0.5396569, abs=1e-7)


def test_kendall_w_without_ties_matches_siegel_castellan():
    # Siegel & Castellan (1988), Nonparametric Statistics for the Behavioral Sciences,
    # 2nd ed.: 3 raters rank 8 attributes, W = 0.656 (DescTools gives 0.6560847).
    ranks = [[5, 6, 7, 1, 2, 4, 3, 8], [1, 7, 6, 2, 3, 5, 4, 8], [4, 5, 1, 3, 2, 7, 6, 8]]
    assert kendall_w(ranks) == pytest.approx(0.6560847, abs=1e-7)


def test_kendall_w_small_tie_case_by_hand():
    # Raters × objects [[1, 2, 3], [1, 1, 2]]: ranks [[1, 2, 3], [1.5, 1.5, 3]];
    # rank sums (2.5, 3.5, 6), mean 4, S = 2.25 + 0.25 + 4 = 6.5; ties: one group of 2
    # → ΣT = 6. W = 12·6.5 / (4·24 − 2·6) = 78 / 84.
    assert kendall_w([[1, 2, 3], [1, 1, 2]]) == pytest.approx(78 / 84)


def test_kendall_w_errors():
    with pytest.raises(ValueError, match="at least 2 raters and 2 objects"):
        kendall_w([[1, 2, 3]])
    with pytest.raises(ValueError, match=r"ratings\[0, 1\] \(rater 0, object 1\) is missing"):
        kendall_w([[1, None], [1, 2]])
    with pytest.raises(ValueError, match="tied all objects"):
        kendall_w([[2, 2, 2], [4, 4, 4]])


# --- Percent agreement ----------------------------------------------------------------


def test_percent_agreement_exact_and_within_one():
    ratings = [
        [1, 3, 5, None],
        [1, 4, 2, 4],
        [2, 3, None, None],
    ]
    exact = percent_agreement(ratings)
    # Unit 0: pairs (1,1) ✓ (1,2) ✗ (1,2) ✗ → 1/3; unit 1: (3,4) ✗ (3,3) ✓ (4,3) ✗ → 1/3;
    # unit 2: (5,2) ✗ → 0; unit 3: one rating → None.
    assert exact == PercentAgreement(per_unit=[1 / 3, 1 / 3, 0.0, None], overall=2 / 9)
    within_one = percent_agreement(ratings, within=1)
    assert within_one.per_unit == [1.0, 1.0, 0.0, None]
    assert within_one.overall == pytest.approx(2 / 3)


def test_percent_agreement_on_krippendorff_example():
    # Hand count on the 2011 data: unit 2 (2,2,3,2) has 3 of 6 pairs agreeing, unit 6
    # (1,2,3,4) none, unit 8 (1,1,2,1) 3 of 6, unit 12 one rating; the other 8 units agree
    # fully. Overall (1 + .5 + 1 + 1 + 1 + 0 + 1 + .5 + 1 + 1 + 1) / 11 = 9/11.
    result = percent_agreement(KRIPPENDORFF_2011)
    assert result.per_unit[1] == pytest.approx(0.5)
    assert result.per_unit[5] == 0.0
    assert result.per_unit[7] == pytest.approx(0.5)
    assert result.per_unit[11] is None
    assert result.overall == pytest.approx(9 / 11)


def test_percent_agreement_errors():
    with pytest.raises(ValueError, match="at least one unit with two or more"):
        percent_agreement([[1, None], [None, 2]])
    with pytest.raises(ValueError, match="within must be 0 or more"):
        percent_agreement([[1, 2], [1, 2]], within=-1)


# --- Readings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "word"),
    [(0.85, "reliable"), (0.80, "reliable"), (0.70, "tentative"), (0.5, "unreliable")],
)
def test_alpha_reading_bands(value, word):
    text = reading("krippendorff_alpha", value)
    assert text.split(", ")[1].startswith(word)
    assert "Krippendorff 2004" in text


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (-0.1, "poor"),
        (0.1, "slight"),
        (0.3, "fair"),
        (0.5, "moderate"),
        (0.7, "substantial"),
        (0.9, "almost perfect"),
    ],
)
def test_kappa_reading_uses_landis_koch(value, band):
    text = reading("weighted_kappa", value)
    assert f", {band}" in text
    assert "Landis & Koch 1977" in text


@pytest.mark.parametrize(
    ("value", "band"), [(0.4, "poor"), (0.6, "moderate"), (0.8, "good"), (0.95, "excellent")]
)
def test_icc_reading_uses_koo_li(value, band):
    text = reading("ICC", value)
    assert f"{band} reliability" in text
    assert "Koo & Li 2016" in text


def test_percent_agreement_reading_is_a_plain_sentence():
    assert reading("percent_agreement", 0.72).startswith("Scorer pairs agreed exactly 72%")
    assert "within ±1 point 85%" in reading("percent_agreement_within_1", 0.85)


def test_reading_accepts_display_names_and_kendall():
    assert reading("Krippendorff's alpha", 0.9) == reading("alpha", 0.9)
    assert reading("Fleiss' kappa", 0.3) == reading("kappa", 0.3)
    assert reading("ICC(2,1)", 0.8) == reading("icc", 0.8)
    assert "Schmidt 1997" in reading("kendall_w", 0.6)


def test_reading_errors():
    with pytest.raises(ValueError, match="unknown statistic"):
        reading("pearson", 0.5)
    with pytest.raises(ValueError, match="non-finite"):
        reading("alpha", math.nan)
