"""Word error rate as Whisper's results are scored: both texts through Whisper's English
text normaliser, then a word alignment; and the raw figure reported beside it."""

import pytest

from scoring.wer import normalise_words, raw_words, word_edits, word_error_rate


def test_word_edits_counts_substitutions_deletions_insertions():
    assert word_edits(["a", "b", "c", "d"], ["a", "x", "c"]) == 2  # one substitution, one deletion
    assert word_edits([], ["a", "b"]) == 2
    assert word_edits(["a", "b"], []) == 2
    assert word_edits(["kitten", "sat"], ["kitten", "sat"]) == 0


def test_word_error_rate_counts_real_errors():
    # jiwer's documented example: one substitution in two words.
    assert word_error_rate("hello world", "hello duck") == 0.5
    assert word_error_rate("the cat sat", "the cat sat on the mat") == 1.0  # 3 insertions / 3
    assert word_error_rate("reset my password", "") == 1.0  # all deleted
    with pytest.raises(ValueError, match="no words"):
        word_error_rate(" ... ", "anything")


@pytest.mark.parametrize(
    ("reference", "hypothesis"),
    [
        ("Passwords expire every ninety days.", "passwords expire every 90 days"),
        ("Ticket twenty-three, please.", "ticket 23 please"),
        ("I'm sure it won't sync.", "I am sure it will not sync"),
        ("Mr. Okafor's colour printer", "mister okafor's color printer"),
        ("Mm-hmm. Um, the organisation", "the organization"),
        ("It costs $5.", "it costs five dollars"),
    ],
)
def test_writing_choices_are_not_errors_after_whisper_normalisation(reference, hypothesis):
    assert word_error_rate(reference, hypothesis) == 0


def test_the_raw_figure_counts_writing_choices():
    assert word_error_rate("every ninety days", "every 90 days", "raw") == pytest.approx(1 / 3)
    assert word_error_rate("colour printer", "color printer", "raw") == 0.5
    assert word_error_rate("It's OK, Ana!", "it's ok ana", "raw") == 0
    with pytest.raises(ValueError, match="'whisper' or 'raw'"):
        word_error_rate("a", "a", "loose")  # type: ignore[arg-type]


def test_normalised_and_raw_words():
    assert normalise_words("Four, seven, one, nine. It's the 1st of fourteen!") == [
        "4719", "it", "is", "the", "1st", "of", "14",
    ]  # fmt: skip
    assert raw_words("It’s the 1st of 14, five-tailed! Hmm.") == [
        "it's", "the", "1st", "of", "14", "five-tailed", "hmm",
    ]  # fmt: skip
