"""The type gate's rule: strict modules have no errors; others never more than recorded."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "typecheck", Path(__file__).resolve().parents[2] / "tools" / "typecheck.py"
)
assert spec and spec.loader
typecheck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(typecheck)


def test_a_strict_module_may_have_no_error_at_all():
    failures, _ = typecheck.judge(Counter({"scoring/rubric.py": 1}), {"scoring/rubric.py": 5})
    assert failures == ["scoring/rubric.py: 1 type error(s) in a strictly checked module"]


def test_other_files_may_not_go_above_their_recorded_count():
    failures, improvements = typecheck.judge(
        Counter({"db/services/trends.py": 4, "db/services/calls.py": 1, "db/new.py": 1}),
        {"db/services/trends.py": 4, "db/services/calls.py": 3},
    )
    assert failures == ["db/new.py: 1 type errors, more than the 0 recorded"]
    assert improvements == ["db/services/calls.py: 1 (recorded 3)"]
