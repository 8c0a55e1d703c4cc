"""Decode and probe call recordings.

Everything that touches an audio file's bytes goes through here, so that every failure
(missing, empty, not audio, malformed, truncated, zero-length) surfaces as one exception
type, ``AudioProblem``, whose message names the file and says what is wrong.

Formats are whatever libsndfile (via ``soundfile``) reads: WAV (PCM, mu-law, A-law),
FLAC, Ogg Vorbis/Opus, MP3 and others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from scoring.errors import Invalid

TRUNCATION_TOLERANCE_S = 1.0
TRUNCATION_TOLERANCE_FRACTION = 0.05
"""Decoding may fall short of the header's length by up to 1 s or 5% (whichever is more;
some headers only estimate the length) before the file counts as truncated."""


class AudioProblem(Invalid):
    """A recording cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says: ``duration_s`` in seconds, ``sample_rate`` in Hz,
    ``channels``, and the container ``format`` (e.g. "WAV", "OGG", "MP3", "FLAC") with the
    codec ``subtype`` (e.g. "PCM_16", "ULAW", "OPUS")."""

    duration_s: float
    sample_rate: int
    channels: int
    format: str
    subtype: str = ""

    @property
    def frames(self) -> int:
        """Samples per channel (rounded from the duration)."""
        return int(round(self.duration_s * self.sample_rate))


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioProblem(f"{path}: no such file")
    if not path.is_file():
        raise AudioProblem(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise AudioProblem(f"{path}: the file is empty (0 bytes)")


def _open_problem(path: Path, exc: Exception) -> AudioProblem:
    detail = str(exc).split(": ", 1)[-1].strip() or type(exc).__name__
    if "not recognised" in detail or "does not exist" in detail:
        # libsndfile says "does not exist" when its MP3 sniffing gives up on random bytes.
        return AudioProblem(f"{path}: not a recognised audio file ({detail})")
    return AudioProblem(f"{path}: cannot be decoded as audio ({detail})")


def probe_audio(path: str | os.PathLike[str]) -> AudioInfo:
    """Read a recording's header without decoding it.

    Raises ``AudioProblem`` for a missing, empty, non-audio or malformed file and for a
    file whose header declares no audio (zero length, zero rate or zero channels).
    """
    p = Path(path)
    _check_file(p)
    try:
        info = sf.info(str(p))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise _open_problem(p, exc) from exc
    if info.samplerate <= 0 or info.channels <= 0:
        raise AudioProblem(
            f"{p}: the header is invalid ({info.samplerate} Hz, {info.channels} channels)"
        )
    if info.frames <= 0:
        raise AudioProblem(f"{p}: contains no audio (zero length)")
    return AudioInfo(
        duration_s=info.frames / info.samplerate,
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        format=str(info.format),
        subtype=str(info.subtype),
    )


def read_audio(
    path: str | os.PathLike[str], *, allow_truncated: bool = False
) -> tuple[np.ndarray, int]:
    """Decode a whole recording.

    Returns ``(samples, sample_rate)``: ``samples`` is float32, shape (frames, channels),
    full scale +-1.0; ``sample_rate`` in Hz. Non-finite samples are replaced by 0.

    Raises ``AudioProblem`` for everything ``probe_audio`` refuses, for a decoder error,
    when nothing could be decoded, and (unless ``allow_truncated``) when decoding ends
    clearly short of the length the header declares (a truncated or corrupt file; see
    ``TRUNCATION_TOLERANCE_S``).
    """
    info = probe_audio(path)
    p = Path(path)
    try:
        samples, rate = sf.read(str(p), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, MemoryError) as exc:
        raise _open_problem(p, exc) from exc
    if samples.shape[0] == 0:
        raise AudioProblem(f"{p}: no audio could be decoded (corrupt or truncated)")
    missing_s = (info.frames - samples.shape[0]) / rate
    tolerance_s = max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_FRACTION * info.duration_s)
    if not allow_truncated and missing_s > tolerance_s:
        raise AudioProblem(
            f"{p}: appears truncated or corrupt: the header declares {info.duration_s:.1f} s "
            f"but only {samples.shape[0] / rate:.1f} s could be decoded"
        )
    if not np.isfinite(samples).all():
        samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
    return samples, int(rate)
