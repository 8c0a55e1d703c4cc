"""Transcripts: the shared shape of who said what, when.

Times are seconds from the start of the recording (floats). `speaker` is the party:
"agent", "customer" or "unknown"; `label` is the source's own speaker label.
Parsers for each source format live below the types (see `parse_transcript`).

Formats read (detected from the content; the file name's extension only breaks ties):

| format (``Transcript.format``) | what is read |
|---|---|
| ``webvtt`` | cues; ``<v Name>`` voice spans or a ``Name:`` prefix; hours optional |
| ``srt`` | numbered cues, comma (or dot) milliseconds; ``Name:`` or ``[SPEAKER_00]`` prefix |
| ``contact_lens`` | Amazon Connect Contact Lens post-call JSON: ``Transcript[]`` in ms, party |
|   | from ``Participants[].ParticipantRole``; ``Redaction.RedactedTimestamps`` kept |
| ``genesys`` | Genesys Cloud transcript JSON: ``transcripts[].phrases[]``, epoch-ms start |
|   | minus ``conversationStartTime``; participantPurpose internal/external |
| ``deepgram`` | ``results.utterances[]``, else utterances built from channel words; seconds |
| ``assemblyai`` | ``utterances[]`` / ``words[]`` in milliseconds; speaker "A"/"B" or channel |
| ``whisper`` | Whisper, faster-whisper, WhisperX: ``segments[]`` in seconds, optional words |

Parties: a channel-based source (Deepgram multichannel, AssemblyAI ``channel``) names the
party from ``agent_channel`` (0 = left/first channel; the other of two is the customer).
Labels Agent, Rep, Representative / Customer, Caller, Client (any case, an optional trailing
number) name the party directly; Contact Lens roles and Genesys purposes are mapped. Any
other label (diarised "A", "SPEAKER_00") stays "unknown" for `assign_roles`.
"""

from __future__ import annotations

import bisect
import html
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

Party = Literal["agent", "customer", "unknown"]

MAX_TRANSCRIPT_BYTES = 50 * 2**20
# Times may run this far past the recording's end (rounding, codec padding) before a
# transcript is taken to belong to another, longer recording.
END_TOLERANCE_S = 1.0
# Word-built utterances (Deepgram / AssemblyAI without utterances) split at pauses this long.
UTTERANCE_SPLIT_S = 0.8


class TranscriptError(ValueError):
    """A transcript that cannot be read. The message names the file and where."""


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Utterance:
    """One stretch of one speaker's speech. ``redactions``: (start_s, end_s) spans the
    source removed (silenced audio, text replaced by a placeholder such as ``[PII]``)."""

    speaker: Party
    label: str
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()
    redactions: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Transcript:
    """``format`` is the source format (see the module docstring, or "asr" for offline
    recognition); ``source`` says what made it, e.g. the engine and model for "asr"."""

    format: str
    utterances: tuple[Utterance, ...] = field(default_factory=tuple)
    source: str = ""


# --- parties -----------------------------------------------------------------------------

_PARTY_NAMES: dict[str, Party] = {
    "agent": "agent",
    "rep": "agent",
    "representative": "agent",
    "customer": "customer",
    "caller": "customer",
    "client": "customer",
}
_TRAILING_NUMBER = re.compile(r"[\s_-]*\d+$")


def party_from_label(label: str) -> Party:
    """The party a speaker name names: "Agent", "CUSTOMER", "caller 2" → party; else unknown."""
    name = _TRAILING_NUMBER.sub("", label.strip().casefold())
    return _PARTY_NAMES.get(name, "unknown")


def party_from_channel(channel: int, agent_channel: int) -> Party:
    """Channel index (0 = left) → party: the agent's channel, the other of two, else unknown."""
    if channel == agent_channel:
        return "agent"
    if channel in (0, 1) and agent_channel in (0, 1):
        return "customer"
    return "unknown"


# --- errors and checks -------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """What every check needs to word its message: the file and the recording's length."""

    filename: str
    duration_s: float | None

    def error(self, where: str, problem: str) -> TranscriptError:
        return TranscriptError(f"{self.filename}: {where}: {problem}")

    def span(
        self, start: float, end: float, where: str, fields: tuple[str, str] = ("", "")
    ) -> tuple[float, float]:
        """Checked (start_s, end_s): finite, not negative, not reversed, within the call.
        ``fields`` (e.g. ".start", ".end") are appended to ``where`` to name the culprit."""
        for value, name in ((start, fields[0]), (end, fields[1])):
            if not math.isfinite(value):
                raise self.error(where + name, "time is not a finite number")
            if value < 0:
                raise self.error(where + name, f"negative time ({value:g} s)")
        if end < start:
            raise self.error(where, f"ends before it starts ({start:g} s to {end:g} s)")
        if self.duration_s is not None and end > self.duration_s + END_TOLERANCE_S:
            raise self.error(
                where + fields[1],
                f"ends at {end:.2f} s, beyond the recording ({self.duration_s:.2f} s long)",
            )
        return start, end


def _number(src: _Source, obj: Any, key: str, path: str) -> float:
    """``obj[key]`` as a float; a missing key or a non-number names ``path.key``."""
    if not isinstance(obj, dict):
        raise src.error(path, f"expected an object, found {_kind(obj)}")
    if key not in obj or obj[key] is None:
        raise src.error(f"{path}.{key}", "missing")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise src.error(f"{path}.{key}", f"expected a number, found {_kind(value)}")
    return float(value)


def _text(src: _Source, obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise src.error(f"{path}.{key}", f"expected text, found {_kind(value)}")
    return value


def _list(src: _Source, obj: Any, key: str, path: str, required: bool = True) -> list[Any]:
    if not isinstance(obj, dict):
        raise src.error(path or "top level", f"expected an object, found {_kind(obj)}")
    value = obj.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        where = f"{path}.{key}" if path else key
        raise src.error(
            where, "missing" if value is None else f"expected a list, found {_kind(value)}"
        )
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


_SPACES = re.compile(r"\s+")


def _clean(text: str) -> str:
    """Plain text with runs of whitespace collapsed (bidi marks dropped)."""
    return _SPACES.sub(" ", text.replace("\u200e", "").replace("\u200f", "")).strip()


# --- entry point ----------------------------------------------------------------------


def parse_transcript(
    data: bytes,
    filename: str,
    agent_channel: int = 0,
    duration_s: float | None = None,
    max_bytes: int = MAX_TRANSCRIPT_BYTES,
) -> Transcript:
    """Read a transcript file of any supported format (see the module docstring).

    ``data``: the file's bytes (UTF-8, or UTF-16 with a byte-order mark); ``filename`` is
    used in messages and to break ties; ``agent_channel``: 0 = left/first channel;
    ``duration_s``: the recording's length, when known, to refuse times beyond it (with
    ``END_TOLERANCE_S`` slack). A file over ``max_bytes`` is refused before it is read.
    Utterances come sorted by start time. Raises `TranscriptError` naming the file and
    the line, cue or JSON path.
    """
    if len(data) > max_bytes:
        raise TranscriptError(
            f"{filename}: {len(data) / 2**20:.1f} MB, over the "
            f"{max_bytes / 2**20:g} MB limit for a transcript file"
        )
    src = _Source(filename, duration_s)
    text = _decode(data, filename)
    body = text.lstrip()
    if not body:
        raise TranscriptError(f"{filename}: the file is empty")
    if body.startswith("{") or body.startswith("["):
        return _parse_json(src, text, agent_channel)
    first_line = body.split("\n", 1)[0].strip()
    if first_line.startswith("WEBVTT"):
        return _sorted(Transcript("webvtt", _parse_cues(src, text, vtt=True)))
    if _TIMING.search(body[:4096]):
        vtt = filename.lower().endswith(".vtt")
        return _sorted(Transcript("webvtt" if vtt else "srt", _parse_cues(src, text, vtt=vtt)))
    raise TranscriptError(
        f"{filename}: line 1: not a transcript format Earshot reads (WebVTT, SRT, or the JSON "
        f"of Contact Lens, Genesys Cloud, Deepgram, AssemblyAI or Whisper); it starts "
        f"{first_line[:40]!r}"
    )


def _decode(data: bytes, filename: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TranscriptError(f"{filename}: byte {exc.start}: not UTF-16 text") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TranscriptError(
            f"{filename}: line {line} (byte {exc.start}): not UTF-8 text; save the file as UTF-8"
        ) from exc


def _sorted(transcript: Transcript) -> Transcript:
    ordered = tuple(sorted(transcript.utterances, key=lambda u: (u.start_s, u.end_s)))
    return replace(transcript, utterances=ordered)


# --- WebVTT and SRT -----------------------------------------------------------------------

_TS = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}", re.MULTILINE)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_BRACKET_SPEAKER = re.compile(r"^\[([^\]]{1,40})\]\s*:?\s*")
_NAME_SPEAKER = re.compile(r"^-?\s*([A-Za-z][\w.'’-]*(?: [\w.'’-]+){0,2})\s*:\s+")


def _seconds(match: re.Match[str], first_group: int) -> float:
    h, m, s, frac = match.group(first_group, first_group + 1, first_group + 2, first_group + 3)
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def _split_speaker(text: str) -> tuple[str, str]:
    """``[SPEAKER_00] hi`` / ``Agent: hi`` → (label, rest); no prefix → ("", text)."""
    for pattern in (_BRACKET_SPEAKER, _NAME_SPEAKER):
        match = pattern.match(text)
        if match:
            return match.group(1).strip(), text[match.end() :]
    return "", text


def _parse_cues(src: _Source, text: str, vtt: bool) -> tuple[Utterance, ...]:
    """Cues of a WebVTT or SRT file. Blocks are separated by blank lines; a block whose
    first line has no ``-->`` is an identifier (SRT: the cue number) before the timing."""
    lines = text.splitlines()
    utterances: list[Utterance] = []
    cue_count = 0
    i = 0
    if vtt and lines and lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        # The header block (WEBVTT plus optional header lines) ends at the first blank line.
        while i < len(lines) and lines[i].strip():
            i += 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        start_line = i
        block: list[str] = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        head = block[0].strip()
        if vtt and "-->" not in head and head.split(" ", 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        cue_count += 1
        timing_at = 0 if "-->" in block[0] else 1
        cue_id = head if timing_at == 1 else str(cue_count)
        where = f"cue {cue_id} (line {start_line + timing_at + 1})"
        if timing_at >= len(block):
            raise src.error(where, f"cue has no timing line ('{_example(vtt)}')")
        timing = block[timing_at]
        match = _TIMING.match(timing)
        if not match:
            raise src.error(
                where,
                f"timing line {timing.strip()[:60]!r} is not '{_example(vtt)}'",
            )
        start, end = src.span(_seconds(match, 1), _seconds(match, 5), where)
        payload = " ".join(block[timing_at + 1 :])
        voice = _VOICE.search(payload)
        plain = _clean(html.unescape(_TAG.sub("", payload)))
        label = voice.group(1).strip() if voice else ""
        if not label:
            label, plain = _split_speaker(plain)
        if not plain:
            continue
        utterances.append(Utterance(party_from_label(label), label, start, end, plain))
    if cue_count == 0:
        raise src.error("line 1", "no cues with a timing line ('00:00:01.000 --> ...') found")
    return tuple(utterances)


def _example(vtt: bool) -> str:
    return "00:01.000 --> 00:04.000" if vtt else "00:00:01,000 --> 00:00:04,000"


# --- JSON formats ---------------------------------------------------------------------


def _parse_json(src: _Source, text: str, agent_channel: int) -> Transcript:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise src.error(
            f"line {exc.lineno}, column {exc.colno}", f"broken JSON ({exc.msg})"
        ) from exc
    parser = _json_parser(data)
    if parser is None:
        keys = ", ".join(list(data)[:8]) if isinstance(data, dict) else "a list"
        raise src.error(
            "top level",
            f"JSON ({keys}) is not a transcript format Earshot reads (Contact Lens, "
            "Genesys Cloud, Deepgram, AssemblyAI, Whisper/WhisperX)",
        )
    name, read = parser
    return _sorted(Transcript(name, read(src, data, agent_channel)))


_Reader = Callable[[_Source, Any, int], tuple[Utterance, ...]]


def _json_parser(data: Any) -> tuple[str, _Reader] | None:
    if isinstance(data, list):
        return ("whisper", _read_whisper) if all(isinstance(s, dict) for s in data) else None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("Transcript"), list):
        return "contact_lens", _read_contact_lens
    if isinstance(data.get("transcripts"), list):
        return "genesys", _read_genesys
    if isinstance(data.get("results"), dict):
        return "deepgram", _read_deepgram
    if isinstance(data.get("segments"), list):
        return "whisper", _read_whisper
    if isinstance(data.get("utterances"), list) or isinstance(data.get("words"), list):
        return "assemblyai", _read_assemblyai
    return None


def _words(
    src: _Source,
    items: list[Any],
    path: str,
    key: str,
    start_key: str,
    end_key: str,
    scale: float,
    alt_key: str | None = None,
) -> tuple[Word, ...]:
    """Words from dicts with text at ``alt_key`` (if present) or ``key`` and times at
    ``start_key``/``end_key`` in units of ``scale`` seconds."""
    words: list[Word] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            raise src.error(where, f"expected an object, found {_kind(item)}")
        token = item.get(alt_key) if alt_key else None
        if not isinstance(token, str):
            token = _text(src, item, key, where)
        start = _number(src, item, start_key, where) * scale
        end = _number(src, item, end_key, where) * scale
        start, end = src.span(start, end, where, (f".{start_key}", f".{end_key}"))
        words.append(Word(token.strip(), start, end))
    return tuple(words)


def _read_contact_lens(
    src: _Source, data: dict[str, Any], agent_channel: int
) -> tuple[Utterance, ...]:
    roles: dict[str, str] = {}
    for i, p in enumerate(_list(src, data, "Participants", "", required=False)):
        if not isinstance(p, dict):
            raise src.error(f"Participants[{i}]", f"expected an object, found {_kind(p)}")
        pid, role = p.get("ParticipantId"), p.get("ParticipantRole")
        if isinstance(pid, str) and isinstance(role, str):
            roles[pid] = role
    utterances = []
    for i, item in enumerate(_list(src, data, "Transcript", "")):
        where = f"Transcript[{i}]"
        start = _number(src, item, "BeginOffsetMillis", where) / 1000
        end = _number(src, item, "EndOffsetMillis", where) / 1000
        start, end = src.span(start, end, where, (".BeginOffsetMillis", ".EndOffsetMillis"))
        pid = _text(src, item, "ParticipantId", where)
        role = roles.get(pid) or _text(src, item, "ParticipantRole", where) or pid
        redactions = []
        redaction = item.get("Redaction")
        if isinstance(redaction, dict):
            spans = _list(src, redaction, "RedactedTimestamps", f"{where}.Redaction", False)
            for j, span in enumerate(spans):
                at = f"{where}.Redaction.RedactedTimestamps[{j}]"
                redactions.append(
                    src.span(
                        _number(src, span, "BeginOffsetMillis", at) / 1000,
                        _number(src, span, "EndOffsetMillis", at) / 1000,
                        at,
                        (".BeginOffsetMillis", ".EndOffsetMillis"),
                    )
                )
        content = _clean(_text(src, item, "Content", where))
        utterances.append(
            Utterance(
                party_from_label(role),
                role,
                start,
                end,
                content,
                redactions=tuple(redactions),
            )
        )
    return tuple(utterances)


_GENESYS_FIELDS = (".startTimeMs", ".duration")
_GENESYS_PURPOSE: dict[str, Party] = {"internal": "agent", "external": "customer"}


def _genesys_ms(src: _Source, obj: dict[str, Any], where: str, origin: float | None) -> float:
    """Start of a Genesys phrase or word in ms from the recording's start: epoch
    ``startTimeMs`` minus ``conversationStartTime``, else ``offset.milliseconds``."""
    if origin is not None and "startTimeMs" in obj:
        return _number(src, obj, "startTimeMs", where) - origin
    offset = obj.get("offset")
    if isinstance(offset, dict):
        return _number(src, offset, "milliseconds", f"{where}.offset")
    if origin is None:
        raise src.error(where, "no offset, and conversationStartTime is missing")
    raise src.error(f"{where}.startTimeMs", "missing")


def _genesys_duration_ms(src: _Source, obj: dict[str, Any], where: str) -> float:
    duration = obj.get("duration")
    if isinstance(duration, dict):
        return _number(src, duration, "milliseconds", f"{where}.duration")
    if "durationMs" in obj:
        return _number(src, obj, "durationMs", where)
    raise src.error(f"{where}.duration", "missing (expected duration.milliseconds or durationMs)")


def _read_genesys(src: _Source, data: dict[str, Any], agent_channel: int) -> tuple[Utterance, ...]:
    origin: float | None = None
    if data.get("conversationStartTime") is not None:
        origin = _number(src, data, "conversationStartTime", "top level")
    utterances = []
    for t, transcript in enumerate(_list(src, data, "transcripts", "")):
        tpath = f"transcripts[{t}]"
        for i, phrase in enumerate(_list(src, transcript, "phrases", tpath, required=False)):
            where = f"{tpath}.phrases[{i}]"
            if not isinstance(phrase, dict):
                raise src.error(where, f"expected an object, found {_kind(phrase)}")
            start_ms = _genesys_ms(src, phrase, where, origin)
            end_ms = start_ms + _genesys_duration_ms(src, phrase, where)
            start, end = src.span(start_ms / 1000, end_ms / 1000, where, _GENESYS_FIELDS)
            words = []
            for j, w in enumerate(_list(src, phrase, "words", where, required=False)):
                wpath = f"{where}.words[{j}]"
                if not isinstance(w, dict):
                    raise src.error(wpath, f"expected an object, found {_kind(w)}")
                w_start = _genesys_ms(src, w, wpath, origin)
                w_end = w_start + _genesys_duration_ms(src, w, wpath)
                ws, we = src.span(w_start / 1000, w_end / 1000, wpath, _GENESYS_FIELDS)
                words.append(Word(_text(src, w, "word", wpath).strip(), ws, we))
            text = _text(src, phrase, "decoratedText", where) or _text(src, phrase, "text", where)
            purpose = _text(src, phrase, "participantPurpose", where)
            party = _GENESYS_PURPOSE.get(purpose.casefold()) or party_from_label(purpose)
            utterances.append(Utterance(party, purpose, start, end, _clean(text), tuple(words)))
    return tuple(utterances)


def _group_words(
    words: Sequence[tuple[Word, str, Party]], gap_s: float = UTTERANCE_SPLIT_S
) -> list[Utterance]:
    """Utterances from (word, label, party) in time order: a new one at a change of label
    or a pause longer than ``gap_s``. Text is the words joined by spaces."""
    runs: list[tuple[str, Party, list[Word]]] = []
    for word, label, party in words:
        if runs and label == runs[-1][0] and word.start_s - runs[-1][2][-1].end_s <= gap_s:
            runs[-1][2].append(word)
        else:
            runs.append((label, party, [word]))
    utterances = [
        Utterance(
            party,
            label,
            run[0].start_s,
            run[-1].end_s,
            _clean(" ".join(w.text for w in run)),
            tuple(run),
        )
        for label, party, run in runs
    ]
    return utterances


def _read_deepgram(src: _Source, data: dict[str, Any], agent_channel: int) -> tuple[Utterance, ...]:
    results = data["results"]
    channels = _list(src, results, "channels", "results", required=False)
    metadata = data.get("metadata")
    declared = metadata.get("channels") if isinstance(metadata, dict) else None
    multichannel = len(channels) > 1 or (isinstance(declared, int) and declared > 1)

    def who(obj: dict[str, Any], channel: int) -> tuple[str, Party]:
        if multichannel:
            return str(channel), party_from_channel(channel, agent_channel)
        speaker = obj.get("speaker")
        if speaker is None:
            return "", "unknown"
        return str(speaker), party_from_label(str(speaker))

    raw = results.get("utterances")
    if isinstance(raw, list) and raw:
        utterances = []
        for i, u in enumerate(raw):
            where = f"results.utterances[{i}]"
            start = _number(src, u, "start", where)
            end = _number(src, u, "end", where)
            start, end = src.span(start, end, where, (".start", ".end"))
            channel = u.get("channel", 0)
            label, party = who(u, channel if isinstance(channel, int) else 0)
            words = _words(
                src,
                _list(src, u, "words", where, False),
                f"{where}.words",
                "word",
                "start",
                "end",
                1.0,
                alt_key="punctuated_word",
            )
            text = _clean(_text(src, u, "transcript", where))
            utterances.append(Utterance(party, label, start, end, text, words))
        return tuple(utterances)
    built: list[Utterance] = []
    for c, channel in enumerate(channels):
        cpath = f"results.channels[{c}]"
        alternatives = _list(src, channel, "alternatives", cpath)
        if not alternatives:
            continue
        wpath = f"{cpath}.alternatives[0].words"
        raw_words = _list(src, alternatives[0], "words", f"{cpath}.alternatives[0]")
        words = _words(src, raw_words, wpath, "word", "start", "end", 1.0, "punctuated_word")
        tagged = [(w, *who(r, c)) for w, r in zip(words, raw_words, strict=True)]
        built.extend(_group_words(tagged))
    return tuple(built)


def _assemblyai_who(
    obj: dict[str, Any], multichannel: bool, agent_channel: int
) -> tuple[str, Party]:
    channel = obj.get("channel")
    speaker = obj.get("speaker")
    if channel is None and multichannel:
        channel = speaker
    if channel is not None and str(channel).isdigit():
        # AssemblyAI numbers channels from 1 (left).
        return str(channel), party_from_channel(int(channel) - 1, agent_channel)
    if speaker is None:
        return "", "unknown"
    return str(speaker), party_from_label(str(speaker))


def _read_assemblyai(
    src: _Source, data: dict[str, Any], agent_channel: int
) -> tuple[Utterance, ...]:
    channels = data.get("audio_channels")
    multichannel = data.get("multichannel") is True or (isinstance(channels, int) and channels > 1)
    raw = data.get("utterances")
    if isinstance(raw, list) and raw:
        utterances = []
        for i, u in enumerate(raw):
            where = f"utterances[{i}]"
            start = _number(src, u, "start", where) / 1000
            end = _number(src, u, "end", where) / 1000
            start, end = src.span(start, end, where, (".start", ".end"))
            label, party = _assemblyai_who(u, multichannel, agent_channel)
            words = _words(
                src,
                _list(src, u, "words", where, False),
                f"{where}.words",
                "text",
                "start",
                "end",
                0.001,
            )
            text = _clean(_text(src, u, "text", where))
            utterances.append(Utterance(party, label, start, end, text, words))
        return tuple(utterances)
    raw_words = _list(src, data, "words", "", required=False)
    if not raw_words and _text(src, data, "text", "").strip():
        raise src.error("words", "the transcript has text but no word timings")
    words = _words(src, raw_words, "words", "text", "start", "end", 0.001)
    tagged = [
        (w, *_assemblyai_who(r, multichannel, agent_channel))
        for w, r in zip(words, raw_words, strict=True)
    ]
    return tuple(_group_words(tagged))


def _read_whisper(src: _Source, data: Any, agent_channel: int) -> tuple[Utterance, ...]:
    segments = data if isinstance(data, list) else data["segments"]
    prefix = "" if isinstance(data, list) else "segments"
    utterances = []
    for i, seg in enumerate(segments):
        where = f"{prefix}[{i}]"
        start = _number(src, seg, "start", where)
        end = _number(src, seg, "end", where)
        start, end = src.span(start, end, where, (".start", ".end"))
        words = []
        for j, w in enumerate(_list(src, seg, "words", where, required=False)):
            wpath = f"{where}.words[{j}]"
            if not isinstance(w, dict):
                raise src.error(wpath, f"expected an object, found {_kind(w)}")
            # WhisperX leaves out the times of words it could not align (numbers, symbols).
            if w.get("start") is None or w.get("end") is None:
                continue
            ws = _number(src, w, "start", wpath)
            we = _number(src, w, "end", wpath)
            ws, we = src.span(ws, we, wpath, (".start", ".end"))
            words.append(Word(_text(src, w, "word", wpath).strip(), ws, we))
        speaker = seg.get("speaker")
        label = speaker if isinstance(speaker, str) else ""
        text = _clean(_text(src, seg, "text", where))
        utterances.append(Utterance(party_from_label(label), label, start, end, text, tuple(words)))
    return tuple(utterances)


# --- roles from listening turns -------------------------------------------------------------


def _merged(spans: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Sorted, merged spans as parallel start/end lists (for bisect)."""
    starts: list[float] = []
    ends: list[float] = []
    for start, end in sorted(spans):
        if starts and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _overlap_s(merged: tuple[list[float], list[float]], start: float, end: float) -> float:
    starts, ends = merged
    total = 0.0
    i = max(bisect.bisect_right(starts, start) - 1, 0)
    while i < len(starts) and starts[i] < end:
        total += max(0.0, min(end, ends[i]) - max(start, starts[i]))
        i += 1
    return total


class TurnLike(Protocol):
    """Anything with a party and a span, e.g. `scoring.listening.Turn`."""

    @property
    def speaker(self) -> str: ...
    @property
    def start_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...


def assign_roles(
    transcript: Transcript, turns: Iterable[tuple[str, float, float] | TurnLike]
) -> Transcript:
    """Name the party of each label whose utterances are "unknown", from listening turns.

    ``turns``: (speaker, start_s, end_s) tuples or objects with those attributes (a
    listening report's turns), speaker "agent" or "customer" (others are ignored). For
    each label, a_L and c_L are the seconds its utterances overlap agent and customer
    turns. The pair of labels (L1, L2) with the largest a_L1 + c_L2 becomes agent and
    customer (two diarised speakers are never both the agent); any further label takes
    the party it overlaps more. A label overlapping neither stays unknown. Utterances
    whose party is already known are left as they are.
    """
    by_party: dict[str, list[tuple[float, float]]] = {"agent": [], "customer": []}
    for turn in turns:
        speaker, start, end = (
            turn if isinstance(turn, tuple) else (turn.speaker, turn.start_s, turn.end_s)
        )
        if speaker in by_party and end > start:
            by_party[speaker].append((float(start), float(end)))
    agent_turns, customer_turns = _merged(by_party["agent"]), _merged(by_party["customer"])
    agent_s: dict[str, float] = {}
    customer_s: dict[str, float] = {}
    for u in transcript.utterances:
        if u.speaker != "unknown":
            continue
        agent_s[u.label] = agent_s.get(u.label, 0.0) + _overlap_s(agent_turns, u.start_s, u.end_s)
        customer_s[u.label] = customer_s.get(u.label, 0.0) + _overlap_s(
            customer_turns, u.start_s, u.end_s
        )
    labels = list(agent_s)
    roles: dict[str, Party] = {}
    best: tuple[float, str | None, str | None] = (0.0, None, None)
    agent_side = [label for label in labels if agent_s[label] > 0]
    customer_side = [label for label in labels if customer_s[label] > 0]
    for a in [*agent_side, None]:
        for c in [*customer_side, None]:
            if a is not None and a == c:
                continue
            total = (agent_s[a] if a is not None else 0.0) + (
                customer_s[c] if c is not None else 0.0
            )
            if total > best[0]:
                best = (total, a, c)
    _, agent_label, customer_label = best
    for label in labels:
        if label == agent_label:
            roles[label] = "agent"
        elif label == customer_label:
            roles[label] = "customer"
        elif agent_s[label] != customer_s[label]:
            roles[label] = "agent" if agent_s[label] > customer_s[label] else "customer"
    if not roles:
        return transcript
    utterances = tuple(
        replace(u, speaker=roles[u.label]) if u.speaker == "unknown" and u.label in roles else u
        for u in transcript.utterances
    )
    return replace(transcript, utterances=utterances)
