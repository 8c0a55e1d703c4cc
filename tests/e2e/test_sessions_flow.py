"""Sessions and HTTP headers in Chromium against the real server (server.py): 'Log out'
in one browser ends the same user's session in another browser at its next click, and
its remembered login too; every page carries the framing and content-type headers; the
remembered-login cookie is HttpOnly and SameSite=Strict."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from db.engine import use_engine
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


@pytest.fixture
def second_page(chromium):
    """Another browser (its own cookies and Streamlit session)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_log_out_in_one_browser_ends_the_other_at_its_next_click(page, second_page, earshot_app):
    log_in(page, earshot_app.url, "sup.north", PASSWORD)
    log_in(second_page, earshot_app.url, "sup.north", PASSWORD)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in").wait_for()

    # The other browser is still drawn as logged in; its next action ends the session.
    second_page.locator("[data-testid=stSidebarNav] a", has_text="Calls").click()
    second_page.get_by_role("button", name="Log in").wait_for()
    second_page.get_by_text("You were logged out. Log in again.").wait_for()
    # And a reload does not bring it back through the remembered login.
    second_page.reload()
    wait_for_app(second_page)
    second_page.get_by_role("button", name="Log in").wait_for()
    assert second_page.get_by_role("button", name="Log out").count() == 0


def test_the_remembered_login_cookie_is_httponly_and_strict(page, earshot_app):
    log_in(page, earshot_app.url, "agent.north", PASSWORD)
    for _ in range(50):  # the cookie is set by a request the page sends after the run
        cookies = {c["name"]: c for c in page.context.cookies()}
        if "earshot_session" in cookies:
            break
        page.wait_for_timeout(100)
    cookie = cookies["earshot_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert not cookie["secure"]  # plain HTTP on loopback, no HTTPS configured
    assert "earshot_session" not in page.evaluate("document.cookie")


@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/audio/not-a-token"])
def test_every_answer_of_the_real_server_carries_the_security_headers(earshot_app, path):
    try:
        response = urllib.request.urlopen(earshot_app.url + path, timeout=10)
    except urllib.error.HTTPError as refused:  # the audio route's 403 is an answer too
        response = refused
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers.get("Strict-Transport-Security") is None  # plain HTTP, not configured
