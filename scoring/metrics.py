"""The one registry of evidence metrics: name, label, unit, where stored, how shown.

Every table of metric labels is derived from METRICS: the evidence lines beside items
(`scoring.evidence`), the text-evidence links (`scoring.text_moments`), the suggestions'
reasons (`scoring.suggestions`), the trends' columns (`db.services.trends`) and the chart titles
(`charts.trends`). Units: "share" (0–1, shown as a percentage), "seconds" (a duration),
"signed_seconds" (a gap that may be negative: overlap), "count" (events in one call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["share", "seconds", "signed_seconds", "count"]
Source = Literal["listening", "text"]


@dataclass(frozen=True)
class Metric:
    """One metric. `name` keys a report's summary; `column` is its stored column when the
    name differs; `note` explains the label beside an item ("mm-hmm, okay")."""

    name: str
    label: str
    unit: Unit
    source: Source
    column: str = ""
    note: str = ""
    trended: bool = True  # averaged per agent and week on Trends

    @property
    def stored_as(self) -> str:
        """The column that holds it (listening_report / text_evidence)."""
        return self.column or self.name

    @property
    def line_label(self) -> str:
        """The label beside a rubric item: 'Agent backchannels (mm-hmm, okay)'."""
        return f"{self.label} ({self.note})" if self.note else self.label

    @property
    def axis_label(self) -> str:
        """A chart's title for its mean per call: 'Agent interruptions per call'."""
        if self.unit == "count":
            return f"{self.label} per call"
        if self.unit in ("seconds", "signed_seconds"):
            return f"{self.label} (s)"
        return self.label

    @property
    def feature_label(self) -> str:
        """The label inside a sentence (a suggestion's reason): 'longest agent turn (s)'."""
        text = self.label[0].lower() + self.label[1:]
        return f"{text} (s)" if self.unit in ("seconds", "signed_seconds") else text

    def format(self, value: float | None) -> str:
        """The value as shown: '62%', '1:05' (m:ss), '+0.4 s', '3'. None → 'not measured'."""
        if value is None:
            return "not measured"
        if self.unit == "share":
            return f"{value:.0%}"
        if self.unit == "seconds":
            whole = int(round(value))
            return f"{whole // 60}:{whole % 60:02d}"
        if self.unit == "signed_seconds":
            return f"{value:+.1f} s"
        return str(int(value))


METRICS: tuple[Metric, ...] = (
    Metric("talk_share", "Agent talk share", "share", "listening"),
    Metric("interruptions", "Agent interruptions", "count", "listening"),
    Metric("backchannels", "Agent backchannels", "count", "listening", note="mm-hmm, okay"),
    Metric("long_silences", "Long silences", "count", "listening", note="≥ 3 s"),
    Metric("longest_agent_turn", "Longest agent turn", "seconds", "listening"),
    Metric(
        "response_gaps",
        "Median response gap",
        "signed_seconds",
        "listening",
        column="response_gap_median",
    ),
    Metric("overtalk", "Both talking", "seconds", "listening"),
    Metric("paraphrases", "Paraphrases", "count", "text"),
    Metric("questions", "Questions asked", "count", "text"),
    Metric("open_questions", "Open questions", "count", "text", trended=False),
    Metric("closed_questions", "Closed questions", "count", "text", trended=False),
    Metric("open_question_share", "Open-question share", "share", "text"),
    Metric("questions_before_fix", "Questions before the first fix", "count", "text"),
    Metric("defensive", "Defensive turns", "count", "text"),
    Metric("completions", "Finished the customer's sentence", "count", "text"),
    Metric("repeats", "Customer repeats themselves", "count", "text"),
    Metric("empathy", "Empathy", "count", "text"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
LISTENING: tuple[Metric, ...] = tuple(m for m in METRICS if m.source == "listening")
TEXT: tuple[Metric, ...] = tuple(m for m in METRICS if m.source == "text")
