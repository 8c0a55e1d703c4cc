"""Job settings: environment variables first, then `.streamlit/secrets.toml`, then defaults."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from db.operations.config import DATA_DIR, REPO_ROOT


def _from_secrets(name: str) -> str | None:
    path = REPO_ROOT / ".streamlit" / "secrets.toml"
    if not path.exists():
        return None
    with path.open("rb") as fh:
        value = tomllib.load(fh).get(name.lower())
    return None if value is None else str(value)


def setting(name: str, default: str = "") -> str:
    """`name` (upper case) from the environment, else the secrets file, else `default`."""
    return os.environ.get(name.upper()) or _from_secrets(name) or default


def redis_url() -> str:
    """EARSHOT_REDIS_URL, or "" for the embedded SQLite queue."""
    return setting("earshot_redis_url")


def sqlite_queue_path() -> Path:
    return Path(setting("earshot_queue_file", str(DATA_DIR / "jobs.db")))


def immediate() -> bool:
    """EARSHOT_JOBS_IMMEDIATE=1 runs each job at once inside the enqueuing process (huey's
    immediate mode): for tests of code that enqueues, never for a served app."""
    return setting("earshot_jobs_immediate") in ("1", "true", "yes")


def asr_enabled() -> bool:
    """EARSHOT_ASR_ENABLED=1: calls that arrive without a transcript are recognised."""
    return setting("earshot_asr_enabled") in ("1", "true", "yes")


def worker_threads() -> int:
    return max(1, int(setting("earshot_worker_threads", "2")))


def digest_hour() -> int:
    """EARSHOT_DIGEST_HOUR: the hour (0-23, UTC) daily e-mail digests go out; default 7."""
    raw = setting("earshot_digest_hour", "7")
    if not raw.strip().isdigit() or not 0 <= int(raw) <= 23:
        raise ValueError(f"EARSHOT_DIGEST_HOUR must be an hour from 0 to 23, got {raw!r}")
    return int(raw)
