"""`make bench` sections for the second release's work, each against its issue's target:

- transcripts (#16): parsing a one-hour, 10,000-word transcript; speech recognition speed
  (× real time on a stereo 8 kHz demo call) and word error rate on the demo calls;
- text (#17): text evidence for a one-hour transcript; one call's suggestions once fitted;
- sampling (#18): every plan for a week at scale (pure rules, then through the database)
  and the My assignments page against a blank page;
- robust (#19): listening analysis on a clean and an open-plan one-hour call.

Each returns results.json rows (see bench.run.result).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


def bench_transcripts(say: Callable[[str], None], wer_calls: int | None = None) -> list[Row]:
    from bench.asr_bench import measure_speed, measure_wer
    from bench.run import result
    from bench.transcripts_bench import parse_hour_seconds
    from media.asr import load_recognizer

    parse_s = parse_hour_seconds()
    say(f"  transcripts: one hour parsed in {parse_s * 1000:.0f} ms")
    rows = [
        result(
            "transcripts: parse one hour (10,000 words)", parse_s, "s", "< 1 s (#16)", parse_s < 1
        )
    ]
    recognizer = load_recognizer(cpu_threads=2)
    speed = measure_speed(recognizer=recognizer)
    wer = measure_wer(wer_calls, recognizer=recognizer)
    say(
        f"  recognition: {speed['realtime_x']:.1f}x real time by the wall clock at load "
        f"{speed['load']:.1f} ({speed['cpu_per_audio_s']:.3f} CPU-s per audio s, so "
        f"{speed['idle_two_cores_x']:.1f}x or more on two idle cores), WER {wer['wer']:.1%} "
        f"(raw {wer['raw_wer']:.1%})"
    )
    rows.append(
        result(
            "recognition speed, stereo 8 kHz call",
            speed["realtime_x"],
            "× real time",
            "≥ 8× (#16)",
            speed["realtime_x"] >= 8,
            audio_s=round(speed["audio_s"], 1),
            cpu_seconds=round(speed["cpu_seconds"], 2),
            cpu_per_audio_s=round(speed["cpu_per_audio_s"], 4),
            idle_two_cores_x=round(speed["idle_two_cores_x"], 1),
            idle_two_cores_x_at_most=round(speed["idle_two_cores_x_at_most"], 1),
            load=round(speed["load"], 1),
        )
    )
    rows.append(
        result(
            "recognition word error rate, demo calls",
            wer["wer"],
            "share",
            "≤ 0.25 (#16)",
            wer["wer"] <= 0.25,
            raw_wer=round(wer["raw_wer"], 3),
            normalisation="Whisper's English text normaliser",
            agent_wer=round(wer["agent_wer"], 3),
            customer_wer=round(wer["customer_wer"], 3),
            words=wer["words"],
            calls=len(wer["calls"]),
        )
    )
    return rows


def bench_text(say: Callable[[str], None]) -> list[Row]:
    from bench.run import result
    from bench.suggestions_bench import suggestion_seconds
    from bench.text_evidence_bench import text_evidence_seconds

    evidence_s = text_evidence_seconds()
    suggest_s = suggestion_seconds()
    say(f"  text evidence: {evidence_s:.2f} s per hour; suggestions {suggest_s * 1000:.2f} ms")
    return [
        result(
            "text evidence, one-hour transcript", evidence_s, "s", "< 2 s (#17)", evidence_s < 2
        ),
        result(
            "suggestions for one call", suggest_s * 1000, "ms", "< 50 ms (#17)", suggest_s < 0.05
        ),
    ]


def bench_sampling(seeded: Any, reps: int, say: Callable[[str], None]) -> list[Row]:
    from bench.run import result
    from bench.sampling_bench import bench_sampling as pure_week
    from bench.sampling_db_bench import bench_sampling_db

    pure_s = pure_week()
    say(f"  sampling rules: a week at scale in {pure_s:.2f} s")
    rows = [
        result(
            "sampling rules: every plan for a week (200 agents, 100,000 calls)",
            pure_s,
            "s",
            "< 10 s (#18)",
            pure_s < 10,
        )
    ]
    return rows + bench_sampling_db(seeded, reps, say)


def bench_robust(reps: int, say: Callable[[str], None]) -> list[Row]:
    from bench.listening_robust_bench import bench_listening_robust
    from bench.run import result

    figures = bench_listening_robust(reps=reps)
    rows = []
    for name, f in figures.items():
        speed, over = f["realtime_x"], f["over_decode"]
        say(f"  listening ({name}): {speed:.0f}x real time, {over:.2f}x decode")
        label = name.replace("_", "-")
        rows.append(
            result(
                f"listening analysis, one-hour {label} call",
                f["realtime_x"],
                "× real time",
                "≥ 1000× (#19)",
                f["realtime_x"] >= 1000,
                decode_ms=f["decode_ms"],
                analysis_ms=f["analysis_ms"],
            )
        )
        rows.append(
            result(
                f"listening analysis over decode-only, one-hour {label} call",
                f["over_decode"],
                "× decode",
                "≤ 3× (#19)",
                f["over_decode"] <= 3,
            )
        )
    return rows
