"""The whole app in Chromium: login and role navigation, and a supervisor's full
score-pin-submit run with a reload in the middle, checked in the database."""

import urllib.error
import urllib.request

import pytest

from db.engine import use_engine
from db.services.auth import authenticate
from db.services.calls import audio_url_for
from db.services.evaluations import open_draft
from tests.e2e.conftest import log_in, score_item, wait_for_app
from tests.factories import PASSWORD
from ui.format import mmss

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def _sup_north():
    """sup.north as signed in now: Log out in the login test ends the sessions the
    module's world was signed in with."""
    return authenticate("sup.north", PASSWORD)


def _nav_labels(page) -> set[str]:
    links = page.locator("[data-testid=stSidebarNav] a")
    # A link reads "<icon ligature>\n\n<title>": keep the title.
    return {links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())}


def test_login_through_the_form_shows_the_roles_navigation(page, earshot_app):
    page.goto(earshot_app.url)
    page.get_by_label("Username").fill("sup.north")
    page.get_by_role("textbox", name="Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Wrong username or password.", exact=False).wait_for()

    log_in(page, earshot_app.url, "sup.north", PASSWORD)
    supervisor_nav = _nav_labels(page)
    assert {"Overview", "My assignments", "Score a call", "Calibration"} <= supervisor_nav
    assert "Users" not in supervisor_nav and "My feedback" not in supervisor_nav

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in").wait_for()
    log_in(page, earshot_app.url, "agent.north", PASSWORD)
    agent_nav = _nav_labels(page)
    assert "My feedback" in agent_nav
    assert not {"My assignments", "Score a call", "Users", "Calls"} & agent_nav


def test_audio_route_streams_ranges_and_refuses_forged_tokens(earshot_app):
    world, call = earshot_app.world, earshot_app.calls[0]
    url = earshot_app.url + audio_url_for(_sup_north(), call.id)
    request = urllib.request.Request(url, headers={"Range": "bytes=100-1099"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 206
        assert response.headers["Content-Range"].startswith("bytes 100-1099/")
        assert len(response.read()) == 1000
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    assert refused.value.code == 403
    with pytest.raises(PermissionError):  # another team's supervisor never gets a URL
        audio_url_for(world.sup_south, call.id)


def test_score_pin_reload_and_submit(page, earshot_app):
    call = earshot_app.calls[1]
    log_in(page, earshot_app.url, "sup.north", PASSWORD)
    page.goto(f"{earshot_app.url}/score?call={call.id}")
    page.locator(".ep-play").wait_for()
    wait_for_app(page)

    page.locator(".ep-play").click()
    page.locator("audio").evaluate(
        "a => new Promise(r => { const t = setInterval(() => { if (a.currentTime > 1.5) "
        "{ clearInterval(t); r(); } }, 50); })"
    )
    page.get_by_role("heading", name="Comments").click()  # focus the page, not an input
    page.keyboard.press("c")
    comment_box = page.get_by_label("Comment", exact=True)
    comment_box.wait_for()
    comment_box.fill("Customer still explaining <b>here</b>")
    page.get_by_role("button", name="Save comment").click()
    page.get_by_text("Customer still explaining <b>here</b>").first.wait_for()
    # Typing the comment paused the audio (the player's setting, on by default): play on.
    page.locator(".ep-play", has_text="Play").click()

    # Clicking the comment's time plays from that moment again.
    pinned = open_draft(_sup_north(), call.id).comments[0].t_s
    page.locator("audio").evaluate(
        f"a => new Promise(r => {{ const t = setInterval(() => {{ if (a.currentTime > "
        f"{pinned + 3}) {{ clearInterval(t); r(); }} }}, 50); }})"
    )
    page.get_by_role("button", name=mmss(pinned)).first.click()
    page.locator("audio").evaluate(
        f"a => new Promise((r, j) => {{ const s = performance.now(); const t = setInterval(() =>"
        f" {{ if (a.currentTime < {pinned + 1.5}) {{ clearInterval(t); r(); }} "
        f"if (performance.now() - s > 8000) {{ clearInterval(t); j(a.currentTime); }} }}, 50); }})"
    )

    for index in range(4):
        score_item(page, index, "4")
    page.reload()  # a refresh in the middle: the remembered login and the draft come back
    page.locator(".ep-play").wait_for()
    wait_for_app(page)
    groups = page.locator("[data-testid=stRadio]")
    groups.nth(9).wait_for()
    for index in range(4):
        assert groups.nth(index).get_by_role("radio", name="4").is_checked()
    assert page.get_by_text("Customer still explaining <b>here</b>").count() >= 1

    for index in range(4, groups.count()):
        if index != 4:  # eye contact is N/A already on an audio-only call
            score_item(page, index, "3")
    # The items scroll in their own pane: scoring the last one leaves the player and the
    # Submit button where they were, in view.
    viewport = page.viewport_size
    for control in (page.locator(".ep-play"), page.get_by_role("button", name="Submit evaluation")):
        box = control.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
    page.get_by_role("button", name="Submit evaluation").click()
    page.get_by_text("Submitted", exact=False).first.wait_for()

    stored = open_draft(_sup_north(), call.id)
    assert stored.status == "submitted"
    assert stored.items["be_patient"].value == 3 and stored.items["stop_talking"].value == 4
    assert stored.items["eye_contact"].na
    (comment,) = stored.comments
    assert 1.0 < comment.t_s < call.duration_s
    assert comment.text == "Customer still explaining <b>here</b>"
