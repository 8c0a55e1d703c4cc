"""Sessions: reads run without a transaction on PostgreSQL, refuse to write, and a pooled
connection the server has ended is replaced instead of failing the next user's request."""

import os
import resource

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from db.access import NotFound
from db.engine import read_scope, server_closed, session_scope, statement_scope
from db.models import Team
from db.services.auth import current_actor_state
from db.services.evaluations import get_evaluation
from tests.factories import make_world


def test_read_scope_refuses_to_flush_a_change(database):
    make_world()
    with pytest.raises(RuntimeError, match="read_scope"), read_scope() as session:
        session.add(Team(name="Sneaky"))
        session.flush()
    with read_scope() as session:
        names = set(session.exec(text("SELECT name FROM team")).scalars())
    assert "Sneaky" not in names


def test_read_scope_sees_committed_writes_at_once(database):
    world = make_world()
    with session_scope() as session:
        session.add(Team(name="Late"))
    with read_scope() as session:
        assert "Late" in set(session.exec(text("SELECT name FROM team")).scalars())
    assert current_actor_state(world.sup_north).id == world.sup_north.id


@pytest.mark.postgres
def test_read_scope_runs_outside_a_transaction_on_postgres(postgres_database):
    with read_scope() as session:
        conn = session.connection().connection.driver_connection
        assert conn.autocommit
    with session_scope() as session:
        assert not session.connection().connection.driver_connection.autocommit


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_replaced(postgres_database):
    database = postgres_database
    world = make_world()
    database.dispose()  # start from an empty pool: the next call makes one connection
    assert current_actor_state(world.sup_north) is not None
    outsider = create_engine(database.url, poolclass=NullPool)  # not from the services' pool
    with outsider.connect() as probe:
        others = text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = list(probe.execute(others).scalars())
        killed = probe.execute(
            text("SELECT pg_terminate_backend(pid, 5000) FROM unnest(CAST(:p AS int[])) AS pid"),
            {"p": pids},
        ).scalars()
        assert pids and all(killed)  # with a timeout: returns once those backends are gone
    outsider.dispose()
    # Reads and writes after a server-side disconnect both go through on a fresh connection.
    assert current_actor_state(world.sup_north) is not None
    with session_scope() as session:
        session.add(Team(name="After restart"))
    with pytest.raises(NotFound):
        get_evaluation(world.sup_north, 999)


@pytest.mark.postgres
def test_server_closed_notices_a_closed_connection(postgres_database):
    raw = postgres_database.raw_connection()
    try:
        assert not server_closed(raw.driver_connection)
        raw.driver_connection.close()
        assert server_closed(raw.driver_connection)
    finally:
        raw.invalidate()


@pytest.mark.postgres
def test_a_live_connection_on_a_high_descriptor_is_not_taken_for_closed(postgres_database):
    """A busy server (many listeners' sockets, WebSockets, files) hands the database
    connection a descriptor above 1023, where select() refuses to look; were that read as
    "closed", every checkout would be thrown away and the app could not reach its database."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    filler = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        engine = create_engine(postgres_database.url, poolclass=NullPool)
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn.fileno() > 1023
            assert not server_closed(conn)
            conn.close()
            assert server_closed(conn)
        finally:
            raw.invalidate()
            engine.dispose()
    finally:
        for fd in filler:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.postgres
def test_statement_scope_commits_each_statement_on_postgres(postgres_database):
    make_world()
    with statement_scope() as session:
        session.exec(text("INSERT INTO team (name, created_at) VALUES ('At once', now())"))
        with read_scope() as other:  # another connection sees it before the scope ends
            names = set(other.exec(text("SELECT name FROM team")).scalars())
    assert "At once" in names


def test_statement_scope_is_refused_on_sqlite(sqlite_database):
    with pytest.raises(RuntimeError, match="PostgreSQL"), statement_scope():
        pass
