"""Test data built through the real services: users, rubric, real audio files, calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import soundfile as sf

from db.access import Actor
from db.auth import authenticate
from db.calls import CallRow, import_call
from db.rubrics import sync_rubrics
from db.users import create_user
from scoring.rubric import load_rubric

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
    from db.evaluations import add_comment, open_draft, save_item, submit

    ev = open_draft(scorer, call_id)
    for key in SCORED_ITEMS:
        value = (levels or {}).get(key, level)
        ev = save_item(scorer, ev.id, ev.row_version, key, value=value)
    for t_s, text, item_key in comments:
        ev = add_comment(scorer, ev.id, ev.row_version, t_s, text, item_key=item_key)
    return submit(scorer, ev.id, ev.row_version)
