"""Decompression bombs: a small compressed file that declares hours of audio (issue 13,
item 7). A 1.1 MB FLAC of silence declares 12 hours, and decoding it whole took 1.6 GB.

Intake refuses a recording longer than EARSHOT_MAX_CALL_HOURS from its header, before
anything is decoded; the listening analysis never decodes past the cap either (a call
stored before the cap was lowered), and it decodes in blocks: its memory is one block plus
small per-frame arrays, not the decoded call (4 h of stereo 8 kHz took 0.99 GB before).
"""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import db.operations.config
from db.services.calls import IntakeProblem, import_call, list_calls
from db.services.listening import store_listening_report
from scoring.audio import AudioProblem, _decode_in_blocks, probe_audio, read_audio
from scoring.listening import analyze_file
from tests.factories import make_world, write_speechlike_wav

WHEN = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
MB = 1_000_000


@pytest.fixture
def media_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "media"
    real = db.operations.config.settings
    monkeypatch.setattr("db.services.media.settings", lambda: replace(real(), media_dir=folder))
    return folder


def _cap_hours(monkeypatch, hours: float) -> None:
    real = db.operations.config.settings
    capped = lambda: replace(real(), max_call_hours=hours)  # noqa: E731
    monkeypatch.setattr("db.services.calls.settings", capped)
    monkeypatch.setattr("db.services.listening.settings", capped)


def _silent_flac(path: Path, hours: float, rate: int = 8000) -> Path:
    """Hours of digital silence as FLAC, written ten minutes at a time (a few hundred
    kB per hour: what an attacker uploads)."""
    block = np.zeros(rate * 600, dtype=np.int16)
    with sf.SoundFile(path, "w", rate, 1, format="FLAC", subtype="PCM_16") as fh:
        for _ in range(int(hours * 6)):
            fh.write(block)
    return path


@pytest.fixture(scope="module")
def five_hour_bomb(tmp_path_factory) -> Path:
    """Written once per module: both databases' tests upload the same file."""
    return _silent_flac(tmp_path_factory.mktemp("bomb") / "bomb.flac", hours=5)


@pytest.fixture(scope="module")
def one_hour_of_silence(tmp_path_factory) -> Path:
    return _silent_flac(tmp_path_factory.mktemp("hour") / "hour.flac", hours=1)


def _import(world, path: Path, **kw):
    return import_call(
        world.admin,
        path,
        original_name=path.name,
        agent_username="agent.north",
        started_at=WHEN,
        **kw,
    )


def _peak_bytes(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        try:
            result: object = fn()
        except Exception as exc:  # the caller checks what came back
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_small_flac_declaring_hours_is_refused_at_import_before_decoding(
    database, media_dir, tmp_path, hostile, five_hour_bomb
):
    world = make_world()
    bomb = five_hour_bomb  # over the default 4 h
    assert bomb.stat().st_size < 1 * MB
    refusal, peak = _peak_bytes(
        lambda: hostile.attempt(lambda: _import(world, bomb), IntakeProblem, "5 h FLAC bomb")
    )
    assert isinstance(refusal, IntakeProblem)
    assert str(refusal) == (
        "bomb.flac: the recording lasts 5 h 00 min (18000 s), longer than the 4 h 00 min "
        "(14400 s) a call may last (EARSHOT_MAX_CALL_HOURS)"
    )
    assert str(bomb.parent) not in str(refusal)
    assert peak < 2 * MB  # 5 h decoded would be 576 MB of float32
    assert list_calls(world.admin) == []
    assert not media_dir.exists() or not any(p.is_file() for p in media_dir.rglob("*"))


def test_the_cap_is_a_setting_and_not_a_ban(database, media_dir, tmp_path, monkeypatch, hostile):
    world = make_world()
    _cap_hours(monkeypatch, 30 / 3600)  # 30 s
    long = write_speechlike_wav(tmp_path / "long.wav", seconds=31)
    refusal = hostile.attempt(lambda: _import(world, long), IntakeProblem, "31 s over 30 s")
    assert "long.wav: the recording lasts 0 h 01 min (31 s), longer than" in str(refusal)
    short = write_speechlike_wav(tmp_path / "short.wav", seconds=29, seed=2)
    kept = hostile.attempt(lambda: _import(world, short, analyse=False), IntakeProblem, "29 s")
    assert kept.duration_s == pytest.approx(29, abs=0.01)


def test_the_analysis_never_decodes_past_the_cap(
    database, media_dir, monkeypatch, hostile, one_hour_of_silence
):
    """A call stored under a larger cap: lowering the cap stops its analysis from
    decoding the hour (stored as an error the scorer sees), with next to no memory."""
    world = make_world()
    call = _import(world, one_hour_of_silence, analyse=False)
    _cap_hours(monkeypatch, 0.5)
    row, peak = _peak_bytes(lambda: store_listening_report(call.id))
    hostile.refused_clearly()
    assert not isinstance(row, Exception), row
    assert row.error is not None and "longer than the 0 h 30 min (1800 s)" in row.error
    assert str(media_dir) not in row.error
    assert peak < 8 * MB  # the hour decoded would be 115 MB


def test_analysing_a_call_takes_far_less_than_its_samples(
    database, media_dir, tmp_path, monkeypatch
):
    world = make_world()
    _cap_hours(monkeypatch, 0.1)  # 6 min
    path = write_speechlike_wav(tmp_path / "talk.wav", seconds=300)  # stereo 8 kHz
    call = _import(world, path, analyse=False)
    samples_bytes = 300 * 8000 * 2 * 4  # float32 (frames, channels): 19.2 MB
    store_listening_report(call.id)  # once first: imports and caches are not the call's
    row, peak = _peak_bytes(lambda: store_listening_report(call.id))
    assert not isinstance(row, Exception), row
    assert row.error is None and row.talk_share is not None
    assert peak < samples_bytes / 4  # blocks, frame levels and the waveform's buckets


def test_decoding_stops_at_the_cap_even_when_the_header_understates(tmp_path):
    """The decoder counts what it decodes: past the cap it stops, whatever the header
    said (an MP3 header only estimates its length)."""
    path = _silent_flac(tmp_path / "twenty.flac", hours=1 / 3)
    with pytest.raises(AudioProblem, match=r"twenty\.flac: the recording lasts 0 h 20 min"):
        read_audio(path, max_duration_s=600)  # refused from the header
    understated = replace(probe_audio(path), duration_s=60.0)
    with pytest.raises(AudioProblem, match=r"longer than the 0 h 10 min \(600 s\)"):
        _decode_in_blocks(path, understated, 600.0)  # refused while decoding
    samples, rate = _decode_in_blocks(path, understated, None)  # grown past the header
    assert samples.shape == (1200 * 8000, 1) and rate == 8000


def _tones_and_near_silence(path: Path, hours: float, rate: int = 8000) -> Path:
    """A long stereo call made cheaply: ten minutes of near-silence (-65 dBFS noise)
    with 1.2 s tones every 3 s, alternating channels at -20 to -40 dBFS, written again
    and again as FLAC."""
    n = rate * 600
    x = np.random.default_rng(7).normal(0, 10 ** (-65 / 20), (n, 2)).astype(np.float32)
    t = np.arange(int(1.2 * rate)) / rate
    for k, start in enumerate(range(0, n - 3 * rate, 3 * rate)):
        tone = 10 ** (-(20 + 5 * (k % 5)) / 20) * np.sin(2 * np.pi * (300 + 40 * (k % 7)) * t)
        x[start : start + t.size, k % 2] += tone.astype(np.float32)
    with sf.SoundFile(path, "w", rate, 2, format="FLAC", subtype="PCM_16") as fh:
        for _ in range(int(hours * 6)):
            fh.write(x)
    return path


@pytest.mark.parametrize(("hours", "bound_mb"), [(1, 16), (4, 48)])
def test_analysing_hours_takes_bounded_memory(tmp_path, hours, bound_mb):
    """Decoded whole, 1 h of stereo 8 kHz is 230 MB of float32 and 4 h 922 MB; analysed
    in blocks the peak is one block plus some 10 bytes per 30 ms frame and channel."""
    path = _tones_and_near_silence(tmp_path / "long.flac", hours)
    report, peak = _peak_bytes(lambda: analyze_file(path, max_duration_s=4 * 3600))
    assert not isinstance(report, Exception), report
    assert report.duration_s == hours * 3600
    assert len(report.turns) > hours * 1000  # the tones (199 per ten minutes) were heard
    assert peak < bound_mb * MB


def test_a_44_khz_call_is_resampled_in_blocks_not_whole(tmp_path):
    """WebRTC takes 8/16/32/48 kHz: a 44.1 kHz call is resampled to 16 kHz a block at
    a time (ten minutes decoded whole would be 212 MB of float32, resampled 77 MB more)."""
    path = _tones_and_near_silence(tmp_path / "cd.flac", 1 / 6, rate=44100)
    report, peak = _peak_bytes(lambda: analyze_file(path))
    assert not isinstance(report, Exception), report
    assert report.duration_s == 600 and len(report.turns) > 150
    assert peak < 16 * MB
