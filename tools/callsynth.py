"""Render scripted two-party phone calls with espeak-ng, with exact speech timing.

A script is a list of ``Line``s. Each line is spoken by its party's voice and placed on
that party's channel (agent = channel 0 / left, customer = channel 1 / right) at:

- ``at``: an absolute start time (s), or
- ``gap``: that many seconds after everything so far has finished speaking (negative =
  overlap), or
- ``during``: that many seconds after the start of the latest line placed by ``at``/``gap``
  (the "host" line) - for backchannels and barge-ins. ``talk_over`` then cuts the host
  line so that it stops that many seconds after this line starts (the interrupted party
  gives up), instead of running to its end.

Every clip is made telephone-like (resampled to 8 kHz, 300-3400 Hz band-pass), trimmed of
leading/trailing silence, and mixed over a low noise floor. ``render`` returns the audio
and the truth: each line's trimmed interval and each party's speech runs (a clip's
internal pauses of 0.25 s or more split runs).

Run as a script for a quick listen: ``python tools/callsynth.py out.opus``.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfiltfilt

RATE = 8000
AGENT, CUSTOMER = "agent", "customer"
CHANNEL = {AGENT: 0, CUSTOMER: 1}
TRIM_DB = 40.0  # below the clip's loudest 10 ms frame by this much = silence
SPLIT_PAUSE_S = 0.25  # an internal pause this long splits a clip's speech runs
FRAME_S = 0.01


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice: ``name`` like "en-gb" or "en-us+f3", ``speed`` in words/min,
    ``pitch`` 0-99, ``gain_db`` applied after level normalisation (-20 dBFS RMS)."""

    name: str = "en-gb"
    speed: int = 165
    pitch: int = 50
    gain_db: float = 0.0


@dataclass(frozen=True)
class Line:
    """One utterance; see the module docstring for ``at`` / ``gap`` / ``during``."""

    speaker: str
    text: str
    at: float | None = None
    gap: float | None = None
    during: float | None = None
    talk_over: float | None = None
    speed: int | None = None  # overrides the voice's speed for this line


@dataclass
class Segment:
    speaker: str
    start_s: float
    end_s: float
    text: str


@dataclass
class Rendered:
    """``audio`` float32 (frames, 2) at ``sample_rate``; truth in seconds."""

    audio: np.ndarray
    sample_rate: int
    segments: list[Segment]
    runs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.audio.shape[0] / self.sample_rate


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@functools.lru_cache(maxsize=4096)
def _tts(text: str, voice: str, speed: int, pitch: int) -> tuple[np.ndarray, int]:
    """espeak-ng -> mono float64 at its native rate (22050 Hz)."""
    proc = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        capture_output=True,
        check=True,
    )
    data, rate = sf.read(io.BytesIO(proc.stdout), dtype="float64")
    return data, rate


@functools.lru_cache(maxsize=1)
def _band() -> np.ndarray:
    return butter(4, [300, 3400], btype="bandpass", fs=RATE, output="sos")


def _frame_db(x: np.ndarray) -> np.ndarray:
    n = int(FRAME_S * RATE)
    k = len(x) // n
    p = (x[: k * n].reshape(k, n) ** 2).mean(axis=1)
    return 10 * np.log10(p + 1e-12)


def _speech_runs(clip: np.ndarray) -> list[tuple[float, float]]:
    """Speech runs inside a trimmed clip, relative to its start."""
    db = _frame_db(clip)
    voiced = db > db.max() - TRIM_DB
    runs: list[list[float]] = []
    for i in np.flatnonzero(voiced):
        t0, t1 = i * FRAME_S, (i + 1) * FRAME_S
        if runs and t0 - runs[-1][1] < SPLIT_PAUSE_S:
            runs[-1][1] = t1
        else:
            runs.append([t0, t1])
    end = len(clip) / RATE
    return [(a, min(b, end)) for a, b in runs]


def speak(text: str, voice: Voice, speed: int | None = None) -> np.ndarray:
    """One telephone-band clip at 8 kHz, trimmed, at -20 dBFS RMS (+ voice.gain_db)."""
    raw, rate = _tts(text, voice.name, speed or voice.speed, voice.pitch)
    x = resample_poly(raw, RATE, rate) if rate != RATE else raw
    x = sosfiltfilt(_band(), x)
    db = _frame_db(x)
    if db.size == 0 or db.max() < -90:
        raise ValueError(f"espeak-ng produced no speech for {text!r}")
    voiced = np.flatnonzero(db > db.max() - TRIM_DB)
    n = int(FRAME_S * RATE)
    x = x[voiced[0] * n : (voiced[-1] + 1) * n]
    rms = float(np.sqrt(np.mean(x**2)))
    return x * (10 ** ((-20 + voice.gain_db) / 20) / rms)


def render(
    lines: Sequence[Line],
    voices: dict[str, Voice],
    *,
    seed: int = 0,
    noise_dbfs: float = -60.0,
    lead_s: float = 0.6,
    tail_s: float = 0.8,
    default_gap: float = 0.6,
) -> Rendered:
    """Render ``lines`` with ``voices[speaker]``; deterministic for a given ``seed``."""
    clips = [speak(ln.text, voices[ln.speaker], ln.speed) for ln in lines]
    starts: list[float] = []
    ends: list[float] = []
    cut: dict[int, float] = {}  # line index -> new clip length (s)
    host = -1
    for i, (ln, clip) in enumerate(zip(lines, clips, strict=True)):
        if ln.speaker not in CHANNEL:
            raise ValueError(f"line {i}: speaker must be agent or customer, not {ln.speaker!r}")
        length = len(clip) / RATE
        if ln.at is not None:
            start = ln.at
        elif ln.during is not None:
            if host < 0:
                raise ValueError(f"line {i}: 'during' needs an earlier line")
            start = starts[host] + ln.during
            if ln.talk_over is not None:
                new_len = start + ln.talk_over - starts[host]
                if new_len < ends[host] - starts[host]:
                    cut[host] = new_len
                    ends[host] = starts[host] + new_len
        else:
            start = (max(ends) if ends else lead_s) + (
                ln.gap if ln.gap is not None else default_gap
            )
        start = round(max(start, 0.0) * RATE) / RATE
        starts.append(start)
        ends.append(start + length)
        if ln.during is None:
            host = i
    total = int(np.ceil((max(ends) + tail_s) * RATE))
    audio = np.zeros((total, 2))
    segments: list[Segment] = []
    runs: dict[str, list[tuple[float, float]]] = {AGENT: [], CUSTOMER: []}
    fade = int(0.04 * RATE)
    for i, (ln, clip) in enumerate(zip(lines, clips, strict=True)):
        if i in cut:
            clip = clip[: int(cut[i] * RATE)].copy()
            clip[-fade:] *= np.linspace(1, 0, fade)
            clip = clip[: len(clip) - fade // 2]  # the faded tail is inaudible anyway
        s0 = int(round(starts[i] * RATE))
        audio[s0 : s0 + len(clip), CHANNEL[ln.speaker]] += clip
        start = s0 / RATE
        segments.append(
            Segment(ln.speaker, round(start, 3), round(start + len(clip) / RATE, 3), ln.text)
        )
        runs[ln.speaker] += [(start + a, start + b) for a, b in _speech_runs(clip)]
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 10 ** (noise_dbfs / 20), audio.shape)
    audio += sosfiltfilt(_band(), noise, axis=0)
    audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
    for who in runs:
        runs[who] = _union(runs[who])
    return Rendered(audio, RATE, segments, runs)


def _union(runs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(runs):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(round(a, 3), round(b, 3)) for a, b in out]


def write_opus(
    path: str | os.PathLike[str], audio: np.ndarray, rate: int = RATE, kbps: int = 16
) -> None:
    """Encode float audio (frames, channels) to Ogg Opus with ffmpeg/libopus.

    Channels are coded as independent mono streams (mapping family 255), so at low
    bitrates nothing of one party leaks into the other's channel (plain stereo Opus
    below ~20 kbit/s folds the channels together). Bit-exact flags keep output stable.
    """
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "in.wav"
        sf.write(wav, audio, rate, subtype="PCM_16")
        mono = audio.ndim == 1 or audio.shape[1] == 1
        subprocess.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(wav),
                "-c:a",
                "libopus",
                "-b:a",
                f"{kbps}k",
                "-application",
                "voip",
                *([] if mono else ["-mapping_family", "255"]),
                "-map_metadata",
                "-1",
                "-fflags",
                "+bitexact",
                "-flags:a",
                "+bitexact",
                str(path),
            ],
            check=True,
        )


if __name__ == "__main__":
    import sys

    demo = [
        Line(AGENT, "Service desk, this is Sam. How can I help?"),
        Line(
            CUSTOMER,
            "Hi. My laptop will not connect to the VPN since this morning, and I "
            "have a client meeting at ten.",
        ),
        Line(AGENT, "mm-hmm", during=1.5),
        Line(
            AGENT,
            "Okay, let me make sure I have this right: the VPN fails since this "
            "morning, and you need it by ten.",
        ),
    ]
    r = render(demo, {AGENT: Voice("en-gb"), CUSTOMER: Voice("en-us+f3", 170)})
    write_opus(sys.argv[1] if len(sys.argv) > 1 else "callsynth-demo.opus", r.audio)
    for seg in r.segments:
        print(seg)
