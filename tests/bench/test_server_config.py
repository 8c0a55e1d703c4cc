"""The server the app ships is the server the protocol benchmark measured (issue 15).

`make run` serves ``streamlit run server.py`` with `.streamlit/config.toml`: Streamlit's
full garbage collection after every script run is off there, and server.py manages the
heap instead (the start-up heap frozen, larger thresholds). bench/protocol.py starts the
server the same way (tests/support/server.py) and records the settings it ran with in
bench/results.json; these tests hold the three together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.protocol import shipped_runner_config
from tests.support.server import REPO_ROOT, server_command

RESULTS = REPO_ROOT / "bench" / "results.json"


def _python(code: str) -> str:
    """Run `code` in a fresh interpreter from the repository root, as the server runs."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_streamlit_started_from_the_repository_runs_no_full_collection_after_each_run():
    shown = _python(
        "from streamlit import config; config.get_config_options(force_reparse=True);"
        " print(config.get_option('runner.postScriptGC'))"
    )
    assert shown == "False"
    assert shipped_runner_config()["runner"] == {"postScriptGC": False}


def test_server_py_freezes_the_start_up_heap_and_sets_the_thresholds_the_bench_records():
    shown = _python(
        "import gc, json, server; print(json.dumps([gc.get_threshold(), gc.get_freeze_count()]))"
    )
    thresholds, frozen = json.loads(shown)
    recorded = shipped_runner_config()
    assert recorded["server_py_gc_freeze"] is True
    assert thresholds == recorded["server_py_heap_thresholds"]
    assert thresholds[0] > 700  # larger than CPython's default young generation
    assert frozen > 10_000  # the imported app (Streamlit, SQLAlchemy, the pages' modules)


def test_the_bench_starts_the_server_as_make_run_does():
    command = server_command(8501)
    assert command[1:3] == ["run", "server.py"]
    assert not any(arg.startswith("--runner.") for arg in command), "config.toml decides"
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "streamlit run server.py --server.port $(PORT)" in makefile


def test_the_configuration_recorded_by_the_last_bench_is_the_shipped_one():
    if not RESULTS.exists():
        pytest.skip("no bench/results.json yet (make bench writes it)")
    meta = json.loads(RESULTS.read_text()).get("meta", {})
    if "server_config" not in meta:
        pytest.skip("bench/results.json has no protocol section (make bench writes it)")
    assert meta["server_config"] == shipped_runner_config(), (
        "the server configuration changed since the protocol bench measured it: "
        "run make bench again"
    )
