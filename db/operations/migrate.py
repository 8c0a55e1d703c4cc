"""Migrate the configured database to the newest schema: `python -m db.operations.migrate`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from db.engine import get_engine
from db.operations.config import REPO_ROOT


def alembic_config() -> Config:
    return Config(str(REPO_ROOT / "alembic.ini"))


def upgrade_to_head(engine: Engine | None = None) -> None:
    """Run every migration not yet applied, on `engine` or the configured database."""
    cfg = alembic_config()
    with (engine or get_engine()).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


if __name__ == "__main__":
    upgrade_to_head()
    print("database is at the newest schema")
