"""Real-room conditions for the listening tests: each takes a clean fixture call and its
truth and returns the call as it would sound in a contact centre, with the truth that
still holds (issue 19).

The clean calls are the committed fixtures in tests/fixtures/listening/ (espeak-ng turns
placed at known times, made by tools/make_listening_fixtures.py). Everything here is
numpy on those samples, or a round trip through a codec written by soundfile
(libsndfile), so a condition is deterministic and takes well under a second: the tests
build them into memory or a tmp folder at run time. The only extra committed audio is
``background_voices.ogg`` (three espeak-ng voices talking without a break, one per
channel), made by ``python tools/listening_conditions.py``, and ``hold_message.ogg`` (a
recorded hold message), made by ``python tools/listening_conditions.py hold_message``.

``CONDITIONS`` maps a condition name to a function ``() -> Case``; ``Case.samples`` is
float32 (frames, channels) at ``Case.rate`` Hz, ``Case.truth`` the report (as
``ListeningReport.to_dict()``) computed from the exact placed speech.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy.signal import lfilter, resample_poly

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "listening"
BACKGROUND = FIXTURES / "background_voices.ogg"
HOLD_MESSAGE = FIXTURES / "hold_message.ogg"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scoring.audio import read_audio  # noqa: E402
from scoring.listening import report_from_speech  # noqa: E402


@dataclass
class Case:
    """One condition: audio, who is where, and the truth."""

    name: str
    samples: np.ndarray  # float32 (frames, channels), +-1.0
    rate: int  # Hz
    truth: dict[str, Any]  # ListeningReport.to_dict() of the exact timing
    agent_channel: int = 0
    hold: list[tuple[float, float]] = field(default_factory=list)  # true hold spans, s
    note: str = ""
    kbps: int = 0  # a lossy codec's bit rate reached, kbit/s (whole stream)


def load(name: str) -> tuple[np.ndarray, int, dict[str, Any]]:
    """A clean fixture: samples (frames, 2) float32, rate, and its truth JSON."""
    truth = json.loads((FIXTURES / f"{name}.json").read_text())
    samples, rate = read_audio(FIXTURES / truth["file"])
    return samples.astype(np.float32), rate, truth


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-12))


def _speech_level_db(channel: np.ndarray, runs: list[list[float]], rate: int) -> float:
    """Mean power (dBFS) of ``channel`` over the placed speech ``runs``."""
    parts = [channel[int(a * rate) : int(b * rate)] for a, b in runs]
    return _db(np.concatenate(parts)) if parts else -100.0


def _scaled_to(noise: np.ndarray, level_db: float) -> np.ndarray:
    return (noise * 10 ** ((level_db - _db(noise)) / 20)).astype(np.float32)


def _loop(x: np.ndarray, n: int, offset: int = 0) -> np.ndarray:
    reps = int(np.ceil((n + offset) / x.shape[0])) + 1
    return np.concatenate([x] * reps)[offset : offset + n]


def pink_noise(n: int, seed: int) -> np.ndarray:
    """Pink (1/f) noise, ``n`` samples, unit-less (Kellet's filter on white noise)."""
    white = np.random.default_rng(seed).normal(0, 1, n + 4000)
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    return np.asarray(lfilter(b, a, white)[4000:], dtype=np.float32)


def background_voices(n: int, rate: int, offset_s: float = 0.0) -> np.ndarray:
    """The committed chatter of three other voices, (n, 3), looped to ``n`` samples."""
    x, src = sf.read(BACKGROUND, dtype="float32", always_2d=True)
    if src != rate:
        x = resample_poly(x, rate, src, axis=0).astype(np.float32)
    return np.stack(
        [_loop(x[:, k], n, int((offset_s + 7.3 * k) * rate)) for k in range(x.shape[1])], axis=1
    )


def hold_music(n: int, rate: int) -> np.ndarray:
    """Hold music: a looped four-chord progression of soft sine tones, 2 s per chord."""
    t = np.arange(n) / rate
    chords = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6),
              (196.0, 246.9, 293.7)]  # fmt: skip
    out = np.zeros(n, dtype=np.float64)
    per = int(2.0 * rate)
    for k in range(0, n, per):
        seg = slice(k, min(n, k + per))
        env = np.minimum(1.0, np.minimum(t[seg] - t[k], t[seg][-1] - t[seg] + 0.05) * 20)
        for f in chords[(k // per) % 4]:
            out[seg] += env * np.sin(2 * np.pi * f * t[seg])
        out[seg] += 0.5 * env * np.sin(2 * np.pi * 2 * chords[(k // per) % 4][2] * t[seg])
    return out.astype(np.float32)


def _case(name: str, base: str, samples: np.ndarray, rate: int, truth: dict[str, Any],
          note: str) -> Case:  # fmt: skip
    return Case(name, samples.astype(np.float32), rate, truth["report"], note=f"{base}: {note}")


# --- conditions --------------------------------------------------------------------------


def open_plan(base: str = "interruption", below_db: float = 15.0) -> Case:
    """Three other voices talking without a break on the agent's channel, together
    ``below_db`` under the agent's speech level."""
    x, rate, truth = load(base)
    chatter = background_voices(x.shape[0], rate).sum(axis=1)
    agent_db = _speech_level_db(x[:, 0], truth["runs"]["agent"], rate)
    x = x.copy()
    x[:, 0] += _scaled_to(chatter, agent_db - below_db)
    return _case("open-plan chatter", base, x, rate, truth, f"3 voices {below_db:.0f} dB below")


def echo(base: str = "backchannels", echo_db: float = -25.0, delay_ms: float = 50.0,
         both_ways: bool = True, onto: int = 1) -> Case:  # fmt: skip
    """A party's voice on the other's channel (``onto``; or each on the other's),
    ``echo_db`` down and ``delay_ms`` late."""
    x, rate, truth = load(base)
    d = int(delay_ms * rate / 1000)
    g = np.float32(10 ** (echo_db / 20))
    y = x.copy()
    y[d:, onto] += g * x[:-d, 1 - onto]
    if both_ways:
        y[d:, 1 - onto] += g * x[:-d, onto]
    how = "both ways" if both_ways else ("agent on customer" if onto else "customer on agent")
    return _case(f"echo {echo_db:.0f} dB {delay_ms:.0f} ms", base, y, rate, truth, how)


def weak_line(base: str = "interruption", channel: int = 1, down_db: float = 18.0) -> Case:
    """One party ``down_db`` quieter than the other."""
    x, rate, truth = load(base)
    y = x.copy()
    y[:, channel] *= np.float32(10 ** (-down_db / 20))
    who = "customer" if channel == 1 else "agent"
    return _case(f"weak {who} -{down_db:.0f} dB", base, y, rate, truth, "one party quieter")


def gain_jumps(base: str = "backchannels") -> Case:
    """Automatic gain control: both channels' gain jumps by -12..+6 dB every 4-7 s."""
    x, rate, truth = load(base)
    rng = np.random.default_rng(19)
    y = x.copy()
    for c in range(2):
        k = 0
        while k < y.shape[0]:
            length = int(rng.uniform(4.0, 7.0) * rate)
            y[k : k + length, c] *= np.float32(10 ** (rng.uniform(-12.0, 6.0) / 20))
            k += length
    return _case("gain jumps", base, np.clip(y, -1, 1), rate, truth, "AGC steps -12..+6 dB")


def noise(base: str = "interruption", kind: str = "pink", below_db: float = 15.0) -> Case:
    """Pink or babble noise on both channels, ``below_db`` under each party's speech."""
    x, rate, truth = load(base)
    n = x.shape[0]
    y = x.copy()
    for c, who in enumerate(("agent", "customer")):
        level = _speech_level_db(x[:, c], truth["runs"][who], rate)
        if kind == "pink":
            raw = pink_noise(n, seed=c + 1)
        else:  # babble: all three voices, from another point, on each channel
            raw = background_voices(n, rate, offset_s=11.0 * (c + 1)).sum(axis=1)
        y[:, c] += _scaled_to(raw, level - below_db)
    return _case(f"{kind} noise -{below_db:.0f} dB", base, y, rate, truth, "both channels")


def codec(base: str = "interruption", how: str = "ULAW", rate_out: int = 8000,
          kbps: int = 0) -> Case:  # fmt: skip
    """A round trip through a file: WAV ``how`` (ULAW, ALAW, PCM_16, GSM610 - one mono
    file per channel, as GSM 6.10 in WAV is mono: libsndfile refuses to write or read a
    stereo GSM WAV), or one stereo file, MP3 or Ogg OPUS, at ``kbps`` for the whole
    stereo stream, at ``rate_out`` Hz. The label and ``Case.kbps`` give the rate
    reached."""
    x, rate, truth = load(base)
    if rate_out != rate:
        x = resample_poly(x, rate_out, rate, axis=0).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "call"
        kw: dict[str, Any]
        if how == "GSM610":
            lanes = []
            for c in range(x.shape[1]):
                lane_file = path.with_suffix(f".{c}.wav")
                sf.write(lane_file, x[:, c], rate_out, subtype="GSM610")
                lane, got = read_audio(lane_file)
                lanes.append(lane[:, 0])
            n = min(len(lane) for lane in lanes)
            y = np.stack([lane[:n] for lane in lanes], axis=1)
        else:
            kw = {"subtype": how}
            file = path.with_suffix(".wav")
            if how == "MP3":
                kw = {"format": "MP3", "subtype": "MPEG_LAYER_III"}
                file = path.with_suffix(".mp3")
                kbps = _encode_at(file, x, rate_out, kw, kbps)
            elif how == "OPUS":
                kw = {"format": "OGG", "subtype": "OPUS"}
                file = path.with_suffix(".ogg")
                kbps = _encode_at(file, x, rate_out, kw, kbps)
            else:
                sf.write(file, x, rate_out, **kw)
            y, got = read_audio(file)
    label = f"{how} {rate_out / 1000:g} kHz" + (f" {kbps} kbit/s" if kbps else "")
    return Case(
        label, y.astype(np.float32), got, truth["report"], note=f"{base}: round trip", kbps=kbps
    )


def _encode_at(file: Path, x: np.ndarray, rate: int, kw: dict[str, Any], kbps: int) -> int:
    """Write ``x`` with libsndfile's compression level found by bisection so that the
    file's bit rate comes as close to ``kbps`` as the encoder goes; returns that rate."""
    duration = x.shape[0] / rate
    lo, hi = 0.0, 1.0  # level 0 = largest file
    best = (math.inf, 0.5, 0.0)  # (distance, level, rate)
    for _ in range(12):
        level = (lo + hi) / 2
        sf.write(file, x, rate, compression_level=level, **kw)
        got = file.stat().st_size * 8 / duration / 1000
        best = min(best, (abs(got - kbps), level, got))
        if abs(got - kbps) <= 0.5:
            break
        lo, hi = (level, hi) if got > kbps else (lo, level)
    sf.write(file, x, rate, compression_level=best[1], **kw)
    return int(round(best[2]))


def hold(
    base: str = "silence", hold_s: float = 24.0, channel: int = 1, message_s: float = 0.0
) -> Case:
    """Hold music on ``channel`` for ``hold_s`` seconds, spliced into the call's long
    silence (the agent checks something with the customer on hold); with ``message_s``,
    a recorded message (another voice) that long in the middle of the music. True hold:
    the music and message; the long silence is gone (hold is not dead air)."""
    x, rate, truth = load(base)
    (gap,) = truth["report"]["long_silences"]
    cut = (gap["start_s"] + gap["end_s"]) / 2
    k = int(round(cut * rate))
    quiet_s = 1.0  # silence either side of the music, within the old gap
    n_hold = int(hold_s * rate)
    n_quiet = int(quiet_s * rate)
    insert = np.zeros((n_hold + 2 * n_quiet, x.shape[1]), dtype=np.float32)
    music = hold_music(n_hold, rate)
    agent_db = _speech_level_db(x[:, 0], truth["runs"]["agent"], rate)
    insert[n_quiet : n_quiet + n_hold, channel] = _scaled_to(music, agent_db - 3)
    if message_s:
        voice = background_voices(int(message_s * rate), rate)[:, 1]
        m0 = n_quiet + (n_hold - voice.shape[0]) // 2
        insert[m0 : m0 + voice.shape[0], channel] = _scaled_to(voice, agent_db)
    y = np.concatenate([x[:k], insert, x[k:]])
    shift = insert.shape[0] / rate
    cut_t = k / rate

    def moved(runs: list[list[float]]) -> list[tuple[float, float]]:
        return [(a + shift, b + shift) if a >= cut_t else (a, b) for a, b in runs]

    start = cut_t + quiet_s
    spans = [(round(start, 3), round(start + hold_s, 3))]
    report = report_from_speech(
        moved(truth["runs"]["agent"]),
        moved(truth["runs"]["customer"]),
        y.shape[0] / rate,
        hold_spans=spans,
    )
    return Case(
        f"hold music ({'customer' if channel else 'agent'} ch)",
        y,
        rate,
        report.to_dict(),
        hold=spans,
        note=f"{base}: {hold_s:.0f} s of music in the long silence",
    )


def hold_message(
    base: str = "silence", plays: int = 10, channel: int = 0, pause_s: float = 1.5
) -> Case:
    """A hold that is only a recorded message (issue 19), no music: the committed
    ``hold_message.ogg`` (an espeak-ng voice, "Thank you for holding...") played
    ``plays`` times with ``pause_s`` between, on ``channel``, spliced into the call's long
    silence after the agent's "Let me look that up"; the other party says nothing until
    the agent is back. True hold: the first play's start to the last play's end (60-120 s
    with the defaults); neither party's talk, and no dead air."""
    x, rate, truth = load(base)
    message, src = sf.read(HOLD_MESSAGE, dtype="float32")
    if src != rate:
        message = resample_poly(message, rate, src).astype(np.float32)
    agent_db = _speech_level_db(x[:, 0], truth["runs"]["agent"], rate)
    message = _scaled_to(message, agent_db - 2)
    (gap,) = truth["report"]["long_silences"]
    k = int(round((gap["start_s"] + gap["end_s"]) / 2 * rate))
    n_quiet, n_pause = int(1.0 * rate), int(pause_s * rate)
    loop = np.concatenate([np.concatenate([message, np.zeros(n_pause, np.float32)])] * plays)
    loop = loop[: loop.shape[0] - n_pause]
    insert = np.zeros((loop.shape[0] + 2 * n_quiet, x.shape[1]), dtype=np.float32)
    insert[n_quiet : n_quiet + loop.shape[0], channel] = loop
    y = np.concatenate([x[:k], insert, x[k:]])
    shift, cut_t = insert.shape[0] / rate, k / rate

    def moved(runs: list[list[float]]) -> list[tuple[float, float]]:
        return [(a + shift, b + shift) if a >= cut_t else (a, b) for a, b in runs]

    start = (k + n_quiet) / rate
    spans = [(round(start, 3), round(start + loop.shape[0] / rate, 3))]
    report = report_from_speech(
        moved(truth["runs"]["agent"]),
        moved(truth["runs"]["customer"]),
        y.shape[0] / rate,
        hold_spans=spans,
    )
    return Case(
        f"hold message ({'customer' if channel else 'agent'} ch)",
        y,
        rate,
        report.to_dict(),
        hold=spans,
        note=f"{base}: a recorded message played {plays} times in the long silence",
    )


DEMO = ROOT / "demo"


def demo_calls(seconds: float, first: int = 6) -> tuple[np.ndarray, dict[str, Any]]:
    """The ``first`` demo recordings (stereo 8 kHz, agent left) back to back, tiled to
    ``seconds``, and the truth from their scripted segments (``to_dict()`` report)."""
    calls = {c["key"]: c for c in json.loads((DEMO / "calls.json").read_text())}
    parts, agent, customer = [], [], []
    offset = 0.0
    paths = sorted((DEMO / "audio").glob("*.opus"))[:first]
    while offset < seconds and paths:
        for path in paths:
            samples, rate = read_audio(path)
            if rate != 8000 or samples.shape[1] != 2:
                raise ValueError(f"{path}: not a stereo 8 kHz demo recording")
            for seg in calls[path.stem]["segments"]:
                runs = agent if seg["speaker"] == "agent" else customer
                runs.append((seg["start_s"] + offset, seg["end_s"] + offset))
            parts.append(samples)
            offset += samples.shape[0] / rate
    x = np.concatenate(parts)[: int(seconds * 8000)].astype(np.float32)
    truth = report_from_speech(agent, customer, x.shape[0] / 8000).to_dict()
    return x, truth


def _loud_db(channel: np.ndarray) -> float:
    """Mean power (dBFS) of the 30 ms frames louder than -45 dBFS (the speech)."""
    n = channel.shape[0] // 240
    power = np.mean(channel[: n * 240].reshape(n, 240).astype(np.float64) ** 2, axis=1)
    loud = power[power > 10 ** (-45 / 10)]
    return float(10 * np.log10(np.mean(loud))) if loud.size else -100.0


def with_open_plan(clean: np.ndarray, rate: int = 8000) -> np.ndarray:
    """``clean`` (stereo, agent left) with three other voices 15 dB below the agent on
    the agent's channel and pink noise 20 dB below each party on both channels."""
    n = clean.shape[0]
    out = clean.copy()
    chatter = background_voices(n, rate).sum(axis=1)
    out[:, 0] += _scaled_to(chatter, _loud_db(clean[:, 0]) - 15)
    for c in range(2):
        out[:, c] += _scaled_to(pink_noise(n, seed=c + 1), _loud_db(clean[:, c]) - 20)
    return np.clip(out, -1, 1).astype(np.float32)


def open_plan_demo(seconds: float = 600.0) -> Case:
    """Ten minutes of the demo calls (other voices, real scripts) in an open-plan room."""
    clean, truth = demo_calls(seconds)
    return Case(
        "open-plan demo calls",
        with_open_plan(clean),
        8000,
        truth,
        note="demo calls: chatter -15 dB (agent), pink noise -20 dB (both)",
    )


CONDITIONS: dict[str, Callable[[], Case]] = {
    "open_plan_demo_10min": open_plan_demo,
    "open_plan": open_plan,
    "open_plan_backchannels": lambda: open_plan("backchannels"),
    "echo_agent_on_customer": lambda: echo(echo_db=-20, delay_ms=80, both_ways=False),
    "echo_both_30db_20ms": lambda: echo("interruption", echo_db=-30, delay_ms=20),
    "echo_both_25db_50ms": echo,
    "echo_customer_on_agent": lambda: echo("interruption", -20, 60, both_ways=False, onto=0),
    "weak_customer": weak_line,
    "weak_agent": lambda: weak_line("backchannels", channel=0),
    "gain_jumps": gain_jumps,
    "ulaw_8k": lambda: codec(how="ULAW"),
    "alaw_8k": lambda: codec("backchannels", how="ALAW"),
    "gsm_8k": lambda: codec("backchannels", how="GSM610"),
    "mp3_32k": lambda: codec(how="MP3", kbps=32),
    "mp3_64k": lambda: codec("backchannels", how="MP3", kbps=64),
    # stereo Ogg Opus; the rate is the whole stream's (16 or 24 kbit/s per channel)
    "opus_16k": lambda: codec("backchannels", how="OPUS", kbps=32),
    "opus_24k": lambda: codec(how="OPUS", kbps=48, rate_out=16000),
    "opus_24k_stream": lambda: codec(how="OPUS", kbps=24),
    "pcm_16k": lambda: codec("silence", how="PCM_16", rate_out=16000),
    "pcm_44k": lambda: codec("backchannels", how="PCM_16", rate_out=44100),
    "pcm_48k": lambda: codec(how="PCM_16", rate_out=48000),
    "pink_noise": lambda: noise(kind="pink", below_db=15),
    "babble_noise": lambda: noise("backchannels", kind="babble", below_db=20),
    "hold_music": hold,
    "hold_music_and_message": lambda: hold(hold_s=30.0, channel=0, message_s=6.0),
    "hold_message_loop": hold_message,
    "hold_message_loop_customer_ch": lambda: hold_message(plays=7, channel=1, pause_s=3.0),
}


# --- scoring a report against the truth -----------------------------------------------

EVENT_TOLERANCE_S = 0.5
TALK_TOLERANCE = 0.10  # relative
SHARE_TOLERANCE = 0.05  # absolute


def _event_error(found: list[dict[str, Any]], expected: list[dict[str, Any]]) -> float | None:
    """Largest time error (s) pairing events in order; None when the counts or parties
    differ."""
    if len(found) != len(expected):
        return None
    if any(f["by"] != e["by"] for f, e in zip(found, expected, strict=True)):
        return None
    return max(
        (abs(f["t_s"] - e["t_s"]) for f, e in zip(found, expected, strict=True)), default=0.0
    )


def _span_error(found: list[dict[str, Any]], expected: list[dict[str, Any]]) -> float | None:
    if len(found) != len(expected):
        return None
    errs = [
        max(abs(f["start_s"] - e["start_s"]), abs(f["end_s"] - e["end_s"]))
        for f, e in zip(found, expected, strict=True)
    ]
    return max(errs, default=0.0)


def _rel(found: float | None, expected: float | None) -> float | None:
    if found is None or expected is None:
        return None if found != expected else 0.0
    return (found - expected) / expected if expected else found


def check(report: dict[str, Any], truth: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    """Each metric -> (held, how far off) under the accuracy rules: events (interruptions,
    backchannels) and spans (long silences, holds) within 0.5 s with the same count, talk
    times within 10 %, talk share within 0.05. Both arguments are ``to_dict()`` reports."""
    out: dict[str, tuple[bool, str]] = {}
    for key in ("interruptions", "backchannels"):
        err = _event_error(report.get(key, []), truth.get(key, []))
        n, m = len(report.get(key, [])), len(truth.get(key, []))
        out[key] = (
            (err is not None and err <= EVENT_TOLERANCE_S),
            f"{n}/{m}" if err is None else f"{err:.2f} s",
        )
    for key in ("long_silences", "holds"):
        err = _span_error(report.get(key, []), truth.get(key, []))
        n, m = len(report.get(key, [])), len(truth.get(key, []))
        out[key] = (
            (err is not None and err <= EVENT_TOLERANCE_S),
            f"{n}/{m}" if err is None else f"{err:.2f} s",
        )
    for key in ("agent_talk_s", "customer_talk_s"):
        rel = _rel(report.get(key), truth.get(key))
        out[key] = (
            rel is not None and abs(rel) <= TALK_TOLERANCE,
            "n/a" if rel is None else f"{rel:+.1%}",
        )
    a, b = report.get("agent_talk_share"), truth.get("agent_talk_share")
    diff = None if a is None or b is None else abs(a - b)
    out["talk_share"] = (
        (diff is not None and diff <= SHARE_TOLERANCE) or (a is None and b is None),
        "n/a" if diff is None else f"{diff:.3f}",
    )
    return out


# --- the committed chatter ---------------------------------------------------------------

CHATTER = [
    "So I told them the delivery would be late again, and they were not happy about it at "
    "all, because the last one was late too, and the one before that.",
    "Can you send me the figures for the third quarter? I need them before the meeting "
    "tomorrow, and please check the totals, the last ones did not add up.",
    "We moved the whole team to the new floor last week, and nobody can find the kitchen, "
    "the printers or the meeting rooms, it is a complete maze up there.",
    "Yes, I will call the supplier back this afternoon and ask about the invoice, then I will "
    "let you know what they say about the discount and the new prices.",
]


def make_background(seconds: float = 35.0) -> None:
    """Write ``background_voices.ogg``: three voices, one per channel, each talking
    without a break for ``seconds`` (needs espeak-ng)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from callsynth import RATE, Voice, speak

    voices = [
        Voice("en-gb-scotland", speed=175, pitch=35),
        Voice("en-us+f4", speed=180, pitch=70),
        Voice("en-029+m2", speed=160, pitch=50),
    ]
    lanes = []
    for k, voice in enumerate(voices):
        parts: list[np.ndarray] = []
        total = 0
        i = k
        while total < seconds * RATE:
            clip = speak(CHATTER[i % len(CHATTER)], voice)
            parts += [clip, np.zeros(int(0.2 * RATE))]
            total += len(clip) + int(0.2 * RATE)
            i += 1
        lanes.append(np.concatenate(parts)[: int(seconds * RATE)])
    audio = np.stack(lanes, axis=1).astype(np.float32)
    sf.write(BACKGROUND, audio, RATE, format="OGG", subtype="OPUS", compression_level=0.99)
    print(BACKGROUND, BACKGROUND.stat().st_size, "bytes")


HOLD_MESSAGE_TEXT = (
    "Thank you for holding. Your call is important to us. "
    "Please stay on the line, and one of our team will be with you shortly."
)


def make_hold_message() -> None:
    """Write ``hold_message.ogg``: the recorded hold message, one play (needs espeak-ng)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from callsynth import RATE, Voice, speak

    clip = speak(HOLD_MESSAGE_TEXT, Voice("en-us+f2", speed=150, pitch=60)).astype(np.float32)
    sf.write(HOLD_MESSAGE, clip, RATE, format="OGG", subtype="OPUS", compression_level=0.9)
    print(HOLD_MESSAGE, HOLD_MESSAGE.stat().st_size, "bytes", f"{clip.shape[0] / RATE:.2f} s")


if __name__ == "__main__":
    if sys.argv[1:] == ["hold_message"]:
        make_hold_message()
    else:
        make_background()
