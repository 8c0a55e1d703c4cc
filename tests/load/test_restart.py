"""Crash in the middle of scoring, start again: the draft is there, the server is healthy.

The real app server (``streamlit run server.py``) runs on a SQLite file in WAL mode. A
scorer process keeps autosaving a draft into the same file (acknowledging each save on
stdout, as a page would show "saved"); mid-stream both it and the server are SIGKILLed,
with committed pages still in the WAL. The server is started again on the same file:
it must come up healthy and serve the call's audio, and the draft must hold every
acknowledged save, exactly as a replay of the saves predicts, and still be resumable.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from db.engine import make_engine, use_engine
from db.operations.config import settings
from db.operations.migrate import upgrade_to_head
from db.services.evaluations import get_evaluation, open_draft, rubric_for, save_item, submit
from media.signing import sign_media_token
from scoring.evaluation import score_evaluation
from tests.factories import SCORED_ITEMS, make_call, make_world
from tests.load import REPO_ROOT, AppServer, http_get

ITEMS = SCORED_ITEMS  # the default rubric's items (eye contact is N/A on audio)
SAVES_BEFORE_CRASH = 40

# Autosaves the draft until killed: write i sets ITEMS[i % 9] to 1 + 3i % 5 and prints
# the row version it produced once the save has committed.
SCORER = """
import sys, time
from db.access import Actor
from db.engine import make_engine, use_engine
from db.services.evaluations import save_item
items = sys.argv[4].split(",")
use_engine(make_engine(sys.argv[1]))
actor = Actor(int(sys.argv[2]), "scorer", "Scorer", "supervisor", int(sys.argv[5]))
ev_id, version, deadline = int(sys.argv[3]), int(sys.argv[6]), time.monotonic() + 60
for i in range(5000):
    if time.monotonic() > deadline:
        break
    version = save_item(actor, ev_id, version, items[i % len(items)], value=1 + (3 * i) % 5,
                        note=f"autosave {i}").row_version
    print(version, flush=True)
"""


@pytest.fixture
def app_db(tmp_path):
    """A migrated SQLite file shared by this process's services and the app server."""
    url = f"sqlite:///{tmp_path / 'earshot.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    use_engine(engine)
    yield url
    use_engine(None)
    engine.dispose()


def _range_get(server: AppServer, call_id: int, user_id: int):
    token = sign_media_token(call_id, user_id, settings().secret_key, ttl_s=600)
    return http_get(f"{server.url}/audio/{token}", {"Range": "bytes=0-4095"})


def test_killing_the_app_mid_scoring_loses_no_saved_work(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    ev = open_draft(world.sup_north, call.id)
    ev = save_item(
        world.sup_north,
        ev.id,
        ev.row_version,
        "open_mind",
        value=5,
        note="Let the customer finish \u2014 twice \U0001f44d",
    )
    start_version = ev.row_version

    env = {
        "DATABASE_URL": app_db,
        "EARSHOT_DATA_DIR": str(tmp_path / "data"),
        "EARSHOT_MEDIA_DIR": str(settings().media_dir),
        "EARSHOT_SECRET_KEY": settings().secret_key.decode(),
    }
    server = AppServer(env, tmp_path / "server.log")
    scorer = None
    try:
        server.start()
        status, _, body = _range_get(server, call.id, world.sup_north.id)
        assert status == 206 and body[:4] == b"RIFF"  # the server has the database open

        scorer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SCORER,
                app_db,
                str(world.sup_north.id),
                str(ev.id),
                ",".join(ITEMS),
                str(world.sup_north.team_id),
                str(start_version),
            ],
            cwd=REPO_ROOT,
            env={**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        acknowledged = []
        while len(acknowledged) < SAVES_BEFORE_CRASH:
            line = scorer.stdout.readline()
            assert line, f"the scorer stopped early: {scorer.stderr.read()[-2000:]}"
            acknowledged.append(int(line))
        # The crash: scorer and server die at once, no clean shutdown, WAL not checkpointed.
        os.killpg(scorer.pid, signal.SIGKILL)
        server.crash()
        scorer.wait(timeout=10)
        acknowledged += [int(x) for x in scorer.stdout.read().split()]
        assert scorer.returncode == -signal.SIGKILL

        server.start()  # same file, new process (and a new port)
        assert server.healthy()
        status, _, body = _range_get(server, call.id, world.sup_north.id)
        assert status == 206 and body[:4] == b"RIFF"
    finally:
        if scorer is not None and scorer.poll() is None:
            os.killpg(scorer.pid, signal.SIGKILL)
            scorer.wait(timeout=10)
        server.stop()

    # Read back through the services, in a fresh engine, as the restarted app would.
    fresh = make_engine(app_db)
    use_engine(fresh)
    try:
        draft = open_draft(world.sup_north, call.id)  # "resume": the same draft, not a new one
        assert draft.id == ev.id and draft.status == "draft"
        last_ack = acknowledged[-1]
        assert last_ack <= draft.row_version <= last_ack + 1  # nothing acknowledged is lost
        expected = {"open_mind": (5, "Let the customer finish \u2014 twice \U0001f44d")}
        for i in range(draft.row_version - start_version):
            expected[ITEMS[i % len(ITEMS)]] = (1 + (3 * i) % 5, f"autosave {i}")
        assert {k: (s.value, s.note) for k, s in draft.items.items() if not s.na} == expected
        rubric = rubric_for(world.sup_north, ev.id)
        assert draft.total == score_evaluation(rubric, draft.values).total
        for key in ITEMS:  # and scoring simply carries on
            draft = save_item(world.sup_north, draft.id, draft.row_version, key, value=3)
        done = submit(world.sup_north, draft.id, draft.row_version)
        assert done.submitted and get_evaluation(world.sup_north, ev.id).total == 50.0
    finally:
        use_engine(None)
        fresh.dispose()
    with sqlite3.connect(app_db.removeprefix("sqlite:///")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert "Traceback" not in server.log()
