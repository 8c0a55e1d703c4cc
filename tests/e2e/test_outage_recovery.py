"""The outage notice in Chromium (issue 13, item 20): with PostgreSQL unreachable the
page says so instead of the error page and keeps what was typed; when the server answers
again the page comes back by itself, with no click (the notice's timer reruns the app),
still holding the typed text. The page is tests/e2e/outage_app.py behind ui/outage.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.db_outage import closed_port
from ui.outage import OUTAGE, RETRY_EVERY_S

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

APP = Path(__file__).with_name("outage_app.py")


@pytest.fixture
def outage_app(streamlit_server, pg_engine, tmp_path):
    port_file = tmp_path / "port"
    real_port = str(pg_engine.url.port or 5432)
    port_file.write_text(real_port)
    server = streamlit_server(
        APP,
        env={
            "OUTAGE_PORT_FILE": str(port_file),
            "OUTAGE_PG_URL": pg_engine.url.render_as_string(hide_password=False),
        },
    )
    return server.url, port_file, real_port


def test_the_page_says_the_database_is_down_keeps_the_note_and_comes_back(page, outage_app):
    url, port_file, real_port = outage_app
    page.goto(url)
    expect(page.get_by_text("The database answered 42.")).to_be_visible()

    port_file.write_text(str(closed_port()))  # PostgreSQL unreachable from now on
    note = page.get_by_label("Note")
    note.fill("Call the customer back on Tuesday")
    note.press("Enter")
    expect(page.get_by_text(OUTAGE)).to_be_visible(timeout=15_000)
    expect(page.get_by_text(re.compile("Traceback|OperationalError|error"))).to_have_count(0)
    expect(note).to_have_value("Call the customer back on Tuesday")

    port_file.write_text(real_port)  # the server answers again: no click from here on
    expect(page.get_by_text("The database answered 42.")).to_be_visible(
        timeout=(RETRY_EVERY_S * 3) * 1000
    )
    expect(page.get_by_text(OUTAGE)).to_have_count(0)
    expect(page.get_by_label("Note")).to_have_value("Call the customer back on Tuesday")


def test_an_outage_in_a_fragment_run_shows_the_notice_there_and_recovers(page, outage_app):
    """A fragment's own rerun skips workbench.py's guard: the app's error handler
    (server.py's st.App on_script_error) shows the notice in the fragment's place."""
    url, port_file, real_port = outage_app
    page.goto(url)
    expect(page.get_by_text("The panel's answer: 42.")).to_be_visible()

    port_file.write_text(str(closed_port()))
    page.get_by_role("button", name="Ask again").click()  # reruns only the fragment
    expect(page.get_by_text(OUTAGE)).to_be_visible(timeout=15_000)
    expect(page.get_by_text(re.compile("Traceback|OperationalError|error"))).to_have_count(0)

    port_file.write_text(real_port)
    expect(page.get_by_text("The panel's answer: 42.")).to_be_visible(
        timeout=(RETRY_EVERY_S * 3) * 1000
    )
    expect(page.get_by_text(OUTAGE)).to_have_count(0)
