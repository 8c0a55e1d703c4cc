"""The Score page with the transcript pane shown: the rerun after one score changes, as a
ratio to a blank Streamlit page (target ≤ 3×, issues 16 and 17), on the seeded one-hour
call with a generated one-hour transcript (about 1,000 utterances with word timings) and
its text evidence stored. A section of ``bench.run``:

    .venv/bin/python -m bench.run --scale 0.01 --reps 5 --skip pages,listening,calibration,server

The transcript and its evidence are read once per call in a session, so the rerun after a
score change (an item fragment and the summary) costs what it costs without them; the
first open pays for reading them and sending the utterances to the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench.text_evidence_bench import one_hour_transcript


def attach_bench_transcript(call_id: int) -> int:
    """Store a generated transcript as the call's (cut to its length) and its text evidence
    (computed here: the bench runs no worker). Returns the number of utterances."""
    from sqlmodel import select

    from db.engine import read_scope, session_scope
    from db.models import Call, TranscriptRow
    from db.services.text_evidence import compute_text_evidence
    from db.services.transcripts import store_transcript

    with read_scope() as session:
        call = session.get(Call, call_id)
        assert call is not None
        has_one = session.exec(select(TranscriptRow.id).where(TranscriptRow.call_id == call_id))
        existing = has_one.first()
        duration = call.duration_s
    hour = one_hour_transcript(seconds=max(10.0, duration - 2.0))
    # The generator labels parties by role; utterances must end inside the recording.
    utterances = tuple(u for u in hour.utterances if u.end_s <= duration)
    transcript = replace(hour, utterances=utterances)
    if existing is None:
        with session_scope() as session:
            call = session.get(Call, call_id)
            store_transcript(session, None, call, transcript, "bench:generated")
    compute_text_evidence(call_id)
    return len(utterances)


def bench_score_transcript(seeded: Any, reps: int, say: Callable[[str], None]) -> list[dict]:
    """Rows for ``bench.run``: the Score page's first open and its rerun after a score
    change, with the transcript pane shown, each against a blank page."""
    from bench.run import (
        _ms,
        _open,
        _problem,
        _score_rerun,
        failed_run,
        median,
        result,
    )
    from tests.support.apptest import server_like_script_cache

    n_utterances = attach_bench_transcript(seeded.score_call_id)
    say(f"  transcript: {n_utterances} utterances on the Score page's call")
    query = {"call": str(seeded.score_call_id)}
    blank: list[float] = []
    opened: list[float] = []
    rerun: list[float] = []
    name = "Score page rerun after changing one score, transcript pane shown"
    target = "≤ 3× blank (#16, #17)"
    with server_like_script_cache():
        for rep in range(reps + 1):  # rep 0 warms imports and caches; not counted
            _, t_blank = _open(None, None, {})
            at, t_open = _open(seeded.supervisor, "pages/score.py", query)
            if problem := _problem(at):
                return [failed_run(name, "× blank", target, problem)]
            if not any(getattr(p, "key", "") and "_m" in p.key for p in at.button_group):
                return [failed_run(name, "× blank", target, "no text evidence on the page")]
            t_rerun, problem = _score_rerun(at)
            if problem:
                return [failed_run(name, "× blank", target, problem)]
            if rep:
                blank.append(t_blank)
                opened.append(t_open)
                rerun.append(t_rerun)
    blank_s = median(blank)
    ratio = median(rerun) / blank_s
    return [
        result(
            "page: Score a call with the transcript pane (first open of the session)",
            median(opened) / blank_s,
            "× blank",
            "report only",
            None,
            median_ms=round(median(opened) * 1000, 2),
            blank_ms=round(blank_s * 1000, 2),
            utterances=n_utterances,
        ),
        result(
            name,
            ratio,
            "× blank",
            target,
            ratio <= 3,
            median_ms=round(median(rerun) * 1000, 2),
            blank_ms=round(blank_s * 1000, 2),
            ratio_of_minimums=round(min(rerun) / min(blank), 2),
            samples_ms=_ms(rerun),
            utterances=n_utterances,
        ),
    ]
