"""Command-line administration: `python -m db.operations.cli --help`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from db.access import Actor
from db.models import Role


def _system_actor() -> Actor:
    # The CLI runs with the server's own rights, like a database console would.
    return Actor(id=0, username="cli", display_name="command line", role=Role.admin, team_id=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.operations.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    user = sub.add_parser("create-user", help="create a user (the first admin, or anyone)")
    user.add_argument("username")
    user.add_argument("--role", choices=["admin", "supervisor", "agent"], required=True)
    user.add_argument("--name", default="")
    user.add_argument("--team")
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of a prompt",
    )

    imp = sub.add_parser("import-calls", help="bulk import audio from a folder and a manifest")
    imp.add_argument("folder", type=Path)
    imp.add_argument(
        "manifest",
        type=Path,
        help="CSV with columns file, agent, started_at, external_id, agent_channel",
    )

    att = sub.add_parser(
        "attach-transcripts", help="attach transcript files to existing calls from a manifest"
    )
    att.add_argument("folder", type=Path)
    att.add_argument(
        "manifest",
        type=Path,
        help="CSV with columns call_id (the call's id or external id) and file",
    )
    att.add_argument(
        "--replace", action="store_true", help="replace transcripts calls already have"
    )

    sub.add_parser("worker", help="run a background job worker (as python -m jobs.worker)")
    sub.add_parser("seed-demo", help="load the demo data when the database is empty")
    analyse = sub.add_parser(
        "analyse-calls", help="compute listening reports for calls without one"
    )
    analyse.add_argument(
        "--queue", action="store_true", help="queue them as background jobs instead"
    )
    sub.add_parser("sync-rubrics", help="store new rubric file versions")

    args = parser.parse_args(argv)
    if args.command == "worker":
        from jobs.worker import main as worker_main

        return worker_main([])
    from db.operations.migrate import upgrade_to_head

    upgrade_to_head()
    if args.command == "create-user":
        return _create_user(args)
    if args.command == "import-calls":
        return _import_calls(args)
    if args.command == "attach-transcripts":
        return _attach_transcripts(args)
    if args.command == "seed-demo":
        from db.operations.demo import seed_demo

        print(seed_demo())
        return 0
    if args.command == "analyse-calls":
        from db.services.listening import analyse_missing_calls

        n = analyse_missing_calls(
            lambda done, total: print(f"\r{done}/{total}", end=""), queue=args.queue
        )
        print(f"\n{'queued' if args.queue else 'analysed'} {n} call(s)")
        return 0
    if args.command == "sync-rubrics":
        from db.services.rubrics import sync_rubrics

        print(sync_rubrics() or "nothing new")
        return 0
    return 2


def _create_user(args: argparse.Namespace) -> int:
    from db.services.users import create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
    try:
        row = create_user(
            None, args.username, args.name or args.username, args.role, password, team=args.team
        )
    except (ValueError, PermissionError) as exc:  # PermissionError: a second admin
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"created {row.username} ({row.role})")
    return 0


def _progress_bar(done: int, total: int, name: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    print(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:<40}",
        end="",
        flush=True,
    )


def _import_calls(args: argparse.Namespace) -> int:
    from db.services.calls import bulk_import
    from scoring.manifest import IntakeProblem

    try:
        report = bulk_import(_system_actor(), args.folder, args.manifest, _progress_bar)
    except (IntakeProblem, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print()
    for row in report.rows:
        detail = f"call {row.call_id}" if row.call_id else row.message
        print(f"line {row.line:>4}  {row.status:<9} {row.file}: {detail}")
    print(f"{report.imported} imported, {report.failed} not imported")
    return 0 if report.failed == 0 else 1


def _attach_transcripts(args: argparse.Namespace) -> int:
    from db.services.transcripts import attach_transcript_manifest

    try:
        # None: the server's own rights, and no user recorded on the transcripts.
        rows = attach_transcript_manifest(None, args.folder, args.manifest, replace=args.replace)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for row in rows:
        print(f"line {row.line:>4}  {row.status:<9} {row.file}: {row.message}")
    attached = sum(r.status == "attached" for r in rows)
    print(f"{attached} attached, {len(rows) - attached} not attached")
    return 0 if attached == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
