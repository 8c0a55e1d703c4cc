"""Peak envelopes for the waveform canvas."""

from __future__ import annotations

import time

import numpy as np
import pytest

from media.waveform import waveform_peaks


def test_shape_and_range_for_stereo_float() -> None:
    rng = np.random.default_rng(0)
    samples = rng.uniform(-0.8, 0.8, size=(48_000, 2)).astype(np.float32)
    peaks = waveform_peaks(samples, buckets=100)
    assert len(peaks) == 2
    assert all(len(ch) == 100 for ch in peaks)
    assert all(0.0 <= v <= 1.0 for ch in peaks for v in ch)
    assert all(isinstance(v, float) for ch in peaks for v in ch)
    assert max(peaks[0]) == pytest.approx(0.8, abs=0.01)


def test_default_bucket_count() -> None:
    assert len(waveform_peaks(np.zeros((10_000, 1)))[0]) == 1200


def test_peaks_follow_loud_and_silent_spans() -> None:
    rate = 8000
    t = np.arange(rate * 10) / rate
    agent = np.where(t < 5, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0)
    customer = np.where(t >= 5, 0.25 * np.sin(2 * np.pi * 300 * t), 0.0)
    peaks = waveform_peaks(np.stack([agent, customer], axis=1), buckets=10)
    assert peaks[0][:5] == pytest.approx([0.5] * 5, abs=0.01)
    assert peaks[0][5:] == [0.0] * 5
    assert peaks[1][:5] == [0.0] * 5
    assert peaks[1][5:] == pytest.approx([0.25] * 5, abs=0.01)


def test_int16_full_scale_including_most_negative_value() -> None:
    samples = np.array([[-32768, 0], [0, 16384], [100, -16384], [0, 0]], dtype=np.int16)
    peaks = waveform_peaks(samples, buckets=2)
    assert peaks[0] == [1.0, 0.003]
    assert peaks[1] == [0.5, 0.5]


def test_int32_and_uint8() -> None:
    i32 = np.array([[2**30], [-(2**31)]], dtype=np.int32)
    assert waveform_peaks(i32, buckets=2) == [[0.5, 1.0]]
    u8 = np.array([128, 255, 0, 128], dtype=np.uint8)
    assert waveform_peaks(u8, buckets=4) == [[0.0, 0.992, 1.0, 0.0]]


def test_mono_1d_input_is_one_channel() -> None:
    peaks = waveform_peaks(np.array([0.1, -0.2, 0.3, -0.4]), buckets=2)
    assert peaks == [[0.2, 0.4]]


def test_fewer_frames_than_buckets() -> None:
    peaks = waveform_peaks(np.array([[0.5], [-1.0]]), buckets=5)
    assert len(peaks[0]) == 5
    assert max(peaks[0]) == 1.0


def test_nan_ignored_and_overrange_clipped() -> None:
    samples = np.array([np.nan, 0.25, 3.0, np.nan, np.nan, np.nan])
    assert waveform_peaks(samples, buckets=3) == [[0.25, 1.0, 0.0]]


def test_empty_input_gives_flat_lanes() -> None:
    assert waveform_peaks(np.zeros((0, 2)), buckets=3) == [[0.0] * 3, [0.0] * 3]


@pytest.mark.parametrize("buckets", [0, -1, 2.5, True])
def test_bad_bucket_count(buckets: object) -> None:
    with pytest.raises(ValueError):
        waveform_peaks(np.zeros((10, 1)), buckets=buckets)  # type: ignore[arg-type]


def test_bad_shapes_and_dtypes() -> None:
    with pytest.raises(ValueError):
        waveform_peaks(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError):
        waveform_peaks(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        waveform_peaks(np.array([True, False]))


def test_input_not_modified() -> None:
    samples = np.array([[-0.5, 0.25]], dtype=np.float32)
    waveform_peaks(samples, buckets=1)
    assert samples.tolist() == [[-0.5, 0.25]]


def test_an_hour_of_8khz_stereo_is_cheap() -> None:
    samples = np.zeros((8000 * 3600, 2), dtype=np.int16)
    samples[::997] = 1000
    start = time.perf_counter()
    peaks = waveform_peaks(samples)
    elapsed = time.perf_counter() - start
    assert len(peaks) == 2 and len(peaks[0]) == 1200
    assert elapsed < 2.0, f"took {elapsed:.2f}s"
