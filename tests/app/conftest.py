"""AppTest helpers: run workbench.py as a given user and open a page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from db.access import Actor
from tests.support.apptest import server_like_script_cache

APP = str(Path(__file__).resolve().parents[2] / "workbench.py")
TIMEOUT = 30


def open_page(
    actor: Actor | None, page: str | None = None, query: dict[str, str] | None = None
) -> AppTest:
    """workbench.py run as `actor` (None = logged out), switched to `page` if given."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if actor is not None:
        at.session_state["actor"] = actor
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def app_db(sqlite_database):
    """Page tests run on SQLite; the services they call are tested on both databases."""
    return sqlite_database


@pytest.fixture(autouse=True)
def pages_run_as_the_server_runs_them():
    """workbench.py (login check, role navigation) runs before every page, as on the
    server; without this AppTest would run a page's file alone."""
    with server_like_script_cache() as patched:
        assert patched, "this Streamlit's AppTest cannot be made to run workbench.py first"
        yield
