"""File analysis decodes in blocks (issue 13, item 7): the report equals the one from the
whole decoded array, whatever the block size, including blocks that end mid-turn and
mid-frame, on the fixtures and on real-room conditions that exercise the echo check,
hold detection and resampling."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from media.waveform import PeakEnvelope, waveform_peaks
from scoring.audio import AudioStream, read_audio
from scoring.listening import analyze, analyze_file

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "listening"
sys.path.insert(0, str(ROOT / "tools"))

from listening_conditions import CONDITIONS  # noqa: E402


def _mid_turn_block(name: str) -> int:
    """A block size (odd, not a whole number of 30 ms frames) whose first boundary falls
    in the middle of the call's first agent turn."""
    truth = json.loads((FIXTURES / f"{name}.json").read_text())
    a, b = truth["runs"]["agent"][0]
    frames = int((a + b) / 2 * truth.get("sample_rate", 8000)) | 1
    return frames if frames % 240 else frames + 2


@pytest.mark.parametrize("vad", ["webrtc", "energy"])
@pytest.mark.parametrize("name", ["interruption", "backchannels", "silence"])
def test_block_wise_report_equals_whole_array_report(name, vad):
    truth = json.loads((FIXTURES / f"{name}.json").read_text())
    path = FIXTURES / truth["file"]
    samples, rate = read_audio(path)
    whole = analyze(samples, rate, truth["agent_channel"], vad=vad).to_dict()
    assert whole["turns"]  # a real call, not an empty report
    for block in (_mid_turn_block(name), 333, 4001, 1 << 16):
        got = analyze_file(path, truth["agent_channel"], vad=vad, block_frames=block)
        assert got.to_dict() == whole, f"{name}, blocks of {block} frames"


def test_mid_turn_block_really_cuts_a_turn():
    truth = json.loads((FIXTURES / "interruption.json").read_text())
    cut = _mid_turn_block("interruption") / 8000
    a, b = truth["runs"]["agent"][0]
    assert a + 0.2 < cut < b - 0.2
    assert _mid_turn_block("interruption") % 240  # and not on a frame boundary


@pytest.mark.parametrize(
    "name",
    ["echo_both_25db_50ms", "echo_customer_on_agent", "open_plan", "hold_music_and_message",
     "pcm_44k", "pcm_16k"],
)  # fmt: skip
def test_block_wise_equals_whole_under_real_room_conditions(name, tmp_path):
    """FLAC (exact): the echo check's stretches, hold, chatter and other rates."""
    case = CONDITIONS[name]()
    path = tmp_path / f"{name}.flac"
    sf.write(path, case.samples, case.rate, subtype="PCM_16")
    samples, rate = read_audio(path)
    whole = analyze(samples, rate, case.agent_channel).to_dict()
    got = analyze_file(path, case.agent_channel, block_frames=5003).to_dict()
    assert got == whole


@pytest.mark.parametrize("rate", [11025, 22050, 44100])
@pytest.mark.parametrize("block", [pytest.param(997, marks=pytest.mark.slow), 1 << 16])
def test_rates_webrtc_does_not_take_are_resampled_block_by_block(tmp_path, rate, block):
    """Not decoded whole: resampled a block at a time, sample for sample as the whole."""
    from scipy.signal import resample_poly

    samples, src = read_audio(FIXTURES / "interruption.opus")
    path = tmp_path / f"call_{rate}.flac"
    sf.write(path, resample_poly(samples, rate, src, axis=0), rate, subtype="PCM_24")
    decoded, _ = read_audio(path)
    whole = analyze(decoded, rate).to_dict()
    assert whole["interruptions"]
    assert analyze_file(path, block_frames=block).to_dict() == whole


def test_mono_file_block_wise_equals_whole():
    samples, rate = read_audio(FIXTURES / "mono.wav")
    whole = analyze(samples, rate).to_dict()
    assert analyze_file(FIXTURES / "mono.wav", block_frames=777).to_dict() == whole


def test_on_block_sees_every_decoded_frame_once(tmp_path):
    path = FIXTURES / "backchannels.opus"
    samples, _ = read_audio(path)
    seen: list[np.ndarray] = []
    analyze_file(path, block_frames=4001, on_block=seen.append)
    assert np.array_equal(np.concatenate(seen), samples)


@pytest.mark.parametrize("block", [pytest.param(1, marks=pytest.mark.slow), 97, 4001, 1 << 16])
def test_peak_envelope_from_blocks_equals_waveform_peaks(block):
    samples, _ = read_audio(FIXTURES / "interruption.opus")
    stream = AudioStream(FIXTURES / "interruption.opus", block_frames=max(block, 997))
    envelope = PeakEnvelope(stream.info.frames, stream.channels)
    for part in stream.blocks():
        for k in range(0, part.shape[0], block):
            envelope.add(part[k : k + block])
    assert envelope.peaks() == waveform_peaks(samples)


def test_stream_segments_read_the_same_samples_as_the_whole(tmp_path):
    path = tmp_path / "call.flac"
    x = np.random.default_rng(3).uniform(-0.5, 0.5, (50_000, 2)).astype(np.float32)
    sf.write(path, x, 8000, subtype="PCM_24")
    whole, _ = read_audio(path)
    stream = AudioStream(path, block_frames=1000)
    spans = [(40_000, 41_000), (-5, 10), (49_990, 50_010), (7, 7)]
    got = stream.segments(spans)
    assert np.array_equal(got[0], whole[40_000:41_000])
    assert np.array_equal(got[1][5:], whole[:10]) and not got[1][:5].any()
    assert np.array_equal(got[2][:10], whole[49_990:]) and not got[2][10:].any()
    assert got[3].shape == (0, 2)
