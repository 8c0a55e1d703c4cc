"""Chromium plays an S3-backed call through the app: the real app (server.py) with
EARSHOT_MEDIA_URL on a bucket of the SeaweedFS test server and an empty media folder;
the Score page's player plays the recording, and a seek far into it is answered by a
206 range read from the bucket."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from db.operations.config import settings
from db.services.media import S3Store, media_store
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD
from tests.s3.conftest import create_bucket, s3_endpoint, s3_environment  # noqa: F401

pytestmark = pytest.mark.browser
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def s3_app(streamlit_server, tmp_path_factory, request):
    from db.engine import make_engine, use_engine
    from db.operations.migrate import upgrade_to_head
    from db.services.calls import import_call
    from tests.factories import make_world

    endpoint = request.getfixturevalue("s3_endpoint")  # the SeaweedFS of tests/s3
    folder = tmp_path_factory.mktemp("earshot-s3-app")
    env = s3_environment(endpoint, f"s3://earshot-e2e-{uuid.uuid4().hex[:10]}/calls")
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    settings.cache_clear()
    store = media_store()
    assert isinstance(store, S3Store)
    create_bucket(store)
    url = f"sqlite:///{folder / 'app.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    use_engine(engine)
    world = make_world()
    recording = sorted((REPO_ROOT / "demo" / "audio").glob("*.opus"))[0]
    call = import_call(
        world.admin,
        recording,
        original_name=recording.name,
        agent_username=world.agent_north.username,
        started_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        analyse=False,
    )
    empty_media = folder / "media"
    server = streamlit_server(
        REPO_ROOT / "server.py",
        env={
            **env,
            "DATABASE_URL": url,
            "EARSHOT_DATA_DIR": str(folder),
            "EARSHOT_MEDIA_DIR": str(empty_media),
            "EARSHOT_SECRET_KEY": settings().secret_key.decode(),
        },
    )
    try:
        yield server.url, call, store, recording.stat().st_size, empty_media
    finally:
        use_engine(None)
        engine.dispose()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()


def test_the_player_plays_and_seeks_a_recording_kept_in_the_bucket(page, s3_app):
    url, call, store, size, empty_media = s3_app
    assert store.names() and not empty_media.exists()  # the recording is only in the bucket
    answers: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.status, r.headers.get("content-range", "")))
            if "/audio/" in r.url
            else None
        ),
    )
    log_in(page, url, "sup.north", PASSWORD)
    page.goto(f"{url}/score?call={call.id}")
    page.locator(".ep-play").wait_for()
    wait_for_app(page)
    page.locator(".ep-play").click()
    page.locator("audio").evaluate(
        "a => new Promise(r => { const t = setInterval(() => { if (a.currentTime > 1.0) "
        "{ clearInterval(t); r(); } }, 50); })"
    )
    # A seek near the end: Chromium asks for that part by range, read from the bucket.
    page.locator("audio").evaluate(
        "a => new Promise(r => { a.currentTime = a.duration * 0.9; const t = setInterval(() =>"
        " { if (a.currentTime > a.duration * 0.9 + 0.3) { clearInterval(t); r(); } }, 50); })"
    )
    ranged = [cr for status, cr in answers if status == 206]
    assert ranged, answers
    assert all(cr.endswith(f"/{size}") for cr in ranged)
    # The browser's own range request into the middle of the object, on the player's link.
    status, length, content_range = page.locator("audio").evaluate(
        "async a => { const r = await fetch(a.currentSrc, {headers: {Range: 'bytes=1000-1999'}});"
        " return [r.status, (await r.arrayBuffer()).byteLength, r.headers.get('content-range')]; }"
    )
    assert (status, length, content_range) == (206, 1000, f"bytes 1000-1999/{size}")
