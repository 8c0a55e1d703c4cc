"""Markdown injection in Chromium (issue 13, item 12): a display name holding an image,
a link and a colour directive is shown as the text it is, and the browser sends no
request to the host it names (before the fix the image was fetched from it)."""

from __future__ import annotations

import pytest

from db.engine import use_engine
from db.services.users import create_user
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
HOSTILE = "![x](http://example.invalid/a.png) [link](http://example.invalid) :red[boom] **bold**"


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def test_a_hostile_display_name_is_text_and_fetches_nothing(chromium, earshot_app):
    world, url = earshot_app.world, earshot_app.url
    create_user(world.admin, "hostile.sup", HOSTILE, "supervisor", PASSWORD, team="North")
    page = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(15_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    log_in(page, url, "hostile.sup", PASSWORD)
    title = page.locator("h1", has_text="Welcome")
    title.wait_for()
    shown = title.inner_text().replace("\u2060", "").strip()  # less the invisible joiners
    assert shown == f"Welcome, {HOSTILE}"  # every character as typed
    assert page.locator("[data-testid=stApp] img[src*='example.invalid']").count() == 0
    links = page.locator("[data-testid=stApp] a[href*='example.invalid']")
    assert links.count() == 0, [links.nth(i).evaluate("a => a.outerHTML") for i in range(2)]

    page.goto(f"{url}/score?call={earshot_app.calls[0].id}")
    page.locator("h1").first.wait_for()
    wait_for_app(page)
    assert not [u for u in requested if "example.invalid" in u], requested
    assert any(u.startswith(url) for u in requested)  # the listener did see the app's own
