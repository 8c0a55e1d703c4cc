"""The condition x metric table of the real-room listening tests (issue 19), printed in
the terminal summary of any run that includes them, so a regression is seen at once."""

from __future__ import annotations

from typing import Any

import pytest

RESULTS: dict[str, dict[str, tuple[bool, str]]] = {}
"""condition -> metric -> (held, how far off); filled by test_listening_conditions.py."""


@pytest.fixture
def condition_results() -> dict[str, dict[str, tuple[bool, str]]]:
    return RESULTS


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
