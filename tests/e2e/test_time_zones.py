"""Dates in Chromium (issue 14, bug 10): shown in the browser's time zone until the user
saves one on the Account page, then in that one; never UTC by default."""

import re

import pytest
from playwright.sync_api import expect

from db.engine import use_engine
from db.services.auth import authenticate
from db.services.users import time_zone_of
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def test_dates_follow_the_browser_then_the_zone_saved_on_the_account(chromium, earshot_app):
    call = earshot_app.calls[0]  # started 2026-11-20 10:00 UTC
    context = chromium.new_context(
        viewport={"width": 1280, "height": 1000}, timezone_id="America/New_York"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, earshot_app.url, "sup.north", PASSWORD)

    page.goto(f"{earshot_app.url}/score?call={call.id}")
    page.locator(".ep-play").wait_for(timeout=60_000)
    wait_for_app(page)
    expect(page.get_by_text("2026-11-20 05:00 EST", exact=False)).to_be_visible()
    expect(page.get_by_text("10:00 UTC", exact=False)).to_have_count(0)
    expect(page.locator(".ep-dur")).to_have_text(re.compile(r"^\d+:\d\d$"))  # m:ss

    page.goto(f"{earshot_app.url}/account")
    wait_for_app(page)
    zone = page.locator("[data-testid=stSelectbox]", has_text="Show dates and times in")
    field = zone.locator("input")
    expect(field).to_have_value("My browser's time zone (America/New_York)")
    field.click()
    field.fill("Asia/Tokyo")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_text("Saved: dates are shown in Asia/Tokyo")).to_be_visible()
    assert time_zone_of(authenticate("sup.north", PASSWORD)) == "Asia/Tokyo"

    page.goto(f"{earshot_app.url}/score?call={call.id}")
    page.locator(".ep-play").wait_for(timeout=60_000)
    wait_for_app(page)
    expect(page.get_by_text("2026-11-20 19:00 JST", exact=False)).to_be_visible()
    context.close()
