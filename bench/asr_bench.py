"""Offline speech recognition on the demo calls: speed and word error rate.

    .venv/bin/python -m bench.asr_bench            # one call's speed, WER over all 24
    .venv/bin/python -m bench.asr_bench --calls 4  # WER over the first four only

Targets (issue 16): at least 8x real time on a stereo 8 kHz call with two cores, and a
word error rate of at most 25 % on the demo calls against their scripts.

- Speed (`measure_speed`): `media.asr.recognize` on a decoded demo call (both channels,
  resampling included; decoding the Opus file and loading the model are not), as
  call duration / recognition time, best of ``repeats``.
- WER (`measure_wer`): each call's channels are transcribed on their own, as in the app;
  per party, the reference is the script's lines of that party (demo/calls.json, the text
  espeak-ng spoke) and the hypothesis the transcript's utterances of that party. The
  figure is all word edits over all reference words (`scoring.wer`, normalised text).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from media.asr import Recognizer, load_recognizer, recognize
from scoring.audio import read_audio
from scoring.wer import normalise_words, word_edits

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "demo" / "calls.json"
AUDIO_DIR = ROOT / "demo" / "audio"
SPEED_CALL = "ana-01-password-expired"  # 111 s, both parties talk at length


def demo_calls() -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return calls


def _recognizer(recognizer: Recognizer | None, cpu_threads: int) -> Recognizer:
    return recognizer or load_recognizer(cpu_threads=cpu_threads)


def measure_speed(
    key: str = SPEED_CALL,
    *,
    repeats: int = 2,
    cpu_threads: int = 2,
    recognizer: Recognizer | None = None,
) -> dict[str, float]:
    """Recognition speed on one demo call: ``audio_s``, ``seconds`` (wall clock, best of
    ``repeats``), ``realtime_x`` = audio_s / seconds, and ``cpu_seconds`` (this process's
    CPU time in that run, all threads: on a busy machine wall clock overstates the cost)."""
    call = next(c for c in demo_calls() if c["key"] == key)
    model = _recognizer(recognizer, cpu_threads)
    samples, rate = read_audio(AUDIO_DIR / f"{key}.opus")
    audio_s = samples.shape[0] / rate
    best = cpu = float("inf")
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        recognize(samples, rate, agent_channel=call["agent_channel"], recognizer=model)
        elapsed = time.perf_counter() - started
        if elapsed < best:
            best, cpu = elapsed, time.process_time() - cpu_started
    return {"audio_s": audio_s, "seconds": best, "realtime_x": audio_s / best, "cpu_seconds": cpu}


def measure_wer(
    limit: int | None = None, *, cpu_threads: int = 2, recognizer: Recognizer | None = None
) -> dict[str, Any]:
    """Word error rate on the demo calls (the first ``limit`` of them, or all).

    Returns ``wer`` (pooled: edits / reference words), ``agent_wer``, ``customer_wer``,
    ``words`` (reference words), ``realtime_x`` over all of them (audio / recognition
    time) and ``calls``: per call ``key``, ``wer``, ``words``."""
    model = _recognizer(recognizer, cpu_threads)
    edits = {"agent": 0, "customer": 0}
    words = {"agent": 0, "customer": 0}
    per_call = []
    audio_s = seconds = 0.0
    for call in demo_calls()[:limit]:
        samples, rate = read_audio(AUDIO_DIR / f"{call['key']}.opus")
        started = time.perf_counter()
        transcript = recognize(samples, rate, agent_channel=call["agent_channel"], recognizer=model)
        seconds += time.perf_counter() - started
        audio_s += samples.shape[0] / rate
        call_edits = call_words = 0
        for party in ("agent", "customer"):
            ref = normalise_words(
                " ".join(s["text"] for s in call["segments"] if s["speaker"] == party)
            )
            hyp = normalise_words(
                " ".join(u.text for u in transcript.utterances if u.speaker == party)
            )
            n = word_edits(ref, hyp)
            edits[party] += n
            words[party] += len(ref)
            call_edits += n
            call_words += len(ref)
        per_call.append({"key": call["key"], "wer": call_edits / call_words, "words": call_words})
    total_words = words["agent"] + words["customer"]
    return {
        "wer": (edits["agent"] + edits["customer"]) / total_words,
        "agent_wer": edits["agent"] / words["agent"],
        "customer_wer": edits["customer"] / words["customer"],
        "words": total_words,
        "realtime_x": audio_s / seconds,
        "calls": per_call,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=None, help="only the first N demo calls")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    model = load_recognizer(cpu_threads=args.threads)
    print(f"model: {model.source} (verified and loaded in {time.perf_counter() - started:.1f} s)")
    speed = measure_speed(recognizer=model)
    print(
        f"speed: {SPEED_CALL} ({speed['audio_s']:.0f} s stereo 8 kHz) recognised in "
        f"{speed['seconds']:.1f} s = {speed['realtime_x']:.1f}x real time (target >= 8x; "
        f"{speed['cpu_seconds']:.1f} CPU-seconds)"
    )
    wer = measure_wer(args.calls, recognizer=model)
    for row in wer["calls"]:
        print(f"  {row['key']:<36} WER {row['wer']:6.1%}  ({row['words']} words)")
    print(
        f"WER {wer['wer']:.1%} over {len(wer['calls'])} calls, {wer['words']} words "
        f"(agent {wer['agent_wer']:.1%}, customer {wer['customer_wer']:.1%}; target <= 25%); "
        f"{wer['realtime_x']:.1f}x real time over them"
    )


if __name__ == "__main__":
    main()
