"""Recordings on a real S3-compatible server (SeaweedFS on loopback): import stores the
call's audio in the bucket by content hash and nothing in the media folder; the signed
audio route plays it by range with the same access check; the listening job and speech
recognition read it; backup and restore carry the bucket's recordings; a bucket that
refuses the write gives a clear message and saves nothing."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import delete
from sqlmodel import select
from starlette.applications import Starlette

from db.engine import read_scope, session_scope
from db.models import Call, ListeningReportRow
from db.operations.backup import BackupError, configured_target, create_backup, restore_backup
from db.services.calls import IntakeProblem, audio_url_for, list_calls
from db.services.listening import store_listening_report
from db.services.media import S3Store, local_audio_file
from tests.factories import make_call, make_world, write_speechlike_wav
from tests.hostile.asgi import call
from ui.http_app import app_middleware, app_routes

pytestmark = pytest.mark.usefixtures("sqlite_database")


@pytest.fixture
def app():
    return Starlette(routes=app_routes(), middleware=app_middleware())


def _audio(s3_media: S3Store, relative: str) -> bytes:
    answer = s3_media.client.get_object(Bucket=s3_media.bucket, Key=s3_media.key(relative))
    return answer["Body"].read()


def _stored_call(call_id: int) -> Call:
    with read_scope() as session:
        row = session.get(Call, call_id)
        assert row is not None
        return row


def test_import_stores_the_recording_in_the_bucket_by_content_hash(s3_media, tmp_path):
    world = make_world()
    row = make_call(world.admin, world.agent_north, tmp_path, seconds=3, seed=1)
    source = (tmp_path / "call-1.wav").read_bytes()
    stored = _stored_call(row.id)
    sha = hashlib.sha256(source).hexdigest()
    assert stored.audio_path == f"{sha[:2]}/{sha}.wav"
    assert s3_media.names() == [stored.audio_path]
    assert _audio(s3_media, stored.audio_path) == source
    assert not (tmp_path / "media").exists()  # nothing written to the media folder
    # The same recording again is a duplicate, as in the folder.
    with pytest.raises(IntakeProblem, match="already imported"):
        make_call(world.admin, world.agent_north, tmp_path, seconds=3, seed=1, external_id="X")


def test_audio_route_plays_ranges_from_the_bucket_with_the_access_check(s3_media, app, tmp_path):
    world = make_world()
    row = make_call(world.admin, world.agent_north, tmp_path, seconds=4, seed=2)
    source = (tmp_path / "call-2.wav").read_bytes()
    url = audio_url_for(world.sup_north, row.id)

    whole = call(app, url)
    assert whole.status == 200 and whole.body == source
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"].startswith("audio/wav")
    assert whole.headers["x-frame-options"]  # the security headers, as on every answer

    part = call(app, url, headers={"range": "bytes=1000-1999"})
    assert part.status == 206 and part.body == source[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(source)}"
    tail = call(app, url, headers={"range": "bytes=-100"})
    assert tail.status == 206 and tail.body == source[-100:]
    open_end = call(app, url, headers={"range": f"bytes={len(source) - 10}-"})
    assert open_end.body == source[-10:]
    past = call(app, url, headers={"range": f"bytes={len(source)}-"})
    assert past.status == 416 and past.headers["content-range"] == f"bytes */{len(source)}"
    head = call(app, url, "HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(source))

    # Checked on every request: a supervisor moved to another team loses the call at once.
    from db.services.users import set_role

    set_role(world.admin, world.sup_north.id, "supervisor", "South")
    assert call(app, url, headers={"range": "bytes=0-99"}).status == 403


def test_listening_job_and_local_reads_come_from_the_bucket(s3_media, tmp_path):
    world = make_world()
    row = make_call(world.admin, world.agent_north, tmp_path, seconds=6, seed=3)
    stored = _stored_call(row.id)
    report = store_listening_report(row.id)
    assert report.error is None and report.report and report.talk_share is not None
    # The worker read a cached copy of the bucket's object, byte for byte.
    copy = local_audio_file(stored.audio_path)
    assert copy.read_bytes() == _audio(s3_media, stored.audio_path)


def test_import_with_analysis_queues_a_job_that_reads_the_bucket(s3_media, tmp_path):
    from datetime import UTC, datetime

    from db.services.calls import import_call

    world = make_world()
    path = write_speechlike_wav(tmp_path / "analysed.wav", 5.0, seed=4)
    row = import_call(
        world.admin,
        path,
        original_name=path.name,
        agent_username=world.agent_north.username,
        started_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        external_id="S3-ANALYSED",
        analyse=True,  # jobs run at once in tests (huey immediate mode)
    )
    with read_scope() as session:
        report = session.get(ListeningReportRow, row.id)
    assert report is not None and report.error is None and report.report


def test_backup_and_restore_carry_the_bucket_recordings(s3_media, sqlite_database, tmp_path):
    world = make_world()
    rows = [make_call(world.admin, world.agent_north, tmp_path, seconds=2, seed=s) for s in (5, 6)]
    target = configured_target()
    target = type(target)(
        sqlite_database.url.render_as_string(hide_password=False),
        target.media_dir,
        target.media_url,
    )
    before = {name: _audio(s3_media, name) for name in s3_media.names()}
    assert len(before) == 2

    manifest = create_backup(tmp_path / "backup", target)
    assert set(manifest["media"]) == set(before)
    assert all(
        (tmp_path / "backup" / "media" / name).read_bytes() == data for name, data in before.items()
    )

    # Lose one recording from the bucket and one call row, then restore.
    lost = _stored_call(rows[0].id).audio_path
    s3_media.client.delete_object(Bucket=s3_media.bucket, Key=s3_media.key(lost))
    with session_scope() as session:
        session.exec(delete(ListeningReportRow))
        session.exec(delete(Call).where(Call.id == rows[1].id))
    with pytest.raises(BackupError, match="refusing to overwrite"):
        restore_backup(tmp_path / "backup", target)
    summary = restore_backup(tmp_path / "backup", target, force=True)
    assert summary["media_copied"] == 1 and summary["media_unchanged"] == 1
    assert {name: _audio(s3_media, name) for name in s3_media.names()} == before
    assert {c.id for c in list_calls(world.admin)} >= {rows[0].id, rows[1].id}


def test_a_bucket_that_refuses_the_write_says_so_and_saves_nothing(
    s3_media, configure_media_url, tmp_path
):
    world = make_world()
    kept = make_call(world.admin, world.agent_north, tmp_path, seconds=2, seed=7)
    configure_media_url("s3://earshot-no-such-bucket-h9/calls")
    with pytest.raises(IntakeProblem) as refused:
        make_call(world.admin, world.agent_north, tmp_path, seconds=2, seed=8)
    message = str(refused.value)
    assert "call-8.wav" in message and "s3://earshot-no-such-bucket-h9/calls/" in message
    assert "refused to store the recording" in message and "nothing was saved" in message
    assert "earshot-test-secret" not in message
    # The call saved before is untouched; no row names the refused recording.
    with read_scope() as session:
        ids = list(session.exec(select(Call.external_id)).all())
    assert ids == [kept.external_id]
