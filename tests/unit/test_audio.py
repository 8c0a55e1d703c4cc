"""scoring.audio: probing and decoding, and a clear AudioProblem for every bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from scoring.audio import AudioInfo, AudioProblem, AudioStream, probe_audio, read_audio

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "listening"
STEREO = FIXTURES / "interruption.opus"
MONO = FIXTURES / "mono.wav"


def test_probe_opus_fixture():
    info = probe_audio(STEREO)
    assert isinstance(info, AudioInfo)
    assert (info.format, info.subtype) == ("OGG", "OPUS")
    assert info.sample_rate == 8000
    assert info.channels == 2
    assert 20 < info.duration_s < 40
    assert info.frames == pytest.approx(info.duration_s * 8000, abs=1)


def test_probe_mono_mulaw_wav():
    info = probe_audio(MONO)
    assert (info.format, info.subtype, info.channels) == ("WAV", "ULAW", 1)


def test_read_audio_shape_and_dtype():
    samples, rate = read_audio(STEREO)
    assert rate == 8000
    assert samples.dtype == np.float32
    assert samples.ndim == 2 and samples.shape[1] == 2
    assert samples.shape[0] == probe_audio(STEREO).frames
    mono, _ = read_audio(MONO)
    assert mono.shape[1] == 1


def test_audio_problem_is_a_value_error():
    assert issubclass(AudioProblem, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(AudioProblem, match="no such file"):
        probe_audio(tmp_path / "nope.wav")


def test_directory_is_refused(tmp_path):
    with pytest.raises(AudioProblem, match="not a regular file"):
        read_audio(tmp_path)


def test_empty_file_names_the_file(tmp_path):
    path = tmp_path / "empty.opus"
    path.write_bytes(b"")
    with pytest.raises(AudioProblem, match=r"empty\.opus.*empty \(0 bytes\)"):
        read_audio(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.wav", b"this is a text file, not a recording\n" * 50),
        ("random.mp3", np.random.default_rng(1).bytes(40_000)),
        ("random.opus", np.random.default_rng(2).bytes(40_000)),
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(200)),
    ],
)
def test_non_audio_is_refused(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioProblem) as err:
        read_audio(path)
    assert name in str(err.value)
    assert "audio" in str(err.value)


def test_header_only_wav_is_refused(tmp_path):
    path = tmp_path / "cut.wav"
    path.write_bytes(MONO.read_bytes()[:30])
    with pytest.raises(AudioProblem, match="cut.wav"):
        probe_audio(path)


def test_zero_length_wav_is_refused(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros((0, 2)), 8000)
    with pytest.raises(AudioProblem, match="zero length"):
        read_audio(path)


def test_truncated_opus_header_is_refused(tmp_path):
    path = tmp_path / "trunc.opus"
    path.write_bytes(STEREO.read_bytes()[:300])
    with pytest.raises(AudioProblem, match="trunc.opus"):
        read_audio(path)


def test_truncated_mp3_is_reported_unless_allowed(tmp_path):
    samples, rate = read_audio(STEREO)
    full = tmp_path / "full.mp3"
    sf.write(full, samples, rate, format="MP3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(AudioProblem, match="truncated"):
        read_audio(cut)
    partial, _ = read_audio(cut, allow_truncated=True)
    assert 0 < partial.shape[0] < samples.shape[0]


def test_corrupt_middle_never_crashes(tmp_path):
    data = bytearray(STEREO.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 4000] = np.random.default_rng(3).bytes(4000)
    path = tmp_path / "corrupt.opus"
    path.write_bytes(bytes(data))
    try:
        samples, _ = read_audio(path)
    except AudioProblem as exc:
        assert "corrupt.opus" in str(exc)
    else:
        assert samples.shape[0] > 0 and np.isfinite(samples).all()


def test_truncated_wav_decodes_what_is_there(tmp_path):
    # A WAV cut short has no record of its lost length: it is simply shorter.
    src = tmp_path / "src.wav"
    sf.write(src, np.zeros((16000, 2), dtype=np.float32), 8000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(src.read_bytes()[:20000])
    samples, _ = read_audio(cut)
    assert 0 < samples.shape[0] < 16000


def test_non_finite_samples_are_zeroed(tmp_path):
    path = tmp_path / "nan.wav"
    x = np.full((800, 1), 0.1, dtype=np.float32)
    x[10] = np.nan
    x[20] = np.inf
    sf.write(path, x, 8000, subtype="FLOAT")
    samples, _ = read_audio(path)
    assert np.isfinite(samples).all()
    assert samples[10, 0] == 0 and samples[20, 0] == 0


def test_stream_decodes_the_same_samples_block_by_block_with_read_audios_checks(tmp_path):
    samples, rate = read_audio(STEREO)
    stream = AudioStream(STEREO, block_frames=1001)
    assert np.array_equal(np.concatenate(list(stream.blocks())), samples)
    assert np.array_equal(np.concatenate(list(stream.blocks())), samples)  # and again
    with pytest.raises(AudioProblem, match=r"interruption\.opus: the recording lasts"):
        AudioStream(STEREO, max_duration_s=10)  # refused from the header
    full = tmp_path / "full.mp3"
    sf.write(full, samples, rate, format="MP3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(AudioProblem, match=r"cut\.mp3: appears truncated"):
        for _ in AudioStream(cut).blocks():
            pass
    assert sum(b.shape[0] for b in AudioStream(cut, allow_truncated=True).blocks()) > 0
    with pytest.raises(ValueError, match="block_frames"):
        AudioStream(STEREO, block_frames=0)
