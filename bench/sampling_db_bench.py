"""Sampling in the product at bench scale: every plan run for one week through the services
(reading calls, evidence and exclusions, drawing, inserting), and the My assignments page
as a ratio to a blank page.

    .venv/bin/python -m bench.sampling_db_bench                 # scale 1: 100,000 calls
    .venv/bin/python -m bench.sampling_db_bench --scale 0.1 --reps 3
    .venv/bin/python -m bench.sampling_db_bench --week-calls 100000   # worst case

``bench_sampling_db(seeded, reps, say)`` is the function ``bench.run`` calls on its seeded
database. Plans (as in bench/sampling_bench.py): one weekly plan per team (5 calls per agent,
30 % reserved for triggered calls, a duration condition; the team's two supervisors), a
daily plan over every team (2 % of calls, at least 1, at most 4, one queue; the admin),
and a biweekly plan over twenty named agents. The week is the last full week before the
seed's "now"; each plan is run for every period of it, then all again (the idempotent
rerun the scheduler makes). ``--week-calls N`` first adds N calls (with listening
reports) inside that week: the seed spreads its calls over two years (~1,000 a week), the
issue's worst case puts all 100,000 in one. Targets: the runs under 10 s; the page within
5× blank (issue 18). Both rows also report CPU (``cpu_s``, ``cpu_x``): on a shared, loaded
machine the wall clock overstates what an idle one would take.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

RUN_TARGET_S = 10.0
PAGE_TARGET_X = 5.0
TEAMS = 10
SUPERVISORS_PER_TEAM = 2
FIRST_AGENT_ID = 22  # bench.seed: admin 1, supervisors 2..21, agents 22..221
AGENTS_PER_TEAM = 20


def measured_week(now: datetime) -> date:
    """The Monday of the last full week before ``now``."""
    today = now.astimezone(UTC).date()
    return today - timedelta(days=today.weekday() + 7)


def bench_plans(admin: Any) -> list[int]:
    """Save the plans described in the module docstring; their ids."""
    from db.services.sampling import save_plan
    from scoring.sampling import (
        Condition,
        FixedQuota,
        PercentQuota,
        SamplingPlan,
        Scorer,
        Trigger,
    )

    triggers = (Trigger("interruptions", ">=", 3), Trigger("talk_share", ">", 0.7))
    ids = []
    for team in range(1, TEAMS + 1):
        supervisors = [2 + (team - 1) * SUPERVISORS_PER_TEAM + j for j in range(2)]
        plan = SamplingPlan(
            key=f"bench-team-{team}",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(5),
            scorers=tuple(Scorer(s) for s in supervisors),
            team_ids=frozenset({team}),
            conditions=(Condition("duration_s", low=30.0),),
            triggers=triggers,
            triggered_share=0.3,
        )
        ids.append(save_plan(admin, f"Team {team} weekly", plan).id)
    daily = SamplingPlan(
        key="bench-daily",
        rubric_key="listening",
        period="daily",
        quota=PercentQuota(2.0, 1, 4),
        scorers=(Scorer(admin.id),),
        team_ids=frozenset(range(1, TEAMS + 1)),
        conditions=(Condition("queue", equals="service desk"),),
    )
    ids.append(save_plan(admin, "Everyone daily", daily).id)
    biweekly = SamplingPlan(
        key="bench-biweekly",
        rubric_key="listening",
        period="biweekly",
        quota=FixedQuota(3),
        scorers=(Scorer(2), Scorer(3)),
        agent_ids=frozenset(range(FIRST_AGENT_ID, FIRST_AGENT_ID + AGENTS_PER_TEAM)),
        triggers=triggers,
        triggered_share=0.3,
    )
    ids.append(save_plan(admin, "Twenty agents biweekly", biweekly).id)
    return ids


def add_week_calls(engine: Any, week: date, n: int, seed: int = 0) -> int:
    """``n`` more calls (with listening reports copied from call 1's) inside ``week``."""
    from sqlalchemy import func, select

    from bench.seed import bulk_insert
    from db.models import Call, ListeningReportRow

    rng = np.random.default_rng(seed)
    with engine.begin() as conn:
        first = conn.execute(select(Call).where(Call.id == 1)).mappings().one()
        report = dict(
            conn.execute(select(ListeningReportRow).where(ListeningReportRow.call_id == 1))
            .mappings()
            .one()
        )
        next_id = int(conn.execute(select(func.max(Call.id))).scalar_one()) + 1
        start = datetime.combine(week, datetime.min.time(), tzinfo=UTC)
        agents = rng.integers(FIRST_AGENT_ID, FIRST_AGENT_ID + TEAMS * AGENTS_PER_TEAM, n)
        offsets = rng.uniform(0, 7 * 86400, n)
        interruptions = rng.poisson(1.0, n)
        talk = rng.beta(5, 5, n)
        calls, reports = [], []
        for i in range(n):
            call_id = next_id + i
            at = start + timedelta(seconds=float(offsets[i]))
            calls.append(
                {
                    **{k: first[k] for k in ("audio_path", "audio_sha256", "audio_format")},
                    **{k: first[k] for k in ("sample_rate", "channels", "agent_channel")},
                    "id": call_id,
                    "external_id": f"W-{call_id:07d}",
                    "agent_id": int(agents[i]),
                    "started_at": at,
                    "duration_s": float(rng.gamma(3.0, 120.0)),
                    "meta": {"queue": "service desk", "bench": True},
                    "created_at": at,
                }
            )
            reports.append(
                {
                    **report,
                    "call_id": call_id,
                    "interruptions": int(interruptions[i]),
                    "talk_share": float(talk[i]),
                    "peaks": None,
                }
            )
        bulk_insert(conn, "call", calls)
        bulk_insert(conn, "listening_report", reports)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('call', 'id'), (SELECT max(id) FROM call))"
            )
            conn.exec_driver_sql("ANALYZE")
    return n


def run_week(plan_ids: list[int], week: date) -> tuple[float, float, int, int]:
    """Every plan for every period of the week, then all again. (wall s, CPU s, assignments
    made, made by the rerun)."""
    from db.engine import read_scope
    from db.models import SamplingPlanRow
    from db.services.sampling import run_plan
    from scoring.sampling import plan_from_dict

    with read_scope() as session:
        plans = {
            i: plan_from_dict(session.get(SamplingPlanRow, i).definition)  # type: ignore[union-attr]
            for i in plan_ids
        }
    days = [week + timedelta(days=d) for d in range(7)]
    wall, cpu = time.perf_counter(), time.process_time()
    made = [0, 0]
    for rerun in (0, 1):
        for plan_id, plan in plans.items():
            starts = sorted({plan.window(d).start for d in days})
            for start in starts:
                made[rerun] += run_plan(plan_id, start).created
    return time.perf_counter() - wall, time.process_time() - cpu, made[0], made[1]


def _open_with_cpu(open_: Callable[..., Any], actor: Any, page: str | None) -> tuple:
    """``bench.run._open`` (a fresh session, one landing run, then the timed run) plus the
    CPU time of the timed run (process time, the script thread included; the collection
    before it is not counted): a loaded machine inflates it far less than the wall clock."""
    import gc

    import bench.run as run

    timed = run._timed_run
    spent: list[float] = []

    def with_cpu(at: Any) -> float:
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        at.run()
        spent.append(time.process_time() - cpu)
        return time.perf_counter() - wall

    run._timed_run = with_cpu
    try:
        at, wall = open_(actor, page, {})
    finally:
        run._timed_run = timed
    return at, wall, spent[-1]


def bench_sampling_db(
    seeded: Any,
    reps: int,
    say: Callable[[str], None],
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """results.json rows: the week's runs and the My assignments page (needs a seeded
    database the services point at; plans are added to it)."""
    from bench.run import _open, _problem, median, result
    from tests.support.apptest import server_like_script_cache

    week = measured_week(now or datetime.now(UTC))
    plan_ids = bench_plans(seeded.admin)
    wall, cpu, made, again = run_week(plan_ids, week)
    say(f"  sampling: {len(plan_ids)} plans over the week of {week}: {wall:.2f} s, {made} made")
    rows = [
        result(
            "sampling: every plan run for a week, then again",
            wall,
            "s",
            f"< {RUN_TARGET_S:g} s (#18)",
            wall < RUN_TARGET_S and again == 0,
            cpu_s=round(cpu, 3),
            plans=len(plan_ids),
            week=week.isoformat(),
            assignments=made,
            made_by_rerun=again,
        )
    ]
    blank: list[float] = []
    page: list[float] = []
    cpu: dict[str, list[float]] = {"blank": [], "page": []}
    error = None
    with server_like_script_cache():
        for rep in range(reps + 1):  # rep 0 warms imports and caches; not counted
            _, t_blank, c_blank = _open_with_cpu(_open, None, None)
            at, t_page, c_page = _open_with_cpu(_open, seeded.supervisor, "pages/queue.py")
            if problem := _problem(at):
                error = problem
                break
            if rep:
                blank.append(t_blank)
                page.append(t_page)
                cpu["blank"].append(c_blank)
                cpu["page"].append(c_page)
    name = "page: My assignments (supervisor)"
    if error or not page:
        from bench.run import failed_run

        rows.append(failed_run(name, "× blank", f"≤ {PAGE_TARGET_X:g}× blank (#18)", error or ""))
        return rows
    ratio = median(page) / median(blank)
    rows.append(
        result(
            name,
            ratio,
            "× blank",
            f"≤ {PAGE_TARGET_X:g}× blank (#18)",
            ratio <= PAGE_TARGET_X,
            median_ms=round(median(page) * 1000, 2),
            blank_ms=round(median(blank) * 1000, 2),
            cpu_x=round(median(cpu["page"]) / max(median(cpu["blank"]), 1e-9), 2),
            reps=reps,
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.sampling_db_bench")
    ap.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 calls (default)")
    ap.add_argument("--reps", type=int, default=5, help="timed page repetitions")
    ap.add_argument("--week-calls", type=int, default=0, help="extra calls in the week")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="earshot-sampling-bench-"))
    os.environ.update(
        {
            "EARSHOT_DATA_DIR": str(tmp),
            "EARSHOT_MEDIA_DIR": str(tmp / "media"),
            "EARSHOT_SECRET_KEY": secrets.token_urlsafe(32),
        }
    )
    from bench.run import scratch_database

    url, drop = scratch_database(tmp)
    os.environ["DATABASE_URL"] = url
    from bench.seed import make_recording, seed
    from db.engine import make_engine

    try:
        engine = make_engine(url)
        now = datetime.now(UTC)
        seeded = seed(engine, make_recording(tmp / "media", 60.0), args.scale, now=now)
        print(f"seeded {seeded.counts.get('call', 0):,} calls in {seeded.seconds:.1f} s")
        if args.week_calls:
            add_week_calls(engine, measured_week(now), args.week_calls)
            print(f"added {args.week_calls:,} calls inside the measured week")
        for row in bench_sampling_db(seeded, args.reps, print, now):
            verdict = {True: "ok", False: "FAIL", None: ""}[row["pass"]]
            print(f"{row['name']}: {row['value']} {row['unit']} ({row['target']}) {verdict}")
            print(f"    {row['details']}")
        engine.dispose()
    finally:
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
