"""Word error rate (WER) of a recognised transcript against a reference text.

WER = (S + D + I) / N: the fewest word substitutions, deletions and insertions that turn
the reference's N words into the hypothesis (Levenshtein alignment over words, computed
by ``jiwer``), divided by N; it may exceed 1 (insertions).

Two ways of reading the words, both reported by the benchmark:

- **Whisper-normalised** (`normalise_words`, the headline figure): both texts go through
  Whisper's English text normaliser (``whisper-normalizer``'s ``EnglishTextNormalizer``,
  the normaliser published with Whisper and used to score it), so that writing choices
  are not counted as recognition errors: "twenty-three" and "23", "I'm" and "I am",
  "colour" and "color", "Mr." and "mister", fillers ("um", "hmm", "mm-hmm"), case and
  punctuation.
- **Raw** (`raw_words`): only case folded and punctuation removed ("it's" stays one word,
  "ninety" and "90" differ, a hyphen joins).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Literal

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer

Normalisation = Literal["whisper", "raw"]
_RAW_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@cache
def _whisper_normaliser() -> EnglishTextNormalizer:
    return EnglishTextNormalizer()


def normalise_words(text: str) -> list[str]:
    """Text → words as Whisper's English text normaliser writes them (see the module);
    a leftover token with no letter or digit (it turns "..." into ".") is not a word."""
    return [w for w in str(_whisper_normaliser()(text)).split() if any(c.isalnum() for c in w)]


def raw_words(text: str) -> list[str]:
    """Text → words with case folded and punctuation dropped, nothing else changed."""
    return [w.replace("’", "'") for w in _RAW_WORD.findall(text.casefold())]


def word_edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Fewest substitutions + deletions + insertions turning ``reference`` into
    ``hypothesis`` (word sequences)."""
    if not reference:
        return len(hypothesis)
    if not hypothesis:
        return len(reference)
    out = jiwer.process_words(" ".join(reference), " ".join(hypothesis))
    return int(out.substitutions + out.deletions + out.insertions)


def words_for(text: str, normalisation: Normalisation = "whisper") -> list[str]:
    """``text``'s words under ``normalisation`` ("whisper" or "raw")."""
    if normalisation == "whisper":
        return normalise_words(text)
    if normalisation == "raw":
        return raw_words(text)
    raise ValueError(f"normalisation must be 'whisper' or 'raw', not {normalisation!r}")


def word_error_rate(
    reference: str, hypothesis: str, normalisation: Normalisation = "whisper"
) -> float:
    """WER of ``hypothesis`` against ``reference``, both read by `words_for`; may exceed
    1 (insertions). Raises ValueError when the reference has no words."""
    ref = words_for(reference, normalisation)
    if not ref:
        raise ValueError("the reference text has no words, so its word error rate is undefined")
    return word_edits(ref, words_for(hypothesis, normalisation)) / len(ref)
