"""Seed a scratch database at contact-centre scale, fast.

At ``scale=1``: 10 teams, 200 agents, 20 supervisors, one admin; 100,000 calls over two
years; 100,000 submitted regular evaluations with 1,000,000 item scores; a listening
report row (summary columns and a report) for every call; plus what the other pages
read: comments, acknowledgements, "seen" marks, disputes, a few drafts and calibration
sessions. Rows go in with SQLAlchemy Core ``insert()`` in chunks (SQLite) or ``COPY``
(PostgreSQL), with explicit ids; the schema comes from the migrations.

About 3% of calls (the newest) wait in the scoring queue and about 3% of the others were
scored twice, so evaluations still number exactly ``100,000 × scale``.

Every call points at one real recording in the media folder (``make_recording``): a
stereo 8 kHz WAV tiled from the demo recordings (or synthesised when they are missing).
One call per team (the newest of the team's first agent) is the full recording with its
real listening report and waveform; every other call carries a report cut from a window
of that recording, of a realistic call length.

Import this module only after EARSHOT_DATA_DIR / EARSHOT_MEDIA_DIR / DATABASE_URL are
set: ``db.operations.config`` reads them once.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from sqlalchemy import JSON, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401 - registers the tables
from db.access import Actor
from db.engine import use_engine
from db.models import User
from db.operations.config import REPO_ROOT
from db.operations.migrate import upgrade_to_head
from db.queries.rubrics import latest_rubric_row, rubric_from_row
from db.services.auth import hash_password
from db.services.rubrics import sync_rubrics
from scoring.audio import read_audio
from scoring.evaluation import score_evaluation
from scoring.listening import ListeningReport, analyze, report_from_speech

BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - scratch database only
DEMO_AUDIO = REPO_ROOT / "demo" / "audio"
SAMPLE_RATE = 8000

FULL_CALLS = 100_000
FULL_EVALUATIONS = 100_000
TEAMS = 10
AGENTS = 200
SUPERVISORS = 20
DAYS = 730
QUEUE_SHARE = 0.03  # newest calls without an evaluation yet
CHUNK = 10_000
TEMPLATES = 64  # distinct per-call listening reports (windows of the recording)

NOTES = [
    "Let the customer finish before answering.",
    "Good summary of the problem before the fix.",
    "Missed the second issue the customer raised.",
    "Calm and patient under pressure.",
    "Long hold without telling the customer why.",
    "Nice backchannels while the customer explained.",
]
COMMENTS = [
    "Listen here: the customer is still explaining.",
    "Nice acknowledgement.",
    "Long pause; was the agent still there?",
    "Good paraphrase of the problem.",
    "Jumped to a solution before hearing the whole issue.",
]
DISPUTE_REASONS = [
    "The customer had already asked me to move on at this point.",
    "I paraphrased at 03:10; please listen again.",
    "The pause was the system loading, not me.",
]


# ---------------------------------------------------------------- the recording


@dataclass
class Recording:
    """The one audio file every seeded call points at, analysed once."""

    path: Path  # absolute, inside the media folder
    relative: str  # relative to the media folder (what Call.audio_path holds)
    sha256: str
    duration_s: float
    sample_rate: int
    channels: int
    report: ListeningReport
    peaks: list = field(repr=False)
    source: str = ""  # "demo recordings" or "synthesised"


def _demo_samples(seconds: float, rate: int) -> np.ndarray | None:
    """Demo recordings (stereo, `rate`) back to back, tiled to `seconds`; None if absent."""
    need = int(round(seconds * rate))
    parts, have = [], 0
    for path in sorted(DEMO_AUDIO.glob("*.opus")):
        try:
            samples, got_rate = read_audio(path)
        except ValueError:
            continue
        if got_rate != rate or samples.shape[1] != 2:
            continue
        parts.append(samples)
        have += samples.shape[0]
        if have >= need:
            break
    if not parts:
        return None
    one = np.concatenate(parts)
    return np.tile(one, (math.ceil(need / one.shape[0]), 1))[:need]


def _synth_samples(seconds: float, rate: int, seed: int = 7) -> np.ndarray:
    """Speech-like stereo: alternating turns of voiced, syllable-modulated harmonics, with
    backchannels, interruptions and pauses; a faint noise floor on both channels."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    out = (0.001 * rng.standard_normal((n, 2))).astype(np.float32)
    t, speaker = 0.5, 1  # the customer opens
    while t < seconds - 1:
        length = float(rng.uniform(1.5, 14.0))
        start, end = int(t * rate), min(n, int((t + length) * rate))
        tt = np.arange(end - start) / rate
        f0 = 120.0 if speaker == 0 else 190.0
        voice = sum(np.sin(2 * np.pi * f0 * k * tt) / k for k in (1, 2, 3))
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3, 5) * tt) ** 2
        out[start:end, speaker] += (0.2 * voice * envelope).astype(np.float32)
        if length > 4 and rng.random() < 0.5:  # a short "mm-hmm" from the other party
            b = start + int(rng.uniform(1, length - 2) * rate)
            bt = np.arange(int(0.4 * rate)) / rate
            seg = out[b : b + bt.size, 1 - speaker]
            seg += (0.15 * np.sin(2 * np.pi * 150 * bt[: seg.shape[0]])).astype(np.float32)
        pause = rng.uniform(3.5, 6.0) if rng.random() < 0.1 else rng.uniform(0.2, 1.5)
        t += length + float(pause)
        speaker = 1 - speaker
    return np.clip(out, -1, 1)


def make_recording(media_dir: Path, seconds: float = 3600.0) -> Recording:
    """Write the stereo 8 kHz WAV into `media_dir` by content hash and analyse it."""
    from media.waveform import waveform_peaks

    samples = _demo_samples(seconds, SAMPLE_RATE)
    source = "demo recordings"
    if samples is None:
        samples, source = _synth_samples(seconds, SAMPLE_RATE), "synthesised"
    media_dir.mkdir(parents=True, exist_ok=True)
    partial = media_dir / "bench-recording.wav.partial"
    sf.write(partial, samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    digest = hashlib.sha256()
    with partial.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    sha = digest.hexdigest()
    relative = f"{sha[:2]}/{sha}.wav"
    target = media_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial.replace(target)
    decoded, rate = read_audio(target)  # analyse what a real import would read back
    report = analyze(decoded, rate, agent_channel=0)
    return Recording(
        path=target,
        relative=relative,
        sha256=sha,
        duration_s=decoded.shape[0] / rate,
        sample_rate=rate,
        channels=decoded.shape[1],
        report=report,
        peaks=waveform_peaks(decoded),
        source=source,
    )


def _window_reports(recording: Recording, rng: np.random.Generator, count: int) -> list[dict]:
    """Reports for calls of realistic length, cut from windows of the recording's turns."""
    full = recording.report
    agent = [(t.start_s, t.end_s) for t in full.turns if t.speaker == "agent"]
    customer = [(t.start_s, t.end_s) for t in full.turns if t.speaker == "customer"]
    templates = []
    for _ in range(count):
        length = float(np.clip(rng.lognormal(math.log(300), 0.5), 60, 1800))
        length = min(length, recording.duration_s)
        a = float(rng.uniform(0, recording.duration_s - length))
        b = a + length

        def cut(runs: list[tuple[float, float]], a: float = a, b: float = b) -> list:
            return [(max(s, a) - a, min(e, b) - a) for s, e in runs if e > a and s < b]

        report = report_from_speech(
            cut(agent), cut(customer), round(length, 3), params=dict(full.params)
        )
        templates.append(_report_fields(report))
    return templates


def _report_fields(report: ListeningReport) -> dict[str, Any]:
    summary = report.summary()
    return {
        "duration_s": report.duration_s,
        "report": report.to_dict(),
        "talk_share": summary.get("talk_share"),
        "interruptions": summary.get("interruptions"),
        "backchannels": summary.get("backchannels"),
        "long_silences": summary.get("long_silences"),
        "longest_agent_turn": summary.get("longest_agent_turn"),
        "response_gap_median": summary.get("response_gaps"),
        "overtalk": summary.get("overtalk"),
    }


# ---------------------------------------------------------------- bulk insert


def _chunks(rows: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def bulk_insert(conn: Connection, table_name: str, rows: list[dict[str, Any]]) -> int:
    """Insert `rows` (dicts with the same keys) into `table_name`: COPY on PostgreSQL,
    Core executemany in chunks elsewhere. Returns the number of rows."""
    if not rows:
        return 0
    table = SQLModel.metadata.tables[table_name]
    if conn.dialect.name == "postgresql":
        defaults = _missing_defaults(table, rows[0])
        if defaults:
            rows = [{**defaults, **row} for row in rows]
        columns = list(rows[0])
        json_cols = {c.name for c in table.columns if isinstance(c.type, JSON)}
        quote = conn.dialect.identifier_preparer
        statement = (
            f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) "
            "FROM STDIN"
        )
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[c]) if c in json_cols and row[c] is not None else row[c]
                        for c in columns
                    ]
                )
        return len(rows)
    for chunk in _chunks(rows):
        conn.execute(table.insert(), chunk)
    return len(rows)


def _missing_defaults(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    """Python-side defaults of columns the row leaves out (Core applies them itself; COPY
    does not), so columns added to the models later still get their values."""
    out = {}
    for column in table.columns:
        default = column.default
        if column.name in row or default is None:
            continue
        if default.is_scalar:
            out[column.name] = default.arg
        elif default.is_callable:
            out[column.name] = default.arg(None)
    return out


def _reset_sequences(conn: Connection) -> None:
    """After explicit ids, point PostgreSQL's id sequences past the seeded rows."""
    quote = conn.dialect.identifier_preparer
    for table in SQLModel.metadata.sorted_tables:
        if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto"):
            name = quote.format_table(table)
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                    f"(SELECT max(id) FROM {name})) WHERE EXISTS (SELECT 1 FROM {name})"
                ),
                {"t": name},
            )


# ---------------------------------------------------------------- the seed


@dataclass
class Seeded:
    """What the benchmark needs to know about the seeded database."""

    scale: float
    seconds: float
    counts: dict[str, int]
    admin: Actor
    supervisor: Actor  # first supervisor of team 1
    agent: Actor  # first agent of team 1
    score_call_id: int  # team 1's full-length call, waiting in the queue
    password: str = BENCH_PASSWORD
    timings: dict[str, float] = field(default_factory=dict)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def seed(
    engine: Engine,
    recording: Recording,
    scale: float = 1.0,
    *,
    now: datetime | None = None,
    rng_seed: int = 20261124,
    progress: Callable[[str], None] | None = None,
) -> Seeded:
    """Migrate `engine`'s empty database to the newest schema and fill it at `scale`.

    Points every service at `engine` (``use_engine``). Raises RuntimeError when the
    database already has users.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now_ = time.perf_counter()
        timings[name] = round(now_ - mark, 3)
        mark = now_

    upgrade_to_head(engine)
    use_engine(engine)
    sync_rubrics()
    lap("schema")
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(User)).scalar_one():
            raise RuntimeError("the database already has users; seed only a scratch database")
    with Session(engine) as session:
        rubric_row = latest_rubric_row(session)
        rubric = rubric_from_row(rubric_row)
    keys = list(rubric.item_keys)
    na_keys = {i.key for i in rubric.items if i.na_default_audio_only}

    rng = np.random.default_rng(rng_seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    now_ts = now.timestamp()
    counts: dict[str, int] = {}
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA synchronous=OFF")  # scratch data: speed over safety

    with engine.begin() as conn:
        counts |= _seed_people(conn, now)
    lap("users")
    people = _People()
    with engine.begin() as conn:
        counts["call"], counts["listening_report"], calls = _seed_calls(
            conn, rng, recording, scale, now_ts, people
        )
    lap("calls")
    with engine.begin() as conn:
        counts |= _seed_evaluations(
            conn, rng, rubric, rubric_row.id, keys, na_keys, scale, now_ts, calls, people, say
        )
    lap("evaluations")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            _reset_sequences(conn)
            conn.exec_driver_sql("ANALYZE")  # what autovacuum does within a minute anyway
        lap("analyze")
    elapsed = time.perf_counter() - started
    say(f"seeded in {elapsed:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return Seeded(
        scale=scale,
        seconds=round(elapsed, 2),
        counts=counts,
        admin=Actor(1, "bench.admin", "Bench Admin", "admin", None),
        supervisor=people.actor_supervisor(0),
        agent=people.actor_agent(0),
        score_call_id=calls.team_calls[0],
        timings=timings,
    )


class _People:
    """Fixed ids: admin 1, supervisors 2..21 (two per team), agents 22..221 (20 per team)."""

    def supervisor_id(self, k: int) -> int:
        return 2 + k

    def agent_id(self, a: int) -> int:
        return 2 + SUPERVISORS + a

    def team_of_agent(self, a: int) -> int:
        return a * TEAMS // AGENTS

    def supervisors_of_team(self, team: int) -> list[int]:
        per = SUPERVISORS // TEAMS
        return [self.supervisor_id(team * per + j) for j in range(per)]

    def actor_supervisor(self, k: int) -> Actor:
        return Actor(
            self.supervisor_id(k),
            f"bench.sup{k + 1:02d}",
            f"Supervisor {k + 1:02d}",
            "supervisor",
            1 + k * TEAMS // SUPERVISORS,
        )

    def actor_agent(self, a: int) -> Actor:
        return Actor(
            self.agent_id(a),
            f"bench.agent{a + 1:03d}",
            f"Agent {a + 1:03d}",
            "agent",
            1 + self.team_of_agent(a),
        )


def _seed_people(conn: Connection, now: datetime) -> dict[str, int]:
    people = _People()
    created = now - timedelta(days=DAYS + 30)
    password_hash = hash_password(BENCH_PASSWORD)  # one hash: argon2 is slow on purpose
    teams = [
        {"id": t + 1, "name": f"Team {t + 1:02d}", "created_at": created} for t in range(TEAMS)
    ]
    base = {
        "password_hash": password_hash,
        "active": True,
        "is_demo": False,
        "failed_logins": 0,
        "locked_until": None,
        "created_at": created,
    }
    users = [
        {
            "id": 1,
            "username": "bench.admin",
            "display_name": "Bench Admin",
            "role": "admin",
            "team_id": None,
            **base,
        }
    ]
    for k in range(SUPERVISORS):
        actor = people.actor_supervisor(k)
        users.append(
            {
                "id": actor.id,
                "username": actor.username,
                "display_name": actor.display_name,
                "role": "supervisor",
                "team_id": actor.team_id,
                **base,
            }
        )
    for a in range(AGENTS):
        actor = people.actor_agent(a)
        users.append(
            {
                "id": actor.id,
                "username": actor.username,
                "display_name": actor.display_name,
                "role": "agent",
                "team_id": actor.team_id,
                **base,
            }
        )
    return {"team": bulk_insert(conn, "team", teams), "user": bulk_insert(conn, "user", users)}


@dataclass
class _Calls:
    agent: np.ndarray  # agent index per call (0-based call index)
    started: np.ndarray  # Unix seconds, ascending
    duration: np.ndarray
    n_queue: int  # the newest n_queue calls have no evaluation
    team_calls: list[int]  # per team: call id of its full-length call (in the queue)


def _seed_calls(
    conn: Connection,
    rng: np.random.Generator,
    recording: Recording,
    scale: float,
    now_ts: float,
    people: _People,
) -> tuple[int, int, _Calls]:
    n = max(TEAMS * 3, round(FULL_CALLS * scale))
    volume = rng.gamma(4.0, 1.0, AGENTS)  # some agents take more calls than others
    agent = rng.choice(AGENTS, size=n, p=volume / volume.sum())
    # Office hours on weekdays-ish: uniform days, 8:00-18:00 UTC.
    day = np.floor(rng.uniform(0, DAYS, n))
    started = np.sort(now_ts - DAYS * 86400 + day * 86400 + rng.uniform(8, 18, n) * 3600)
    started = np.minimum(started, now_ts - 600)
    n_queue = max(TEAMS * 2, round(n * QUEUE_SHARE))
    # Each team's first agent owns a full-length call among the newest (the Score page's).
    team_calls_idx = []
    for team in range(TEAMS):
        first_agent = team * (AGENTS // TEAMS)
        idx = n - 1 - team
        agent[idx] = first_agent
        team_calls_idx.append(idx)
    templates = _window_reports(recording, rng, TEMPLATES)
    template = rng.integers(0, len(templates), n)
    duration = np.array([templates[t]["duration_s"] for t in template])
    full = _report_fields(recording.report)
    for idx in team_calls_idx:
        duration[idx] = recording.duration_s
    call_rows, report_rows = [], []
    special = set(team_calls_idx)
    total_calls = total_reports = 0
    for i in range(n):
        start = _dt(started[i])
        call_rows.append(
            {
                "id": i + 1,
                "external_id": f"B-{i + 1:07d}",
                "agent_id": people.agent_id(int(agent[i])),
                "started_at": start,
                "duration_s": float(duration[i]),
                "audio_path": recording.relative,
                "audio_sha256": recording.sha256,
                "audio_format": "wav",
                "sample_rate": recording.sample_rate,
                "channels": recording.channels,
                "agent_channel": 0,
                "meta": {"queue": "service desk", "bench": True},
                "created_at": start + timedelta(seconds=float(duration[i]) + 60),
            }
        )
        fields = full if i in special else templates[int(template[i])]
        report_rows.append(
            {
                "call_id": i + 1,
                **{k: v for k, v in fields.items() if k != "duration_s"},
                "peaks": recording.peaks if i in special else None,
                "error": None,
                "computed_at": start + timedelta(seconds=float(duration[i]) + 90),
            }
        )
        if len(call_rows) >= CHUNK:
            total_calls += bulk_insert(conn, "call", call_rows)
            total_reports += bulk_insert(conn, "listening_report", report_rows)
            call_rows, report_rows = [], []
    total_calls += bulk_insert(conn, "call", call_rows)
    total_reports += bulk_insert(conn, "listening_report", report_rows)
    calls = _Calls(agent, started, duration, n_queue, [i + 1 for i in team_calls_idx])
    return total_calls, total_reports, calls


def _levels(rng: np.random.Generator, mean: np.ndarray, n_items: int) -> np.ndarray:
    raw = (
        mean[:, None]
        + rng.normal(0, 0.3, n_items)[None, :]
        + rng.normal(0, 0.7, (len(mean), n_items))
    )
    return np.clip(np.rint(raw), 1, 5).astype(int)


def _seed_evaluations(
    conn: Connection,
    rng: np.random.Generator,
    rubric: Any,
    rubric_id: int,
    keys: list[str],
    na_keys: set[str],
    scale: float,
    now_ts: float,
    calls: _Calls,
    people: _People,
    say: Callable[[str], None],
) -> dict[str, int]:
    n_calls = len(calls.agent)
    n_eval = max(1, round(FULL_EVALUATIONS * scale))
    scored = np.arange(n_calls - calls.n_queue)  # call indexes with an evaluation
    extra = max(0, n_eval - scored.size)
    twice = np.sort(rng.choice(scored, size=min(extra, scored.size), replace=False))
    eval_calls = np.sort(np.concatenate([scored, twice]))[:n_eval]
    second = np.zeros(eval_calls.size, dtype=bool)
    second[1:] = eval_calls[1:] == eval_calls[:-1]

    skill = rng.normal(3.5, 0.45, AGENTS)  # each agent's level
    drift = rng.normal(0.0, 0.5, AGENTS)  # points over the two years
    leniency = rng.normal(0.0, 0.25, SUPERVISORS + 2)
    counts = dict.fromkeys(
        ["evaluation", "item_score", "comment", "acknowledgement", "evaluation_view", "dispute"], 0
    )
    next_comment = next_dispute = 1
    for lo in range(0, eval_calls.size, CHUNK):
        idx = eval_calls[lo : lo + CHUNK]
        ids = np.arange(lo, lo + idx.size) + 1
        agents = calls.agent[idx]
        teams = agents * TEAMS // AGENTS
        per = SUPERVISORS // TEAMS
        pick = rng.integers(0, per, idx.size)
        pick = np.where(second[lo : lo + idx.size], (pick + 1) % per, pick)
        scorer = 2 + teams * per + pick
        age = (calls.started[idx] - (now_ts - DAYS * 86400)) / (DAYS * 86400)
        mean = skill[agents] + drift[agents] * (age - 0.5) + leniency[scorer - 2]
        levels = _levels(rng, mean, len(keys))
        submitted = np.minimum(
            calls.started[idx] + rng.uniform(0.2, 5, idx.size) * 86400, now_ts - 60
        )
        review = rng.integers(240, 1500, idx.size)
        evaluations, items, comments, acks, views, disputes = [], [], [], [], [], []
        for j in range(idx.size):
            values: dict[str, int | None] = {}
            for k, key in enumerate(keys):
                na = key in na_keys and rng.random() < 0.95
                values[key] = None if na else int(levels[j, k])
            result = score_evaluation(rubric, values)
            sub = _dt(submitted[j])
            eid = int(ids[j])
            evaluations.append(
                {
                    "id": eid,
                    "call_id": int(idx[j]) + 1,
                    "agent_id": people.agent_id(int(agents[j])),
                    "scorer_id": int(scorer[j]),
                    "rubric_id": rubric_id,
                    "purpose": "regular",
                    "calibration_session_id": None,
                    "status": "submitted",
                    "total": result.total,
                    "failed_critical": bool(result.failed_critical),
                    "review_seconds": int(review[j]),
                    "row_version": int(rng.integers(8, 30)),
                    "started_at": sub - timedelta(seconds=int(review[j])),
                    "updated_at": sub,
                    "submitted_at": sub,
                }
            )
            for key, value in values.items():
                noted = value is not None and rng.random() < 0.15
                items.append(
                    {
                        "evaluation_id": eid,
                        "item_key": key,
                        "value": value,
                        "na": value is None,
                        "note": NOTES[int(rng.integers(len(NOTES)))] if noted else "",
                    }
                )
            if rng.random() < 0.5:
                t_s = round(float(rng.uniform(0, calls.duration[idx[j]])), 1)
                comments.append(
                    {
                        "id": next_comment,
                        "evaluation_id": eid,
                        "author_id": int(scorer[j]),
                        "t_s": t_s,
                        "item_key": keys[int(rng.integers(len(keys)))]
                        if rng.random() < 0.5
                        else None,
                        "text": COMMENTS[int(rng.integers(len(COMMENTS)))],
                        "created_at": sub,
                        "updated_at": sub,
                    }
                )
                next_comment += 1
            agent_id = people.agent_id(int(agents[j]))
            old_enough = now_ts - submitted[j] > 3 * 86400
            if old_enough and rng.random() < 0.8:
                seen = sub + timedelta(hours=float(rng.uniform(1, 48)))
                views.append({"evaluation_id": eid, "agent_id": agent_id, "at": seen})
                if rng.random() < 0.8:
                    acks.append(
                        {
                            "evaluation_id": eid,
                            "agent_id": agent_id,
                            "at": seen + timedelta(minutes=float(rng.uniform(1, 30))),
                        }
                    )
            if rng.random() < 0.01:
                open_ = now_ts - submitted[j] < 14 * 86400 or rng.random() < 0.05
                status = (
                    "open"
                    if open_
                    else str(
                        rng.choice(["accepted", "partly_accepted", "rejected"], p=[0.3, 0.2, 0.5])
                    )
                )
                disputes.append(
                    {
                        "id": next_dispute,
                        "evaluation_id": eid,
                        "item_key": keys[int(rng.integers(len(keys)))],
                        "agent_id": agent_id,
                        "reason": DISPUTE_REASONS[int(rng.integers(len(DISPUTE_REASONS)))],
                        "status": status,
                        "resolution": "" if open_ else "Listened again; see the note.",
                        "resolver_id": None if open_ else int(scorer[j]),
                        "created_at": sub + timedelta(days=1),
                        "resolved_at": None if open_ else sub + timedelta(days=3),
                    }
                )
                next_dispute += 1
        counts["evaluation"] += bulk_insert(conn, "evaluation", evaluations)
        counts["item_score"] += bulk_insert(conn, "item_score", _with_ids(items, counts))
        counts["comment"] += bulk_insert(conn, "comment", comments)
        counts["evaluation_view"] += bulk_insert(conn, "evaluation_view", views)
        counts["acknowledgement"] += bulk_insert(conn, "acknowledgement", acks)
        counts["dispute"] += bulk_insert(conn, "dispute", disputes)
        if lo and lo % (5 * CHUNK) == 0:
            say(f"  … {lo:,} evaluations")
    next_eval = int(eval_calls.size) + 1
    extra_counts = _seed_drafts_and_calibration(
        conn,
        rng,
        rubric_id,
        keys,
        na_keys,
        scale,
        now_ts,
        calls,
        people,
        next_eval,
        counts["item_score"] + 1,
        eval_calls,
    )
    for key, value in extra_counts.items():
        counts[key] = counts.get(key, 0) + value
    return counts


def _with_ids(items: list[dict], counts: dict[str, int]) -> list[dict]:
    first = counts["item_score"] + 1
    for n, row in enumerate(items):
        row["id"] = first + n
    return items


def _seed_drafts_and_calibration(
    conn: Connection,
    rng: np.random.Generator,
    rubric_id: int,
    keys: list[str],
    na_keys: set[str],
    scale: float,
    now_ts: float,
    calls: _Calls,
    people: _People,
    next_eval: int,
    next_item: int,
    eval_calls: np.ndarray,
) -> dict[str, int]:
    """Three drafts per supervisor on their team's queue; calibration sessions (two a
    month, two calls, six scorers; the newest two still blind)."""
    n_calls = len(calls.agent)
    evaluations, items = [], []
    special = {c - 1 for c in calls.team_calls}
    queue = [i for i in range(n_calls - calls.n_queue, n_calls) if i not in special]
    per = SUPERVISORS // TEAMS
    for k in range(SUPERVISORS):
        team = k // per
        mine = [i for i in queue if calls.agent[i] * TEAMS // AGENTS == team]
        for i in mine[k % per :: per][:3]:
            started = _dt(now_ts - float(rng.uniform(600, 86400)))
            evaluations.append(
                {
                    "id": next_eval,
                    "call_id": i + 1,
                    "agent_id": people.agent_id(int(calls.agent[i])),
                    "scorer_id": people.supervisor_id(k),
                    "rubric_id": rubric_id,
                    "purpose": "regular",
                    "calibration_session_id": None,
                    "status": "draft",
                    "total": None,
                    "failed_critical": False,
                    "review_seconds": 0,
                    "row_version": 3,
                    "started_at": started,
                    "updated_at": started,
                    "submitted_at": None,
                }
            )
            touched = [k for k in keys if k in na_keys] + [k for k in keys if k not in na_keys][:4]
            for key in touched:
                na = key in na_keys
                items.append(
                    {
                        "id": next_item,
                        "evaluation_id": next_eval,
                        "item_key": key,
                        "value": None if na else int(rng.integers(2, 6)),
                        "na": na,
                        "note": "",
                    }
                )
                next_item += 1
            next_eval += 1
    n_drafts = len(evaluations)

    n_sessions = max(2, round(48 * scale))
    sessions, cal_calls, seats, consensus = [], [], [], []
    scored = np.unique(eval_calls)
    for s in range(n_sessions):
        sid = s + 1
        when = now_ts - (n_sessions - s) * (DAYS * 86400 / n_sessions) + 86400
        revealed = s < n_sessions - 2
        scorers = [
            people.supervisor_id(int(k)) for k in rng.choice(SUPERVISORS, size=6, replace=False)
        ]
        sessions.append(
            {
                "id": sid,
                "title": f"Calibration {s + 1:02d}",
                "facilitator_id": scorers[0],
                "rubric_id": rubric_id,
                "benchmark_scorer_id": scorers[1],
                "due_at": _dt(when + 7 * 86400),
                "revealed": revealed,
                "revealed_at": _dt(when + 5 * 86400) if revealed else None,
                "created_at": _dt(when),
            }
        )
        before = scored[calls.started[scored] < when]
        picked = rng.choice(before if before.size >= 2 else scored, size=2, replace=False)
        for ci in picked:
            call_id = int(ci) + 1
            cal_calls.append({"session_id": sid, "call_id": call_id})
            base = rng.normal(3.5, 0.5)
            grid = []
            for n_scorer, scorer in enumerate(scorers):
                done = revealed or n_scorer % 2 == 0
                sub = _dt(when + float(rng.uniform(1, 4)) * 86400)
                values = np.clip(np.rint(base + rng.normal(0, 0.8, len(keys))), 1, 5)
                evaluations.append(
                    {
                        "id": next_eval,
                        "call_id": call_id,
                        "agent_id": people.agent_id(int(calls.agent[ci])),
                        "scorer_id": scorer,
                        "rubric_id": rubric_id,
                        "purpose": "calibration",
                        "calibration_session_id": sid,
                        "status": "submitted" if done else "draft",
                        "total": None,
                        "failed_critical": False,
                        "review_seconds": 600,
                        "row_version": 12,
                        "started_at": sub - timedelta(minutes=10),
                        "updated_at": sub,
                        "submitted_at": sub if done else None,
                    }
                )
                for key, value in zip(keys, values, strict=True):
                    na = key in na_keys
                    items.append(
                        {
                            "id": next_item,
                            "evaluation_id": next_eval,
                            "item_key": key,
                            "value": None if na else int(value),
                            "na": na,
                            "note": "",
                        }
                    )
                    next_item += 1
                grid.append(values)
                next_eval += 1
            if revealed:
                median = np.median(np.array(grid), axis=0)
                for key, value in zip(keys, median, strict=True):
                    na = key in na_keys
                    consensus.append(
                        {
                            "session_id": sid,
                            "call_id": call_id,
                            "item_key": key,
                            "value": None if na else int(round(value)),
                            "na": na,
                            "note": "",
                            "recorded_by": scorers[0],
                            "recorded_at": _dt(when + 6 * 86400),
                        }
                    )
        for scorer in scorers:
            seats.append({"session_id": sid, "scorer_id": scorer})
    counts = {"calibration_session": bulk_insert(conn, "calibration_session", sessions)}
    counts["calibration_call"] = bulk_insert(conn, "calibration_call", cal_calls)
    counts["calibration_seat"] = bulk_insert(conn, "calibration_seat", seats)
    n_total = bulk_insert(conn, "evaluation", evaluations)
    counts["evaluation_other"] = n_total
    counts["draft"] = n_drafts
    counts["item_score"] = bulk_insert(conn, "item_score", items)
    counts["consensus_score"] = bulk_insert(conn, "consensus_score", consensus)
    return counts


def table_counts(engine: Engine, names: Iterable[str]) -> dict[str, int]:
    """Row count per table (for checks and the results' metadata)."""
    out = {}
    with engine.connect() as conn:
        for name in names:
            table = SQLModel.metadata.tables[name]
            out[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return out
