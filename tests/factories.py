"""Test data built through the real services: users, rubric, real audio files, calls."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from sqlmodel import select

from db.access import Actor
from db.engine import read_scope, session_scope
from db.models import AssignmentRow, Call, Evaluation
from db.services.auth import authenticate
from db.services.calls import CallRow, import_call
from db.services.rubrics import sync_rubrics
from db.services.sampling import PlanView, run_plan, save_plan
from db.services.users import create_user
from scoring.rubric import load_rubric
from scoring.sampling import FixedQuota, SamplingPlan, Scorer

REPO_ROOT = Path(__file__).resolve().parents[1]

PASSWORD = "correct-horse-battery"
ALL_ITEMS = list(load_rubric(REPO_ROOT / "rubrics" / "listening.v1.toml").item_keys)
# Every item a scorer answers with a level on an audio-only call (eye contact is N/A).
SCORED_ITEMS = [key for key in ALL_ITEMS if key != "eye_contact"]


@dataclass
class World:
    admin: Actor
    sup_north: Actor
    sup_south: Actor
    agent_north: Actor
    agent_north2: Actor
    agent_south: Actor


def make_world() -> World:
    """Two teams with a supervisor each, three agents, one admin, the default rubric."""
    sync_rubrics()
    specs = [
        ("admin", "admin", None),
        ("sup.north", "supervisor", "North"),
        ("sup.south", "supervisor", "South"),
        ("agent.north", "agent", "North"),
        ("agent.north2", "agent", "North"),
        ("agent.south", "agent", "South"),
    ]
    for username, role, team in specs:
        create_user(None, username, username.title(), role, PASSWORD, team=team)
    return World(*(authenticate(u, PASSWORD) for u, _, _ in specs))


def write_speechlike_wav(
    path: Path, seconds: float = 20.0, channels: int = 2, sample_rate: int = 8000, seed: int = 0
) -> Path:
    """A real WAV file: alternating bursts of voiced noise on each channel."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    data = np.zeros((t.size, channels), dtype=np.float32)
    for ch in range(channels):
        on = ((t // 2.0).astype(int) % channels) == ch
        voice = (
            0.3 * np.sin(2 * np.pi * (140 + 60 * ch) * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))
        )
        data[:, ch] = np.where(on, voice + 0.02 * rng.standard_normal(t.size), 0.0005)
    sf.write(path, data, sample_rate, subtype="PCM_16")
    return path


def make_call(
    actor: Actor,
    agent: Actor,
    tmp_path: Path,
    seconds: float = 20.0,
    seed: int = 0,
    external_id: str | None = None,
) -> CallRow:
    path = write_speechlike_wav(tmp_path / f"call-{seed}.wav", seconds, seed=seed)
    return import_call(
        actor,
        path,
        original_name=path.name,
        agent_username=agent.username,
        started_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        external_id=external_id or f"T-{seed}",
        analyse=False,
    )


def submit_evaluation(
    scorer: Actor,
    call_id: int,
    level: int = 4,
    levels: dict[str, int] | None = None,
    comments: tuple[tuple[float, str, str | None], ...] = (),
):
    """Score every item of a call at `level` (or `levels[key]`), pin `comments`
    (t_s, text, item key) and submit it."""
    from db.services.evaluations import add_comment, open_draft, save_item, submit

    ev = open_draft(scorer, call_id)
    for key in SCORED_ITEMS:
        value = (levels or {}).get(key, level)
        ev = save_item(scorer, ev.id, ev.row_version, key, value=value)
    for t_s, text, item_key in comments:
        ev = add_comment(scorer, ev.id, ev.row_version, t_s, text, item_key=item_key)
    return submit(scorer, ev.id, ev.row_version)


def submitted_call(
    tmp_path: Path, seconds: float = 30.0, level: int = 4
) -> tuple[World, CallRow, Any]:
    """A world and one call of North's first agent that North's supervisor scored at
    `level` on every item and submitted: (world, call, the submitted evaluation)."""
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=seconds)
    return world, call, submit_evaluation(world.sup_north, call.id, level)


# ---------------------------------------------------------------- sampling

SAMPLING_WEEK = date(2026, 11, 2)  # a Monday: the week add_calls spreads calls over


def add_calls(agent_id: int, n: int, prefix: str, *, direction: str = "inbound") -> list[int]:
    """``n`` calls of the agent spread over SAMPLING_WEEK (rows only: sampling never plays
    audio)."""
    ids = []
    with session_scope() as session:
        for i in range(n):
            call = Call(
                external_id=f"{prefix}-{i}",
                agent_id=agent_id,
                started_at=datetime.combine(SAMPLING_WEEK, datetime.min.time(), tzinfo=UTC)
                + timedelta(hours=8 + i * 168 / max(n, 1) * 0.9),
                duration_s=60.0 + 30 * i,
                audio_path=f"{prefix}-{i}.wav",
                audio_sha256=f"{prefix}-{i}".ljust(64, "0")[:64],
                audio_format="wav",
                sample_rate=8000,
                channels=2,
                meta={"direction": direction},
            )
            session.add(call)
            session.flush()
            ids.append(call.id)
    return ids


def north_plan(
    world: World, key: str = "north-weekly", per_agent: int = 2, **kw: Any
) -> SamplingPlan:
    """North's agents, scored by North's supervisor and the admin; ``kw`` overrides."""
    plan = SamplingPlan(
        key=key,
        rubric_key="listening",
        period="weekly",
        quota=FixedQuota(per_agent),
        scorers=(Scorer(world.sup_north.id), Scorer(world.admin.id)),
        team_ids=frozenset({world.agent_north.team_id}),
    )
    return dataclasses.replace(plan, **kw)


def one_assignment(
    world: World, prefix: str, n_calls: int
) -> tuple[list[int], PlanView, AssignmentRow]:
    """`n_calls` calls of North's first agent in SAMPLING_WEEK and a plan "One" that draws
    one of them for North's supervisor, run for that week: (the call ids, the plan, its one
    assignment)."""
    ids = add_calls(world.agent_north.id, n_calls, prefix)
    plan = north_plan(
        world,
        per_agent=1,
        team_ids=frozenset(),
        agent_ids=frozenset({world.agent_north.id}),
        scorers=(Scorer(world.sup_north.id),),
    )
    view = save_plan(world.admin, "One", plan)
    run_plan(view.id, SAMPLING_WEEK)
    with read_scope() as session:
        (row,) = session.exec(select(AssignmentRow).where(AssignmentRow.plan_id == view.id)).all()
    return ids, view, row


def backdate_submissions(when_by_id: dict[int, datetime]) -> None:
    """Set evaluations' ``submitted_at`` (aware UTC) directly, for tests about dates and
    weeks: a service always stamps the current time."""
    with session_scope() as s:
        for ev_id, when in when_by_id.items():
            row = s.get(Evaluation, ev_id)
            assert row is not None
            row.submitted_at = when
            s.add(row)
