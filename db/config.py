"""Where Earshot keeps its data: database URL, media folder, secret key.

Settings come from environment variables first, then `.streamlit/secrets.toml`
(git-ignored), then the embedded defaults (SQLite file and media folder under `data/`).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("EARSHOT_DATA_DIR", REPO_ROOT / "data"))


@dataclass(frozen=True)
class Settings:
    database_url: str
    media_dir: Path
    secret_key: bytes
    max_upload_mb: int
    dispute_window_days: int
    max_comments_per_evaluation: int = 300


def _secrets_file() -> dict:
    path = REPO_ROOT / ".streamlit" / "secrets.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _secret_key(configured: str | None) -> bytes:
    """Configured key, or one generated once and kept beside the database."""
    if configured:
        return configured.encode()
    key_file = DATA_DIR / "secret.key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip().encode()


@cache
def settings() -> Settings:
    file_cfg = _secrets_file()

    def pick(name: str, default: str | None = None) -> str | None:
        return os.environ.get(name.upper()) or file_cfg.get(name.lower()) or default

    return Settings(
        database_url=pick("database_url", f"sqlite:///{DATA_DIR / 'earshot.db'}"),
        media_dir=Path(pick("earshot_media_dir", str(DATA_DIR / "media"))),
        secret_key=_secret_key(pick("earshot_secret_key")),
        max_upload_mb=int(pick("earshot_max_upload_mb", "200")),
        dispute_window_days=int(pick("earshot_dispute_window_days", "14")),
        max_comments_per_evaluation=int(pick("earshot_max_comments_per_evaluation", "300")),
    )
