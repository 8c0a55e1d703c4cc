"""Fixtures for end-to-end tests: a real Streamlit server and a real Chromium.

``streamlit_server(script, env)`` starts ``streamlit run <script>`` on a free port with
the shared launcher (`tests/support/server.py`), waits for ``/_stcore/health`` and stops
it at the end of the session; any e2e test can use it. ``chromium``/``page`` drive
Debian's Chromium through Playwright. Without Chromium the browser tests are skipped
with the reason shown, except under ``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.server import AppServer

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def streamlit_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., AppServer]]:
    """Factory: ``streamlit_server(script_path, env=None, timeout_s=60) -> AppServer``.

    Each call starts a new server the way ``make run`` does (`tests/support/server.py`,
    the one launcher of tests, load tests and benchmarks); scope your own fixture to share
    one; all are stopped at the end of the session.
    """
    started: list[AppServer] = []
    log_dir = tmp_path_factory.mktemp("streamlit-logs")

    def start(
        script: str | Path, env: Mapping[str, str] | None = None, timeout_s: float = 60.0
    ) -> AppServer:
        script = Path(script).resolve()
        for attempt in range(2):  # a second try covers losing the free port to a race
            log_path = log_dir / f"{script.stem}-{len(started)}-{attempt}.log"
            server = AppServer(env=dict(env or {}), log_path=log_path, script=str(script))
            try:
                server.start(timeout_s)
            except RuntimeError as exc:
                failure = str(exc)
                continue
            started.append(server)
            return server
        pytest.fail(f"Streamlit server for {script} did not become healthy:\n{failure}")

    yield start
    for server in started:
        server.stop()


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium (Playwright sync API) for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("playwright is not installed: pip install -r requirements-dev.txt")
    if not CHROMIUM.exists():
        _browser_unavailable(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium or set CHROMIUM_PATH"
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context and page per test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


# ------------------------------------------------------------------ the whole app


@dataclass
class EarshotApp:
    url: str
    engine: object
    world: object
    calls: list


@pytest.fixture(scope="module")
def earshot_app(streamlit_server, tmp_path_factory):
    """The real app (server.py) on a migrated SQLite file shared with the test process:
    the test seeds through the services and checks results in the same database."""
    from datetime import UTC, datetime

    from db.engine import make_engine, use_engine
    from db.operations.config import settings
    from db.operations.migrate import upgrade_to_head
    from db.services.calls import import_call
    from tests.factories import make_world

    folder = tmp_path_factory.mktemp("earshot-app")
    url = f"sqlite:///{folder / 'app.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    use_engine(engine)
    world = make_world()
    recordings = sorted((REPO_ROOT / "demo" / "audio").glob("*.opus"))[:2]
    calls = [
        import_call(
            world.admin,
            path,
            original_name=path.name,
            agent_username=world.agent_north.username,
            started_at=datetime(2026, 11, 20, 10, n, tzinfo=UTC),
        )
        for n, path in enumerate(recordings)
    ]
    server = streamlit_server(
        REPO_ROOT / "server.py",
        env={
            "DATABASE_URL": url,
            "EARSHOT_DATA_DIR": str(folder),
            "EARSHOT_MEDIA_DIR": str(settings().media_dir),
            "EARSHOT_SECRET_KEY": settings().secret_key.decode(),
        },
    )
    yield EarshotApp(server.url, engine, world, calls)
    use_engine(None)
    engine.dispose()


def wait_for_app(page) -> None:
    """Until Streamlit has finished the current script run."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
    )


def log_in(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()
    wait_for_app(page)


def open_items(page) -> int:
    caption = page.locator("[data-testid=stCaptionContainer]", has_text="Items still open:")
    return int(re.search(r"Items still open: (\d+)", caption.inner_text()).group(1))


def score_item(page, item_index: int, level: str) -> None:
    """Click a level and wait until the server has saved it (the open count drops)."""
    before = open_items(page)
    group = page.locator("[data-testid=stRadio]").nth(item_index)
    group.get_by_text(level, exact=True).click()
    page.locator(
        "[data-testid=stCaptionContainer]", has_text=f"Items still open: {before - 1} "
    ).wait_for()
    wait_for_app(page)
