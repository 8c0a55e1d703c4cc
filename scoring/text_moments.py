"""Text evidence for people: lines beside rubric items (a count and each moment), markers
for the player's timeline and its transcript pane, and utterances in the player's shape.

Pure: takes ``scoring.text_evidence.TextEvidence`` / ``scoring.transcripts.Transcript``
and returns plain dicts and dataclasses. Times are seconds from the start of the recording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scoring.metrics import BY_NAME, TEXT
from scoring.text_evidence import TEXT_METRICS, Moment, TextEvidence
from scoring.transcripts import Transcript

TEXT_METRIC_LABELS: dict[str, str] = {m.name: m.label for m in TEXT}
"""Text-evidence metrics' labels, by name (from the registry, `scoring.metrics`)."""

MARKER_KIND: dict[str, str] = {
    "paraphrases": "paraphrase",
    "questions": "question",
    "defensive": "defensive",
    "completions": "completion",
    "repeats": "repeat",
    "empathy": "empathy",
}
"""Text-evidence category → the player's marker kind (``player.component``)."""

MAX_LABEL_CHARS = 80
MAX_MOMENT_LINKS = 12
"""Moments listed as links beside an item; the rest are on the timeline and in the pane."""


def mmss(t_s: float) -> str:
    whole = max(0, int(t_s))
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True)
class MetricEvidence:
    """One text metric beside an item: ``line`` e.g. "Paraphrases: 2", and its moments."""

    metric: str
    line: str
    moments: tuple[Moment, ...]


def format_text_metric(name: str, value: float | int | None) -> str:
    """'Paraphrases: 2'; the share as a percentage; None reads 'no questions'."""
    metric = BY_NAME.get(name)
    if metric is None:
        return f"{name}: {0 if value is None else value}"
    if value is None:  # a share of no questions is undefined; a count never made is 0
        return f"{metric.label}: {'no questions' if metric.unit == 'share' else 0}"
    return f"{metric.label}: {metric.format(value)}"


def item_text_evidence(
    evidence: TextEvidence | None, metrics: Sequence[str]
) -> list[MetricEvidence]:
    """The text metrics an item names (others are skipped), each with its moments."""
    if evidence is None:
        return []
    summary = evidence.summary()
    moments = evidence.moments_by_metric()
    return [
        MetricEvidence(name, format_text_metric(name, summary.get(name)), moments.get(name, ()))
        for name in metrics
        if name in TEXT_METRICS
    ]


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")


def escape_markdown(text: str) -> str:
    """``text`` with Markdown's punctuation backslash-escaped, for widget labels that render
    Markdown (pills): what a transcript says shows as typed, never as a link or styling."""
    return _MARKDOWN.sub(r"\\\1", text)


def moment_label(moment: Moment) -> str:
    """'1:05 · open question · "What happens when…"' (plain text, cut to MAX_LABEL_CHARS)."""
    what = f"{moment.kind} question" if moment.kind else moment.reason
    phrase = moment.phrase if len(moment.phrase) <= 48 else moment.phrase[:47] + "…"
    label = f"{mmss(moment.t_s)} · {what} · “{phrase}”"
    return label[:MAX_LABEL_CHARS]


def text_markers(evidence: TextEvidence | None) -> list[dict[str, Any]]:
    """Player markers ``{"t_s", "kind", "label"}`` for every moment, in time order."""
    if evidence is None:
        return []
    out = []
    for category, kind in MARKER_KIND.items():
        for moment in getattr(evidence, category):
            reason = f"{moment.kind} question" if moment.kind else moment.reason
            out.append(
                {
                    "t_s": moment.t_s,
                    "kind": kind,
                    "label": f"{reason}: {moment.phrase}"[:MAX_LABEL_CHARS],
                }
            )
    out.sort(key=lambda m: float(m["t_s"]))
    return out


def player_utterances(transcript: Transcript | None) -> list[dict[str, Any]]:
    """Utterances in the player's shape (``player.component.call_player``)."""
    if transcript is None:
        return []
    return [
        {
            "start_s": u.start_s,
            "end_s": u.end_s,
            "speaker": u.speaker,
            "label": u.label,
            "text": u.text,
            "words": [[w.text, w.start_s, w.end_s] for w in u.words],
        }
        for u in transcript.utterances
    ]
