"""Engine and sessions. SQLite runs in WAL mode with a busy timeout; PostgreSQL as given."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from db.config import settings

SQLITE_BUSY_TIMEOUT_MS = 15_000

_engine: Engine | None = None


def make_engine(url: str) -> Engine:
    """Create an engine for `url`; SQLite files get WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001 - DB-API connection
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(settings().database_url)
    return _engine


def use_engine(engine: Engine | None) -> None:
    """Point every service at `engine` (tests, the benchmark, tools)."""
    global _engine
    _engine = engine


ID_MIN, ID_MAX = 1, 2**31 - 1  # every primary key is a 32-bit INTEGER on PostgreSQL


def id_fits(ident: object) -> bool:
    parts = ident if isinstance(ident, tuple | list) else (ident,)
    return all(
        ID_MIN <= part <= ID_MAX
        for part in parts
        if isinstance(part, int) and not isinstance(part, bool)
    )


class EarshotSession(Session):
    """Ids arrive from URLs and widgets: an id that cannot exist is simply not found,
    instead of a database error (PostgreSQL refuses integers past 2**31 - 1)."""

    def get(self, entity, ident, **kwargs):  # noqa: ANN001, ANN003, ANN201 - as Session.get
        if not id_fits(ident):
            return None
        return super().get(entity, ident, **kwargs)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with EarshotSession(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_postgres() -> bool:
    return get_engine().dialect.name == "postgresql"
