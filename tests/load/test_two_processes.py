"""Two app processes, one PostgreSQL database, one media folder, one secret key: the
deployment of docs/deploy.md in miniature (without the load balancer in front).

What is shown is cross-process state only: process A and process B each keep their own
memory, engine and Streamlit sessions; what one of them (or the admin's import) changes in
the shared database and media folder, the other sees at once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import db.operations.config
from db.engine import use_engine
from db.services.auth import LOGIN_FAILED, MAX_FAILED_LOGINS
from media.signing import sign_media_token
from tests.conftest import _empty_pg
from tests.factories import PASSWORD, make_call, make_world
from tests.load import AppServer, WebSession, http_get

# Both tests share the two servers: keep them on one xdist worker; PostgreSQL is required.
pytestmark = [pytest.mark.xdist_group("two_app_processes"), pytest.mark.postgres]

SHARED_SECRET = "shared-secret-for-every-app-process-0123456789"


@pytest.fixture(scope="module")
def shared_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("shared-media")


@pytest.fixture(scope="module")
def two_apps(pg_engine, pg_server_url, shared_media, tmp_path_factory):
    """Process A and process B on two ports, both on the scratch PostgreSQL database."""
    servers = []
    try:
        for name in ("a", "b"):
            data_dir = tmp_path_factory.mktemp(f"app-{name}-data")
            env = {
                "DATABASE_URL": pg_server_url,
                "EARSHOT_MEDIA_DIR": str(shared_media),
                "EARSHOT_SECRET_KEY": SHARED_SECRET,
                "EARSHOT_DATA_DIR": str(data_dir),
            }
            server = AppServer(env, data_dir / "server.log")
            server.data_dir = data_dir
            servers.append(server)
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def shared_db(pg_engine, shared_media, monkeypatch):
    """This test process writes to the same database and media folder as the apps."""
    _empty_pg(pg_engine)
    use_engine(pg_engine)
    real = db.operations.config.settings
    monkeypatch.setattr(
        "db.services.media.settings", lambda: replace(real(), media_dir=shared_media)
    )
    yield pg_engine
    use_engine(None)


def _audio(server: AppServer, call_id: int, user_id: int, secret: str = SHARED_SECRET):
    token = sign_media_token(call_id, user_id, secret.encode(), ttl_s=600)
    return http_get(f"{server.url}/audio/{token}", {"Range": "bytes=0-8191"})


def test_a_call_imported_while_both_run_is_served_by_both(two_apps, shared_db, tmp_path):
    app_a, app_b = two_apps
    assert app_a.process.pid != app_b.process.pid and app_a.port != app_b.port
    world = make_world()
    first = make_call(world.admin, world.agent_north, tmp_path, seconds=4, seed=1)
    first_bytes = (tmp_path / "call-1.wav").read_bytes()[:8192]
    for app in two_apps:
        status, headers, body = _audio(app, first.id, world.sup_north.id)
        assert (status, body) == (206, first_bytes)
        assert headers["Content-Range"].startswith("bytes 0-8191/")
    # Both processes are warm. The next call does not exist yet: both say so.
    next_id = first.id + 1
    for app in two_apps:
        assert _audio(app, next_id, world.sup_north.id)[0] == 404

    second = make_call(world.admin, world.agent_north, tmp_path, seconds=4, seed=2)
    assert second.id == next_id
    second_bytes = (tmp_path / "call-2.wav").read_bytes()[:8192]
    for app in two_apps:  # seen by both at once: nothing is cached per process
        status, _, body = _audio(app, second.id, world.sup_north.id)
        assert (status, body) == (206, second_bytes)
        # Both verify with the shared key, not just any key.
        assert _audio(app, second.id, world.sup_north.id, "another-key-0123456789abcdef")[0] == 403
    for app in two_apps:  # and neither fell back to a private SQLite file
        assert not (app.data_dir / "earshot.db").exists()
        assert "Traceback" not in app.log()


def test_failed_logins_through_one_process_lock_the_account_on_the_other(two_apps, shared_db):
    app_a, app_b = two_apps
    make_world()
    with WebSession(app_b.url) as tab:  # control: B lets the right password in
        logged_in, errors = tab.log_in("sup.north", PASSWORD)
    assert logged_in and errors == []

    for _ in range(MAX_FAILED_LOGINS):  # a password guesser works through process A
        with WebSession(app_a.url) as tab:
            logged_in, errors = tab.log_in("sup.north", "guess-123")
        assert not logged_in and errors == [LOGIN_FAILED]

    with WebSession(app_b.url) as tab:  # B never saw those attempts, yet refuses
        logged_in, errors = tab.log_in("sup.north", PASSWORD)
    assert not logged_in
    assert len(errors) == 1 and errors[0]  # "Too many failed attempts…" (or one shared text)
    with WebSession(app_b.url) as tab:  # an account nobody attacked still logs in on B
        assert tab.log_in("sup.south", PASSWORD) == (True, [])
