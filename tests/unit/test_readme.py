"""The README's quick start stays two commands, and says what a first run needs to know:
another port, stopping and resetting the demo, and why there are more calls than
recordings."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_the_quick_start_is_exactly_two_commands():
    quick = _section("Quick start")
    (block,) = re.findall(r"```sh\n(.*?)```", quick, re.S)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_the_quick_start_says_port_stop_reset_and_why_more_calls():
    quick = _section("Quick start")
    assert "PORT=8502 make run" in quick
    assert "Ctrl+C" in quick
    assert "rm -rf data" in quick
    assert "more calls than there are recordings" in quick
