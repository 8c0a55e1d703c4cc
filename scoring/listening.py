"""Listening analytics: who spoke when on a call, and the evidence derived from it.

Two steps, kept apart so the second can be tested on hand-built data:

1. ``detect_speech`` - voice activity per channel -> speech runs ``[(start_s, end_s), ...]``.
2. ``report_from_speech`` - agent and customer runs -> ``ListeningReport`` (pure, no audio).

``analyze`` / ``analyze_file`` chain the two; ``analyze_file`` decodes in blocks and keeps
only per-frame arrays, so its memory does not grow with the call (issue 13). All times
are seconds from the start of the recording. Definitions (thresholds are keyword
parameters with these defaults):

- turn: a run of one party's speech; runs less than ``merge_gap_s`` (0.5 s) apart join.
- backchannel: a turn shorter than ``backchannel_max_s`` (1.0 s) that starts and ends
  inside a turn of the other party.
- interruption: a turn (not a backchannel) that starts while the other party's turn is in
  progress, where the other party goes on for at least ``interruption_min_overlap_s``
  (1.0 s) after that start; attributed to the party who started.
- long silence: both parties silent for at least ``long_silence_s`` (3.0 s), not counting
  before the first or after the last speech.
- response gap: from the end of a customer turn to the start of the agent's next turn
  (negative when the agent starts early). Backchannels are neither the customer turn nor
  the agent's answer, and a customer turn followed by another customer turn before the
  agent answers has no gap of its own (the gap is measured from the last one).
- talk share: agent talk / (agent + customer talk); talk is the total length of a party's
  turns (so pauses shorter than ``merge_gap_s`` inside a turn count as talk).
- overtalk: total time during which both parties' turns overlap (backchannels included).

Voice activity: per channel, 30 ms frames, from frame energy relative to the channel's
noise floor (its 10th-percentile frame). An energy gate settles the easy frames cheaply:
less than 6 dB above the floor (or below -55 dBFS) is silence, more than 30 dB above is
speech. Only the frames in between go to WebRTC's VAD (``vad="webrtc"``, the default;
``aggressiveness`` 0-3), which is where its noise modelling matters. The pure-numpy path
``vad="energy"`` replaces WebRTC by a hysteresis on frame energy (a run must reach 12 dB
above the floor and lasts while it stays 6 dB above); it is faster still and as accurate
on clean recordings, less so on noisy ones. ``vad="silero"`` asks Silero VAD (ONNX, see
``scoring.silero``) about every frame the gate lets through: about 60x slower (some 60x
real time), as accurate on echo, weak lines, codecs, noise and hold, but it rejects much of
a near talker's (synthetic) speech behind open-plan chatter, where the level statistics
below do better; so it is never chosen by itself. Runs shorter than 90 ms are dropped as
clicks.
Near talker: when a channel's loud speech (95th-percentile frame) is less than 35 dB above
its floor, something sounds behind the talker all the time (other voices in an open-plan
room, babble, line noise); the gate then rises to 9 dB above the channel's 25th-percentile
frame, about where the background's loud moments reach, so only the near talker passes;
a run must reach 3 dB above that gate and takes in the frames next to it down to 4 dB
below it (the near talker's quieter syllables).
Crosstalk: when a channel carries an echo of the other party (a copy, up to 120 ms late,
at a steady level 12 dB or more below theirs, confirmed by cross-correlation: a weak
line's own speech is not a copy), frames less than 6 dB above the echo level are not
speech. Hold: a channel that carries a steady sound (every 2 s varying by less than 4 dB,
no pauses) for 8 s or more is on hold (music); stretches of music less than 20 s apart on
one channel are one hold when the other party says nothing in between (a recorded message
between them). A hold that is only a recorded message, no music, is found by its
repetition: while the other party says nothing for 30 s or more, the channel's frame levels
repeat at one period (4-60 s), play after play, four plays or more (``_loop_holds``; a
customer saying one sentence two or three times is not on hold). What is said there is
neither party's talk, and the hold is no silence (``ListeningReport.holds``). Sample rates
WebRTC does not take (other than 8/16/32/48 kHz) are resampled to 8 or 16 kHz.

Real-room conditions (open-plan chatter, echo, weak lines, gain jumps, codecs, noise,
hold) are tested in ``tests/unit/listening/`` with ``tools/listening_conditions.py``.

Speed (one core, one-hour stereo 8 kHz call, measured with ``tools/listening_speed.py``):
analysis ~0.13 s (~25,000x real time); decoding the same hour takes ~0.2 s from 16-bit
WAV and ~4.5 s from Ogg Opus. With the real-room checks, on a loaded machine
(``bench/listening_robust_bench.py``, the demo hour and the same hour in an open-plan room
side by side): analysis 0.3-0.5 s clean and 0.6-0.8 s open-plan, (decode + analysis) /
decode 1.6 and 1.8.

Mono recordings (one channel, or two channels carrying the same audio) cannot tell the
parties apart: turns are labelled "mixed", long silences are computed, and every
agent/customer metric (talk times, talk share, overtalk, longest agent turn, interruptions,
backchannels, response gaps) is ``None`` in ``summary()`` (``None`` or empty in the report).
With a transcript that names the parties, ``scoring.listening_transcript`` gives them all.
"""

from __future__ import annotations

import bisect
import math
import os
import statistics
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from scoring.audio import READ_BLOCK_FRAMES, AudioStream

AGENT = "agent"
CUSTOMER = "customer"
MIXED = "mixed"

REPORT_VERSION = 2  # 2: holds

MERGE_GAP_S = 0.5
BACKCHANNEL_MAX_S = 1.0
INTERRUPTION_MIN_OVERLAP_S = 1.0
LONG_SILENCE_S = 3.0

SUMMARY_METRICS: tuple[str, ...] = (
    "talk_share",
    "longest_agent_turn",
    "overtalk",
    "interruptions",
    "backchannels",
    "response_gaps",
    "long_silences",
)
"""Keys of ``ListeningReport.summary()``, in display order."""

FRAME_MS = 30
WEBRTC_RATES = (8000, 16000, 32000, 48000)
VADS = ("webrtc", "energy", "silero")
GATE_MARGIN_DB = 6.0  # candidate speech: this far above the channel's noise floor
START_MARGIN_DB = 12.0  # energy VAD: a run must reach this far above the floor
SURE_MARGIN_DB = 30.0  # webrtc VAD: this far above the floor is speech without asking
ECHO_MARGIN_DB = 6.0  # crosstalk: a frame must beat the measured echo level by this much
ECHO_MIN_CORR = 0.3  # crosstalk: normalised cross-correlation that proves an echo
ECHO_MAX_LAG_S = 0.12  # crosstalk: echoes arrive up to this late
ECHO_BLOCK_FRAMES = 3  # crosstalk: correlated in blocks this long (frames) ...
ECHO_BLOCKS = 128  # ... this many, where the channel is quietest
MIN_GATE_DBFS = -55.0  # never call anything quieter than this speech
MIN_RUN_S = 0.09  # shorter voiced blips are clicks, not speech
# A call recording has one or two channels (some recorders add a few); an array with
# thousands is a transposed (channels, frames) array, and every channel costs a pass.
MAX_CHANNELS = 8
HOLD_MIN_S = 8.0  # hold: steady sound on one channel for at least this long ...
HOLD_WINDOW_S = 2.0  # ... every window this long of it ...
HOLD_MAX_STD_DB = 4.0  # ... varying less than this (frame level standard deviation)
HOLD_JOIN_S = 20.0  # holds this close on one channel, the other party silent, are one
LOOP_HOLD_MIN_S = 30.0  # message hold: the other party silent this long, at least ...
LOOP_MIN_PLAYS = 4  # ... while one recording plays this many times or more ...
LOOP_PERIOD_S = (4.0, 60.0)  # ... every this many seconds ...
LOOP_MIN_CORR = 0.5  # ... the stretch's level envelope correlating this well at the period
LOOP_MATCH_DB = 6.0  # a frame repeats when it is within this of the frame one period on
LOOP_MIN_ACTIVE = 0.3  # ... and this share of the repeats, at least, is sound, not silence
BACKGROUND_RANGE_DB = 35.0  # loud speech (p95) within this of the floor: background sound
CHATTER_MARGIN_DB = 9.0  # ... then speech must be this far above the frames' p25 level
CHATTER_JOIN_DB = 4.0  # ... and runs take in neighbouring frames down to this under it

Run = tuple[float, float]


@dataclass(frozen=True)
class Turn:
    """One party's turn: ``speaker`` is "agent", "customer" or "mixed" (mono)."""

    speaker: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Event:
    """A moment (``t_s``) and the party who caused it (``by``: "agent" | "customer")."""

    t_s: float
    by: str


@dataclass(frozen=True)
class Span:
    """A stretch of the recording, ``start_s`` to ``end_s``."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class ListeningReport:
    """Listening evidence for one call. Times in seconds; see the module docstring.

    ``channels`` is the number of channels analysed (1 = mono: party metrics are None).
    ``params`` records the thresholds used, so a stored report explains itself.
    """

    duration_s: float
    channels: int
    agent_talk_s: float | None
    customer_talk_s: float | None
    overtalk_s: float | None
    agent_talk_share: float | None
    turns: list[Turn] = field(default_factory=list)
    interruptions: list[Event] = field(default_factory=list)
    backchannels: list[Event] = field(default_factory=list)
    long_silences: list[Span] = field(default_factory=list)
    response_gaps_s: list[float] = field(default_factory=list)
    longest_agent_turn_s: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    holds: list[Span] = field(default_factory=list)

    @property
    def is_mono(self) -> bool:
        return self.channels < 2

    def summary(self) -> dict[str, float | int | None]:
        """The headline metrics, keyed by ``SUMMARY_METRICS``.

        talk_share (0..1), longest_agent_turn (s), overtalk (s), interruptions and
        backchannels (counts by the agent), response_gaps (median, s), long_silences
        (count). ``None`` when not measurable (mono, or nothing to measure).
        """
        mono = self.is_mono
        gaps = self.response_gaps_s
        return {
            "talk_share": None if mono else self.agent_talk_share,
            "longest_agent_turn": None if mono else self.longest_agent_turn_s,
            "overtalk": None if mono else self.overtalk_s,
            "interruptions": None if mono else sum(1 for e in self.interruptions if e.by == AGENT),
            "backchannels": None if mono else sum(1 for e in self.backchannels if e.by == AGENT),
            "response_gaps": None if mono or not gaps else round(float(statistics.median(gaps)), 3),
            "long_silences": len(self.long_silences),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (lists of dicts), for storage; inverse of ``from_dict``."""
        return {
            "version": REPORT_VERSION,
            "duration_s": self.duration_s,
            "channels": self.channels,
            "agent_talk_s": self.agent_talk_s,
            "customer_talk_s": self.customer_talk_s,
            "overtalk_s": self.overtalk_s,
            "agent_talk_share": self.agent_talk_share,
            "longest_agent_turn_s": self.longest_agent_turn_s,
            "turns": [
                {"speaker": t.speaker, "start_s": t.start_s, "end_s": t.end_s} for t in self.turns
            ],
            "interruptions": [{"t_s": e.t_s, "by": e.by} for e in self.interruptions],
            "backchannels": [{"t_s": e.t_s, "by": e.by} for e in self.backchannels],
            "long_silences": [{"start_s": s.start_s, "end_s": s.end_s} for s in self.long_silences],
            "response_gaps_s": list(self.response_gaps_s),
            "params": dict(self.params),
            "holds": [{"start_s": s.start_s, "end_s": s.end_s} for s in self.holds],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ListeningReport:
        """Rebuild a report from ``to_dict()`` output (e.g. after a JSON round trip)."""
        try:
            return cls(
                duration_s=float(data["duration_s"]),
                channels=int(data["channels"]),
                agent_talk_s=_opt_float(data.get("agent_talk_s")),
                customer_talk_s=_opt_float(data.get("customer_talk_s")),
                overtalk_s=_opt_float(data.get("overtalk_s")),
                agent_talk_share=_opt_float(data.get("agent_talk_share")),
                turns=[
                    Turn(str(t["speaker"]), float(t["start_s"]), float(t["end_s"]))
                    for t in data.get("turns", [])
                ],
                interruptions=[
                    Event(float(e["t_s"]), str(e["by"])) for e in data.get("interruptions", [])
                ],
                backchannels=[
                    Event(float(e["t_s"]), str(e["by"])) for e in data.get("backchannels", [])
                ],
                long_silences=[
                    Span(float(s["start_s"]), float(s["end_s"]))
                    for s in data.get("long_silences", [])
                ],
                response_gaps_s=[float(g) for g in data.get("response_gaps_s", [])],
                longest_agent_turn_s=_opt_float(data.get("longest_agent_turn_s")),
                params=dict(data.get("params", {})),
                holds=[Span(float(s["start_s"]), float(s["end_s"])) for s in data.get("holds", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a listening report: {exc!r}") from exc


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


# ---------------------------------------------------------------------------------------
# Step 2: speech runs -> report (pure)
# ---------------------------------------------------------------------------------------


def normalize_runs(runs: Iterable[Sequence[float]], duration_s: float) -> list[Run]:
    """Sort runs, clip them to [0, duration_s], drop empty ones and merge overlaps."""
    clipped = sorted((max(0.0, float(a)), min(float(duration_s), float(b))) for a, b in runs)
    out: list[list[float]] = []
    for a, b in clipped:
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def merge_runs(runs: Sequence[Run], merge_gap_s: float) -> list[Run]:
    """Join sorted, non-overlapping runs separated by less than ``merge_gap_s``."""
    out: list[list[float]] = []
    for a, b in runs:
        if out and a - out[-1][1] < merge_gap_s:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _total(runs: Sequence[Run]) -> float:
    return sum(b - a for a, b in runs)


def _overlap(a_runs: Sequence[Run], b_runs: Sequence[Run]) -> float:
    """Total overlap of two sorted, non-overlapping run lists (two-pointer sweep)."""
    i = j = 0
    total = 0.0
    while i < len(a_runs) and j < len(b_runs):
        lo = max(a_runs[i][0], b_runs[j][0])
        hi = min(a_runs[i][1], b_runs[j][1])
        if hi > lo:
            total += hi - lo
        if a_runs[i][1] < b_runs[j][1]:
            i += 1
        else:
            j += 1
    return total


def _containing(starts: list[float], turns: Sequence[Run], t: float) -> Run | None:
    """The turn of a sorted, non-overlapping list that is in progress at ``t`` (start < t)."""
    k = bisect.bisect_left(starts, t) - 1
    if k >= 0 and turns[k][1] > t:
        return turns[k]
    return None


def _classify(
    own: Sequence[Run],
    other: Sequence[Run],
    backchannel_max_s: float,
    interruption_min_overlap_s: float,
) -> tuple[list[bool], list[bool]]:
    """Per turn of ``own``: (is_backchannel, is_interruption) against ``other``."""
    starts = [a for a, _ in other]
    bc: list[bool] = []
    intr: list[bool] = []
    for a, b in own:
        host = _containing(starts, other, a)
        is_bc = host is not None and (b - a) < backchannel_max_s and b < host[1]
        is_int = not is_bc and host is not None and host[1] - a >= interruption_min_overlap_s
        bc.append(is_bc)
        intr.append(is_int)
    return bc, intr


def _response_gaps(customer: Sequence[Run], agent: Sequence[Run]) -> list[float]:
    """Gaps from each customer turn's end to the agent's next turn (backchannels removed)."""
    agent_starts = [a for a, _ in agent]
    gaps: list[float] = []
    for k, (c_start, c_end) in enumerate(customer):
        j = bisect.bisect_right(agent_starts, c_start)
        if j >= len(agent):
            break
        reply_start = agent_starts[j]
        if k + 1 < len(customer) and customer[k + 1][0] < reply_start:
            continue  # the customer spoke again before the agent answered
        gaps.append(round(reply_start - c_end, 3))
    return gaps


def _without(runs: Sequence[Run], holds: Sequence[Run]) -> list[Run]:
    """Sorted runs with the parts inside any of the sorted ``holds`` removed."""
    out: list[Run] = []
    for a, b in runs:
        pieces = [(a, b)]
        for h0, h1 in holds:
            pieces = [
                piece
                for p0, p1 in pieces
                for piece in ((p0, min(p1, h0)), (max(p0, h1), p1))
                if piece[1] > piece[0]
            ]
        out += pieces
    return out


def _silences(all_turns: Sequence[Run], long_silence_s: float) -> list[Span]:
    spans: list[Span] = []
    merged = normalize_runs(all_turns, math.inf)
    for (_, end), (nxt, _) in zip(merged, merged[1:], strict=False):
        if nxt - end >= long_silence_s:
            spans.append(Span(round(end, 3), round(nxt, 3)))
    return spans


def report_from_speech(
    agent_runs: Iterable[Sequence[float]],
    customer_runs: Iterable[Sequence[float]] | None,
    duration_s: float,
    *,
    merge_gap_s: float = MERGE_GAP_S,
    backchannel_max_s: float = BACKCHANNEL_MAX_S,
    interruption_min_overlap_s: float = INTERRUPTION_MIN_OVERLAP_S,
    long_silence_s: float = LONG_SILENCE_S,
    params: dict[str, Any] | None = None,
    hold_spans: Iterable[Sequence[float]] = (),
) -> ListeningReport:
    """Build the report from speech runs ``[(start_s, end_s), ...]`` per party.

    ``customer_runs=None`` means a mono recording: ``agent_runs`` then holds the mixed
    speech of both parties and only turns ("mixed") and long silences are computed.
    Runs may be unsorted or overlapping; they are clipped to ``[0, duration_s]``.
    ``hold_spans``: stretches on hold (music or a message): what either channel carries
    there is neither party's talk, and a hold is not a silence (it splits no turn; the
    time around it counts as silence only on its own).
    """
    holds = normalize_runs(hold_spans, duration_s)
    duration_s = float(duration_s)
    used = {
        "merge_gap_s": merge_gap_s,
        "backchannel_max_s": backchannel_max_s,
        "interruption_min_overlap_s": interruption_min_overlap_s,
        "long_silence_s": long_silence_s,
        **(params or {}),
    }

    def r3(x: float) -> float:  # millisecond precision for storage
        return round(float(x), 3)

    if customer_runs is None:
        mixed = merge_runs(_without(normalize_runs(agent_runs, duration_s), holds), merge_gap_s)
        return ListeningReport(
            duration_s=r3(duration_s),
            channels=1,
            agent_talk_s=None,
            customer_talk_s=None,
            overtalk_s=None,
            agent_talk_share=None,
            turns=[Turn(MIXED, r3(a), r3(b)) for a, b in mixed],
            long_silences=_silences([*mixed, *holds], long_silence_s),
            longest_agent_turn_s=None,
            params=used,
            holds=[Span(r3(a), r3(b)) for a, b in holds],
        )

    agent = merge_runs(_without(normalize_runs(agent_runs, duration_s), holds), merge_gap_s)
    customer = merge_runs(_without(normalize_runs(customer_runs, duration_s), holds), merge_gap_s)
    a_bc, a_int = _classify(agent, customer, backchannel_max_s, interruption_min_overlap_s)
    c_bc, c_int = _classify(customer, agent, backchannel_max_s, interruption_min_overlap_s)

    labelled = [(a, b, AGENT) for a, b in agent] + [(a, b, CUSTOMER) for a, b in customer]
    labelled.sort(key=lambda t: (t[0], t[1]))
    turns = [Turn(who, r3(a), r3(b)) for a, b, who in labelled]

    interruptions = [Event(r3(a), AGENT) for (a, _), f in zip(agent, a_int, strict=True) if f]
    interruptions += [
        Event(r3(a), CUSTOMER) for (a, _), f in zip(customer, c_int, strict=True) if f
    ]
    interruptions.sort(key=lambda e: e.t_s)
    backchannels = [Event(r3(a), AGENT) for (a, _), f in zip(agent, a_bc, strict=True) if f]
    backchannels += [Event(r3(a), CUSTOMER) for (a, _), f in zip(customer, c_bc, strict=True) if f]
    backchannels.sort(key=lambda e: e.t_s)

    agent_main = [t for t, f in zip(agent, a_bc, strict=True) if not f]
    customer_main = [t for t, f in zip(customer, c_bc, strict=True) if not f]

    agent_talk = _total(agent)
    customer_talk = _total(customer)
    both = agent_talk + customer_talk
    return ListeningReport(
        duration_s=r3(duration_s),
        channels=2,
        agent_talk_s=r3(agent_talk),
        customer_talk_s=r3(customer_talk),
        overtalk_s=r3(_overlap(agent, customer)),
        agent_talk_share=round(agent_talk / both, 4) if both > 0 else None,
        turns=turns,
        interruptions=interruptions,
        backchannels=backchannels,
        long_silences=_silences([*agent, *customer, *holds], long_silence_s),
        response_gaps_s=_response_gaps(customer_main, agent_main),
        longest_agent_turn_s=r3(max((b - a for a, b in agent), default=0.0)),
        params=used,
        holds=[Span(r3(a), r3(b)) for a, b in holds],
    )


# ---------------------------------------------------------------------------------------
# Step 1: voice activity per channel
# ---------------------------------------------------------------------------------------


def _frame_db(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """Mean power per frame in dBFS, shape (n_frames, channels); -100 for digital silence
    (and for frames with non-finite samples).

    Power is estimated from every second sample of each frame: as good for gating as the
    full sum, at half the cost.
    """
    n = samples.shape[0] // frame_len
    ch = samples.shape[1]
    rows = samples[: n * frame_len].reshape(n, frame_len * ch)  # a view: one frame per row
    step = 2 if frame_len >= 64 else 1
    power = np.empty((n, ch), dtype=np.float32)
    for c in range(ch):
        lane = rows[:, c :: ch * step]  # strided view; einsum reads it without a copy
        power[:, c] = np.einsum("ij,ij->i", lane, lane)
    power /= np.float32(rows.shape[1] // (ch * step) or 1)
    power += np.float32(1e-10)
    db = 10.0 * np.log10(power)
    db[~np.isfinite(db)] = -100.0  # frames holding NaN/inf samples count as silence
    return db


def _flags_to_runs(flags: np.ndarray, frame_s: float, min_run_s: float) -> list[Run]:
    """Runs of True frames -> [(start_s, end_s)], dropping runs shorter than min_run_s."""
    if flags.size == 0:
        return []
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[0::2], edges[1::2]
    keep = (ends - starts) * frame_s >= min_run_s
    return [
        (round(float(a) * frame_s, 3), round(float(b) * frame_s, 3))
        for a, b in zip(starts[keep], ends[keep], strict=True)
    ]


def _hysteresis(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Frames in a run of ``low`` that contains at least one ``high`` frame."""
    if not low.any():
        return low
    run_id = np.cumsum(np.concatenate(([True], low[1:] != low[:-1])))
    has_high = np.zeros(run_id[-1] + 1, dtype=bool)
    has_high[run_id[high & low]] = True
    return np.asarray(low & has_high[run_id], dtype=bool)


def _webrtc_flags(
    lane: np.ndarray, candidates: np.ndarray, sample_rate: int, vad: Any
) -> np.ndarray:
    """WebRTC VAD decisions for the candidate frames of one channel (others: False).

    ``lane``: (n_frames, frame_len) view of one channel's samples, float, +-1.0; ``vad``:
    the channel's ``webrtcvad.Vad`` (it adapts to what it has heard, so one per channel
    is carried from block to block).
    """
    idx = np.flatnonzero(candidates)
    flags = np.zeros(candidates.shape[0], dtype=bool)
    if idx.size == 0:
        return flags
    pcm = lane[idx]  # gather the candidate frames (a contiguous copy we may modify)
    pcm *= np.float32(32767.0)
    np.clip(pcm, -32768.0, 32767.0, out=pcm)
    buf = memoryview(pcm.astype("<i2").data).cast("B")  # bytes view, no copy
    nbytes = lane.shape[1] * 2
    is_speech = vad.is_speech
    flags[idx] = [is_speech(buf[k : k + nbytes], sample_rate) for k in range(0, len(buf), nbytes)]
    return flags


def _webrtc_pass(
    src: _Source, lv: _Levels, asks: dict[int, np.ndarray], mode: int
) -> dict[int, np.ndarray]:
    """WebRTC VAD on the frames ``asks[c]`` of each channel ``c``, in one pass over the
    audio (block by block; stops after the last frame asked about)."""
    import webrtcvad  # local: only this path needs the C extension

    n = lv.db.shape[0]
    flags = {c: np.zeros(n, dtype=bool) for c in asks}
    todo = {c: ask for c, ask in asks.items() if ask.any()}
    if not todo:
        return flags
    vads = {c: webrtcvad.Vad(mode) for c in todo}
    last = max(int(np.flatnonzero(ask)[-1]) for ask in todo.values())
    n_ch = src.channels
    for f0, block in _framed(src.blocks(), lv.frame_len):
        nb = block.shape[0] // lv.frame_len
        rows = block.reshape(nb, lv.frame_len * n_ch)
        for c, ask in todo.items():
            part = ask[f0 : f0 + nb]
            if part.any():
                flags[c][f0 : f0 + nb] = _webrtc_flags(rows[:, c::n_ch], part, lv.rate, vads[c])
        if f0 + nb > last:
            break
    return flags


def _silero_flags(lane: np.ndarray, rate: int, n_frames: int, frame_s: float) -> np.ndarray:
    """Silero VAD's decision (probability >= 0.5) for each of ``n_frames`` frames of one
    channel ``lane`` (float, ``rate`` Hz): the 32 ms window holding the frame's middle."""
    from scoring import silero  # local: onnxruntime is loaded only on this path

    probs = silero.speech_probability(silero.to_16k(lane, rate))
    window_s = silero.WINDOW / silero.RATE
    k = ((np.arange(n_frames) + 0.5) * frame_s / window_s).astype(np.int64)
    flags = np.zeros(n_frames, dtype=bool)
    ok = k < probs.shape[0]
    flags[ok] = probs[k[ok]] >= 0.5
    return flags


def _resample_for_webrtc(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    if sample_rate in WEBRTC_RATES:
        return samples, sample_rate
    from scipy.signal import resample_poly

    target = 8000 if sample_rate < 16000 else 16000
    ratio = Fraction(target, sample_rate)
    out = resample_poly(samples, ratio.numerator, ratio.denominator, axis=0)
    return out.astype(np.float32, copy=False), target


class _Source(Protocol):
    """Audio the analysis reads: whole blocks in order, short stretches, one lane."""

    rate: int
    channels: int

    def blocks(self) -> Iterator[np.ndarray]: ...

    def segments(self, spans: Sequence[tuple[int, int]]) -> list[np.ndarray]: ...

    def lane(self, c: int) -> np.ndarray: ...


class _ArraySource:
    """Decoded samples in memory (float32, (frames, channels)), as one block."""

    def __init__(self, x: np.ndarray, rate: int) -> None:
        self.x = x
        self.rate = rate
        self.channels = int(x.shape[1])

    def blocks(self) -> Iterator[np.ndarray]:
        yield self.x

    def segments(self, spans: Sequence[tuple[int, int]]) -> list[np.ndarray]:
        return [self.x[a:b] for a, b in spans]

    def lane(self, c: int) -> np.ndarray:
        return self.x[:, c]


class _StreamSource:
    """A recording decoded block by block (``scoring.audio.AudioStream``) each time it
    is read: memory is one block, whatever the length. With ``rate`` other than the
    file's, blocks and stretches are resampled on the way (``_resampled``), sample for
    sample as ``_resample_for_webrtc`` does to the whole recording."""

    def __init__(
        self,
        stream: AudioStream,
        on_block: Callable[[np.ndarray], None] | None = None,
        rate: int | None = None,
    ) -> None:
        self.stream = stream
        self.rate = rate or stream.rate
        self.channels = stream.channels
        self.on_block = on_block  # sees the first pass's blocks (as decoded)
        self.decoded = 0  # frames the last full pass decoded (at the file's rate)

    def _decoded(self) -> Iterator[np.ndarray]:
        on_block, self.on_block = self.on_block, None
        self.decoded = 0
        for block in self.stream.blocks():
            if on_block is not None:
                on_block(block)
            self.decoded += block.shape[0]
            yield block

    def blocks(self) -> Iterator[np.ndarray]:
        if self.rate == self.stream.rate:
            return self._decoded()
        return _resampled(self._decoded(), self.stream.rate, self.rate)

    def segments(self, spans: Sequence[tuple[int, int]]) -> list[np.ndarray]:
        if self.rate == self.stream.rate:
            return self.stream.segments(spans)
        from scipy.signal import resample_poly

        up, down = Fraction(self.rate, self.stream.rate).as_integer_ratio()
        pad = _resample_pad(up, down)
        wide = [
            (max(0, (a * down // up - pad) // down * down), b * down // up + pad + 1)
            for a, b in spans
        ]
        out = []
        for (a, b), (s, _), seg in zip(spans, wide, self.stream.segments(wide), strict=True):
            y = resample_poly(seg, up, down, axis=0)
            off = s * up // down
            out.append(np.asarray(y[a - off : b - off], dtype=np.float32))
        return out

    def lane(self, c: int) -> np.ndarray:  # Silero only: one channel, whole
        return np.concatenate([b[:, c] for b in self.stream.blocks()])


def _resample_pad(up: int, down: int) -> int:
    """Input samples either side that reach an output of ``resample_poly(x, up, down)``
    (its default filter has 10 zero crossings each side at the higher rate)."""
    return math.ceil(10 * max(up, down) / up) + 2


def _resampled(blocks: Iterable[np.ndarray], rate: int, target: int) -> Iterator[np.ndarray]:
    """``resample_poly`` of the concatenated ``blocks`` from ``rate`` to ``target`` Hz,
    a piece at a time: each piece is resampled with enough input either side (starting
    on a multiple of the decimation, so the output grid is the same), and equals the
    same samples of the whole recording resampled at once."""
    from scipy.signal import resample_poly

    up, down = Fraction(target, rate).as_integer_ratio()
    pad = _resample_pad(up, down)
    buf: np.ndarray | None = None
    start = 0  # input index of buf[0]
    j = 0  # next output index

    def emit(final: bool) -> np.ndarray | None:
        nonlocal buf, start, j
        assert buf is not None
        end = start + buf.shape[0]
        j1 = -(-end * up // down) if final else max(j, (end - pad) * up // down)
        if j1 <= j:
            return None
        s = max(0, ((j * down) // up - pad) // down * down)
        e = end if final else min(end, (j1 * down) // up + pad + 1)
        y = resample_poly(buf[s - start : e - start], up, down, axis=0)
        off = s * up // down
        piece = np.asarray(y[j - off : j1 - off], dtype=np.float32)
        j = j1
        keep = max(0, ((j * down) // up - pad) // down * down)
        if keep > start:
            buf, start = buf[keep - start :], keep
        return piece

    for block in blocks:
        buf = block if buf is None else np.concatenate([buf, block])
        piece = emit(False)
        if piece is not None:
            yield piece
    if buf is not None:
        piece = emit(True)
        if piece is not None:
            yield piece


def _framed(blocks: Iterable[np.ndarray], frame_len: int) -> Iterator[tuple[int, np.ndarray]]:
    """Re-cut blocks of any size into blocks of whole frames: ``(first frame, block)``;
    a last partial frame is left out (as ``_frame_db`` leaves it)."""
    carry: np.ndarray | None = None
    f0 = 0
    for b in blocks:
        if carry is not None and carry.shape[0]:
            b = np.concatenate([carry, b])
        n = b.shape[0] // frame_len
        if n:
            yield f0, np.ascontiguousarray(b[: n * frame_len], dtype=np.float32)
            f0 += n
        carry = b[n * frame_len :]


@dataclass
class _Levels:
    """Frame levels of a recording, ready for voice-activity decisions."""

    n_samples: int  # samples per channel (at ``rate``)
    rate: int  # Hz
    frame_len: int  # samples per frame
    db: np.ndarray  # (n_frames, channels) dBFS
    floor: np.ndarray  # (channels,) noise floor, dBFS
    gate: np.ndarray  # (channels,) below this a frame is silence, dBFS
    chatter: np.ndarray  # (channels,) bool: background sound behind the near talker

    def active(self, c: int) -> np.ndarray:
        return np.asarray(self.db[:, c] > self.gate[c], dtype=bool)


def _check_samples(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    if int(sample_rate) != sample_rate:
        raise ValueError(f"sample_rate must be a whole number of Hz, not {sample_rate}")
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (frames, channels), not {x.shape}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, not {sample_rate}")
    _check_channels(x.shape[1], f"samples of shape {x.shape}")
    return x


def _check_channels(n_ch: int, what: str) -> None:
    if n_ch > MAX_CHANNELS:
        raise ValueError(
            f"{what} have {n_ch} channels, more than the {MAX_CHANNELS} a call recording "
            "has; an array must be (frames, channels)"
        )


def _check_vad(vad: str, aggressiveness: int) -> None:
    if vad not in VADS:
        raise ValueError(f"vad must be one of {', '.join(VADS)}, not {vad!r}")
    if not 0 <= int(aggressiveness) <= 3:
        raise ValueError(f"aggressiveness must be 0..3, not {aggressiveness!r}")


def _levels(src: _Source) -> _Levels:
    """Frame levels from one pass over ``src`` (already at a rate WebRTC takes when that
    VAD is used), and the per-channel gates they give."""
    frame_len = max(1, int(round(src.rate * FRAME_MS / 1000)))
    n_samples = 0

    def counted() -> Iterator[np.ndarray]:
        nonlocal n_samples
        for block in src.blocks():
            n_samples += block.shape[0]
            yield block

    parts = [_frame_db(block, frame_len) for _, block in _framed(counted(), frame_len)]
    db = np.concatenate(parts) if parts else np.zeros((0, src.channels), dtype=np.float32)
    if db.shape[0]:
        floor, p25, p95 = np.percentile(db, [10, 25, 95], axis=0)
    else:
        floor = p25 = p95 = np.full(src.channels, -100.0)
    gate = np.maximum(floor + GATE_MARGIN_DB, MIN_GATE_DBFS)
    # Background sound behind the near talker (other voices in an open-plan room, babble,
    # noise): the channel's floor is within BACKGROUND_RANGE_DB of its loud speech (a
    # clean line has 45 dB or more). The background's loud moments sit about
    # CHATTER_MARGIN_DB above its lower quarter; the near talker is louder still.
    chatter = (p95 - floor) < BACKGROUND_RANGE_DB
    gate = np.where(chatter, np.maximum(gate, p25 + CHATTER_MARGIN_DB), gate)
    return _Levels(n_samples, src.rate, frame_len, db, floor, gate, chatter)


def _runs(
    lv: _Levels,
    src: _Source,
    channels: Sequence[int],
    vad: str,
    aggressiveness: int,
    min_run_s: float,
    crosstalk: bool,
) -> list[list[Run]]:
    """Speech runs for each of ``channels`` (the others are ignored). The audio is read
    once more only for what the levels cannot settle: stretches for the echo check, and
    (WebRTC) one pass for the frames between the gates."""
    n = lv.db.shape[0]
    frame_s = lv.frame_len / lv.rate
    if n == 0:
        return [[] for _ in channels]
    plan: list[tuple[int, np.ndarray, np.ndarray | None, np.ndarray]] = []
    for c in channels:
        level = lv.db[:, c]
        candidates = level > lv.gate[c]
        others = [o for o in channels if o != c]
        echo = _echo_frames(lv, src, c, others) if crosstalk and others else None
        if echo is not None:
            candidates &= ~echo
        sure = candidates & (level > float(lv.floor[c]) + SURE_MARGIN_DB)
        plan.append((c, candidates, echo, sure))
    asked: dict[int, np.ndarray] = {}
    if vad == "webrtc":
        asked = _webrtc_pass(
            src, lv, {c: cand & ~sure for c, cand, _, sure in plan}, aggressiveness
        )
    out: list[list[Run]] = []
    for c, candidates, echo, sure in plan:
        level = lv.db[:, c]
        if vad == "energy":
            floor = float(lv.floor[c])
            start = max(floor + START_MARGIN_DB, MIN_GATE_DBFS, float(lv.gate[c]) + 3.0)
            flags = _hysteresis(candidates, level > start)
        elif vad == "silero":
            flags = (candidates & _silero_flags(src.lane(c), lv.rate, n, frame_s)) | sure
        else:
            flags = asked[c] | sure
        if lv.chatter[c]:
            # Behind background sound: speech runs must reach 3 dB over the gate (a lone
            # loud moment of the background does not), and take in the near talker's
            # quieter frames next to them, down to CHATTER_JOIN_DB under the gate.
            low = level > float(lv.gate[c]) - CHATTER_JOIN_DB
            if echo is not None:
                low &= ~echo
            flags = _hysteresis(low | flags, flags & (level > float(lv.gate[c]) + 3.0))
        out.append(_flags_to_runs(flags, frame_s, min_run_s))
    return out


def _echo_lag(
    lv: _Levels, src: _Source, c: int, o: int, pick: np.ndarray
) -> tuple[int, float, float]:
    """Cross-correlate channel ``c`` with channel ``o`` over the frames ``pick``.

    Returns ``(lag, gain, corr)``: ``c`` ~ ``gain * o`` delayed by ``lag`` samples
    (0..``ECHO_MAX_LAG_S``), and the normalised correlation at that lag (about 1 for a
    pure echo, 0 for unrelated speech). Blocks of ``ECHO_BLOCK_FRAMES`` frames from the
    ``ECHO_BLOCKS`` picked frames
    where ``c`` is quietest; cross-spectra summed (FFT), so the cost is fixed.
    """
    fl = lv.frame_len
    max_lag = int(ECHO_MAX_LAG_S * lv.rate)
    block = ECHO_BLOCK_FRAMES * fl
    idx = np.flatnonzero(pick)
    idx = idx[(idx * fl >= max_lag) & (idx * fl + block <= lv.n_samples)]
    if idx.size == 0:
        return 0, 0.0, 0.0
    # the quietest picked frames: the purest echo, least covered by c's own speech
    idx = np.sort(idx[np.argsort(lv.db[idx, c], kind="stable")[:ECHO_BLOCKS]])
    n_fft = 1 << int(np.ceil(np.log2(block + max_lag)))
    cross = np.zeros(n_fft // 2 + 1, dtype=np.complex128)
    energy_c = energy_o = 0.0
    spans = [(int(k) * fl - max_lag, int(k) * fl + block) for k in idx]
    for seg in src.segments(spans):
        seg_c = seg[max_lag:, c].astype(np.float64)
        seg_o = seg[:, o].astype(np.float64)
        cross += np.fft.rfft(seg_o, n_fft) * np.conj(np.fft.rfft(seg_c, n_fft))
        energy_c += float(seg_c @ seg_c)
        energy_o += float(seg_o[max_lag:] @ seg_o[max_lag:])
    xc = np.fft.irfft(cross, n_fft)[: max_lag + 1][::-1]  # xc[d] = sum c(t) o(t - d)
    lag = int(np.argmax(np.abs(xc)))
    if energy_c <= 0 or energy_o <= 0:
        return 0, 0.0, 0.0
    corr = float(abs(xc[lag]) / math.sqrt(energy_c * energy_o))
    return lag, float(abs(xc[lag]) / energy_o), corr


def _delayed_db(db: np.ndarray, frames: float) -> np.ndarray:
    """Frame levels (dB) of a signal delayed by ``frames`` (fractional) frames: each
    frame's power is the mix of the two frames it now straddles."""
    whole = int(frames)
    part = frames - whole
    power = np.power(np.float32(10.0), db.astype(np.float32) / np.float32(10.0))
    moved = np.full(db.shape[0], np.float32(1e-10), dtype=np.float32)
    if whole < db.shape[0]:
        moved[whole:] = power[: db.shape[0] - whole] * np.float32(1 - part)
        moved[whole + 1 :] += power[: max(0, db.shape[0] - whole - 1)] * np.float32(part)
    return np.asarray(10.0 * np.log10(moved), dtype=np.float32)


def _echo_frames(lv: _Levels, src: _Source, c: int, others: Sequence[int]) -> np.ndarray:
    """Frames of channel ``c`` that are only the other party's echo (crosstalk).

    An echo is a copy of the other party, a little late and at a fixed level below it.
    Over the frames where the other party is loud and channel ``c`` is active: the
    cross-correlation (``_echo_lag``) gives the delay (0..``ECHO_MAX_LAG_S``); with the
    other party's levels moved by that delay, the level differences pile up around one
    value, the coupling (a 7 dB window holding the most frames, -12 dB or lower). The
    frames within 3 dB of it must then correlate with the other party (normalised, at
    least ``ECHO_MIN_CORR``): a weak line's own speech at a steady level below the other
    party does not. Frames less than ``ECHO_MARGIN_DB`` above the delayed level plus the
    coupling are echo. Otherwise: all False.
    """
    none = np.zeros(lv.db.shape[0], dtype=bool)
    echo = none.copy()
    for o in others:
        loud = lv.db[:, o] > lv.floor[o] + SURE_MARGIN_DB
        pick = loud & lv.active(c)
        if int(pick.sum()) < 20:
            continue
        lag, _, _ = _echo_lag(lv, src, c, o, pick)
        other_db = _delayed_db(lv.db[:, o], lag / lv.frame_len)
        # the coupling: where the level differences of aligned frames pile up
        diff = (lv.db[:, c] - other_db)[pick]
        counts, _ = np.histogram(diff, bins=70, range=(-70.0, 0.0))  # 1 dB bins
        window = np.convolve(counts, np.ones(7), mode="same")  # +-3 dB around each bin
        peak = int(np.argmax(window))
        coupling = -70.0 + peak + 0.5
        if coupling > -12.0:
            continue
        near = pick & (np.abs(lv.db[:, c] - other_db - coupling) <= 3.0)
        if int(near.sum()) < 10 or _echo_lag(lv, src, c, o, near)[2] < ECHO_MIN_CORR:
            continue  # the frames at that offset are not a copy of the other party
        echo |= lv.db[:, c] < other_db + coupling + ECHO_MARGIN_DB
    return echo


def _hold_runs(lv: _Levels, c: int, min_hold_s: float) -> list[Run]:
    """Stretches of channel ``c`` carrying hold music: at least ``min_hold_s`` long,
    where every 2 s window is at least 95% active and its frame levels vary by less than
    ``HOLD_MAX_STD_DB`` (standard deviation). Speech rises and falls by syllable and
    stops between words (10 dB or more); music runs on at a steady level. Rolling sums,
    so the cost is a few passes over the frame levels."""
    n = lv.db.shape[0]
    frame_s = lv.frame_len / lv.rate
    w = int(round(HOLD_WINDOW_S / frame_s))
    if n < w or min_hold_s <= 0:
        return []
    level = lv.db[:, c].astype(np.float64)
    act = lv.active(c).astype(np.float64)

    def rolling(v: np.ndarray) -> np.ndarray:
        cs = np.concatenate(([0.0], np.cumsum(v)))
        return np.asarray((cs[w:] - cs[:-w]) / w)

    mean = rolling(level)
    var = rolling(level * level) - mean * mean
    steady = (rolling(act) >= 0.95) & (var < HOLD_MAX_STD_DB**2)
    edges = np.zeros(n + 1, dtype=np.int64)  # a steady window marks all its frames
    starts = np.flatnonzero(steady)
    np.add.at(edges, starts, 1)
    np.add.at(edges, starts + w, -1)
    flags = np.cumsum(edges[:n]) > 0
    return _flags_to_runs(flags, frame_s, min_hold_s)


def _join_holds(holds: Sequence[Run], others: Sequence[Run], join_s: float) -> list[Run]:
    """Join a channel's hold stretches less than ``join_s`` apart when the other party
    says nothing in between: a recorded message between two stretches of music ("your
    call is important to us") is part of the hold. ``others``: the other party's runs."""
    out: list[list[float]] = []
    for a, b in holds:
        if (
            out
            and a - out[-1][1] < join_s
            and not any(r0 < a and r1 > out[-1][1] for r0, r1 in others)
        ):
            out[-1][1] = b
        else:
            out.append([a, b])
    return [(x, y) for x, y in out]


def _quiet_stretches(others: Sequence[Run], duration_s: float, min_s: float) -> list[Run]:
    """Stretches at least ``min_s`` long in which none of ``others`` (runs) is speaking."""
    edges = [0.0]
    out: list[Run] = []
    for a, b in normalize_runs(others, duration_s):
        if a - edges[-1] >= min_s:
            out.append((edges[-1], a))
        edges.append(b)
    if duration_s - edges[-1] >= min_s:
        out.append((edges[-1], duration_s))
    return out


def _loop_period(e: np.ndarray, lo: int, hi: int) -> int | None:
    """The period (frames, ``lo``..``hi``) at which the envelope ``e`` repeats itself, or
    None: the shortest lag whose normalised autocorrelation comes within 0.1 of the best
    one, which must reach ``LOOP_MIN_CORR`` (a loop correlates at every multiple of its
    period too; speech before and after the hold in the same stretch lowers the figure,
    so the repeats themselves are checked frame by frame afterwards)."""
    x = e - e.mean()
    n = x.shape[0]
    hi = min(hi, n - 1)
    if hi < lo:
        return None
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    ac = np.fft.irfft(spec * np.conj(spec), size)[: hi + 1]
    sq = np.concatenate(([0.0], np.cumsum(x * x)))
    lags = np.arange(lo, hi + 1)
    head = sq[n - lags]  # sum of x(t)^2, t < n - lag
    tail = sq[n] - sq[lags]  # sum of x(t)^2, t >= lag
    r = ac[lags] / np.sqrt(np.maximum(head * tail, 1e-12))
    best = float(r.max())
    if best < LOOP_MIN_CORR:
        return None
    good = np.flatnonzero(r >= max(LOOP_MIN_CORR, best - 0.1))
    k = int(good[0])  # the first lag of that group; its local peak is the period
    while k + 1 < r.shape[0] and r[k + 1] > r[k]:
        k += 1
    return int(lags[k])


def _loop_holds(lv: _Levels, c: int, others: Sequence[Run]) -> list[Run]:
    """Holds that are only a recorded message (no music) on channel ``c``: while the
    other party (``others``, their speech runs) is silent for ``LOOP_HOLD_MIN_S`` or
    more, one recording plays again and again. Found by repetition: the stretch's frame
    levels (silence floored at the gate) correlate with themselves at one period
    (``LOOP_PERIOD_S``), frames within ``LOOP_MATCH_DB`` of the frame one period later
    mark both as a repeat (over 1 s, 80 % of the frames), and the repeats must cover
    ``LOOP_MIN_PLAYS`` plays or more, ``LOOP_MIN_ACTIVE`` of it sound: a customer saying
    the same sentence two or three times is not on hold, nor is silence. The hold runs
    from the first to the last active frame of the repeats."""
    frame_s = lv.frame_len / lv.rate
    n = lv.db.shape[0]
    gate = float(lv.gate[c])
    lo, hi = (int(round(p / frame_s)) for p in LOOP_PERIOD_S)
    w = max(1, int(round(1.0 / frame_s)))
    out: list[Run] = []
    for g0, g1 in _quiet_stretches(others, n * frame_s, LOOP_HOLD_MIN_S):
        a, b = int(g0 / frame_s), min(n, int(math.ceil(g1 / frame_s)))
        e = np.maximum(lv.db[a:b, c], gate).astype(np.float64)
        if not (e > gate).any():
            continue
        period = _loop_period(e, lo, min(hi, e.shape[0] // (LOOP_MIN_PLAYS - 1)))
        if period is None:
            continue
        same = np.abs(e[:-period] - e[period:]) <= LOOP_MATCH_DB
        cs = np.concatenate(([0.0], np.cumsum(same)))
        mean = (cs[w:] - cs[:-w]) / w  # rolling over 1 s
        rep = np.zeros(same.shape[0], dtype=bool)
        rep[w // 2 : w // 2 + mean.shape[0]] = mean >= 0.8
        looped = np.zeros(e.shape[0], dtype=bool)
        looped[:-period] |= rep
        looped[period:] |= rep
        for r0, r1 in _flags_to_runs(looped, 1.0, 0.0):
            i0, i1 = int(r0), int(r1)
            if i1 - i0 < (LOOP_MIN_PLAYS - 0.5) * period:
                continue
            active = np.flatnonzero(e[i0:i1] > gate)
            if active.size >= LOOP_MIN_ACTIVE * (i1 - i0):
                start, end = a + i0 + int(active[0]), a + i0 + int(active[-1]) + 1
                out.append((round(start * frame_s, 3), round(end * frame_s, 3)))
    return out


def _looks_mono(lv: _Levels, a: int, b: int) -> bool:
    """True when channels ``a`` and ``b`` carry the same signal (mono saved as stereo):
    most active frames are active on both, at a steady level difference within 10 dB."""
    act_a, act_b = lv.active(a), lv.active(b)
    both = act_a & act_b
    n_both = int(both.sum())
    if n_both < 20 or n_both < 0.5 * int((act_a | act_b).sum()):
        return False
    diff = lv.db[both, a] - lv.db[both, b]
    offset = float(np.median(diff))
    return abs(offset) <= 10.0 and float(np.mean(np.abs(diff - offset) < 3.0)) >= 0.9


def _array_source(samples: np.ndarray, sample_rate: int, vad: str) -> _Source:
    x = np.ascontiguousarray(samples, dtype=np.float32)
    if vad == "webrtc":
        x, sample_rate = _resample_for_webrtc(x, sample_rate)
    return _ArraySource(x, int(sample_rate))


def detect_speech(
    samples: np.ndarray,
    sample_rate: int,
    *,
    vad: str = "webrtc",
    aggressiveness: int = 2,
    min_run_s: float = MIN_RUN_S,
    crosstalk: bool = True,
) -> list[list[Run]]:
    """Speech runs per channel: ``[[(start_s, end_s), ...] per channel]``.

    ``samples``: float array (frames, channels) or (frames,), full scale +-1.0;
    ``sample_rate`` in Hz. ``vad``: "webrtc" (energy gate + WebRTC VAD with
    ``aggressiveness`` 0-3), "energy" (numpy-only hysteresis, faster) or "silero" (energy
    gate + Silero VAD, slower; see the module docstring). ``crosstalk``:
    measure and ignore the other party's echo on a channel (see the module docstring).
    """
    _check_vad(vad, aggressiveness)
    x = _check_samples(samples, sample_rate)
    src = _array_source(x, int(sample_rate), vad)
    lv = _levels(src)
    return _runs(lv, src, range(x.shape[1]), vad, aggressiveness, min_run_s, crosstalk)


def analyze(
    samples: np.ndarray,
    sample_rate: int,
    agent_channel: int = 0,
    *,
    merge_gap_s: float = MERGE_GAP_S,
    backchannel_max_s: float = BACKCHANNEL_MAX_S,
    interruption_min_overlap_s: float = INTERRUPTION_MIN_OVERLAP_S,
    long_silence_s: float = LONG_SILENCE_S,
    vad: str = "webrtc",
    aggressiveness: int = 2,
    crosstalk: bool = True,
    hold_min_s: float = HOLD_MIN_S,
) -> ListeningReport:
    """Analyse decoded audio: ``samples`` float (frames, channels), ``sample_rate`` Hz.

    Stereo: ``agent_channel`` is the agent, the other channel(s) the customer. One channel,
    or channels carrying the same signal, is analysed as mono. Silence gives an empty
    report. Thresholds: see the module docstring; ``vad``, ``aggressiveness`` and
    ``crosstalk``: see ``detect_speech``. Hold music on any channel, at least
    ``hold_min_s`` long (0 turns the check off), becomes the report's ``holds``.
    """
    _check_vad(vad, aggressiveness)
    x = _check_samples(samples, sample_rate)
    n_frames, n_ch = x.shape
    if n_ch >= 2 and not 0 <= agent_channel < n_ch:
        raise ValueError(f"agent_channel {agent_channel} is not one of the {n_ch} channels")
    src = _array_source(x, int(sample_rate), vad)
    return _analyze(
        src,
        n_frames / int(sample_rate),
        agent_channel,
        merge_gap_s=merge_gap_s,
        backchannel_max_s=backchannel_max_s,
        interruption_min_overlap_s=interruption_min_overlap_s,
        long_silence_s=long_silence_s,
        vad=vad,
        aggressiveness=aggressiveness,
        crosstalk=crosstalk,
        hold_min_s=hold_min_s,
    )


def _analyze(
    src: _Source,
    duration_s: float | Callable[[], float],
    agent_channel: int,
    *,
    merge_gap_s: float,
    backchannel_max_s: float,
    interruption_min_overlap_s: float,
    long_silence_s: float,
    vad: str,
    aggressiveness: int,
    crosstalk: bool,
    hold_min_s: float,
) -> ListeningReport:
    """``analyze`` on a source; ``duration_s`` may be a function, called once the levels'
    pass has read the source (a stream's length is known only then)."""
    _check_channels(src.channels, "the recording's samples")
    thresholds = {
        "merge_gap_s": merge_gap_s,
        "backchannel_max_s": backchannel_max_s,
        "interruption_min_overlap_s": interruption_min_overlap_s,
        "long_silence_s": long_silence_s,
    }
    params: dict[str, Any] = {
        "vad": vad,
        "aggressiveness": aggressiveness,
        "crosstalk": crosstalk,
        "agent_channel": agent_channel,
        "hold_min_s": hold_min_s,
    }
    lv = _levels(src)
    if callable(duration_s):
        duration_s = duration_s()
    n_ch = src.channels
    others = [c for c in range(n_ch) if c != agent_channel]
    if n_ch >= 2 and all(_looks_mono(lv, agent_channel, c) for c in others):
        params["note"] = "channels carry the same audio: analysed as mono"
        n_ch, others = 1, []
    if n_ch == 1:
        mono_channel = agent_channel if src.channels >= 2 else 0
        (mono_runs,) = _runs(lv, src, [mono_channel], vad, aggressiveness, MIN_RUN_S, False)
        mono_holds = _hold_runs(lv, mono_channel, hold_min_s)
        return report_from_speech(
            mono_runs, None, duration_s, params=params, hold_spans=mono_holds, **thresholds
        )
    runs = _runs(lv, src, [agent_channel, *others], vad, aggressiveness, MIN_RUN_S, crosstalk)
    customer = [r for ch_runs in runs[1:] for r in ch_runs]
    holds: list[Run] = []
    for k, c in enumerate((agent_channel, *others)):
        quiet_party = [r for j, ch_runs in enumerate(runs) if j != k for r in ch_runs]
        holds += _join_holds(_hold_runs(lv, c, hold_min_s), quiet_party, HOLD_JOIN_S)
        if hold_min_s > 0:
            holds += _loop_holds(lv, c, quiet_party)
    return report_from_speech(
        runs[0], customer, duration_s, params=params, hold_spans=holds, **thresholds
    )


def analyze_file(
    path: str | os.PathLike[str],
    agent_channel: int = 0,
    *,
    max_duration_s: float | None = None,
    block_frames: int = READ_BLOCK_FRAMES,
    on_block: Callable[[np.ndarray], None] | None = None,
    merge_gap_s: float = MERGE_GAP_S,
    backchannel_max_s: float = BACKCHANNEL_MAX_S,
    interruption_min_overlap_s: float = INTERRUPTION_MIN_OVERLAP_S,
    long_silence_s: float = LONG_SILENCE_S,
    vad: str = "webrtc",
    aggressiveness: int = 2,
    crosstalk: bool = True,
    hold_min_s: float = HOLD_MIN_S,
) -> ListeningReport:
    """``analyze`` a recording, decoded in blocks of ``block_frames`` (see
    ``scoring.audio.AudioStream``; never past ``max_duration_s``) and never held whole:
    the report is the one ``analyze`` gives on the whole decoded array.

    One pass computes the frame levels (``on_block``, if given, sees every decoded block
    of that pass in order, e.g. for a waveform); the echo check decodes its few short
    stretches; WebRTC's pass decodes again up to the last frame it is asked about. Memory:
    one block plus some 10 bytes per 30 ms frame and channel (about 10 MB for 4 h of
    stereo). A sample rate WebRTC does not take (not 8/16/32/48 kHz) is resampled block by
    block. One exception holds one channel whole: ``vad="silero"``.

    Raises ``scoring.audio.AudioProblem`` when the file cannot be used or is too long.
    """
    _check_vad(vad, aggressiveness)
    kw: dict[str, Any] = {
        "merge_gap_s": merge_gap_s,
        "backchannel_max_s": backchannel_max_s,
        "interruption_min_overlap_s": interruption_min_overlap_s,
        "long_silence_s": long_silence_s,
        "vad": vad,
        "aggressiveness": aggressiveness,
        "crosstalk": crosstalk,
        "hold_min_s": hold_min_s,
    }
    stream = AudioStream(path, block_frames=block_frames, max_duration_s=max_duration_s)
    n_ch = stream.channels
    if n_ch >= 2 and not 0 <= agent_channel < n_ch:
        raise ValueError(f"agent_channel {agent_channel} is not one of the {n_ch} channels")
    target = None
    if vad == "webrtc" and stream.rate not in WEBRTC_RATES:
        target = 8000 if stream.rate < 16000 else 16000
    src = _StreamSource(stream, on_block, target)
    return _analyze(src, lambda: src.decoded / stream.rate, agent_channel, **kw)
