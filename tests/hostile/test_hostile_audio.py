"""Hostile audio at intake: corrupt, truncated, zero-length, enormous and mislabelled files.

Every refusal is an IntakeProblem naming the file as the user knows it (never a server
path), stores nothing (no row, no media file), and leaves earlier calls and drafts intact.
Mislabelled but real audio is accepted and stored under the format its bytes say.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from starlette.applications import Starlette

import db.operations.config
from db.engine import session_scope
from db.models import Call
from db.services.calls import IntakeProblem, get_call, import_call, list_calls
from db.services.evaluations import get_evaluation, open_draft, save_item
from db.services.listening import listening_report_for
from db.services.media import audio_path_for_grant, sha256_of
from media.signing import sign_media_token
from player.routes import media_routes
from tests.factories import make_call, make_world, write_speechlike_wav
from tests.hostile import asgi_request

WHEN = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64


@pytest.fixture
def media_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "media"
    real = db.operations.config.settings
    monkeypatch.setattr("db.services.media.settings", lambda: replace(real(), media_dir=folder))
    return folder


@pytest.fixture
def saved(database, media_dir, tmp_path):
    """A world with one good call and a draft on it: what must survive every attack."""
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=5, seed=99)
    ev = open_draft(world.sup_north, call.id)
    save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=4, note="kept")
    return world, call, get_evaluation(world.sup_north, ev.id)


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _assert_nothing_lost(world, call, ev, media_before: set[str], media_dir: Path) -> None:
    assert [c.id for c in list_calls(world.admin)] == [call.id]
    assert get_call(world.admin, call.id) == call
    assert get_evaluation(world.sup_north, ev.id) == ev
    assert _files(media_dir) == media_before


def _import(world, path: Path, name: str | None = None, **kw):
    return import_call(
        world.admin,
        path,
        original_name=name or path.name,
        agent_username="agent.north",
        started_at=WHEN,
        **kw,
    )


def _wav_bytes(seconds: float = 3.0, seed: int = 1, tmp: Path | None = None) -> bytes:
    path = write_speechlike_wav(tmp / f"src-{seed}.wav", seconds, seed=seed)
    return path.read_bytes()


def _mp3_bytes() -> bytes:
    buf = io.BytesIO()
    t = np.arange(8000 * 3) / 8000
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype("float32"), 8000, format="MP3")
    return buf.getvalue()


def _flac_with_garbage_inside(tmp: Path) -> bytes:
    raw = bytearray(Path(write_speechlike_wav(tmp / "f.wav", 6, seed=5)).read_bytes())
    data, rate = sf.read(io.BytesIO(bytes(raw)))
    buf = io.BytesIO()
    sf.write(buf, data, rate, format="FLAC")
    flac = bytearray(buf.getvalue())
    middle = len(flac) // 2
    flac[middle : middle + 4000] = np.random.default_rng(3).bytes(4000)
    return bytes(flac)


BAD_FILES = {
    # name: (file name the user gave, bytes builder, expected words in the message)
    "zero-length": ("empty.wav", lambda tmp: b"", "empty"),
    "text named .wav": ("notes.wav", lambda tmp: b"Call notes, not audio.\n" * 50, "audio"),
    "PNG named .wav": ("picture.wav", lambda tmp: PNG, "audio"),
    "random bytes named .mp3": (
        "noise.mp3",
        lambda tmp: np.random.default_rng(1).bytes(50_000),
        "audio",
    ),
    "WAV header only": ("header.wav", lambda tmp: _wav_bytes(tmp=tmp)[:44], "audio"),
    "cut inside the header": ("cut.wav", lambda tmp: _wav_bytes(tmp=tmp)[:20], "audio"),
    "HTML named .wav": (
        "<script>alert(1)</script>.wav",
        lambda tmp: b"<html><script>alert(1)</script></html>",
        "audio",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_unusable_files_are_refused_by_name_and_store_nothing(saved, media_dir, tmp_path, case):
    world, call, ev = saved
    name, build, expected = BAD_FILES[case]
    upload = tmp_path / "upload"  # as the upload page stores it: the server's own name
    upload.write_bytes(build(tmp_path))
    before = _files(media_dir)
    with pytest.raises(IntakeProblem) as refused:
        _import(world, upload, name)
    message = str(refused.value)
    assert message.startswith(f"{name}: ") and expected in message
    assert str(upload) not in message and str(tmp_path) not in message
    _assert_nothing_lost(world, call, ev, before, media_dir)


def test_a_file_over_the_configured_limit_is_refused_before_it_is_read(
    saved, media_dir, tmp_path, monkeypatch
):
    world, call, ev = saved
    real = db.operations.config.settings
    monkeypatch.setattr("db.services.calls.settings", lambda: replace(real(), max_upload_mb=1))
    big = write_speechlike_wav(tmp_path / "long.wav", seconds=40)  # 1.28 MB of real audio
    assert big.stat().st_size > 1024 * 1024
    before = _files(media_dir)
    with pytest.raises(IntakeProblem, match=r"long\.wav: \d+ MB is over the 1 MB limit"):
        _import(world, big)
    _assert_nothing_lost(world, call, ev, before, media_dir)
    small = write_speechlike_wav(tmp_path / "short.wav", seconds=10)  # the limit is not a ban
    assert _import(world, small, analyse=False).duration_s == pytest.approx(10, abs=0.01)


def test_a_directory_or_a_missing_file_is_refused(saved, media_dir, tmp_path):
    world, call, ev = saved
    before = _files(media_dir)
    (tmp_path / "folder.wav").mkdir()
    for path in (tmp_path / "folder.wav", tmp_path / "gone.wav"):
        with pytest.raises(IntakeProblem, match=path.name):
            _import(world, path)
    _assert_nothing_lost(world, call, ev, before, media_dir)


def _content_type(call_id: int, user_id: int) -> str:
    secret = db.operations.config.settings().secret_key
    app = Starlette(routes=media_routes(audio_path_for_grant, lambda: secret))
    status, headers, _ = asgi_request(app, f"/audio/{sign_media_token(call_id, user_id, secret)}")
    assert status == 200
    return headers["content-type"]


@pytest.mark.parametrize(
    ("name", "build", "stored_as", "content_type"),
    [
        ("really-a-wav.mp3", lambda tmp: _wav_bytes(tmp=tmp, seed=7), "wav", "audio/wav"),
        ("really-an-mp3.wav", lambda tmp: _mp3_bytes(), "mp3", "audio/mpeg"),
        ("no-extension", lambda tmp: _wav_bytes(tmp=tmp, seed=8), "wav", "audio/wav"),
    ],
)
def test_mislabelled_real_audio_is_stored_and_served_as_what_it_is(
    saved, media_dir, tmp_path, name, build, stored_as, content_type
):
    world, call, ev = saved
    upload = tmp_path / "upload"
    upload.write_bytes(build(tmp_path))
    row = _import(world, upload, name)
    with session_scope() as session:
        stored = session.get(Call, row.id)
        assert stored.audio_format == stored_as
        assert stored.audio_path.endswith(f"{stored.audio_sha256}.{stored_as}")
    assert sha256_of(media_dir / stored.audio_path) == sha256_of(upload)
    assert _content_type(row.id, world.admin.id).startswith(content_type)


def test_a_truncated_recording_imports_only_what_is_there(saved, media_dir, tmp_path):
    world, call, ev = saved
    whole = _wav_bytes(seconds=10, tmp=tmp_path, seed=11)
    upload = tmp_path / "upload"
    upload.write_bytes(whole[: len(whole) // 3])  # header says 10 s, a third is present
    try:
        row = _import(world, upload, "cut-off.wav")
    except IntakeProblem as exc:  # refusing is fine too, if it says why
        assert str(exc).startswith("cut-off.wav: ")
    else:
        assert row.duration_s <= 10 / 3 + 0.01
        report = listening_report_for(world.admin, row.id)
        assert report is not None  # analysed (or an error stored), never a crash


def test_audio_corrupt_inside_imports_and_says_why_without_server_paths(saved, media_dir, tmp_path):
    """The header is sound, the middle is garbage: the call imports (it may still play),
    the analysis stores a reason instead of crashing, and that reason, which the score
    page shows to scorers, names no server path."""
    world, call, ev = saved
    upload = tmp_path / "upload"
    upload.write_bytes(_flac_with_garbage_inside(tmp_path))
    try:
        row = _import(world, upload, "damaged.flac")
    except IntakeProblem as exc:
        assert str(exc).startswith("damaged.flac: ")
        return
    report = listening_report_for(world.admin, row.id)
    assert report is not None and report["error"], "a broken decode must leave a reason"
    assert "decode" in report["error"]
    assert str(media_dir) not in report["error"], report["error"]
    assert get_evaluation(world.sup_north, ev.id) == ev


def test_non_finite_samples_do_not_poison_the_analysis(saved, media_dir, tmp_path):
    world, call, ev = saved
    data = np.zeros((8000 * 4, 2), dtype="float32")
    data[:, 0] = 0.3 * np.sin(np.arange(data.shape[0]) / 8)
    data[1000:2000, 1] = np.nan
    data[3000:3100, 0] = np.inf
    path = tmp_path / "nan.wav"
    sf.write(path, data, 8000, subtype="FLOAT")
    row = _import(world, path)
    report = listening_report_for(world.admin, row.id)
    assert report is not None and report["error"] is None
    assert "nan" not in repr(report["report"]).lower()
