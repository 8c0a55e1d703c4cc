"""Soak: scorers clicking on the real server for a while; no errors, no memory growth.

The real app server (``streamlit run server.py``, the shipped config: no full collection
after each run, server.py's frozen start-up heap and thresholds) on a SQLite file. Each
simulated scorer is a tab over Streamlit's protocol (tests/support/protocol.py) on the
Score page of its own call, changing a level (and now and then typing a note) about every
`PACE_S`. After a warm-up (every session, cache and draft exists), the server's RSS is
read; after the soak it is read again. The check is memory, never time: no error drawn
or raised, every scorer acted, and RSS grew less than `GROWTH_BOUND_MB`.

Short by default (the suite budget): 4 scorers for ~30 s. ``EARSHOT_SOAK_SECONDS=600
EARSHOT_SOAK_SCORERS=20`` is the ten-minute soak of issue 15.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest

from db.engine import make_engine, use_engine
from db.operations.config import settings
from db.operations.migrate import upgrade_to_head
from db.services.users import create_user
from tests.factories import PASSWORD, make_call, make_world
from tests.support.protocol import Scorer, ScoringTab
from tests.support.server import AppServer

SOAK_S = float(os.environ.get("EARSHOT_SOAK_SECONDS") or 30)
SCORERS = int(os.environ.get("EARSHOT_SOAK_SCORERS") or 4)
WARM_UP_S = 8.0 if SOAK_S <= 60 else 60.0
PACE_S = 1.0
# A bound, not a budget: the measured growth over the short soak is a few MB (SQLite
# page cache, session history); a per-run leak (a figure, a page's rows) exceeds it.
GROWTH_BOUND_MB = 20.0 if SOAK_S <= 60 else 30.0


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


def _act_until(tabs: list[ScoringTab], deadline: float, errors: list[str]) -> list[int]:
    """Every tab acts about every PACE_S until the deadline; the actions each took."""
    counts = [0] * len(tabs)

    def scorer(i: int, tab: ScoringTab) -> None:
        rng = random.Random(i)
        while time.monotonic() < deadline:
            try:
                _, run = tab.step()
            except Exception as exc:  # any error reaching a scorer fails the soak
                errors.append(f"{tab.scorer.username}: {type(exc).__name__}: {exc}")
                return
            if run.problem:
                errors.append(f"{tab.scorer.username}: {run.problem[:300]}")
            counts[i] += 1
            time.sleep(PACE_S * rng.uniform(0.5, 1.5))

    threads = [threading.Thread(target=scorer, args=(i, t)) for i, t in enumerate(tabs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=deadline - time.monotonic() + 180)
    assert not any(t.is_alive() for t in threads), "a scorer hung"
    return counts


def test_scorers_clicking_for_a_while_raise_no_errors_and_memory_does_not_grow(
    app_db, tmp_path, capsys
):
    world = make_world()
    scorers = []
    for i in range(SCORERS):
        name = f"soak.sup{i:02d}"
        create_user(None, name, f"Soak Sup {i}", "supervisor", PASSWORD, team="North")
        call = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=500 + i)
        scorers.append(Scorer(name, PASSWORD, call.id))
    env = {
        "DATABASE_URL": app_db,
        "EARSHOT_DATA_DIR": str(tmp_path / "data"),
        "EARSHOT_MEDIA_DIR": str(settings().media_dir),
        "EARSHOT_SECRET_KEY": settings().secret_key.decode(),
    }
    server = AppServer(env, tmp_path / "server.log")
    tabs: list[ScoringTab] = []
    errors: list[str] = []
    try:
        server.start()
        tabs = [ScoringTab(server.url, s) for s in scorers]
        for tab in tabs:
            tab.open()
        _act_until(tabs, time.monotonic() + WARM_UP_S, errors)
        before_kib = server.rss_kib()
        counts = _act_until(tabs, time.monotonic() + SOAK_S, errors)
        after_kib = server.rss_kib()
    finally:
        for tab in tabs:
            tab.close()
        server.stop()
    growth_mb = (after_kib - before_kib) / 1024
    with capsys.disabled():
        print(
            f"\n[soak] {SCORERS} scorers, {sum(counts)} actions in {SOAK_S:g} s: RSS "
            f"{before_kib / 1024:.1f} -> {after_kib / 1024:.1f} MB ({growth_mb:+.1f} MB), "
            f"errors: {len(errors)}"
        )
    assert errors == [], "errors reached the scorers:\n" + "\n".join(errors[:10])
    assert len(counts) == SCORERS and all(n > 0 for n in counts), f"idle scorers: {counts}"
    assert growth_mb < GROWTH_BOUND_MB, f"RSS grew {growth_mb:.1f} MB over the soak"
