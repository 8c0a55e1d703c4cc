"""Search across calls at bench scale: the Calls page answering a transcript search over
100,000 transcripts (× ``--scale``), as a ratio to a blank Streamlit page (target ≤ 20×,
issue 16). A section of ``bench.run`` ("search"), on SQLite FTS5 or PostgreSQL (GIN on
``to_tsvector('simple', text)``) as ``DATABASE_URL`` says:

    .venv/bin/python -m bench.run --scale 1 --reps 5 --skip \\
      pages,transcript,listening,calibration,server,protocol,browser,transcripts,text,sampling,robust

Seeding (`seed_transcripts`): one transcript per seeded call, ``UTTERANCES_PER_CALL``
utterances each (the demo calls average 18 in 97 s), their lines drawn from the demo calls'
scripts so that words are as common as they are in real calls; one utterance in
``RARE_EVERY`` names a ticket number that occurs once in the whole database. Rows go in
by COPY on PostgreSQL (`bench.seed.bulk_insert`), where the GIN index is maintained as
rows arrive, as in the product; on SQLite by the driver's executemany, with the FTS5 index
built once by FTS5's 'rebuild' when the rows are in (the product's insert trigger is put
back after it).

The figures (`bench_search`), each a median of ``reps`` against a blank page timed in the
same loop, for a supervisor (their team's calls) and the admin (every call), and queries
of a common word, two words, a word that occurs once in the database and a word that
occurs nowhere (the search must rule out everything to say so):

- the answer (the target's figure): `db.services.transcripts.search_transcripts`, the service the
  Calls page calls with the search box's text, for the slowest query;
- the Calls page's rerun after the query is typed into its search box (report only), with
  the same page's rerun without a search beside it: most of that rerun is the page's own
  list of calls, jobs and uploads, which the pages section measures on its own.
"""

from __future__ import annotations

import gc
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from bench.seed import DEMO_AUDIO, bulk_insert

TRANSCRIPTS = 100_000  # at scale 1: one per seeded call
UTTERANCES_PER_CALL = 20
RARE_EVERY = 1_000  # one utterance in this many names a unique ticket number
CHUNK_ROWS = 50_000
SOURCE = "bench:generated"
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def script_lines() -> list[tuple[str, str]]:
    """(speaker, sentence) from the demo calls' scripts (demo/calls.json), in order."""
    catalogue = json.loads((DEMO_AUDIO.parent / "calls.json").read_text(encoding="utf-8"))
    lines = []
    for call in catalogue:
        for segment in call["segments"]:
            for sentence in _SENTENCE_END.split(segment["text"].strip()):
                if sentence:
                    lines.append((segment["speaker"], sentence))
    return lines


def _utterance_rows(
    call_ids: list[int],
    rng: np.random.Generator,
    lines: list[tuple[str, str]],
    first_ids: tuple[int, int] = (1, 1),
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(transcript rows, utterance rows) in chunks of about ``CHUNK_ROWS`` utterances;
    explicit ids from ``first_ids`` (transcript, utterance), the n-th utterance made here
    rare when n % RARE_EVERY == 0."""
    now = datetime.now(UTC).replace(microsecond=0)
    per_chunk = max(1, CHUNK_ROWS // UTTERANCES_PER_CALL)
    made = 0
    for first in range(0, len(call_ids), per_chunk):
        chunk = call_ids[first : first + per_chunk]
        picks = rng.integers(0, len(lines), size=(len(chunk), UTTERANCES_PER_CALL))
        transcripts: list[dict[str, Any]] = []
        utterances: list[dict[str, Any]] = []
        for i, call_id in enumerate(chunk):
            transcript_id = first_ids[0] + first + i
            transcripts.append(
                {
                    "id": transcript_id,
                    "call_id": call_id,
                    "source": SOURCE,
                    "format": "bench",
                    "utterance_count": UTTERANCES_PER_CALL,
                    "created_by": None,
                    "created_at": now,
                }
            )
            for seq, pick in enumerate(picks[i]):
                made += 1
                utterance_id = first_ids[1] + made - 1
                speaker, text = lines[int(pick)]
                if made % RARE_EVERY == 0:
                    text = f"{text} The ticket is INC{made // RARE_EVERY:07d}."
                start = 1.0 + 6.0 * seq
                utterances.append(
                    {
                        "id": utterance_id,
                        "transcript_id": transcript_id,
                        "call_id": call_id,
                        "seq": seq,
                        "speaker": speaker,
                        "label": speaker.upper(),
                        "start_s": start,
                        "end_s": start + 5.0,
                        "text": text,
                        "words": [],
                        "redactions": [],
                    }
                )
        yield transcripts, utterances


def _insert_utterances(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """`bulk_insert` (COPY) on PostgreSQL; on SQLite the driver's executemany of plain
    tuples, the JSON columns written as text once (Core would encode each row's)."""
    if conn.dialect.name != "sqlite":
        return bulk_insert(conn, "transcript_utterance", rows)
    columns = list(rows[0])
    json_columns = {"words", "redactions"}
    conn.exec_driver_sql(
        f"INSERT INTO transcript_utterance ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})",
        [
            tuple(json.dumps(row[c]) if c in json_columns else row[c] for c in columns)
            for row in rows
        ],
    )
    return len(rows)


def seed_transcripts(engine: Engine, scale: float, *, rng_seed: int = 16) -> dict[str, Any]:
    """Give seeded calls (first ids first) a transcript until ``TRANSCRIPTS × scale`` calls
    have one; a call that has one keeps it (the transcript-pane section stores its own).
    See the module docstring. Returns ``transcripts`` and ``utterances`` (in the database
    now), ``new_utterances``, ``seconds`` (wall clock) and ``cpu_seconds`` (this
    process's; a PostgreSQL server's work is not in it)."""
    from db.models import TRANSCRIPT_FTS_SQLITE, Call, TranscriptRow, TranscriptUtterance

    started, cpu_started = time.perf_counter(), time.process_time()
    wanted = max(1, round(TRANSCRIPTS * scale))

    def count(table: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def next_id(column: Any) -> int:
        return int(conn.execute(select(func.max(column))).scalar() or 0) + 1

    with engine.connect() as conn:
        has_one = select(TranscriptRow.id).where(TranscriptRow.call_id == Call.id).exists()
        missing = max(0, wanted - count(TranscriptRow))
        call_ids = list(
            conn.execute(select(Call.id).where(~has_one).order_by(Call.id).limit(missing))
            .scalars()
            .all()
        )
        first_ids = (next_id(TranscriptRow.id), next_id(TranscriptUtterance.id))
    rng = np.random.default_rng(rng_seed)
    lines = script_lines()
    counts = {"transcripts": 0, "utterances": 0}
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # Scratch data: no fsync, and a page cache that holds the FTS index being built.
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
            # FTS5 indexes rows far faster in one 'rebuild' than row by row from the insert
            # trigger (about 9x less CPU), so the trigger waits until the rows are in.
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS transcript_utterance_ai")
        for transcripts, utterances in _utterance_rows(call_ids, rng, lines, first_ids):
            counts["transcripts"] += bulk_insert(conn, "transcript", transcripts)
            counts["utterances"] += _insert_utterances(conn, utterances)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "INSERT INTO transcript_utterance_fts(transcript_utterance_fts) VALUES ('rebuild')"
            )
            for statement in TRANSCRIPT_FTS_SQLITE:  # IF NOT EXISTS: puts the trigger back
                conn.exec_driver_sql(statement)
        if conn.dialect.name == "postgresql":
            for table in ("transcript", "transcript_utterance"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE transcript_utterance")
            conn.exec_driver_sql("ANALYZE transcript")
    with engine.connect() as conn:
        totals = {"transcripts": count(TranscriptRow), "utterances": count(TranscriptUtterance)}
    return {
        **totals,
        "new_utterances": counts["utterances"],
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu_started, 2),
    }


def queries(utterances: int) -> tuple[tuple[str, str], ...]:
    """(label, query): how often the words occur decides how much a search must read."""
    rare = max(1, utterances // RARE_EVERY // 2)
    return (
        ("common word", "password"),
        ("two words", "password expired"),
        ("one line in the database", f"ticket INC{rare:07d}"),
        ("no match", "zebra"),
    )


def _search_rerun(at: Any, query: str) -> tuple[float, int, str | None]:
    """Type ``query`` into the open Calls page's search box; (seconds, hits shown, problem)."""
    from bench.run import _problem, _timed_run

    boxes = [t for t in at.text_input if t.key == "transcript_search"]
    if not boxes:
        return 0.0, 0, "no transcript search box on the Calls page"
    if boxes[0].value == query:
        elapsed = _timed_run(at)  # the same query again: a plain rerun
    else:
        boxes[0].set_value(query)
        elapsed = _timed_run(at)
    shown = sum(1 for t in at.text if " · " in str(t.value))
    return elapsed, shown, _problem(at)


def _timed_search(actor: Any, query: str) -> tuple[float, int]:
    from db.services.transcripts import search_transcripts

    gc.collect()
    started = time.perf_counter()
    hits = search_transcripts(actor, query)
    return time.perf_counter() - started, len(hits)


def bench_search(
    engine: Engine, seeded: Any, reps: int, say: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Rows for ``bench.run``: seeding time; the search's answer (the service the Calls
    page calls) against a blank page, slowest query (the target); and the Calls page's
    rerun that shows the answer, against a blank page (report only: most of it is the
    page's own list of calls, whose rerun without a search is recorded beside it)."""
    from bench.run import _open, _problem, failed_run, median, result
    from tests.support.apptest import server_like_script_cache

    seeded_counts = seed_transcripts(engine, seeded.scale)
    n = seeded_counts["transcripts"]
    say(
        f"  search: {n:,} transcripts, {seeded_counts['utterances']:,} utterances "
        f"seeded in {seeded_counts['seconds']:.1f} s"
    )
    name = f"search transcripts ({n:,}): answer, slowest query"
    page_name = f"page: Calls, search transcripts ({n:,}) and show the answer, slowest query"
    target = "≤ 20× blank (#16)"
    rows = [
        result(
            "search: seed transcripts at scale",
            seeded_counts["seconds"],
            "s",
            "report only",
            None,
            transcripts=n,
            utterances=seeded_counts["utterances"],
            cpu_seconds=seeded_counts["cpu_seconds"],
            load=round(os.getloadavg()[0], 1),
        )
    ]
    cases = [("supervisor", seeded.supervisor), ("admin", seeded.admin)]
    blank: list[float] = []
    answer: dict[tuple[str, str], list[float]] = {}
    page: dict[tuple[str, str], list[float]] = {}
    hits: dict[tuple[str, str], int] = {}
    with server_like_script_cache():
        for rep in range(reps + 1):  # rep 0 warms imports, caches and the database's pages
            _, t_blank = _open(None, None, {})
            if rep:
                blank.append(t_blank)
            for who, actor in cases:
                at, _ = _open(actor, "pages/calls.py", {})
                if problem := _problem(at):
                    return [*rows, failed_run(name, "× blank", target, problem)]
                t_plain, _, problem = _search_rerun(at, "")
                if rep:
                    page.setdefault((who, "no search"), []).append(t_plain)
                for label, query in queries(seeded_counts["new_utterances"]):
                    t_answer, found = _timed_search(actor, query)
                    t_page, shown, problem = _search_rerun(at, query)
                    if problem or shown != found:
                        why = problem or f"the page showed {shown} lines of {found} found"
                        return [*rows, failed_run(name, "× blank", target, why)]
                    if rep:
                        answer.setdefault((who, label), []).append(t_answer)
                        page.setdefault((who, label), []).append(t_page)
                        hits[(who, label)] = found
    blank_s = median(blank)

    def ratios(samples: dict[tuple[str, str], list[float]]) -> dict[tuple[str, str], float]:
        return {case: median(times) / blank_s for case, times in samples.items()}

    def details(samples: dict[tuple[str, str], list[float]]) -> dict[str, Any]:
        return {
            f"{who}, {label}": {
                "x_blank": round(median(times) / blank_s, 2),
                "median_ms": round(median(times) * 1000, 2),
                "lines": hits.get((who, label), 0),
            }
            for (who, label), times in samples.items()
        }

    answer_x, page_x = ratios(answer), ratios(page)
    for who, label in answer_x:
        say(
            f"  search as {who}, {label} ({hits[(who, label)]} lines): answer "
            f"{answer_x[(who, label)]:.1f}x blank, Calls page {page_x[(who, label)]:.1f}x"
        )
    worst = max(answer_x, key=answer_x.__getitem__)
    worst_page = max((c for c in page_x if c[1] != "no search"), key=page_x.__getitem__)
    rows.append(
        result(
            name,
            answer_x[worst],
            "× blank",
            target,
            answer_x[worst] <= 20,
            slowest=f"{worst[0]}: {worst[1]}",
            blank_ms=round(blank_s * 1000, 2),
            **details(answer),
        )
    )
    rows.append(
        result(
            page_name,
            page_x[worst_page],
            "× blank",
            "report only",
            None,
            slowest=f"{worst_page[0]}: {worst_page[1]}",
            blank_ms=round(blank_s * 1000, 2),
            **details(page),
        )
    )
    return rows
