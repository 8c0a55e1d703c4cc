"""Demo data: two teams, eight agents, three supervisors, an admin, the scripted demo
recordings and twelve weeks of evaluation history. Loaded only into an empty database."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from db.cache import bump_data_version
from db.engine import read_scope, session_scope
from db.models import (
    Call,
    Comment,
    Evaluation,
    ItemScore,
    ListeningReportRow,
    Purpose,
    Status,
    User,
)
from db.operations.config import REPO_ROOT
from db.queries.rubrics import latest_rubric_row, rubric_from_row
from db.services.listening import store_listening_report
from db.services.media import extension_for, sha256_of, store_file
from db.services.rubrics import sync_rubrics
from db.services.transcripts import store_transcript
from db.services.users import _create_user
from scoring.audio import probe_audio
from scoring.evaluation import answered_values, score_evaluation
from scoring.transcripts import Transcript, parse_transcript

DEMO_DIR = REPO_ROOT / "demo"
DEMO_PASSWORD = "earshot-demo"  # noqa: S105 - demo accounts only; the README says so
WEEKS = 12

DEMO_USERS = [
    # username, display name, role, team
    ("admin", "Alex Admin", "admin", None),
    ("sam", "Sam Okafor", "supervisor", "North"),
    ("lee", "Lee Marsh", "supervisor", "North"),
    ("priya", "Priya Raman", "supervisor", "South"),
    ("ana", "Ana Souza", "agent", "North"),
    ("ben", "Ben Cartwright", "agent", "North"),
    ("chloe", "Chloe Nguyen", "agent", "North"),
    ("dev", "Dev Patel", "agent", "North"),
    ("eli", "Eli Brandt", "agent", "South"),
    ("fatima", "Fatima Haddad", "agent", "South"),
    ("george", "George Mills", "agent", "South"),
    ("hana", "Hana Kowalski", "agent", "South"),
]
# Weekly drift of each agent's scores over the twelve weeks (points per week), so the
# trend charts show someone improving and someone slipping.
AGENT_DRIFT = {"ben": 0.06, "george": 0.04, "hana": -0.03, "dev": 0.02}
NOTES = {
    1: "Talked over the customer repeatedly; let them finish.",
    2: "Some good moments, but missed cues more than once.",
    4: "Solid; small chances to slow down.",
    5: "Textbook: this is what we want to hear.",
}
COMMENTS = [
    "Listen here: the customer is still explaining.",
    "Nice acknowledgement.",
    "Long pause; was the agent still there?",
    "Good paraphrase of the problem.",
    "Jumped to a solution before hearing the whole issue.",
]


def database_is_empty() -> bool:
    with read_scope() as session:
        return session.exec(select(User.id)).first() is None


def seed_demo(now: datetime | None = None, history: bool = True) -> str:
    """Load the demo data if the database has no users; otherwise do nothing."""
    sync_rubrics()
    if not database_is_empty():
        return "database already has users; demo data not loaded"
    now = now or datetime.now(UTC)
    rng = random.Random(20261124)
    calls_spec = json.loads((DEMO_DIR / "calls.json").read_text())
    with session_scope() as session:
        users = {
            u: _create_user(session, u, name, role, DEMO_PASSWORD, team, is_demo=True)
            for u, name, role, team in DEMO_USERS
        }
        rubric_row = latest_rubric_row(session)
    rubric = rubric_from_row(rubric_row)
    supervisors_of = {
        "North": [users["sam"], users["lee"]],
        "South": [users["priya"]],
    }
    team_of = {u: team for u, _, _, team in DEMO_USERS}

    # The recordings themselves: the newest calls, waiting in the queue.
    recordings: dict[str, list[tuple[dict, Call]]] = {}
    with session_scope() as session:
        for n, spec in enumerate(calls_spec):
            path = DEMO_DIR / "audio" / f"{spec['key']}.opus"
            info = probe_audio(path)
            sha = sha256_of(path)
            call = Call(
                external_id=spec["external_id"],
                agent_id=users[spec["agent"]].id,
                started_at=now - timedelta(hours=6 + 7 * n),
                duration_s=info.duration_s,
                audio_path=store_file(path, sha, extension_for(info.format, info.subtype)),
                audio_sha256=sha,
                audio_format=extension_for(info.format, info.subtype),
                sample_rate=info.sample_rate,
                channels=info.channels,
                agent_channel=spec.get("agent_channel", 0),
                meta={"title": spec.get("title", ""), "demo": True},
            )
            session.add(call)
            session.flush()
            recordings.setdefault(spec["agent"], []).append((spec, call))
    for spec_calls in recordings.values():
        for _, call in spec_calls:
            store_listening_report(call.id)
    transcripts = demo_transcripts(calls_spec)
    with session_scope() as session:
        for spec_calls in recordings.values():
            for spec, call in spec_calls:
                _attach_demo_transcript(session, call, transcripts[spec["key"]])

    # A few drafts on the newest calls, so "resume a draft" has something to show.
    with session_scope() as session:
        for agent in ("ben", "fatima"):
            spec, call = recordings[agent][0]
            scorer = supervisors_of[team_of[agent]][0]
            evaluation = Evaluation(
                call_id=call.id,
                agent_id=call.agent_id,
                scorer_id=scorer.id,
                rubric_id=rubric_row.id,
                started_at=now - timedelta(hours=2),
            )
            session.add(evaluation)
            session.flush()
            for key in rubric.item_keys[:4]:
                session.add(
                    ItemScore(
                        evaluation_id=evaluation.id, item_key=key, value=spec["quality"].get(key)
                    )
                )
            # As a new draft would be: N/A where the rubric says so for audio-only calls.
            for key in rubric.default_values(audio_only=True):
                session.add(ItemScore(evaluation_id=evaluation.id, item_key=key, na=True))
            evaluation.total = score_evaluation(rubric, _values(session, evaluation.id)).total

    if history:
        _seed_history(
            now, rng, users, recordings, supervisors_of, team_of, rubric, rubric_row.id, transcripts
        )
    agents = [u for u, _, role, _ in DEMO_USERS if role == "agent"]
    return (
        f"demo data loaded: {len(DEMO_USERS)} users ({len(agents)} agents), "
        f"{len(calls_spec)} recordings, {WEEKS} weeks of history. "
        f"Every demo account's password is {DEMO_PASSWORD!r}."
    )


def demo_transcripts(calls_spec: list[dict]) -> dict[str, tuple[Transcript, str]]:
    """Each demo recording's transcript (demo/transcripts/<key>.vtt, written from the
    scripts by tools/make_demo_transcripts.py), parsed as any import is: key → (transcript,
    file name)."""
    out = {}
    for spec in calls_spec:
        name = f"{spec['key']}.vtt"
        data = (DEMO_DIR / "transcripts" / name).read_bytes()
        out[spec["key"]] = (
            parse_transcript(data, name, spec.get("agent_channel", 0), spec["duration_s"]),
            name,
        )
    return out


def _attach_demo_transcript(session: Session, call: Call, parsed: tuple[Transcript, str]) -> None:
    transcript, name = parsed
    store_transcript(session, None, call, transcript, f"import:{transcript.format}:{name}")


def _values(session, evaluation_id: int) -> dict[str, int | None]:
    rows = session.exec(select(ItemScore).where(ItemScore.evaluation_id == evaluation_id)).all()
    return answered_values((r.item_key, r.value, r.na) for r in rows)


def _seed_history(
    now,
    rng,
    users,
    recordings,
    supervisors_of,
    team_of,
    rubric,
    rubric_id,
    transcripts,
) -> None:
    """Three evaluated calls per agent per week for twelve weeks, on the agent's own
    recordings, scored around the recording's scripted quality with scorer noise."""
    with session_scope() as session:
        for agent, spec_calls in recordings.items():
            drift = AGENT_DRIFT.get(agent, 0.0)
            for week in range(WEEKS, 0, -1):
                for slot in range(3):
                    spec, source = rng.choice(spec_calls)
                    started = now - timedelta(
                        weeks=week, days=rng.uniform(0, 6), hours=rng.uniform(0, 8)
                    )
                    call = Call(
                        external_id=f"H-{agent}-{week:02d}-{slot}",
                        agent_id=source.agent_id,
                        started_at=started,
                        duration_s=source.duration_s,
                        audio_path=source.audio_path,
                        audio_sha256=source.audio_sha256,
                        audio_format=source.audio_format,
                        sample_rate=source.sample_rate,
                        channels=source.channels,
                        agent_channel=source.agent_channel,
                        meta={
                            "title": spec.get("title", ""),
                            "demo": True,
                            "recording": spec["external_id"],
                        },
                    )
                    session.add(call)
                    session.flush()
                    report = session.get(ListeningReportRow, source.id)
                    if report is not None:
                        session.add(
                            ListeningReportRow(
                                call_id=call.id, **report.model_dump(exclude={"call_id"})
                            )
                        )
                    _attach_demo_transcript(session, call, transcripts[spec["key"]])
                    scorer = rng.choice(supervisors_of[team_of[agent]])
                    submitted = started + timedelta(days=rng.uniform(0.5, 3))
                    # Scores lag the calls: weeks ago the agent was this much worse/better.
                    shift = -drift * (week - 1)
                    values: dict[str, int | None] = {}
                    for item in rubric.items:
                        base = spec["quality"].get(item.key)
                        if base is None:
                            values[item.key] = None
                            continue
                        # Pulled toward the middle: the scripted calls are extreme on purpose,
                        # an agent's everyday calls less so.
                        raw = 0.6 * base + 0.4 * 3.3 + shift + rng.gauss(0, 0.6)
                        values[item.key] = int(min(5, max(1, round(raw))))
                    result = score_evaluation(rubric, values)
                    evaluation = Evaluation(
                        call_id=call.id,
                        agent_id=call.agent_id,
                        scorer_id=scorer.id,
                        rubric_id=rubric_id,
                        purpose=Purpose.regular,
                        status=Status.submitted,
                        total=result.total,
                        failed_critical=result.failed,
                        review_seconds=int(rng.uniform(240, 900)),
                        started_at=submitted - timedelta(minutes=15),
                        updated_at=submitted,
                        submitted_at=submitted,
                    )
                    session.add(evaluation)
                    session.flush()
                    for key, value in values.items():
                        noted = value is not None and rng.random() < 0.3
                        note = NOTES.get(value, "") if noted else ""
                        session.add(
                            ItemScore(
                                evaluation_id=evaluation.id,
                                item_key=key,
                                value=value,
                                na=value is None,
                                note=note,
                            )
                        )
                    for _ in range(rng.randint(0, 2)):
                        segment = rng.choice(spec["segments"])
                        session.add(
                            Comment(
                                evaluation_id=evaluation.id,
                                author_id=scorer.id,
                                t_s=round(segment["start_s"], 1),
                                text=rng.choice(COMMENTS),
                                item_key=rng.choice([None, "be_patient", "active_listening"]),
                                created_at=submitted,
                                updated_at=submitted,
                            )
                        )
        # Submitted evaluations, written directly: cached trends and feedback are stale now.
        bump_data_version(session)
