"""Calibration in Chromium: two scorers score the same call blind, the facilitator
reveals, and only then does anyone see the comparison."""

import pytest

from db.engine import use_engine
from db.services.calibration import create_session, session_results
from tests.e2e.conftest import log_in, score_item, wait_for_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def test_two_scorers_score_blind_then_the_facilitator_reveals(chromium, earshot_app):
    world, call, url = earshot_app.world, earshot_app.calls[0], earshot_app.url
    session_id = create_session(
        world.admin, "Week 48 calibration", [call.id], [world.sup_north.id, world.sup_south.id]
    )
    pages = {}
    for username, level in (("sup.north", "4"), ("sup.south", "2")):
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(15_000)
        page = context.new_page()
        pages[username] = page
        log_in(page, url, username, PASSWORD)
        page.goto(f"{url}/calibration?session={session_id}")
        wait_for_app(page)
        # Blind: no comparison anywhere on the page before reveal.
        assert page.get_by_role("heading", name="Agreement").count() == 0
        page.get_by_role("link", name="Score blind").click()
        page.locator(".ep-play").wait_for()
        wait_for_app(page)
        radios = page.locator("[data-testid=stRadio]")
        radios.nth(9).wait_for()  # all ten rubric items drawn
        for index in range(radios.count()):
            if index != 4:  # eye contact: N/A on an audio-only call
                score_item(page, index, level)
        page.get_by_role("button", name="Submit evaluation").click()
        page.get_by_text("Submitted", exact=False).first.wait_for()

    north = pages["sup.north"]
    north.goto(f"{url}/calibration?session={session_id}")
    wait_for_app(north)
    assert north.get_by_role("heading", name="Agreement").count() == 0  # still blind

    facilitator = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    log_in(facilitator, url, "admin", PASSWORD)
    facilitator.goto(f"{url}/calibration?session={session_id}")
    facilitator.get_by_role("button", name="Reveal scores").click()
    facilitator.get_by_role("heading", name="Agreement").wait_for()

    north.reload()
    north.get_by_role("heading", name="Agreement").wait_for()
    results = session_results(world.sup_north, session_id)
    (call_results,) = results.calls
    totals = sorted(call_results.totals.values())
    assert totals == [25.0, 75.0]  # level 2 everywhere and level 4 everywhere
