"""Engine and sessions. SQLite runs in WAL mode with a busy timeout; PostgreSQL as given."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

from db.operations.config import settings
from scoring.ids import id_fits

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
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10, pool_use_lifo=True)
    event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


def server_closed(dbapi_conn) -> bool:
    """Whether the server has ended this idle pooled connection (a restart, an idle
    timeout, pg_terminate_backend). An idle connection's socket is readable only when
    the server sent something unasked: its goodbye, or end of file."""
    if getattr(dbapi_conn, "closed", False) or getattr(dbapi_conn, "broken", False):
        return True
    try:
        return _readable_now(dbapi_conn.fileno())
    except (OSError, ValueError):
        return True


def _readable_now(fd: int) -> bool:
    """Whether `fd` has something to read (or hung up), without waiting. poll, not select:
    select refuses descriptors above 1023, which a busy server's connections reach."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # Windows: no poll, no such limit
    return bool(readable)


def _refuse_closed_connection(dbapi_conn, _record, _proxy) -> None:
    # Instead of pool_pre_ping's round trip on every checkout (a quarter of a millisecond
    # per service call here): a dead connection is dropped and the pool connects again.
    if server_closed(dbapi_conn):
        raise DisconnectionError("the database server closed this pooled connection")


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(settings().database_url)
    return _engine


def use_engine(engine: Engine | None) -> None:
    """Point every service at `engine` (tests, the benchmark, tools)."""
    global _engine
    _engine = engine


class EarshotSession(Session):
    """Ids arrive from URLs and widgets: an id that cannot exist is simply not found,
    instead of a database error (PostgreSQL refuses integers past 2**31 - 1)."""

    def get(self, entity, ident, **kwargs):
        if not id_fits(ident):
            return None
        return super().get(entity, ident, **kwargs)


_unit_of_work: ContextVar[Session | None] = ContextVar("earshot_unit_of_work", default=None)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: a session that commits on success and rolls back on error.

    Nested inside another unit of work (a service calling another service's write) it
    joins the outer one, so both commit together or not at all: a dispute decision and
    the score change it makes are one transaction. Reads in `read_scope` stay outside it
    and see only what is committed."""
    outer = _unit_of_work.get()
    if outer is not None:
        yield outer
        return
    with EarshotSession(get_engine(), expire_on_commit=False) as session:
        token = _unit_of_work.set(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _unit_of_work.reset(token)


def in_unit_of_work() -> bool:
    """True inside a `session_scope`: a write made now joins its transaction."""
    return _unit_of_work.get() is not None


@contextmanager
def read_scope() -> Iterator[Session]:
    """A session for reads only. On PostgreSQL its statements run in autocommit: under
    READ COMMITTED a transaction gives reads nothing (each statement takes its own
    snapshot either way), and skipping BEGIN and COMMIT saves two round trips per call.
    Flushing ORM changes from it is refused."""
    with _autocommit_session(ReadSession) as session:
        yield session


@contextmanager
def statement_scope() -> Iterator[Session]:
    """PostgreSQL only: a session whose every statement commits on its own, for a write
    that is ONE statement (atomic by itself) and so needs no BEGIN or COMMIT."""
    if get_engine().dialect.name != "postgresql":
        raise RuntimeError("statement_scope() is for PostgreSQL; use session_scope()")
    with _autocommit_session(EarshotSession) as session:
        yield session


@contextmanager
def _autocommit_session(session_class: type[Session]) -> Iterator[Session]:
    engine = get_engine()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        with session_class(bind=conn, expire_on_commit=False) as session:
            yield session


class ReadSession(EarshotSession):
    """The session of `read_scope`: flushing a change from it is a programming error."""


@event.listens_for(ReadSession, "before_flush")
def _refuse_writes(session, _context, _instances) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("read_scope() is for reads; write in session_scope()")


def is_postgres() -> bool:
    return get_engine().dialect.name == "postgresql"
