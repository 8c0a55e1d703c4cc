"""A rubric's version must fit the database's integer column: huge numbers are refused
by validation, with the file and the field named, instead of crashing the sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.rubric import MAX_VERSION, RubricError, load_rubric_dir

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


def _with_version(tmp_path: Path, version: str) -> Path:
    text = (RUBRICS / "listening.v1.toml").read_text(encoding="utf-8")
    lines = [f"version = {version}" if ln.startswith("version") else ln for ln in text.splitlines()]
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / "listening.big.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("version", ["100000000000000000000", "9223372036854775807", "2147483648"])
def test_a_version_beyond_the_limit_is_refused_naming_file_and_field(tmp_path, version):
    folder = _with_version(tmp_path, version)
    with pytest.raises(RubricError) as refused:
        load_rubric_dir(folder)
    [problem] = refused.value.problems
    assert problem.field == "version" and "listening.big.toml" in problem.file
    assert problem.message == f"must be at most {MAX_VERSION}, got {version}"


def test_the_largest_version_allowed_loads(tmp_path):
    folder = _with_version(tmp_path, str(MAX_VERSION))
    assert [r.version for r in load_rubric_dir(folder)] == [MAX_VERSION]
