"""Where Earshot keeps its data: database URL, media folder, secret key.

Settings come from environment variables first, then `.streamlit/secrets.toml`
(git-ignored), then the embedded defaults (SQLite file and media folder under `data/`).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("EARSHOT_DATA_DIR", REPO_ROOT / "data"))


@dataclass(frozen=True)
class Settings:
    database_url: str
    media_dir: Path
    secret_key: bytes
    max_upload_mb: int
    dispute_window_days: int
    # Sign-in and sessions (defaults suit one organisation's staff on one site).
    https: bool = False  # served over TLS (directly or behind a proxy): cookies are Secure
    # Addresses/networks whose X-Forwarded-For/-Proto count (default: this host only).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    session_idle_minutes: int = 60  # a session with no action for this long ends
    session_max_hours: int = 12  # and every session ends this long after its sign-in
    audio_link_minutes: int = 60  # a signed audio link's life (logout ends it sooner)
    password_min_length: int = 10
    password_max_length: int = 256
    login_lockout_max_minutes: int = 30  # an account's pause doubles up to this
    login_address_failures: int = 30  # failed sign-ins one address may make per window
    login_address_window_minutes: int = 15
    login_concurrent_hashes: int = 4  # password checks at once per process (64 MiB each)
    max_comments_per_evaluation: int = 300
    # Longest recording accepted (header duration, checked before decoding): a tiny
    # compressed file of silence can declare many hours and cost gigabytes to analyse.
    max_call_hours: float = 4.0
    # Recordings on S3-compatible object storage instead of media_dir: s3://bucket/prefix.
    media_url: str = ""
    s3_endpoint: str = ""  # e.g. https://s3.example.internal:9000; empty: the SDK's default
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # Export API: personal access tokens and their request limits.
    api_token_max_days: int = 365
    api_requests_per_minute: int = 120  # per token, and again per address


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
        max_call_hours=_positive_hours(pick("earshot_max_call_hours", "4")),
        https=_flag(pick("earshot_https", "false")),
        trusted_proxies=tuple(
            p.strip()
            for p in str(pick("earshot_trusted_proxies", "127.0.0.1,::1")).split(",")
            if p.strip()
        ),
        session_idle_minutes=_positive(pick, "earshot_session_idle_minutes", 60),
        session_max_hours=_positive(pick, "earshot_session_max_hours", 12),
        audio_link_minutes=_positive(pick, "earshot_audio_link_minutes", 60),
        password_min_length=_positive(pick, "earshot_password_min_length", 10),
        password_max_length=_positive(pick, "earshot_password_max_length", 256),
        login_lockout_max_minutes=_positive(pick, "earshot_login_lockout_max_minutes", 30),
        login_address_failures=_positive(pick, "earshot_login_address_failures", 30),
        login_address_window_minutes=_positive(pick, "earshot_login_address_window_minutes", 15),
        login_concurrent_hashes=_positive(pick, "earshot_login_concurrent_hashes", 4),
        media_url=str(pick("earshot_media_url", "")).strip(),
        s3_endpoint=str(pick("earshot_s3_endpoint", "")).strip(),
        s3_region=str(pick("earshot_s3_region", "")).strip(),
        s3_access_key_id=str(pick("earshot_s3_access_key_id", "")).strip(),
        s3_secret_access_key=str(pick("earshot_s3_secret_access_key", "")).strip(),
        api_token_max_days=_positive(pick, "earshot_api_token_max_days", 365),
        api_requests_per_minute=_positive(pick, "earshot_api_requests_per_minute", 120),
    )


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _positive_hours(raw: str | None) -> float:
    """EARSHOT_MAX_CALL_HOURS: a number of hours above 0 (fractions allowed), or a message."""
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ValueError(f"EARSHOT_MAX_CALL_HOURS must be a number of hours, got {raw!r}") from None
    if not 0 < value < 1e6:
        raise ValueError(f"EARSHOT_MAX_CALL_HOURS must be above 0, got {value}")
    return value


def _positive(pick: Callable[[str, str | None], str | None], name: str, default: int) -> int:
    """A whole number of at least 1, or a message naming the setting."""
    raw = pick(name, str(default))
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"{name.upper()} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name.upper()} must be 1 or more, got {value}")
    return value
