"""Shared fixtures: a fresh database per test on SQLite and on a real PostgreSQL server.

PostgreSQL comes from EARSHOT_TEST_PG_URL (default: the local server on 127.0.0.1:5432
with trust auth). Each test worker gets its own scratch database, emptied between tests.
Without a server the PostgreSQL cases skip with a reason, except under CI=true, where
they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

# Settings are read once: point data and media at a scratch folder before importing db.
_SCRATCH = Path(tempfile.mkdtemp(prefix="earshot-tests-"))
os.environ.setdefault("EARSHOT_DATA_DIR", str(_SCRATCH))
os.environ.setdefault("EARSHOT_MEDIA_DIR", str(_SCRATCH / "media"))
os.environ.pop("DATABASE_URL", None)
# Code that queues background jobs runs them at once in tests (huey's immediate mode); the
# queue itself is tested end to end with real consumers in tests/db/test_jobs.py.
os.environ.setdefault("EARSHOT_JOBS_IMMEDIATE", "1")
os.environ.pop("EARSHOT_REDIS_URL", None)
os.environ.pop("EARSHOT_ASR_ENABLED", None)

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import db.models  # noqa: E402,F401
from db.engine import make_engine, use_engine  # noqa: E402

PG_URL = os.environ.get("EARSHOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI") == "true"
# The hostile suite's tally of inputs, refusals and crashes (printed at the end).
pytest_plugins = ("tests.hostile.tally",)


def missing_service(reason: str) -> None:
    """Skip locally; fail under CI, where a skipped suite would hide a broken setup."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server_url(worker_id: str) -> str:
    """A scratch PostgreSQL database for this test worker, dropped at the end."""
    admin = make_engine(PG_URL)
    name = f"earshot_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        missing_service(f"no PostgreSQL server at {PG_URL} ({type(exc).__name__})")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_server_url: str):
    engine = make_engine(pg_server_url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _empty_pg(engine) -> None:
    from db.cache import clear_cache
    from db.models import DataVersion

    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(DataVersion.__table__.insert().values(id=1, version=0))
    clear_cache()  # the same engine serves the next test, from version 0 again


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty SQLite database with the models' schema, built once per test worker. Each
    test copies the file: a copy costs a fraction of create_all's hundred-odd statements
    and commits, and gives the same schema."""
    path = tmp_path_factory.mktemp("sqlite-template") / "schema.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the one file
    engine.dispose()
    return path


def fresh_sqlite(template: Path, tmp_path: Path):
    """An engine on a new copy of the schema-only template, at tmp_path/test.db."""
    target = tmp_path / "test.db"
    shutil.copyfile(template, target)
    return make_engine(f"sqlite:///{target}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    """Every service pointed at a fresh, empty database: SQLite file or PostgreSQL."""
    if request.param == "sqlite":
        engine = fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        engine = request.getfixturevalue("pg_engine")
        _empty_pg(engine)
    use_engine(engine)
    yield engine
    use_engine(None)
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def postgres_database(pg_engine):
    """PostgreSQL only: for behaviour SQLite does not have (pooled server connections)."""
    _empty_pg(pg_engine)
    use_engine(pg_engine)
    yield pg_engine
    use_engine(None)


@pytest.fixture
def sqlite_database(tmp_path, sqlite_template):
    """SQLite only: for page tests where the backend does not change what is shown."""
    engine = fresh_sqlite(sqlite_template, tmp_path)
    use_engine(engine)
    yield engine
    use_engine(None)
    engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Still argon2id, with test-sized cost: hashing is not what these tests measure."""
    from argon2 import PasswordHasher

    import db.services.auth

    real = db.services.auth._hasher
    db.services.auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    db.services.auth._hasher = real


REDIS_URL = os.environ.get("EARSHOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis server (tools/ensure_test_services.sh starts one). Skips locally
    without one; fails under CI=true."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure to reach it means "no server"
        missing_service(f"no Redis server at {REDIS_URL} ({type(exc).__name__})")
    return REDIS_URL
