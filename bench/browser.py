"""Browser benchmark: Chromium (Playwright, Debian's chromium) against the real server,
time from the user's action to the result being visible and the app idle, as ratios to a
blank Streamlit page opened the same way in the same run (issue 15).

    .venv/bin/python -m bench.browser            # the demo database, median of 5

"Idle" is Streamlit's own signal (``data-test-script-state="notRunning"`` on the app).
Each repetition is a fresh browser context (no cache, no cookies). Figures:

- **blank**: open the blank page (bench/blank_page.py) until its title shows and it idles;
- **login → Overview**: from clicking "Log in" until "Log out" shows and the app idles;
- **each page, first open in the session**: a click on its navigation link until idle;
- **Score page until the waveform is drawn and the audio can play**: from opening the
  call's link (a new page load: the remembered login restores the session) until the
  player's canvas is drawn, the audio has its metadata (the player preloads metadata
  only; Play works from there) and the app idles;
- **score click**: a level clicked until the "Items still open" count drops and idle;
- **pin a comment**: "Comment here" until the comment form shows, then "Save comment"
  until the form is gone and idle.

Targets: each page's first open ≤ 3× the blank page's; the Score page until the waveform
is drawn ≤ 4×.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.server import AppServer

REPS = 5
PAGE_TARGET_X = 3.0
SCORE_TARGET_X = 4.0
PAGES = ("queue", "calibration", "disputes", "trends", "calls", "sampling", "rubrics")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]
IDLE = (
    "() => document.querySelector('[data-testid=stApp]')"
    "?.getAttribute('data-test-script-state') === 'notRunning'"
)
# The player lives in its component's shadow root: Playwright's locators reach it,
# document.querySelector does not. Polled in the page until true.
POLL = """(el, src) => new Promise(resolve => {
    const test = new Function('el', 'return (' + src + ');');
    (function poll() { test(el) ? resolve(true) : requestAnimationFrame(poll); })();
})"""


def _idle(page: Any) -> None:
    page.wait_for_function(IDLE)


def _timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _blank_open(context: Any, url: str) -> float:
    page = context.new_page()

    def go() -> None:
        page.goto(url)
        page.get_by_role("heading", name="Blank").wait_for()
        _idle(page)

    return _timed(go)


def _open_items(page: Any) -> int:
    caption = page.locator("[data-testid=stCaptionContainer]", has_text="Items still open:")
    return int(re.search(r"Items still open: (\d+)", caption.first.inner_text()).group(1))


def _one_round(context: Any, url: str, username: str, password: str, call_id: int) -> dict:
    """One fresh session through every action: {action: seconds}."""
    times: dict[str, float] = {}
    page = context.new_page()
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)

    def log_in() -> None:
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Log out").wait_for()
        _idle(page)

    times["login → Overview"] = _timed(log_in)
    for name in PAGES:
        link = page.locator(f"[data-testid=stSidebarNavLink][href$='/{name}']")
        if link.count() == 0:
            continue

        def open_page(link: Any = link, name: str = name) -> None:
            link.first.click()
            page.wait_for_url(re.compile(f"/{name}"))
            _idle(page)

        times[f"{name} page, first open"] = _timed(open_page)

    def open_call() -> None:
        page.goto(f"{url}/score?call={call_id}")
        page.locator(".ep-canvas").evaluate(POLL, "el.width > 0")  # the waveform is drawn
        page.locator("audio.ep-audio").evaluate(POLL, "el.readyState >= 1")  # can play
        _idle(page)

    times["Score page until the waveform is drawn and the audio can play"] = _timed(open_call)
    before = _open_items(page)
    # An item still open (nothing checked), so the click lowers the open count.
    radio = page.locator("[data-testid=stRadio]").filter(has_not=page.locator("input:checked"))
    radio = radio.first

    def click_score() -> None:
        radio.get_by_text("4", exact=True).click()
        page.locator(
            "[data-testid=stCaptionContainer]", has_text=f"Items still open: {before - 1} "
        ).wait_for()
        _idle(page)

    if before > 0:
        times["score click → total updated"] = _timed(click_score)

    def pin() -> None:
        page.locator(".ep-pin").click()
        page.get_by_role("button", name="Save comment").wait_for()
        _idle(page)

    def save() -> None:
        page.get_by_role("button", name="Save comment").click()
        page.get_by_role("button", name="Save comment").wait_for(state="detached")
        _idle(page)

    times["pin a comment: form open"] = _timed(pin)
    page.get_by_label("Comment", exact=True).fill("bench comment")
    times["pin a comment: saved"] = _timed(save)
    page.close()
    return times


def bench_browser(
    database_url: str,
    env: dict[str, str],
    password: str,
    label: str,
    log_dir: Path,
    *,
    reps: int = REPS,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """The browser figures for one database (`label`: demo | scale), as results rows."""
    from playwright.sync_api import sync_playwright

    from bench.protocol import scorers_for
    from bench.run import result

    scorers = scorers_for(database_url, reps, password)
    app = AppServer({**env, "DATABASE_URL": database_url}, log_dir / f"browser-{label}.log")
    blank = AppServer(env, log_dir / f"browser-blank-{label}.log", script="bench/blank_page.py")
    samples: dict[str, list[float]] = {}
    blank_s: list[float] = []
    app.start(timeout_s=120)
    blank.start(timeout_s=120)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            for rep in range(reps + 1):  # round 0 warms the server's imports; not counted
                for what in ("blank", "app"):
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    context.set_default_timeout(60_000)
                    try:
                        if what == "blank":
                            t = _blank_open(context, blank.url)
                            if rep:
                                blank_s.append(t)
                        else:
                            s = scorers[rep % len(scorers)]
                            times = _one_round(context, app.url, s.username, password, s.call_id)
                            if rep:
                                for k, v in times.items():
                                    samples.setdefault(k, []).append(v)
                    finally:
                        context.close()
                say(f"  browser ({label}): round {rep}/{reps} done")
            browser.close()
    finally:
        app.stop()
        blank.stop()
    base = statistics.median(blank_s)
    rows = [
        result(
            f"browser {label}: blank page, open until idle",
            base * 1000,
            "ms",
            "baseline",
            None,
            samples_ms=[round(v * 1000, 1) for v in blank_s],
        )
    ]
    for action, values in samples.items():
        ratio = statistics.median(values) / base
        if action.startswith("Score page"):
            target, passed = f"≤ {SCORE_TARGET_X:g}× blank (#15)", ratio <= SCORE_TARGET_X
        elif action.endswith("first open") or action.startswith("login"):
            target, passed = f"≤ {PAGE_TARGET_X:g}× blank (#15)", ratio <= PAGE_TARGET_X
        else:
            target, passed = "report only", None
        rows.append(
            result(
                f"browser {label}: {action}",
                ratio,
                "× blank",
                target,
                passed,
                median_ms=round(statistics.median(values) * 1000, 1),
                samples_ms=[round(v * 1000, 1) for v in values],
                blank_ms=round(base * 1000, 1),
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    from bench.protocol import DEMO_PASSWORD, demo_database
    from bench.run import print_table

    ap = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=REPS)
    ap.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="earshot-browser-") as tmp_name:
        tmp = Path(tmp_name)
        url, env = demo_database(tmp)
        rows = bench_browser(url, env, DEMO_PASSWORD, "demo", tmp, reps=args.reps)
    print_table(rows)
    if args.out:
        args.out.write_text(json.dumps({"results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
