"""Alembic migrations run from empty to head on SQLite and PostgreSQL and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import db.models
from db.engine import make_engine
from db.operations.migrate import upgrade_to_head


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    base = request.getfixturevalue("pg_server_url")
    admin = make_engine(base)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE DATABASE earshot_migrate_check"))
    url = base.rsplit("/", 1)[0] + "/earshot_migrate_check"
    engine = make_engine(url)
    yield engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP DATABASE earshot_migrate_check WITH (FORCE)"))
    admin.dispose()


def test_migrations_reach_head_and_match_the_models(empty_engine):
    upgrade_to_head(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": db.models.managed_by_models}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    upgrade_to_head(empty_engine)  # a second run is a no-op, not an error


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_migrations_import_no_live_model_code():
    """A migration must build the same schema whatever db/models.py becomes: the types it
    needs come from db/migrations/frozen.py."""
    import ast
    from pathlib import Path

    versions = Path(__file__).resolve().parents[2] / "db" / "migrations" / "versions"
    offenders = {}
    for path in sorted(versions.glob("*.py")):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        live = sorted(n for n in names if n.split(".")[0] == "db" and n != "db.migrations.frozen")
        if live:
            offenders[path.name] = live
    assert not offenders
