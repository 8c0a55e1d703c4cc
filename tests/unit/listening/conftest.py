"""The condition x metric table of the real-room listening tests (issue 19), printed in
the terminal summary of any run that includes them, so a regression is seen at once.

Each test records its row as a user property (``listening_condition``); the reports reach
the process that prints the summary, also under pytest-xdist, where tests run in workers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

RESULTS: dict[str, dict[str, tuple[bool, str]]] = {}
"""condition -> metric -> (held, how far off), gathered from the test reports."""

Row = dict[str, tuple[bool, str]]


@pytest.fixture
def condition_results(
    record_property: Callable[[str, object], None],
) -> Callable[[str, Row], None]:
    """``record(name, row)``: put one condition's row in the table."""

    def record(name: str, row: Row) -> None:
        record_property("listening_condition", [name, {m: list(v) for m, v in row.items()}])

    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, value in getattr(report, "user_properties", []):
        if key == "listening_condition":
            name, row = value
            RESULTS[name] = {m: (bool(v[0]), str(v[1])) for m, v in row.items()}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    metrics = list(next(iter(RESULTS.values())))
    width = max(len(name) for name in RESULTS) + 2
    tr = terminalreporter
    tr.section("listening under real-room conditions (held / off by)")
    tr.write_line(" " * width + "".join(f"{m[:14]:>15}" for m in metrics))
    for name, row in sorted(RESULTS.items()):
        cells = "".join(
            f"{('ok ' if held else 'NO ') + off:>15}" for held, off in (row[m] for m in metrics)
        )
        tr.write_line(f"{name:<{width}}" + cells)
