"""Peak envelopes for drawing a call's waveform (pure numpy).

One hour of 8 kHz stereo int16 is ~29 M frames; the reduction below works on the
caller's array in place (``fmax/fmin.reduceat`` per bucket, no full-size float copy
or ``abs``), so it takes well under a second and little extra memory.
"""

from __future__ import annotations

import numpy as np


def _full_scale(dtype: np.dtype) -> tuple[float, float]:
    """(zero level, full-scale amplitude) for a sample dtype."""
    if np.issubdtype(dtype, np.signedinteger):
        return 0.0, float(-np.iinfo(dtype).min)
    if np.issubdtype(dtype, np.unsignedinteger):  # e.g. 8-bit WAV, centred on 128
        mid = float(np.iinfo(dtype).max // 2 + 1)
        return mid, mid
    if np.issubdtype(dtype, np.floating):
        return 0.0, 1.0
    raise TypeError(f"unsupported sample dtype {dtype}")


def waveform_peaks(samples: np.ndarray, buckets: int = 1200) -> list[list[float]]:
    """Per-channel peak envelope, each value in 0..1, exactly ``buckets`` per channel.

    ``samples`` is ``(frames, channels)`` (a 1-D array is treated as mono), float in
    -1..1 or integer PCM. Each bucket holds the largest absolute sample of its span
    of frames; values are rounded to 3 decimals to keep the JSON sent to the browser
    small. NaNs are ignored; out-of-range floats are clipped to 1.
    """
    if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 1:
        raise ValueError(f"buckets must be a positive int, got {buckets!r}")
    data = np.asarray(samples)
    if data.ndim == 1:
        data = data[:, np.newaxis]
    if data.ndim != 2:
        raise ValueError(f"samples must be (frames, channels), got shape {data.shape}")
    frames, channels = data.shape
    if frames == 0:
        return [[0.0] * buckets for _ in range(channels)]
    if data.dtype == np.bool_:
        raise TypeError("unsupported sample dtype bool")
    zero, scale = _full_scale(data.dtype)

    # Start frame of each bucket. With fewer frames than buckets some starts repeat;
    # reduceat then yields the single frame at that index, which is what we want.
    starts = (np.arange(buckets, dtype=np.int64) * frames) // buckets
    hi = np.fmax.reduceat(data, starts, axis=0).astype(np.float64)
    lo = np.fmin.reduceat(data, starts, axis=0).astype(np.float64)
    peak = np.fmax(hi - zero, zero - lo) / scale
    peak = np.clip(np.nan_to_num(peak, nan=0.0), 0.0, 1.0)
    envelope: list[list[float]] = np.round(peak.T, 3).tolist()
    return envelope


class PeakEnvelope:
    """``waveform_peaks`` of a recording fed a block at a time (``add``), for a call that
    is never decoded whole: memory is the ``buckets`` per channel.

    ``frames`` is the length the recording declares; the buckets are cut from it, so the
    result equals ``waveform_peaks`` of the whole when the decoded length is the declared
    one. Frames past it go to the last bucket; buckets nothing reached stay 0.
    Float samples only (-1..1, as ``scoring.audio`` decodes).
    """

    def __init__(self, frames: int, channels: int, buckets: int = 1200) -> None:
        if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 1:
            raise ValueError(f"buckets must be a positive int, got {buckets!r}")
        self.frames = max(0, int(frames))
        self.starts = (np.arange(buckets, dtype=np.int64) * self.frames) // buckets
        self.hi = np.full((buckets, channels), -np.inf)
        self.lo = np.full((buckets, channels), np.inf)
        self.seen = np.zeros(buckets, dtype=bool)
        self.pos = 0

    def add(self, block: np.ndarray) -> None:
        data = np.asarray(block)
        if data.ndim == 1:
            data = data[:, np.newaxis]
        n = data.shape[0]
        if n == 0:
            return
        a, b = self.pos, self.pos + n
        self.pos = b
        # the buckets this block touches: the one holding its first frame, and those
        # starting inside it (repeated starts, fewer frames than buckets, each take the
        # one frame at their start, as reduceat gives them)
        first = max(0, int(np.searchsorted(self.starts, a, side="right")) - 1)
        inside = np.flatnonzero((self.starts >= a) & (self.starts < b))
        ks = np.unique(np.concatenate(([first], inside)))
        local = np.clip(self.starts[ks] - a, 0, n - 1)
        hi = np.fmax.reduceat(data, local, axis=0).astype(np.float64)
        lo = np.fmin.reduceat(data, local, axis=0).astype(np.float64)
        self.hi[ks] = np.fmax(self.hi[ks], hi)
        self.lo[ks] = np.fmin(self.lo[ks], lo)
        self.seen[ks] = True

    def peaks(self) -> list[list[float]]:
        if self.pos == 0:
            return [[0.0] * self.hi.shape[0] for _ in range(self.hi.shape[1])]
        peak = np.fmax(self.hi, -self.lo)
        peak[~self.seen] = 0.0
        peak = np.clip(np.nan_to_num(peak, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        envelope: list[list[float]] = np.round(peak.T, 3).tolist()
        return envelope
