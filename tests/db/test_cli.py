"""The command-line tool: first admin, bulk import with a per-row report."""

import io

import pytest

from db.engine import make_engine, use_engine
from db.operations.cli import main
from db.services.auth import authenticate
from tests.factories import write_speechlike_wav


@pytest.fixture
def fresh_sqlite(tmp_path):
    """An empty database: the CLI migrates it itself, as on a new server."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    use_engine(engine)
    yield engine
    use_engine(None)
    engine.dispose()


@pytest.mark.slow  # heavy end to end: make test runs it, make test-fast leaves it out
def test_create_the_first_admin_then_an_agent_and_import_calls(
    fresh_sqlite, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-admin-password\n"))
    assert main(["create-user", "boss", "--role", "admin", "--password-stdin"]) == 0
    assert authenticate("boss", "a-long-admin-password").role == "admin"
    monkeypatch.setattr("sys.stdin", io.StringIO("agent-password-1\n"))
    assert (
        main(["create-user", "kim", "--role", "agent", "--team", "East", "--password-stdin"]) == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["create-user", "x2", "--role", "agent", "--team", "East", "--password-stdin"]) == 1
    assert "at least 10" in capsys.readouterr().err

    write_speechlike_wav(tmp_path / "a.wav", 3)
    (tmp_path / "b.wav").write_bytes(b"garbage")
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "file,agent,started_at,external_id,agent_channel\n"
        "a.wav,kim,2026-11-01T10:00:00+00:00,X-1,0\n"
        "b.wav,kim,2026-11-01T10:05:00+00:00,X-2,0\n"
    )
    assert main(["import-calls", str(tmp_path), str(manifest)]) == 1  # one row failed
    out = capsys.readouterr().out
    assert "imported" in out and "b.wav" in out and "1 imported, 1 not imported" in out
