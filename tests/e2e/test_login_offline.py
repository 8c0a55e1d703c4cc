"""The login page in Chromium: nothing is fetched from beyond the app's own address (the
tab icon included: bug 11), and a paused account is told so and for how long, in the
same words as a made-up username (bug 9)."""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from db.engine import use_engine
from db.services.auth import LOCKOUT, MAX_FAILED_LOGINS
from tests.e2e.conftest import wait_for_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(autouse=True)
def _patient_expectations():
    expect.set_options(timeout=30_000)  # a first page load on a busy test machine is slow
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def test_the_login_page_fetches_nothing_from_outside(page, earshot_app):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(earshot_app.url)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    wait_for_app(page)
    # The page config has set the tab icon: a file the app serves itself.
    icon = page.locator("link[rel='shortcut icon'], link[rel='icon']").first
    expect(icon).to_have_attribute("href", re.compile(r"/media/[0-9a-f]+\.png$"))
    href = icon.get_attribute("href") or ""
    assert urlparse(page.evaluate("h => new URL(h, location.href).href", href)).hostname in LOOPBACK
    outside = [
        url
        for url in requested
        if urlparse(url).scheme in ("http", "https", "ws", "wss")
        and urlparse(url).hostname not in LOOPBACK
    ]
    assert requested and outside == [], outside


def _try(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    wait_for_app(page)


def test_a_paused_account_is_told_so_and_for_how_long(page, earshot_app):
    minutes = int(LOCKOUT.total_seconds() // 60)
    paused = f"sign-in for this username is paused. Try again in {minutes} minutes"
    for username in ("sup.south", "nobody.at.all"):  # a real account and a made-up name
        for _ in range(MAX_FAILED_LOGINS):
            _try(page, earshot_app.url, username, "not-the-password")
            expect(page.get_by_text("Wrong username or password.")).to_be_visible()
        _try(page, earshot_app.url, username, PASSWORD)  # the right password, for sup.south
        alert = page.locator("[data-testid=stAlertContentError]")
        expect(alert).to_contain_text(paused)
        expect(alert).not_to_contain_text("Wrong username or password")
        expect(page.get_by_role("button", name="Log out")).to_have_count(0)
