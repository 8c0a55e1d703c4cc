"""The type gate: mypy over the project (settings in pyproject.toml).

Modules checked strictly (the pure core, charts, player, UI helpers, media and the access
policy) must have no errors at all. The rest is checked at mypy's default strictness and
may not have more errors, file by file, than `tools/mypy-baseline.json` records: the
count only goes down. When a file has fewer, the gate says so; record it with
`--update` so it cannot creep back.

    .venv/bin/python tools/typecheck.py            # the gate (make types, make test)
    .venv/bin/python tools/typecheck.py --update   # write the new, lower counts
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tools" / "mypy-baseline.json"
STRICT = ("scoring/", "charts/", "player/", "ui/", "media/", "db/access.py", "db/queries/")
ERROR = re.compile(r"^(?P<file>[\w./-]+\.py):\d+: error: ")


def mypy_errors() -> tuple[Counter[str], list[str]]:
    """Error count per file, and the error lines, as mypy reports them."""
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit(f"mypy could not run (exit {run.returncode})")
    lines = [line for line in run.stdout.splitlines() if ERROR.match(line)]
    counts: Counter[str] = Counter()
    for line in lines:
        match = ERROR.match(line)
        assert match is not None
        counts[match["file"]] += 1
    return counts, lines


def judge(counts: Counter[str], baseline: dict[str, int]) -> tuple[list[str], list[str]]:
    """(failures, improvements) of `counts` against the rules above."""
    failures, improvements = [], []
    for file, n in sorted(counts.items()):
        if file.startswith(STRICT):
            failures.append(f"{file}: {n} type error(s) in a strictly checked module")
        elif n > baseline.get(file, 0):
            failures.append(
                f"{file}: {n} type errors, more than the {baseline.get(file, 0)} recorded"
            )
    for file, n in sorted(baseline.items()):
        if counts.get(file, 0) < n:
            improvements.append(f"{file}: {counts.get(file, 0)} (recorded {n})")
    return failures, improvements


def main(argv: list[str]) -> int:
    counts, lines = mypy_errors()
    if "--update" in argv:
        lax = {f: n for f, n in sorted(counts.items()) if not f.startswith(STRICT)}
        BASELINE.write_text(json.dumps(lax, indent=1, sort_keys=True) + "\n")
        print(f"recorded {sum(lax.values())} errors in {len(lax)} files")
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    failures, improvements = judge(counts, baseline)
    total, allowed = sum(counts.values()), sum(baseline.values())
    print(
        f"mypy: {total} errors at default strictness (at most {allowed} allowed), "
        f"0 allowed in {', '.join(STRICT)}"
    )
    if improvements:
        print("fewer errors than recorded (run tools/typecheck.py --update):")
        print("\n".join("  " + line for line in improvements))
    if failures:
        print(
            "\n".join(
                line for line in lines if line.split(":")[0] in {f.split(":")[0] for f in failures}
            )
        )
        print("type gate FAILED:\n" + "\n".join("  " + f for f in failures))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
