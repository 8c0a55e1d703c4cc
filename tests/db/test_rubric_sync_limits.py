"""Syncing rubric files: a version too large for the database is a clear RubricError
naming the file, on SQLite and PostgreSQL, and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from db.engine import read_scope
from db.models import Rubric
from db.services.rubrics import sync_rubrics
from scoring.rubric import RubricError

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


def test_a_huge_rubric_version_is_refused_before_the_database(database, tmp_path):
    text = (RUBRICS / "listening.v1.toml").read_text(encoding="utf-8")
    huge = "\n".join(
        "version = 100000000000000000000" if ln.startswith("version") else ln
        for ln in text.splitlines()
    )
    (tmp_path / "listening.huge.toml").write_text(huge + "\n", encoding="utf-8")
    with pytest.raises(RubricError, match=r"listening\.huge\.toml.*version.*at most"):
        sync_rubrics(directory=tmp_path)
    with read_scope() as session:
        assert session.exec(select(Rubric)).all() == []
