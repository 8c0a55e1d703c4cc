"""Word error rate (WER) of a recognised transcript against a reference text.

WER = (S + D + I) / N: the fewest word substitutions, deletions and insertions that turn
the reference's N words into the hypothesis (Levenshtein distance over words), divided
by N. Both texts are normalised first (`normalise_words`), as speech-recognition
evaluations do, so that "Fourteen." and "14" or "it's" and "It's" are not counted as
errors: lower case; numbers written in digits become words (below 1,000 as said,
"90" → "ninety", and "12,500" → "twelve thousand five hundred"; four or more digits
without a separator digit by digit, as codes and PINs are read out); ordinals "1st" →
"first"; "%" → "percent"; hyphens split words; other punctuation is dropped; fillers
("um", "uh", "hmm", "mm", "mhm") are dropped; contractions other than "'s" are spelled
out ("won't" → "will not", "I've" → "I have"); "ok" → "okay". (The same kind of
normalisation as Whisper's English text normaliser, much reduced.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# fmt: off
_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# fmt: on
_ORDINAL_ENDINGS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
        if n:
            words.append("and")
    if n >= 20:
        words.append(_TENS[n // 10])
        if n % 10:
            words.append(_ONES[n % 10])
    elif n or not words:
        words.append(_ONES[n])
    return words


def _number_words(digits: str, ordinal: bool, grouped: bool) -> list[str]:
    """``grouped``: written with a thousands separator, so said as a number below a
    million; otherwise four or more digits (or a leading zero) are said digit by digit."""
    value = int(digits)
    if grouped and value < 1_000_000:
        words = _below_thousand(value // 1000) + ["thousand"] if value >= 1000 else []
        if value % 1000 or not words:
            words += _below_thousand(value % 1000)
    elif len(digits) > 3 or (len(digits) > 1 and digits.startswith("0")):
        return [_ONES[int(d)] for d in digits]
    else:
        words = _below_thousand(value)
    if ordinal:
        last = words[-1]
        if last in _ORDINAL_ENDINGS:
            words[-1] = _ORDINAL_ENDINGS[last]
        elif last.endswith("y"):
            words[-1] = last[:-1] + "ieth"
        else:
            words[-1] = last + "th"
    return words


_FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "mm", "mmm", "mhm"})
_WHOLE_WORDS = {
    "won't": ["will", "not"],
    "can't": ["can", "not"],
    "let's": ["let", "us"],
    "ok": ["okay"],
}
_ENDINGS = (
    ("n't", "not"),
    ("'re", "are"),
    ("'ve", "have"),
    ("'ll", "will"),
    ("'m", "am"),
    ("'d", "would"),
)


def _spelled(word: str) -> list[str]:
    if word in _FILLERS:
        return []
    if word in _WHOLE_WORDS:
        return _WHOLE_WORDS[word]
    for ending, full in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending):
            return [word[: -len(ending)], full]
    return [word]


_TOKEN = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)?\b|[a-z]+(?:'[a-z]+)*")


def normalise_words(text: str) -> list[str]:
    """Text → comparable words (see the module docstring)."""
    text = text.casefold().replace("’", "'").replace("%", " percent ")
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        digits = match.group(1)
        if digits is None:
            words += _spelled(match.group(0))
        else:
            number = digits.replace(",", "")
            ordinal = match.group(2) is not None
            words += _number_words(number, ordinal, grouped="," in digits)
    return words


def word_edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Fewest substitutions + deletions + insertions turning ``reference`` into
    ``hypothesis`` (Levenshtein distance over words). O(len(ref) · len(hyp))."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(
                min(
                    previous[j] + 1,  # deletion
                    current[j - 1] + 1,  # insertion
                    previous[j - 1] + (ref_word != hyp_word),  # match or substitution
                )
            )
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of ``hypothesis`` against ``reference`` after `normalise_words`; may exceed 1
    (insertions). Raises ValueError when the reference has no words."""
    ref = normalise_words(reference)
    if not ref:
        raise ValueError("the reference text has no words, so its word error rate is undefined")
    return word_edits(ref, normalise_words(hypothesis)) / len(ref)
