"""The layers, as import rules that fail the build when broken.

- `scoring/` and `charts/` are pure: no Streamlit, no database, no other layer of ours.
- `db/` never imports the UI (`pages/`, `ui/`, `player/`, Streamlit).
- `media/` is shared by services and workers: no UI, no database.
- Inside `db/`: `db/queries/` imports no service and no operation; the core (`models`,
  `access`, `engine`, `cache`) imports no operation but configuration, and no service at
  import time.
- Tests never import `bench/` (shared test support lives in `tests/support/`), except the
  benchmark's own tests in `tests/bench/`.
- No import cycles between our top-level packages at import time (module-level imports).
  Known and left for later: `db` and `jobs` reach each other through imports inside
  functions (a service enqueues a job kind; a job's handler calls services).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {
    "api",
    "bench",
    "charts",
    "db",
    "jobs",
    "media",
    "pages",
    "player",
    "scoring",
    "server",
    "tests",
    "tools",
    "ui",
    "workbench",
}

FORBIDDEN: dict[str, set[str]] = {
    "scoring": {"streamlit", "sqlalchemy", "sqlmodel", "alembic", "psycopg", "huey"}
    | (OURS - {"scoring"}),
    "charts": {"streamlit", "sqlalchemy", "sqlmodel", "alembic", "psycopg", "huey"}
    | (OURS - {"charts", "scoring"}),
    "db": {"streamlit", "pages", "ui", "player", "api", "workbench", "server", "bench", "tests"},
    "api": {"streamlit", "pages", "ui", "player", "workbench", "bench", "tests"},
    "media": {"streamlit", "sqlalchemy", "sqlmodel", "db", "pages", "ui", "player", "jobs"},
}


def imports_of(path: Path, module_level_only: bool = False) -> set[str]:
    """Top-level names of every module `path` imports, at any depth in the file (or only
    in its module-level statements)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    nodes = tree.body if module_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def python_files(folder: str) -> list[Path]:
    return [
        p
        for p in sorted((ROOT / folder).rglob("*.py"))
        if "migrations/versions" not in p.as_posix()
    ]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_it_must_not(layer):
    broken = {
        str(path.relative_to(ROOT)): sorted(imports_of(path) & FORBIDDEN[layer])
        for path in python_files(layer)
    }
    assert not {k: v for k, v in broken.items() if v}


def dotted_imports_of(path: Path, module_level_only: bool = False) -> set[str]:
    """Full dotted names of the modules `path` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in tree.body if module_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_queries_import_no_service_and_no_operation():
    broken = {
        str(path.relative_to(ROOT)): sorted(
            n for n in dotted_imports_of(path) if n.startswith(("db.services", "db.operations"))
        )
        for path in python_files("db/queries")
    }
    assert python_files("db/queries"), "db/queries/ holds the read-only queries"
    assert not {k: v for k, v in broken.items() if v}


def test_the_db_core_imports_no_operation_but_configuration():
    core = [ROOT / "db" / f"{name}.py" for name in ("models", "access", "engine", "cache")]
    broken = {
        str(path.relative_to(ROOT)): sorted(
            n
            for n in dotted_imports_of(path, module_level_only=True)
            if n.startswith(("db.services", "db.operations")) and n != "db.operations.config"
        )
        for path in core
    }
    assert not {k: v for k, v in broken.items() if v}


def test_tests_do_not_import_the_benchmark():
    broken = [
        str(path.relative_to(ROOT))
        for path in python_files("tests")
        if "bench" in imports_of(path) and path.parent.name != "bench"
    ]
    assert not broken


def test_no_import_cycles_between_our_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for package in OURS - {"tests", "tools", "bench", "server", "workbench"}:
        for path in python_files(package):
            graph[package] |= (imports_of(path, module_level_only=True) & OURS) - {package}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(p for p in graph if reaches(p, p, {p}))
    assert not cycles, {p: sorted(graph[p]) for p in cycles}


def test_the_contract_checker_sees_a_forbidden_import(tmp_path):
    """The rule can fail: a file importing streamlit is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    import streamlit as st\n    from db.models import Call\n")
    assert imports_of(bad) >= {"streamlit", "db"}
