"""`python -m db.operations.backup`: backup → damage → restore gives back identical data and media,
on SQLite (online backup API) and PostgreSQL (pg_dump/pg_restore)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlmodel import SQLModel

import db.operations.config
from db.engine import make_engine, session_scope, use_engine
from db.models import Comment, ItemScore, User
from db.operations.backup import BackupError, Target, create_backup, restore_backup, verify_backup
from db.services.evaluations import (
    add_comment,
    get_evaluation,
    open_draft,
    rubric_for,
    save_item,
    submit,
)
from db.services.users import create_user
from scoring.evaluation import score_evaluation
from tests.conftest import missing_service
from tests.factories import SCORED_ITEMS, make_call, make_world

REPO_ROOT = Path(__file__).resolve().parents[2]
ITEMS = SCORED_ITEMS  # the default rubric's items (eye contact is N/A on audio)


@pytest.fixture
def media_dir(tmp_path, monkeypatch) -> Path:
    """A media folder of this test's own (the session's shared one holds other tests' files)."""
    folder = tmp_path / "media"
    real = db.operations.config.settings
    monkeypatch.setattr("db.services.media.settings", lambda: replace(real(), media_dir=folder))
    return folder


@pytest.fixture
def target(database, media_dir) -> Target:
    if database.dialect.name == "postgresql":
        for tool in ("pg_dump", "pg_restore"):
            if shutil.which(tool) is None:
                missing_service(f"{tool} is not installed (apt-get install postgresql-client)")
    return Target(database.url.render_as_string(hide_password=False), media_dir)


def _world_with_history(tmp_path: Path):
    world = make_world()
    calls = [
        make_call(world.admin, world.agent_north, tmp_path, seconds=3, seed=s) for s in (1, 2, 3)
    ]
    ev = open_draft(world.sup_north, calls[0].id)
    for key in ITEMS:
        ev = save_item(
            world.sup_north,
            ev.id,
            ev.row_version,
            key,
            value=4,
            note=f"note on {key} \u05e9\u05dc\u05d5\u05dd \U0001f3a7",
        )
    ev = add_comment(world.sup_north, ev.id, ev.row_version, 1.5, "<b>recap</b> here")
    submitted = submit(world.sup_north, ev.id, ev.row_version)
    draft = open_draft(world.sup_north, calls[1].id)
    draft = save_item(world.sup_north, draft.id, draft.row_version, "be_patient", value=2)
    return world, submitted, draft


def _rows(engine) -> dict[str, list[tuple]]:
    """Every row of every data table, in primary-key order. The data_version counter is
    left out: a restore moves it on purpose (see test below), so caches are dropped."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(r)
                for r in conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            ]
            for table in SQLModel.metadata.sorted_tables
            if table.name != "data_version"
        }


def _data_version(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar_one()


def _media(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_backup_damage_restore_gives_back_identical_data_and_media(target, database, tmp_path):
    world, submitted, draft = _world_with_history(tmp_path)
    rows_before, media_before = _rows(database), _media(target.media_dir)
    assert len(media_before) == 3 and all(rows_before[t] for t in ("call", "comment"))

    manifest = create_backup(tmp_path / "backup", target)
    assert manifest["backend"] == database.dialect.name
    assert set(manifest["media"]) == set(media_before)

    # Damage: lose comments, change scores, a stray account, one audio file gone, one corrupt.
    with session_scope() as session:
        session.exec(delete(Comment))
        session.exec(update(ItemScore).values(value=1, note="overwritten"))
        session.exec(update(User).where(User.username == "sup.north").values(active=False))
    create_user(world.admin, "intruder", "X", "admin", "stray-account-pass")
    first, second, *_ = sorted(target.media_dir.rglob("*.wav"))
    first.unlink()
    second.write_bytes(b"garbage")
    assert _rows(database) != rows_before
    version_before_restore = _data_version(database)

    with pytest.raises(BackupError, match="refusing to overwrite"):
        restore_backup(tmp_path / "backup", target)
    summary = restore_backup(tmp_path / "backup", target, force=True)
    assert summary["media_copied"] == 2 and summary["media_unchanged"] == 1

    assert _rows(database) == rows_before
    assert _media(target.media_dir) == media_before
    assert _data_version(database) > version_before_restore  # cached trends are dropped
    # The restored database works: reads, and new writes get fresh ids (sequences restored).
    assert get_evaluation(world.sup_north, submitted.id) == submitted
    after = add_comment(world.sup_north, draft.id, draft.row_version, 2.0, "after restore")
    assert after.comments[-1].id > max(r[0] for r in rows_before["comment"])


def test_a_damaged_backup_is_refused_before_anything_is_touched(target, database, tmp_path):
    _world_with_history(tmp_path)
    create_backup(tmp_path / "backup", target)
    rows_before = _rows(database)
    audio = sorted((tmp_path / "backup" / "media").rglob("*.wav"))[0]
    audio.write_bytes(audio.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(BackupError, match=rf"{audio.name}: contents differ"):
        restore_backup(tmp_path / "backup", target, force=True)
    assert _rows(database) == rows_before

    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["media"] = {"../../../etc/passwd": {"sha256": "0" * 64, "size": 1}}
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="outside the backup"):
        verify_backup(tmp_path / "backup")


def test_backup_refuses_a_non_empty_destination(target, database, tmp_path):
    make_world()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "something.txt").write_text("keep me")
    with pytest.raises(BackupError, match="not empty"):
        create_backup(tmp_path / "busy", target)
    assert (tmp_path / "busy" / "something.txt").read_text() == "keep me"
    with pytest.raises(BackupError, match="no manifest.json"):
        restore_backup(tmp_path / "busy", target)


def test_sqlite_backup_while_scoring_is_one_consistent_snapshot(
    sqlite_database, media_dir, tmp_path
):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=3)
    ev = open_draft(world.sup_north, call.id)
    target = Target(sqlite_database.url.render_as_string(), media_dir)
    stop, saves, errors = threading.Event(), [0], []

    def score() -> None:  # the app keeps autosaving while the backup runs
        nonlocal ev
        try:
            for i in range(2000):
                if stop.is_set():
                    return
                ev = save_item(
                    world.sup_north,
                    ev.id,
                    ev.row_version,
                    ITEMS[i % len(ITEMS)],
                    value=1 + (i * 7) % 5,
                )
                saves[0] += 1
        except Exception as exc:
            errors.append(repr(exc))

    writer = threading.Thread(target=score)
    writer.start()
    try:
        while saves[0] < 20 and writer.is_alive():
            threading.Event().wait(0.01)
        create_backup(tmp_path / "backup", target)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert errors == [] and saves[0] >= 20

    restored = Target(f"sqlite:///{tmp_path / 'restored.db'}", tmp_path / "restored-media")
    restore_backup(tmp_path / "backup", restored)
    engine = make_engine(restored.database_url)
    use_engine(engine)
    try:
        copy = get_evaluation(world.sup_north, ev.id)
    finally:
        use_engine(sqlite_database)
        engine.dispose()
    writes = copy.row_version - 1  # write i set item i % 9 to 1 + 7i % 5: replay them
    assert 20 <= writes <= saves[0]
    replay: dict[str, int] = {}
    for i in range(writes):
        replay[ITEMS[i % len(ITEMS)]] = 1 + (i * 7) % 5
    assert {k: s.value for k, s in copy.items.items() if s.value is not None} == replay
    assert copy.total == score_evaluation(rubric_for(world.sup_north, ev.id), copy.values).total
    assert _media(restored.media_dir) == _media(media_dir)


def test_postgres_backup_without_pg_dump_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr("db.operations.backup.shutil.which", lambda name: None)
    target = Target("postgresql+psycopg://postgres@127.0.0.1:9/none", tmp_path / "media")
    with pytest.raises(BackupError, match="pg_dump was not found.*postgresql-client"):
        create_backup(tmp_path / "backup", target)
    assert not (tmp_path / "backup").exists()
    assert not list(tmp_path.glob("backup.partial-*"))


@pytest.mark.slow  # heavy end to end: make test runs it, make test-fast leaves it out
def test_command_line_create_verify_restore(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "EARSHOT_MEDIA_DIR": str(tmp_path / "media"),
        "EARSHOT_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(REPO_ROOT),
    }

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "db.operations.backup", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    subprocess.run(
        [
            sys.executable,
            "-m",
            "db.operations.cli",
            "create-user",
            "boss",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a-long-password\n",
        text=True,
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    made = cli("create", str(tmp_path / "nightly"))
    assert made.returncode == 0, made.stderr
    assert "backup written" in made.stdout
    assert cli("verify", str(tmp_path / "nightly")).returncode == 0
    refused = cli("restore", str(tmp_path / "nightly"))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    forced = cli("restore", str(tmp_path / "nightly"), "--force")
    assert forced.returncode == 0, forced.stderr
