"""The hostile suite counts what it tries and prints it at the end of the session.

A pytest plugin (registered in tests/conftest.py so the xdist controller loads it too).
Each test under tests/hostile/ is one hostile input unless it records more through the
``hostile`` fixture, which classifies each attempt as a clear refusal (an expected
exception with a message), accepted (the input was valid and kept), or a crash (any
other exception, which fails the test). A test that fails on an assertion is a wrong
answer; one that fails with any other exception is a crash. The table goes to the
terminal summary:

    hostile inputs tried: 412 in 131 tests · clear refusals 233 · accepted 40 ·
    handled (uncounted) 120 · wrong answers 0 · crashes 0
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

_KEY = "hostile_tally"
_SUITE = "tests/hostile/"


@dataclass
class HostileTally:
    """What one test tried: counts by outcome, plus the first crash for the report."""

    refused: int = 0
    accepted: int = 0
    crashed: int = 0
    crashes: list[str] = field(default_factory=list)

    @property
    def inputs(self) -> int:
        return self.refused + self.accepted + self.crashed

    def attempt(
        self,
        call: Callable[[], Any],
        refusals: type[BaseException] | tuple[type[BaseException], ...] = (ValueError,),
        label: str = "",
    ) -> BaseException | Any:
        """Run one hostile input. An exception of `refusals` with a non-empty message is
        a clear refusal (returned, for the test to check its wording); a return is
        'accepted' (the value is returned); anything else is a crash: counted, then
        raised so the test fails."""
        try:
            value = call()
        except refusals as exc:
            if not str(exc).strip():
                self.crashed += 1
                self.crashes.append(f"{label}: refused without a message ({type(exc).__name__})")
                raise AssertionError(f"{label}: refused without a message") from exc
            self.refused += 1
            return exc
        except Exception as exc:
            self.crashed += 1
            self.crashes.append(f"{label}: {type(exc).__name__}: {exc}"[:200])
            raise
        self.accepted += 1
        return value

    def refused_clearly(self, n: int = 1) -> None:
        self.refused += n

    def kept(self, n: int = 1) -> None:
        self.accepted += n


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Any:
    """Counts this test's hostile inputs for the session's table."""
    tally = HostileTally()
    yield tally
    request.node.user_properties.append(
        (_KEY, {"refused": tally.refused, "accepted": tally.accepted, "crashed": tally.crashed})
    )


@dataclass
class _Suite:
    tests: int = 0
    inputs: int = 0
    refused: int = 0
    accepted: int = 0
    handled: int = 0  # passed without counting its inputs: one input each
    wrong: int = 0
    crashed: int = 0
    crash_lines: list[str] = field(default_factory=list)


_outcomes: dict[str, str] = {}
_recorded: dict[str, dict[str, int]] = {}
_crash_text: dict[str, str] = {}


def _in_suite(nodeid: str) -> bool:
    return nodeid.replace("\\", "/").startswith(_SUITE) or f"/{_SUITE}" in nodeid


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _in_suite(report.nodeid):
        return
    for name, value in report.user_properties:
        if name == _KEY:
            _recorded[report.nodeid] = dict(value)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.skipped:
            _outcomes[report.nodeid] = "skipped"
        elif report.passed:
            _outcomes[report.nodeid] = "passed"
        else:
            crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", "")
            assertion = crash.startswith(("AssertionError", "Failed", "assert "))
            _outcomes[report.nodeid] = "wrong" if assertion else "crashed"
            if not assertion:
                _crash_text[report.nodeid] = crash[:200]


def _summarise() -> dict[str, _Suite]:
    files: dict[str, _Suite] = defaultdict(_Suite)
    for nodeid, outcome in _outcomes.items():
        if outcome == "skipped":
            continue
        suite = files[nodeid.split("::")[0]]
        suite.tests += 1
        counts = _recorded.get(nodeid)
        suite.inputs += sum(counts.values()) if counts else 1
        if counts:
            suite.refused += counts["refused"]
            suite.accepted += counts["accepted"]
            suite.crashed += counts["crashed"]
        if outcome == "passed" and not counts:
            suite.handled += 1
        elif outcome == "wrong":
            suite.wrong += 1
        elif outcome == "crashed":
            if not (counts and counts["crashed"]):
                suite.crashed += 1
            suite.crash_lines.append(f"{nodeid}: {_crash_text.get(nodeid, '')}")
    return files


def pytest_terminal_summary(terminalreporter: Any) -> None:
    files = _summarise()
    if not files:
        return
    write = terminalreporter.write_line
    terminalreporter.section("hostile inputs")
    header = (
        f"{'file':<44} {'tests':>5} {'inputs':>6} {'refused':>7} {'accepted':>8} "
        f"{'handled':>7} {'wrong':>5} {'crashes':>7}"
    )
    write(header)
    total = _Suite()
    for name in sorted(files):
        s = files[name]
        write(
            f"{name.removeprefix(_SUITE):<44} {s.tests:>5} {s.inputs:>6} {s.refused:>7} "
            f"{s.accepted:>8} {s.handled:>7} {s.wrong:>5} {s.crashed:>7}"
        )
        total.tests += s.tests
        total.inputs += s.inputs
        total.refused += s.refused
        total.accepted += s.accepted
        total.handled += s.handled
        total.wrong += s.wrong
        total.crashed += s.crashed
        total.crash_lines += s.crash_lines
    write(
        f"hostile inputs tried: {total.inputs} in {total.tests} tests · clear refusals "
        f"{total.refused} · accepted {total.accepted} · handled (uncounted) {total.handled} · "
        f"wrong answers {total.wrong} · crashes {total.crashed}"
    )
    for line in total.crash_lines:
        write(f"  crash: {line}")
