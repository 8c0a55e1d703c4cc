"""Alembic environment: runs against the engine db.engine uses (or one given by a caller)."""

from alembic import context
from sqlmodel import SQLModel

import db.models
from db.engine import get_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    with get_engine().connect() as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can't ALTER most things
        compare_type=True,
        include_name=db.models.managed_by_models,  # not the full-text search objects
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
