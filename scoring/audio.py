"""Decode and probe call recordings.

Everything that touches an audio file's bytes goes through here, so that every failure
(missing, empty, not audio, malformed, truncated, zero-length) surfaces as one exception
type, ``AudioProblem``, whose message names the file and says what is wrong.

Formats are whatever libsndfile (via ``soundfile``) reads: WAV (PCM, mu-law, A-law),
FLAC, Ogg Vorbis/Opus, MP3 and others.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
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


def _hours_minutes(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _too_long(path: Path, duration_s: float, max_duration_s: float) -> AudioProblem:
    return AudioProblem(
        f"{path}: the recording lasts {_hours_minutes(duration_s)} ({duration_s:.0f} s), "
        f"longer than the {_hours_minutes(max_duration_s)} ({max_duration_s:.0f} s) "
        "a call may last (EARSHOT_MAX_CALL_HOURS)"
    )


def probe_audio(path: str | os.PathLike[str], *, max_duration_s: float | None = None) -> AudioInfo:
    """Read a recording's header without decoding it.

    Raises ``AudioProblem`` for a missing, empty, non-audio or malformed file, for a
    file whose header declares no audio (zero length, zero rate or zero channels), and
    for one whose header declares more than ``max_duration_s`` seconds (a few kB of
    compressed silence can declare hours: refused before anything is decoded).
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
    if max_duration_s is not None and info.frames / info.samplerate > max_duration_s:
        raise _too_long(p, info.frames / info.samplerate, max_duration_s)
    return AudioInfo(
        duration_s=info.frames / info.samplerate,
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        format=str(info.format),
        subtype=str(info.subtype),
    )


READ_BLOCK_FRAMES = 1 << 16
"""Frames decoded per block by ``read_audio`` (64 Ki frames: 256 KiB per channel)."""


def read_audio(
    path: str | os.PathLike[str],
    *,
    allow_truncated: bool = False,
    max_duration_s: float | None = None,
) -> tuple[np.ndarray, int]:
    """Decode a whole recording.

    Returns ``(samples, sample_rate)``: ``samples`` is float32, shape (frames, channels),
    full scale +-1.0; ``sample_rate`` in Hz. Non-finite samples are replaced by 0.

    Memory: the result and one block of ``READ_BLOCK_FRAMES`` frames; with
    ``max_duration_s`` at most ``max_duration_s * sample_rate * channels * 4`` bytes are
    ever decoded, whatever the header claims.

    Raises ``AudioProblem`` for everything ``probe_audio`` refuses (over
    ``max_duration_s`` by its header included), for a decoder error, when nothing could
    be decoded, when decoding runs past ``max_duration_s`` (a header that understates),
    and (unless ``allow_truncated``) when decoding ends clearly short of the length the
    header declares (a truncated or corrupt file; see ``TRUNCATION_TOLERANCE_S``).
    """
    info = probe_audio(path, max_duration_s=max_duration_s)
    p = Path(path)
    try:
        samples, rate = _decode_in_blocks(p, info, max_duration_s)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, MemoryError) as exc:
        raise _open_problem(p, exc) from exc
    _check_length(p, info, samples.shape[0], allow_truncated)
    return samples, int(rate)


def _check_length(path: Path, info: AudioInfo, decoded: int, allow_truncated: bool) -> None:
    """Refuse a decode that yielded nothing, or (unless ``allow_truncated``) clearly less
    than the header declares."""
    if decoded == 0:
        raise AudioProblem(f"{path}: no audio could be decoded (corrupt or truncated)")
    missing_s = (info.frames - decoded) / info.sample_rate
    tolerance_s = max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_FRACTION * info.duration_s)
    if not allow_truncated and missing_s > tolerance_s:
        raise AudioProblem(
            f"{path}: appears truncated or corrupt: the header declares {info.duration_s:.1f} s "
            f"but only {decoded / info.sample_rate:.1f} s could be decoded"
        )


def _decode_in_blocks(
    path: Path, info: AudioInfo, max_duration_s: float | None
) -> tuple[np.ndarray, int]:
    """Decode block by block into one array sized from the header (grown if the decoder
    yields more), non-finite samples set to 0, stopping with ``AudioProblem`` once past
    ``max_duration_s``."""
    with sf.SoundFile(str(path)) as fh:
        rate, channels = int(fh.samplerate), int(fh.channels)
        limit = None if max_duration_s is None else int(max_duration_s * rate)
        capacity = max(info.frames, 1) if limit is None else min(max(info.frames, 1), limit)
        out = np.empty((capacity, channels), dtype=np.float32)
        filled = 0
        while True:
            block = fh.read(READ_BLOCK_FRAMES, dtype="float32", always_2d=True)
            n = block.shape[0]
            if n == 0:  # the end, or where a truncated stream stops
                break
            if limit is not None and filled + n > limit:
                raise _too_long(path, (filled + n) / rate, float(max_duration_s or 0))
            if filled + n > out.shape[0]:
                grown = np.empty((max(filled + n, out.shape[0] * 5 // 4), channels), np.float32)
                grown[:filled] = out[:filled]
                out = grown
            if not np.isfinite(block).all():  # per block: no file-sized mask
                block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
            out[filled : filled + n] = block
            filled += n
    return out[:filled], rate


SEEK_PREROLL_S = 0.5
"""``AudioStream.segment`` starts decoding this long before the segment, so that a lossy
decoder (Opus, MP3) has settled; PCM and FLAC are exact either way."""


class AudioStream:
    """A recording decoded a block at a time, as often as needed, never held whole.

    ``blocks()`` decodes from the start, one float32 ``(frames, channels)`` block of
    ``block_frames`` at a time (non-finite samples set to 0), with ``read_audio``'s checks:
    past ``max_duration_s`` it raises ``AudioProblem``, and at the end it refuses a decode
    that stopped clearly short of the header (unless ``allow_truncated``). ``segments()``
    decodes short stretches by seeking (exact for PCM and FLAC; lossy codecs may differ from a
    decode from the start by a few least significant bits). Memory: one block.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        block_frames: int = READ_BLOCK_FRAMES,
        allow_truncated: bool = False,
        max_duration_s: float | None = None,
    ) -> None:
        if block_frames < 1:
            raise ValueError(f"block_frames must be at least 1, not {block_frames}")
        self.path = Path(path)
        self.info = probe_audio(path, max_duration_s=max_duration_s)
        self.rate = self.info.sample_rate
        self.channels = self.info.channels
        self.block_frames = int(block_frames)
        self.allow_truncated = allow_truncated
        self.max_duration_s = max_duration_s

    def blocks(self) -> Iterator[np.ndarray]:
        limit = None if self.max_duration_s is None else int(self.max_duration_s * self.rate)
        filled = 0
        try:
            with sf.SoundFile(str(self.path)) as fh:
                while True:
                    block = fh.read(self.block_frames, dtype="float32", always_2d=True)
                    n = block.shape[0]
                    if n == 0:
                        break
                    if limit is not None and filled + n > limit:
                        raise _too_long(
                            self.path, (filled + n) / self.rate, float(self.max_duration_s or 0)
                        )
                    if not np.isfinite(block).all():
                        block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
                    filled += n
                    yield block
        except AudioProblem:
            raise
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, MemoryError) as exc:
            raise _open_problem(self.path, exc) from exc
        _check_length(self.path, self.info, filled, self.allow_truncated)

    def segments(self, spans: Sequence[tuple[int, int]]) -> list[np.ndarray]:
        """Frames ``start`` to ``stop`` of each ``(start, stop)`` span, float32 (frames,
        channels), zeros past the end; one open file, read by seeking."""
        out = [np.zeros((max(0, b - a), self.channels), dtype=np.float32) for a, b in spans]
        preroll_max = int(SEEK_PREROLL_S * self.rate)
        try:
            with sf.SoundFile(str(self.path)) as fh:
                for k in sorted(range(len(spans)), key=lambda i: spans[i][0]):
                    start, stop = max(0, int(spans[k][0])), int(spans[k][1])
                    if stop <= start:
                        continue
                    preroll = min(start, preroll_max)
                    fh.seek(start - preroll)
                    got = fh.read(stop - start + preroll, dtype="float32", always_2d=True)
                    got = got[preroll:]
                    lead = start - int(spans[k][0])  # frames before 0 stay zero
                    out[k][lead : lead + got.shape[0]] = np.nan_to_num(
                        got, nan=0.0, posinf=0.0, neginf=0.0
                    )
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
            raise _open_problem(self.path, exc) from exc
        return out
