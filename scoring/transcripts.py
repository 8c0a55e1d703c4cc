"""Transcripts: the shared shape of who said what, when.

Times are seconds from the start of the recording (floats). `speaker` is the party:
"agent", "customer" or "unknown"; `label` is the source's own speaker label.
Parsers for each source format live below the types (see `parse_transcript`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Party = Literal["agent", "customer", "unknown"]


class TranscriptError(ValueError):
    """A transcript that cannot be read. The message names the file and where."""


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Utterance:
    speaker: Party
    label: str
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    format: str
    utterances: tuple[Utterance, ...] = field(default_factory=tuple)
