"""The benchmark's own workloads are what they claim to be (shapes, not timings)."""

from __future__ import annotations

from bench.sampling_bench import TEAMS, generate, run_week
from bench.transcripts_bench import hour_long_deepgram
from scoring.transcripts import parse_transcript


def test_the_week_bench_runs_every_plan_and_reruns_draw_nothing():
    calls, plans = generate(n_agents=20, n_calls=2_000, seed=1)
    made = run_week(calls, plans)  # raises if a rerun draws again
    # Weekly team plans: 5 per agent; the daily plan: at least one per agent per day.
    assert made >= 20 * 5 + 20 * 7
    assert len(plans) == TEAMS + 2


def test_hour_long_transcript_parses_every_word():
    # Shape check for the bench case: 10,000 words in 1,000 utterances over an hour.
    t = parse_transcript(hour_long_deepgram(), "hour.json", duration_s=3600.0)
    assert len(t.utterances) == 1000
    assert sum(len(u.words) for u in t.utterances) == 10_000
    assert t.utterances[-1].end_s <= 3600.0
