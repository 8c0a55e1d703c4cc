"""Sampling speed: every plan run over one week at bench scale (target: under 10 s).

    .venv/bin/python -m bench.sampling_bench              # 200 agents, 100,000 calls
    .venv/bin/python -m bench.sampling_bench --agents 20 --calls 10000

The worst case for the sampler: all 100,000 calls fall in the measured week (500 per agent),
each with listening and text evidence. Plans: one weekly plan per team (5 calls per agent,
30 % reserved for triggered calls, a duration condition), a daily plan over every team
(2 % of calls, at least 1, at most 4, inbound only) run for each of the seven days, and a
biweekly plan for twenty named agents. Each plan is run once per period in the week and
then once more with its own assignments (the idempotent rerun a scheduler makes as calls
arrive). Each run is handed the calls of its period and of the plan's teams and agents, as
the database query would return them. Generating the data is not timed; every draw is.
"""

from __future__ import annotations

import argparse
import time as clock
from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np

from scoring.sampling import (
    Assignment,
    Condition,
    FixedQuota,
    PercentQuota,
    SampleCall,
    SamplingPlan,
    Scorer,
    Trigger,
    Window,
    draw,
)

WEEK = date(2026, 11, 23)  # a Monday
TEAMS = 10
SUPERVISORS_PER_TEAM = 2
TARGET_S = 10.0


def generate(
    n_agents: int = 200, n_calls: int = 100_000, seed: int = 0
) -> tuple[list[SampleCall], list[SamplingPlan]]:
    """``n_calls`` calls in the week of ``WEEK`` for ``n_agents`` agents in ``TEAMS`` teams,
    and the plans described in the module docstring."""
    rng = np.random.default_rng(seed)
    agents = np.arange(1, n_agents + 1)
    agent_of = rng.choice(agents, size=n_calls)
    offsets = rng.integers(0, 7 * 86400, size=n_calls)
    durations = rng.gamma(3.0, 120.0, size=n_calls)
    interruptions = rng.poisson(1.0, size=n_calls)
    talk_share = rng.beta(5, 5, size=n_calls)
    longest_silence = rng.exponential(6.0, size=n_calls)
    defensive = rng.poisson(0.2, size=n_calls)
    direction = rng.choice(["inbound", "outbound"], size=n_calls, p=[0.8, 0.2])
    start = datetime.combine(WEEK, datetime.min.time())
    calls = [
        SampleCall(
            call_id=i + 1,
            agent_id=int(agent_of[i]),
            started_at=start + timedelta(seconds=int(offsets[i])),
            duration_s=float(durations[i]),
            team_id=int(agent_of[i]) % TEAMS,
            meta={"direction": str(direction[i]), "queue": f"q{i % 7}"},
            evidence={
                "interruptions": float(interruptions[i]),
                "talk_share": float(talk_share[i]),
                "longest_silence_s": float(longest_silence[i]),
                "defensive": float(defensive[i]),
            },
        )
        for i in range(n_calls)
    ]
    supervisors = [10_000 + n for n in range(TEAMS * SUPERVISORS_PER_TEAM)]
    triggers = (
        Trigger("interruptions", ">=", 3),
        Trigger("longest_silence_s", ">", 20),
        Trigger("talk_share", ">", 0.7),
        Trigger("defensive", ">=", 1),
    )
    plans = [
        SamplingPlan(
            key=f"team-{team}",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(5),
            scorers=tuple(
                Scorer(s, 1.0 + (n % 2))
                for n, s in enumerate(supervisors[team * 2 : team * 2 + SUPERVISORS_PER_TEAM])
            ),
            team_ids=frozenset({team}),
            conditions=(Condition("duration_s", low=60.0),),
            triggers=triggers,
            triggered_share=0.3,
        )
        for team in range(TEAMS)
    ]
    plans.append(
        SamplingPlan(
            key="daily-inbound",
            rubric_key="listening",
            period="daily",
            quota=PercentQuota(2.0, minimum=1, maximum=4),
            scorers=tuple(Scorer(s) for s in supervisors),
            team_ids=frozenset(range(TEAMS)),
            conditions=(Condition("direction", equals="inbound"),),
        )
    )
    plans.append(
        SamplingPlan(
            key="new-starters",
            rubric_key="listening",
            period="biweekly",
            quota=FixedQuota(10),
            scorers=tuple(Scorer(s) for s in supervisors[:4]),
            agent_ids=frozenset(int(a) for a in agents[:20]),
            triggers=triggers[:1],
            triggered_share=0.5,
            anchor=WEEK,
        )
    )
    return calls, plans


def run_week(calls: list[SampleCall], plans: list[SamplingPlan], week: date = WEEK) -> int:
    """Run every plan for every period that overlaps the week starting ``week``, then again
    with the assignments made; returns the number of assignments."""
    by_day: dict[date, list[SampleCall]] = defaultdict(list)
    for call in calls:
        by_day[call.started_at.date()].append(call)
    made: list[Assignment] = []
    for plan in plans:
        windows: list[Window] = []
        day = week
        while day < week + timedelta(days=7):
            window = plan.window(day)
            if window not in windows:
                windows.append(window)
            day += timedelta(days=1)
        for window in windows:
            in_period = [
                c
                for d in range(window.days)
                for c in by_day.get(window.start + timedelta(d), [])
                if c.team_id in plan.team_ids or c.agent_id in plan.agent_ids
            ]
            first = draw(
                plan, in_period, None, set(), set(), window, seed=1, existing_assignments=made
            )
            made.extend(first.assignments)
            again = draw(
                plan, in_period, None, set(), set(), window, seed=2, existing_assignments=made
            )
            if again.assignments:
                raise AssertionError(f"plan {plan.key}: a second run drew again")
    return len(made)


def bench_sampling(n_agents: int = 200, n_calls: int = 100_000, seed: int = 0) -> float:
    """Seconds to run every plan for a week on generated data (generation not timed)."""
    calls, plans = generate(n_agents, n_calls, seed)
    started = clock.perf_counter()
    run_week(calls, plans)
    return clock.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    calls, plans = generate(args.agents, args.calls)
    times, cpu = [], []
    for _ in range(args.reps):
        started, started_cpu = clock.perf_counter(), clock.process_time()
        n = run_week(calls, plans)
        times.append(clock.perf_counter() - started)
        cpu.append(clock.process_time() - started_cpu)
    best = sorted(times)[len(times) // 2]
    verdict = "ok" if best < TARGET_S else "FAIL"
    print(
        f"sampling: {n} assignments from {args.calls} calls, {args.agents} agents, "
        f"{len(plans)} plans: median {best:.2f} s over {args.reps} runs "
        f"(CPU {sorted(cpu)[len(cpu) // 2]:.2f} s) "
        f"(target < {TARGET_S:g} s) {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
