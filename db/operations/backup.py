"""Consistent backups of the database and the media folder.

    python -m db.operations.backup create DEST            # safe while the app is running
    python -m db.operations.backup verify SRC             # check every file against the manifest
    python -m db.operations.backup restore SRC [--force]  # stop the app first

A backup is a folder: the database (``database.sqlite3``, made with SQLite's online backup
API, or ``database.pgdump``, a ``pg_dump`` custom-format archive), a copy of the media
folder (or of the bucket's recordings, when EARSHOT_MEDIA_URL puts them on S3-compatible
storage) under ``media/``, and ``manifest.json`` with the size and sha256 of every file.

Consistency: the database is copied first, as one snapshot; the media folder after it.
Audio files are content-addressed and written before the row that names them commits, and
never change or disappear afterwards, so every call in the snapshot has its file in the
copy (the copy may hold a few newer files no row names yet, which is harmless).

A backup is written to ``DEST.partial-<pid>`` and renamed to DEST only when complete, so
a folder named DEST is always a whole backup. Restore checks every checksum before it
touches anything, and refuses a target that already holds data unless ``--force``.
Restore never deletes media files that are not in the backup.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from db.services.media import MediaStore  # imported late at run time: it loads the db layer

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
CHUNK = 1 << 20
BUSY_TIMEOUT_S = 30.0
IGNORED_TABLES = {"alembic_version"}  # a migrated but empty database is still empty


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says what to do."""


@dataclass(frozen=True)
class Target:
    """Where the data lives: a database URL and the media folder, or the bucket named by
    `media_url` (s3://bucket/prefix) when set."""

    database_url: str
    media_dir: Path
    media_url: str = ""

    def media(self) -> MediaStore:
        """The store holding the recordings."""
        from db.services.media import LocalStore, media_store

        if not self.media_url:
            return LocalStore(self.media_dir)
        from db.operations.config import settings

        if self.media_url != settings().media_url:
            raise BackupError(
                f"{self.media_url} is not the configured EARSHOT_MEDIA_URL; "
                "set it (with its endpoint and credentials) and run again"
            )
        return media_store()

    @property
    def media_description(self) -> str:
        return self.media_url or f"the media folder {self.media_dir}"

    @property
    def backend(self) -> str:
        name = make_url(self.database_url).get_backend_name()
        if name not in ("sqlite", "postgresql"):
            raise BackupError(f"cannot back up a {name!r} database (SQLite or PostgreSQL only)")
        return name

    @property
    def sqlite_path(self) -> Path:
        database = make_url(self.database_url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            raise BackupError(f"the SQLite URL {self.database_url!r} does not name a file")
        return Path(database)


def configured_target() -> Target:
    from db.operations.config import settings

    return Target(settings().database_url, settings().media_dir, settings().media_url)


# ---------------------------------------------------------------- files and checksums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(path: Path) -> dict:
    return {"sha256": _sha256(path), "size": path.stat().st_size}


def _copy_hashed(source: Path, target: Path) -> dict:
    """Copy `source` to `target` (atomically, via a .partial file); hash while copying."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as src, partial.open("wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    partial.replace(target)
    return {"sha256": digest.hexdigest(), "size": size}


def _media_files(media_dir: Path) -> list[Path]:
    """Regular files under the media folder, relative, sorted; skips half-written ones."""
    if not media_dir.is_dir():
        return []
    found = []
    for path in media_dir.rglob("*"):
        if path.is_symlink() or not path.is_file() or path.name.endswith(".partial"):
            continue
        found.append(path.relative_to(media_dir))
    return sorted(found)


def _safe_relative(root: Path, relative: str) -> Path:
    """`root/relative`, refusing names that would leave `root` (a tampered manifest)."""
    candidate = Path(relative)
    target = (root / candidate).resolve()
    if (
        candidate.is_absolute()
        or ".." in candidate.parts
        or not target.is_relative_to(root.resolve())
    ):
        raise BackupError(f"the manifest names a file outside the backup: {relative!r}")
    return root / candidate


# ---------------------------------------------------------------- SQLite


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)
    dst = sqlite3.connect(target)
    try:
        # One step (pages=-1): a single read transaction, so the copy is one snapshot.
        # Under WAL, the app keeps writing meanwhile.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        _check_integrity(dst, target)
    finally:
        dst.close()
        src.close()


def _check_integrity(conn: sqlite3.Connection, where: Path) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{where}: SQLite integrity check failed: {result}")


def _sqlite_has_data(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return any(
            conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() is not None
            for t in tables
            if t not in IGNORED_TABLES
        )
    finally:
        conn.close()


def _sqlite_restore(backup_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(backup_file)
    dst = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
    try:
        src.backup(dst)  # replaces every page of the target, under SQLite's own locking
        dst.execute("PRAGMA journal_mode=WAL")  # the mode the app runs in
        _check_integrity(dst, target)
    finally:
        dst.close()
        src.close()


# ---------------------------------------------------------------- PostgreSQL


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools "
            f"(Debian: apt-get install postgresql-client) in a version at least as new as "
            f"the server, then run the command again"
        )
    return found


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for the tools (no driver name, no password) and the env carrying it."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{what} failed (exit {result.returncode}): {detail}")


def _pg_dump(database_url: str, target: Path) -> None:
    dsn, env = _libpq(database_url)
    cmd = [
        _pg_tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={target}",
        f"--dbname={dsn}",
    ]
    _run(cmd, env, "pg_dump")


def _pg_has_data(database_url: str) -> bool:
    from db.engine import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t not in IGNORED_TABLES]
            return any(
                conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() is not None
                for t in tables
            )
    finally:
        engine.dispose()


def _pg_restore(backup_file: Path, database_url: str) -> None:
    dsn, env = _libpq(database_url)
    cmd = [
        _pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={dsn}",
        str(backup_file),
    ]
    _run(cmd, env, "pg_restore")


# ---------------------------------------------------------------- create / verify / restore


def create_backup(dest: Path, target: Target | None = None) -> dict:
    """Back up `target` (default: the configured database and media) into the new folder
    `dest`. Returns the manifest."""
    target = target or configured_target()
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not empty; choose a new folder")
    backend = target.backend
    work = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        if backend == "sqlite":
            db_file = SQLITE_FILE
            _sqlite_backup(target.sqlite_path, work / db_file)
        else:
            db_file = PG_FILE
            _pg_dump(target.database_url, work / db_file)
        if target.media_url:
            store = target.media()
            media = {
                rel: _fetch_hashed(store, rel, work / MEDIA / rel)
                for rel in store.names()  # after the database: see module doc
            }
        else:
            media = {
                rel.as_posix(): _copy_hashed(target.media_dir / rel, work / MEDIA / rel)
                for rel in _media_files(target.media_dir)  # after the database: see module doc
            }
        manifest = {
            "format": FORMAT,
            "kind": "earshot-backup",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "backend": backend,
            "database": {"file": db_file, **_entry(work / db_file)},
            "media": media,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        if dest.exists():
            dest.rmdir()  # empty, checked above
        work.rename(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def verify_backup(src: Path) -> dict:
    """The manifest of the backup in `src`, after checking every file's size and sha256.
    Raises BackupError listing every missing or changed file."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{src} has no {MANIFEST}: not a backup, or an unfinished one") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"{src / MANIFEST} is damaged: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "earshot-backup":
        raise BackupError(f"{src / MANIFEST} is not an Earshot backup manifest")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: backup format {manifest.get('format')!r} is not {FORMAT}")
    expected = {manifest["database"]["file"]: manifest["database"]}
    expected.update({f"{MEDIA}/{rel}": entry for rel, entry in manifest["media"].items()})
    problems = []
    for relative, entry in expected.items():
        path = _safe_relative(src, relative)
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            problems.append(f"{relative}: contents differ from the manifest (damaged)")
    if problems:
        raise BackupError(f"the backup in {src} is damaged:\n  " + "\n  ".join(problems))
    return manifest


def restore_backup(src: Path, target: Target | None = None, force: bool = False) -> dict:
    """Restore the backup in `src` into `target` (default: the configured database and
    media). Refuses a target holding data unless `force`. Returns a summary."""
    target = target or configured_target()
    src = Path(src)
    manifest = verify_backup(src)
    backend = target.backend
    if manifest["backend"] != backend:
        raise BackupError(
            f"the backup is of a {manifest['backend']} database but the target is {backend}"
        )
    if not force:
        occupied = []
        if backend == "sqlite" and _sqlite_has_data(target.sqlite_path):
            occupied.append(f"the database {target.sqlite_path} holds data")
        if backend == "postgresql" and _pg_has_data(target.database_url):
            occupied.append("the PostgreSQL database holds data")
        if _media_count(target):
            occupied.append(f"{target.media_description} holds files")
        if occupied:
            raise BackupError(
                "refusing to overwrite: " + "; ".join(occupied) + ". Stop the app and run "
                "again with --force to replace them with the backup."
            )
    db_file = src / manifest["database"]["file"]
    if backend == "sqlite":
        _sqlite_restore(db_file, target.sqlite_path)
    else:
        _pg_restore(db_file, target.database_url)
    _mark_restored(target.database_url)
    copied = kept = 0
    if target.media_url:
        copied, kept = _restore_to_store(target, src, manifest)
    for rel, entry in ({} if target.media_url else manifest["media"]).items():
        source = _safe_relative(src / MEDIA, rel)
        dest = _safe_relative(target.media_dir, rel)
        if (
            dest.is_file()
            and dest.stat().st_size == entry["size"]
            and _sha256(dest) == entry["sha256"]
        ):
            kept += 1
            continue
        _copy_hashed(source, dest)
        copied += 1
    extra = _media_count(target) - len(manifest["media"])
    return {
        "backend": backend,
        "media_copied": copied,
        "media_unchanged": kept,
        "media_not_in_backup": max(0, extra),
    }


def _media_count(target: Target) -> int:
    if target.media_url:
        return len(target.media().names())
    return len(_media_files(target.media_dir))


def _fetch_hashed(store: MediaStore, relative: str, target: Path) -> dict[str, Any]:
    """A bucket object copied to `target` (via a .partial file), with its size and hash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    store.fetch(relative, partial)
    entry = _entry(partial)
    partial.replace(target)
    return entry


def _restore_to_store(target: Target, src: Path, manifest: dict[str, Any]) -> tuple[int, int]:
    """Put the backup's recordings into the bucket: names are content hashes, so an
    object already there with the same size is the same recording and is kept."""
    store = target.media()
    copied = kept = 0
    for rel, entry in manifest["media"].items():
        source = _safe_relative(src / MEDIA, rel)
        if store.size(rel) == entry["size"]:
            kept += 1
            continue
        try:
            store.store(source, rel)
        except OSError as exc:
            raise BackupError(str(exc)) from exc
        copied += 1
    return copied, kept


def _mark_restored(database_url: str) -> None:
    """Running app processes must not serve aggregates cached before the restore: move
    the data version past anything they could have cached."""
    from sqlalchemy import update

    from db.cache import clear_cache
    from db.engine import make_engine
    from db.models import DataVersion

    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(DataVersion).values(version=DataVersion.version + 1_000_000))
    finally:
        engine.dispose()
    clear_cache()


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m db.operations.backup",
        description="Back up or restore Earshot's database and media folder.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="make a backup in a new folder (app may run)")
    create.add_argument("dest", type=Path)
    verify = sub.add_parser("verify", help="check a backup's files against its manifest")
    verify.add_argument("src", type=Path)
    restore = sub.add_parser("restore", help="restore a backup (stop the app first)")
    restore.add_argument("src", type=Path)
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace a database and media folder that already hold data",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            manifest = create_backup(args.dest)
            size = sum(e["size"] for e in manifest["media"].values())
            print(
                f"backup written to {args.dest}: {manifest['backend']} database, "
                f"{len(manifest['media'])} media file(s), {size / 1e6:.1f} MB of media"
            )
        elif args.command == "verify":
            manifest = verify_backup(args.src)
            print(
                f"{args.src}: intact ({manifest['backend']}, {len(manifest['media'])} media "
                f"file(s), made {manifest['created_at']})"
            )
        else:
            summary = restore_backup(args.src, force=args.force)
            print(
                f"restored {args.src}: {summary['backend']} database; media: "
                f"{summary['media_copied']} copied, {summary['media_unchanged']} unchanged, "
                f"{summary['media_not_in_backup']} not in the backup (kept)"
            )
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
