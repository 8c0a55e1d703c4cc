"""Offline recognition on a short clip synthesised with espeak-ng, the model's integrity
check, and the word error rate used to measure it."""

import hashlib
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from media.asr import (
    BUNDLED_MODEL_SHA256,
    HASH_FILE,
    MODEL_ENV,
    AsrModelError,
    bundled_model_dir,
    load_recognizer,
    model_spec,
    recognize,
    verify_model,
)
from scoring.wer import word_error_rate
from tests.conftest import missing_service

AGENT_LINE = "Good morning, service desk. How can I help you today?"
CUSTOMER_LINE = "My laptop will not connect to the printer on the second floor."
# tiny.en on 8 kHz synthesised speech gets these lines nearly right (0 to 2 errors in
# about ten words); the bound leaves room for other CPUs' rounding.
WER_BOUND = 0.3


def speak(text: str, tmp_path, voice: str) -> tuple[np.ndarray, int]:
    if shutil.which("espeak-ng") is None:
        missing_service("espeak-ng is not installed (apt-get install espeak-ng)")
    out = tmp_path / f"{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(out), text], check=True)
    samples, rate = sf.read(str(out), dtype="float32")
    return samples, rate


@pytest.fixture(scope="module")
def call_8k(tmp_path_factory) -> np.ndarray:
    """A 8 kHz stereo call: the agent (left) speaks, then after a pause the customer (right)."""
    tmp = tmp_path_factory.mktemp("asr")
    agent, rate = speak(AGENT_LINE, tmp, "en-us")
    customer, _ = speak(CUSTOMER_LINE, tmp, "en-gb")
    agent = resample_poly(agent, 8000, rate).astype(np.float32)
    customer = resample_poly(customer, 8000, rate).astype(np.float32)
    gap = np.zeros(4000, dtype=np.float32)  # 0.5 s
    left = np.concatenate([gap, agent, gap, np.zeros_like(customer), gap])
    right = np.concatenate([gap, np.zeros_like(agent), gap, customer, gap])
    return np.stack([left, right], axis=1)


@pytest.fixture(scope="module")
def recognizer():
    return load_recognizer()


def party_text(transcript, party: str) -> str:
    return " ".join(u.text for u in transcript.utterances if u.speaker == party)


@pytest.mark.slow  # heavy end to end: make test runs it, make test-fast leaves it out
def test_stereo_file_each_channel_is_its_party(call_8k, recognizer, tmp_path):
    path = tmp_path / "call.wav"
    sf.write(str(path), call_8k, 8000, subtype="PCM_16")
    t = recognize(path, agent_channel=0, recognizer=recognizer)
    assert t.format == "asr"
    assert "faster-whisper" in t.source and "tiny.en" in t.source
    assert word_error_rate(AGENT_LINE, party_text(t, "agent")) <= WER_BOUND
    assert word_error_rate(CUSTOMER_LINE, party_text(t, "customer")) <= WER_BOUND
    agent_ends = max(u.end_s for u in t.utterances if u.speaker == "agent")
    customer_starts = min(u.start_s for u in t.utterances if u.speaker == "customer")
    assert agent_ends <= customer_starts + 0.3  # the customer only speaks after the agent
    assert {u.label for u in t.utterances} == {"0", "1"}
    duration_s = call_8k.shape[0] / 8000
    for u in t.utterances:
        assert u.words, "word timings are on"
        assert 0 <= u.start_s <= u.end_s <= duration_s
        starts = [w.start_s for w in u.words]
        assert starts == sorted(starts)
        assert all(u.start_s <= w.start_s <= w.end_s <= u.end_s for w in u.words)
    starts = [u.start_s for u in t.utterances]
    assert starts == sorted(starts)


@pytest.mark.slow  # heavy end to end: make test runs it, make test-fast leaves it out
def test_agent_on_the_right_channel(call_8k, recognizer):
    swapped = call_8k[:, ::-1]
    t = recognize(swapped, 8000, 2, agent_channel=1, recognizer=recognizer)
    assert word_error_rate(AGENT_LINE, party_text(t, "agent")) <= WER_BOUND
    assert word_error_rate(CUSTOMER_LINE, party_text(t, "customer")) <= WER_BOUND


@pytest.mark.slow  # heavy end to end: make test runs it, make test-fast leaves it out
def test_mono_and_identical_channels_are_unknown_speakers(call_8k, recognizer):
    mono = call_8k.sum(axis=1)
    for audio, channels in ((mono, None), (np.stack([mono, mono], axis=1), 2)):
        t = recognize(audio, 8000, channels, recognizer=recognizer)
        assert {(u.speaker, u.label) for u in t.utterances} == {("unknown", "")}
        both = f"{AGENT_LINE} {CUSTOMER_LINE}"
        assert word_error_rate(both, " ".join(u.text for u in t.utterances)) <= WER_BOUND


def test_array_input_checks():
    with pytest.raises(ValueError, match="sample_rate"):
        recognize(np.zeros(8000, dtype=np.float32))
    with pytest.raises(ValueError, match="do not divide into 2 channels"):
        recognize(np.zeros(8001, dtype=np.float32), 8000, 2)
    with pytest.raises(ValueError, match="not \\(frames, 2\\)"):
        recognize(np.zeros((8000, 3), dtype=np.float32), 8000, 2)


# --- the model's integrity -------------------------------------------------------------------


def tampered_copy(tmp_path, change: str | None = "config.json", drop: str | None = None):
    """The bundled model folder rebuilt in tmp_path (big files linked, not copied), with
    one byte appended to ``change`` and ``drop`` left out."""
    src = bundled_model_dir()
    dst = tmp_path / "model"
    dst.mkdir()
    for name in BUNDLED_MODEL_SHA256:
        if name == drop:
            continue
        if name == change:
            (dst / name).write_bytes((src / name).read_bytes() + b" ")
        else:
            (dst / name).symlink_to(src / name)
    return dst


def test_bundled_model_matches_recorded_hashes():
    spec = model_spec({})
    assert spec.sha256 is BUNDLED_MODEL_SHA256
    assert "tiny.en" in spec.name
    verify_model(spec)  # the installed, pinned package


def test_changed_bundled_model_is_refused(tmp_path, monkeypatch):
    folder = tampered_copy(tmp_path)
    monkeypatch.setattr("media.asr.bundled_model_dir", lambda: folder)
    with pytest.raises(AsrModelError, match=r"config\.json: SHA-256 [0-9a-f]{64}, expected"):
        load_recognizer(model_spec({}))


def test_incomplete_bundled_model_is_refused(tmp_path, monkeypatch):
    folder = tampered_copy(tmp_path, change=None, drop="tokenizer.json")
    monkeypatch.setattr("media.asr.bundled_model_dir", lambda: folder)
    with pytest.raises(AsrModelError, match=r"tokenizer\.json: missing"):
        verify_model(model_spec({}))


def test_configured_model_folder_and_its_hash_file(tmp_path):
    folder = tampered_copy(tmp_path)  # a "site's own" model: anything in config.json
    spec = model_spec({MODEL_ENV: str(folder)})
    assert spec.sha256 == {} and spec.path == folder
    verify_model(spec)  # no SHA256SUMS: nothing to check beyond model.bin being there
    digest = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()
    (folder / HASH_FILE).write_text(f"{digest}  config.json\n{'0' * 64}  *vocabulary.txt\n")
    spec = model_spec({MODEL_ENV: str(folder)})
    assert spec.sha256 == {"config.json": digest, "vocabulary.txt": "0" * 64}
    with pytest.raises(AsrModelError, match=rf"vocabulary\.txt: SHA-256 .*/{HASH_FILE}\)"):
        verify_model(spec)


def test_configured_model_that_does_not_exist_is_never_downloaded(tmp_path):
    with pytest.raises(AsrModelError, match="no such folder.*never downloaded"):
        model_spec({MODEL_ENV: "tiny.en"})  # a hub name is not a folder here
    (tmp_path / "empty").mkdir()
    with pytest.raises(AsrModelError, match="no model.bin"):
        verify_model(model_spec({MODEL_ENV: str(tmp_path / "empty")}))
