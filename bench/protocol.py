"""Protocol benchmark: simulated users against the real server, over Streamlit's WebSocket
protocol, as ratios to a blank Streamlit page measured the same way in the same run.

    .venv/bin/python -m bench.protocol                    # the demo database, N = 1,10,20,50
    .venv/bin/python -m bench.protocol --users 1,20 --seconds 20

The server is started as ``make run`` starts it (``streamlit run server.py``, the shipped
`.streamlit/config.toml` and server.py's heap management: tests/support/server.py); the
blank page (bench/blank_page.py) is served by a second process started the same way.
Actions, each timed from sending the BackMsg to the run's ``script_finished`` message:

- **click**: a scorer changes one item's level on the Score page (a fragment rerun that
  autosaves and redraws the total), every `interval` seconds (± 25 % jitter) per user;
- **note**: the same scorer types a note (every fifth action);
- **open**: each page of a supervisor's navigation, opened once per round (N = 1 only).

Per N: p50/p95/p99 in ms, errors (exceptions drawn, error alerts, timeouts), the server's
CPU per action (from /proc: CPU seconds used during the phase / actions) and its RSS. The
blank baseline runs the same N users rerunning the blank page at the same pace. Also the
RSS per idle logged-in session (sessions opened and left on the Overview).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.protocol import Run, Scorer, ScoringTab, WebSession
from tests.support.server import REPO_ROOT, AppServer

USERS = (1, 10, 20, 50)
INTERVAL_S = 2.0
CLICK_TARGET_X = 3.0  # p95 click ≤ 3 × p95 blank rerun (#15)
CPU_TARGET_X = 2.0  # CPU per click ≤ 2 × a blank rerun's (#15)
CAPACITY_P95_MS = 300.0
IDLE_SESSION_TARGET_MB = 2.0
PAGES = ("home", "queue", "score", "calibration", "disputes", "trends", "calls", "sampling")
DEMO_PASSWORD = "earshot-demo"  # noqa: S105 - the demo accounts, documented in README


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def shipped_runner_config() -> dict[str, Any]:
    """What the measured server runs with: `.streamlit/config.toml`'s [runner] table and
    server.py's heap settings (recorded in results.json; tests/unit/test_server_config.py
    checks the shipped files against it)."""
    import tomllib

    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    source = (REPO_ROOT / "server.py").read_text()
    return {
        "runner": config.get("runner", {}),
        "server_py_gc_freeze": "gc.freeze()" in source,
        "server_py_heap_thresholds": _thresholds_in(source),
    }


def _thresholds_in(source: str) -> list[int] | None:
    import ast

    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "HEAP_THRESHOLDS" for t in node.targets)
            and isinstance(node.value, ast.Tuple)
        ):
            return [int(ast.literal_eval(v)) for v in node.value.elts]
    return None


# ---------------------------------------------------------------- who scores what


def scorers_for(database_url: str, n: int, password: str) -> list[Scorer]:
    """N (account, call) pairs: supervisors round-robin, each with a call of their team
    that nobody else has evaluated or is drafting and they have not submitted (a draft of
    theirs is resumed; a colleague's would make the first score ask whether to start a
    second evaluation), no call used twice (so no two tabs race for one draft)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    user_table = "user" if engine.dialect.name == "sqlite" else '"user"'
    try:
        with engine.connect() as conn:
            sups = conn.execute(
                text(
                    f"SELECT id, username, team_id FROM {user_table} WHERE role = 'supervisor'"
                    " AND active AND team_id IS NOT NULL ORDER BY id"
                )
            ).all()
            free: dict[int, list[int]] = {
                sup_id: list(
                    conn.execute(
                        text(
                            f"SELECT c.id FROM call c JOIN {user_table} a ON a.id = c.agent_id"
                            " WHERE a.team_id = :team AND NOT EXISTS (SELECT 1 FROM evaluation e"
                            " WHERE e.call_id = c.id AND e.purpose = 'regular'"
                            " AND (e.scorer_id <> :sup OR e.status = 'submitted'))"
                            " ORDER BY c.started_at DESC LIMIT :n"
                        ),
                        {"team": team_id, "sup": sup_id, "n": n},
                    ).scalars()
                )
                for sup_id, _, team_id in sups
            }
    finally:
        engine.dispose()
    out: list[Scorer] = []
    taken: set[int] = set()
    i = 0
    while len(out) < n:
        if not any(free.values()):
            raise RuntimeError(f"only {len(out)} calls left to score for {n} scorers")
        sup_id, username, _ = sups[i % len(sups)]
        i += 1
        while free[sup_id]:
            call_id = free[sup_id].pop(0)
            if call_id not in taken:
                taken.add(call_id)
                out.append(Scorer(username, password, call_id))
                break
    return out


# ---------------------------------------------------------------- one simulated user


@dataclass
class Tally:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, run: Run) -> None:
        problem = run.problem
        with self.lock:
            self.samples.setdefault(action, []).append(run.seconds)
            if problem:
                self.errors.append(f"{action}: {problem[:200]}")

    def fail(self, what: str) -> None:
        with self.lock:
            self.errors.append(what[:300])

    def count(self) -> int:
        return sum(len(v) for v in self.samples.values())


class BlankTab:
    """A tab on the blank page: every action is a plain rerun."""

    def __init__(self, url: str) -> None:
        self.session = WebSession(url, timeout_s=120)

    def open(self) -> None:
        self.session.__enter__()
        self.session.act()

    def step(self) -> tuple[str, Run]:
        return "rerun", self.session.act()

    def close(self) -> None:
        if self.session.ws is not None:
            self.session.__exit__(None, None, None)


def drive(
    server: AppServer,
    tabs: list[Any],
    seconds: float,
    interval_s: float,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Open every tab (untimed), then let each act every `interval_s` (± 25 %) for
    `seconds`; the samples, errors and the server's CPU and RSS over the timed phase."""
    tally = Tally()
    opened: list[Any] = []
    for tab in tabs:
        try:
            tab.open()
            opened.append(tab)
        except Exception as exc:
            tally.fail(f"open: {type(exc).__name__}: {exc}")
    rss_before = server.rss_kib()
    cpu_before = server.cpu_s()
    start = time.monotonic()
    deadline = start + seconds

    def user(tab: Any, seed: int) -> None:
        rng = random.Random(seed)
        time.sleep(rng.uniform(0, interval_s))  # users do not click in step
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                action, run = tab.step()
                tally.add(action, run)
            except Exception as exc:
                tally.fail(f"{type(exc).__name__}: {exc}")
                return
            pause = interval_s * rng.uniform(0.75, 1.25) - (time.monotonic() - began)
            if pause > 0:
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))

    threads = [
        threading.Thread(target=user, args=(t, i), daemon=True) for i, t in enumerate(opened)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 180)
    elapsed = time.monotonic() - start
    cpu = server.cpu_s() - cpu_before
    rss_after = server.rss_kib()
    for tab in opened:
        tab.close()
    actions = tally.count()
    out: dict[str, Any] = {
        "users": len(tabs),
        "seconds": round(elapsed, 1),
        "actions": actions,
        "errors": len(tally.errors),
        "error_examples": tally.errors[:5],
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_action": round(cpu / actions * 1000, 2) if actions else None,
        "rss_mb": round(rss_after / 1024, 1),
        "rss_growth_mb": round((rss_after - rss_before) / 1024, 1),
    }
    for action, values in sorted(tally.samples.items()):
        ms = [v * 1000 for v in values]
        out[action] = {
            "n": len(ms),
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
        }
    say(
        f"  {len(tabs)} users: "
        + ", ".join(
            f"{a} p50 {out[a]['p50_ms']:.0f} p95 {out[a]['p95_ms']:.0f} ms"
            for a in sorted(tally.samples)
        )
        + f"; {out['errors']} errors; {out['cpu_ms_per_action']} ms CPU/action;"
        f" RSS {out['rss_mb']} MB"
    )
    return out


def page_opens(server: AppServer, scorer: Scorer, rounds: int) -> dict[str, list[float]]:
    """Each page of the supervisor's navigation opened in turn, `rounds` times (seconds);
    the first round is each page's first open in the session."""
    times: dict[str, list[float]] = {p: [] for p in PAGES}
    with WebSession(server.url, timeout_s=120) as tab:
        ok, alerts = tab.log_in(scorer.username, scorer.password)
        if not ok:
            raise RuntimeError(f"{scorer.username} could not log in: {alerts}")
        for _ in range(rounds):
            for page in PAGES:
                query = f"call={scorer.call_id}" if page == "score" else ""
                times[page].append(tab.act(page_name=page, query_string=query).seconds)
    return times


def blank_opens(server: AppServer, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        with WebSession(server.url, timeout_s=60) as tab:
            out.append(tab.act().seconds)
    return out


def idle_session_rss(
    server: AppServer, scorers: list[Scorer], sessions: int
) -> tuple[float, dict[str, float]]:
    """MB of server RSS per logged-in session left idle on the Overview, and the raw
    readings. One session is opened first, so process-wide caches are already warm."""
    tabs = []
    try:
        warm = WebSession(server.url, timeout_s=120).__enter__()
        tabs.append(warm)
        warm.log_in(scorers[0].username, scorers[0].password)
        time.sleep(1.0)
        before = server.rss_kib()
        for i in range(sessions):
            s = scorers[i % len(scorers)]
            tab = WebSession(server.url, timeout_s=120).__enter__()
            tabs.append(tab)
            tab.log_in(s.username, s.password)
        time.sleep(1.0)
        after = server.rss_kib()
    finally:
        for tab in tabs:
            tab.__exit__(None, None, None)
    raw = {"before_mb": round(before / 1024, 1), "after_mb": round(after / 1024, 1)}
    return (after - before) / 1024 / sessions, raw


# ---------------------------------------------------------------- the whole section


def bench_protocol(
    database_url: str,
    env: dict[str, str],
    password: str,
    label: str,
    log_dir: Path,
    *,
    users: tuple[int, ...] = USERS,
    seconds: float = 20.0,
    interval_s: float = INTERVAL_S,
    rounds: int = 3,
    idle_sessions: int = 40,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """The protocol figures for one database (`label`: demo | scale), as results rows."""
    from bench.run import result

    config = shipped_runner_config()
    scorers = scorers_for(database_url, max(users), password)
    app = AppServer({**env, "DATABASE_URL": database_url}, log_dir / f"protocol-{label}.log")
    blank = AppServer(env, log_dir / f"protocol-blank-{label}.log", script="bench/blank_page.py")
    rows: list[dict[str, Any]] = []
    app.start(timeout_s=120)
    blank.start(timeout_s=120)
    try:
        say(f"protocol ({label}): pages, first open and again ({rounds} rounds)")
        blank_first = blank_opens(blank, rounds)
        opens = page_opens(app, scorers[0], rounds)
        blank_ms = statistics.median(blank_first) * 1000
        for page, values in opens.items():
            first_ms = values[0] * 1000
            rows.append(
                result(
                    f"protocol {label}: {page} page, first open in a session",
                    first_ms / blank_ms,
                    "× blank",
                    "report only",
                    None,
                    first_ms=round(first_ms, 1),
                    again_ms=[round(v * 1000, 1) for v in values[1:]],
                    blank_open_ms=round(blank_ms, 1),
                )
            )
        idle_mb, raw = idle_session_rss(app, scorers, idle_sessions)
        rows.append(
            result(
                f"protocol {label}: RSS per idle logged-in session",
                idle_mb,
                "MB",
                f"≤ {IDLE_SESSION_TARGET_MB:g} MB (#15)",
                idle_mb <= IDLE_SESSION_TARGET_MB,
                sessions=idle_sessions,
                **raw,
            )
        )
        capacity = 0
        for n in users:
            say(
                f"protocol ({label}): {n} users for {seconds:g} s, one action each {interval_s:g} s"
            )
            base = drive(blank, [BlankTab(blank.url) for _ in range(n)], seconds, interval_s, say)
            load = drive(
                app, [ScoringTab(app.url, s) for s in scorers[:n]], seconds, interval_s, say
            )
            click = load.get("click", {})
            rerun = base.get("rerun", {})
            p95_x = (click.get("p95_ms") or float("nan")) / (rerun.get("p95_ms") or float("nan"))
            cpu_x = (load["cpu_ms_per_action"] or float("nan")) / (
                base["cpu_ms_per_action"] or float("nan")
            )
            if click and load["errors"] == 0 and click["p95_ms"] <= CAPACITY_P95_MS:
                capacity = max(capacity, n)
            targeted = n == 20
            rows.append(
                result(
                    f"protocol {label}: score click p95, {n} scorers every {interval_s:g} s",
                    p95_x,
                    "× blank",
                    f"≤ {CLICK_TARGET_X:g}× blank, no errors (#15)" if targeted else "report only",
                    (p95_x <= CLICK_TARGET_X and load["errors"] == 0) if targeted else None,
                    scorers=load,
                    blank=base,
                )
            )
            rows.append(
                result(
                    f"protocol {label}: server CPU per click, {n} scorers",
                    cpu_x,
                    "× blank",
                    f"≤ {CPU_TARGET_X:g}× blank (#15)" if targeted else "report only",
                    cpu_x <= CPU_TARGET_X if targeted else None,
                    cpu_ms_per_action=load["cpu_ms_per_action"],
                    blank_cpu_ms_per_rerun=base["cpu_ms_per_action"],
                )
            )
        rows.append(
            result(
                f"protocol {label}: capacity, scorers with p95 click ≤ {CAPACITY_P95_MS:g} ms",
                capacity,
                "scorers",
                "report only (aim 50, #15)",
                None,
                tried=list(users),
                server_config=config,
            )
        )
    finally:
        app.stop()
        blank.stop()
    return rows


def demo_database(tmp: Path) -> tuple[str, dict[str, str]]:
    """A fresh demo database (as `make run` loads it) in `tmp`: (url, environment)."""
    url = f"sqlite:///{tmp / 'earshot.db'}"
    env = {
        "EARSHOT_DATA_DIR": str(tmp),
        "EARSHOT_MEDIA_DIR": str(tmp / "media"),
        "EARSHOT_SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": url,
    }
    full = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    for step in (["-m", "db.operations.migrate"], ["-m", "db.operations.cli", "seed-demo"]):
        subprocess.run(
            [sys.executable, *step], cwd=REPO_ROOT, env=full, check=True, capture_output=True
        )
    return url, env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.protocol", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--users", default=",".join(map(str, USERS)))
    ap.add_argument("--seconds", type=float, default=20.0, help="timed phase per N")
    ap.add_argument("--interval", type=float, default=INTERVAL_S)
    ap.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    users = tuple(int(u) for u in args.users.split(","))
    with tempfile.TemporaryDirectory(prefix="earshot-protocol-") as tmp_name:
        tmp = Path(tmp_name)
        url, env = demo_database(tmp)
        rows = bench_protocol(
            url,
            env,
            DEMO_PASSWORD,
            "demo",
            tmp,
            users=users,
            seconds=args.seconds,
            interval_s=args.interval,
        )
    from bench.run import print_table

    print_table(rows)
    if args.out:
        args.out.write_text(
            json.dumps(
                {"meta": {"server_config": shipped_runner_config()}, "results": rows}, indent=2
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
