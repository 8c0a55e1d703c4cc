"""What Chromium tells a screen reader, and what a page address says to a role that may
not use it (issue 14, bug 11). Streamlit names a radio group by its label (aria-label),
so the label must be plain text; and an address outside the role's menu must say whom
the page is for instead of silently opening the Overview."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from db.engine import use_engine
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def test_rubric_radio_groups_are_named_in_plain_text(page, earshot_app):
    call = earshot_app.calls[0]
    log_in(page, earshot_app.url, "sup.north", PASSWORD)
    page.goto(f"{earshot_app.url}/score?call={call.id}")
    wait_for_app(page)
    first = page.get_by_role("radiogroup", name="1. Gives the customer the floor · open")
    expect(first).to_be_visible()
    expect(first.get_by_role("radio", name="4")).to_be_visible()
    expect(page.get_by_role("radiogroup", name=re.compile(r"\*\*|_open_"))).to_have_count(0)


def test_an_address_outside_the_roles_menu_says_whom_the_page_is_for(page, earshot_app):
    log_in(page, earshot_app.url, "agent.north", PASSWORD)
    page.goto(f"{earshot_app.url}/score")
    expect(
        page.get_by_text(
            "Score a call is not available to agent users: it is for admin and supervisor users."
        )
    ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/score$"))
