"""Silero VAD (v6, ONNX) on onnxruntime: speech probability per 32 ms window at 16 kHz.

The model file is the Silero VAD v6 ONNX export that ``faster-whisper`` (already a pinned
runtime dependency, for speech recognition) ships in ``faster_whisper/assets``; the
``silero-vad`` package itself requires torch, which this project does not install. The
file is found from the installed package's path without importing it, never downloaded,
and checked against ``MODEL_SHA256`` (a third-party file: a changed model must be
reviewed, not silently used).

The graph takes a batch of windows (512 samples at 16 kHz, each preceded by the 64 samples
before it as context) plus the LSTM state, and returns one probability per window; the
state runs through the batch in order, so one call scores a whole stretch of audio.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "silero_vad_v6.onnx"
MODEL_SHA256 = "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2"
RATE = 16000
WINDOW = 512  # samples per decision at 16 kHz (32 ms)
CONTEXT = 64


class SileroUnavailable(RuntimeError):
    """The model or onnxruntime is missing, or the model file is not the expected one."""


def model_path() -> Path:
    """Where the installed ``faster_whisper`` package keeps the Silero model."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        raise SileroUnavailable("faster-whisper is not installed: no Silero VAD model")
    path = Path(spec.origin).parent / "assets" / MODEL_FILE
    if not path.is_file():
        raise SileroUnavailable(f"{path}: the Silero VAD model is missing")
    return path


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    path = model_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise SileroUnavailable(
            f"{path}: SHA-256 {digest} is not the reviewed model's {MODEL_SHA256}"
        )
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - installed with faster-whisper
        raise SileroUnavailable("onnxruntime is not installed") from exc
    opts = ort.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"], sess_options=opts)


def available() -> bool:
    """True when the model loads (file present, checksum right, onnxruntime importable)."""
    try:
        _session()
    except SileroUnavailable:
        return False
    return True


def to_16k(x: np.ndarray, rate: int) -> np.ndarray:
    """One channel (n,) resampled to 16 kHz, float32."""
    if rate == RATE:
        return np.asarray(x, dtype=np.float32)
    from scipy.signal import resample_poly

    ratio = Fraction(RATE, int(rate))
    return np.asarray(resample_poly(x, ratio.numerator, ratio.denominator), dtype=np.float32)


def speech_probability(x16: np.ndarray) -> np.ndarray:
    """Speech probability (0..1) per 32 ms window of ``x16`` (mono, 16 kHz, +-1.0):
    shape (len(x16) // 512,). Raises ``SileroUnavailable`` when the model cannot be used."""
    n = x16.shape[0] // WINDOW
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    windows = np.ascontiguousarray(x16[: n * WINDOW], dtype=np.float32).reshape(n, WINDOW)
    context = np.zeros((n, CONTEXT), dtype=np.float32)
    context[1:] = windows[:-1, -CONTEXT:]
    batch = np.concatenate([context, windows], axis=1)
    h = np.zeros((1, 1, 128), dtype=np.float32)
    c = np.zeros((1, 1, 128), dtype=np.float32)
    out = []
    session = _session()
    for k in range(0, n, 10000):
        probs, h, c = session.run(None, {"input": batch[k : k + 10000], "h": h, "c": c})
        out.append(np.asarray(probs, dtype=np.float32).reshape(-1))
    return np.concatenate(out)
