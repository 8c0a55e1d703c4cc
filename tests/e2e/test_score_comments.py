"""Comments on the real Score page in Chromium (issue 14): a comment's time plays from
there, a submitted evaluation offers no pinning (and says why), and the comment form
keeps what was typed when a save is refused and bounds its time to the call."""

import re

import pytest
from playwright.sync_api import expect

from db.engine import use_engine
from db.services.auth import authenticate
from db.services.evaluations import add_comment, open_draft, save_item
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD, submit_evaluation

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def _open_score(page, earshot_app, call_id: int) -> None:
    log_in(page, earshot_app.url, "sup.north", PASSWORD)
    page.goto(f"{earshot_app.url}/score?call={call_id}")
    page.locator(".ep-play").wait_for(timeout=60_000)  # a first open on a busy machine
    wait_for_app(page)


def _press_c(page) -> None:
    page.get_by_role("heading", name="Comments").click()  # focus the page, not an input
    page.keyboard.press("c")


def test_a_comments_time_plays_from_there(page, earshot_app):
    call = earshot_app.calls[0]
    sup = authenticate("sup.north", PASSWORD)
    ev = open_draft(sup, call.id)
    add_comment(sup, ev.id, ev.row_version, 12.0, "Listen to the hold here", None)
    _open_score(page, earshot_app, call.id)
    audio = page.locator("audio")
    expect(audio).to_have_js_property("paused", True)
    page.get_by_role("button", name="0:12").first.click()
    expect(audio).to_have_js_property("paused", False)
    page.locator("audio").evaluate(
        "a => new Promise(r => { const t = setInterval(() => { if (a.currentTime > 12.3) "
        "{ clearInterval(t); r(); } }, 50); })"
    )
    assert page.locator("audio").evaluate("a => a.currentTime") < 16


def test_a_submitted_evaluation_offers_no_pinning_and_says_why(page, earshot_app):
    call = earshot_app.calls[1]
    sup = authenticate("sup.north", PASSWORD)
    submit_evaluation(sup, call.id, 3)
    _open_score(page, earshot_app, call.id)
    expect(page.get_by_text("Submitted", exact=False).first).to_be_visible()
    expect(page.locator(".ep-pin")).to_be_hidden()
    _press_c(page)
    status = page.locator(".ep-status")
    expect(status).to_have_text(re.compile(r"submitted: comments are closed"))
    expect(status).not_to_contain_text("pinned")
    wait_for_app(page)
    expect(page.get_by_label("Comment", exact=True)).to_have_count(0)
    assert open_draft(sup, call.id).comments == []


def test_the_comment_form_keeps_the_text_on_a_refused_save_and_bounds_the_time(page, earshot_app):
    call = earshot_app.calls[0]
    _open_score(page, earshot_app, call.id)
    _press_c(page)
    at = page.get_by_label("At (seconds)", exact=True)
    at.wait_for()
    # The time cannot go past the end of the call.
    at.fill("9999")
    at.press("Tab")
    expect(at).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="outside the allowed range")).to_contain_text(
        f"between 0.00 and {call.duration_s:.2f}"
    )
    at.fill("3")
    box = page.get_by_label("Comment", exact=True)
    box.fill("The agent talks over the customer's account number")
    # Someone saves this draft elsewhere first: this page's save is refused as stale.
    sup = authenticate("sup.north", PASSWORD)
    ev = open_draft(sup, call.id)
    save_item(sup, ev.id, ev.row_version, "be_patient", value=3)
    page.get_by_role("button", name="Save comment").click()
    expect(page.get_by_text("The comment was not saved", exact=False)).to_be_visible()
    expect(box).to_have_value("The agent talks over the customer's account number")
    expect(at).to_have_value(re.compile(r"^3(\.0+)?$"))
    assert all("account number" not in c.text for c in open_draft(sup, call.id).comments)


def test_number_keys_score_the_item_being_worked_on_and_typing_a_comment_pauses(page, earshot_app):
    call = earshot_app.calls[0]  # a draft of sup.north's (the tests above)
    sup = authenticate("sup.north", PASSWORD)
    _open_score(page, earshot_app, call.id)
    first = page.locator("[data-testid=stRadio]").nth(0)  # "Gives the customer the floor"
    first.get_by_text("2", exact=True).click()
    expect(first.get_by_role("radio", name="2")).to_be_checked()
    wait_for_app(page)
    page.keyboard.press("4")  # the item being worked on: saved as a click is
    expect(first.get_by_role("radio", name="4")).to_be_checked()
    wait_for_app(page)
    for _ in range(100):  # the autosave runs on the server: read it back
        stored = open_draft(sup, call.id).items.get("stop_talking")
        if stored is not None and stored.value == 4:
            break
        page.wait_for_timeout(100)
    assert open_draft(sup, call.id).items["stop_talking"].value == 4

    # Typing a comment pauses the audio (the player's setting, on by default).
    page.locator(".ep-play").click()
    audio = page.locator("audio")
    expect(audio).to_have_js_property("paused", False)
    page.locator(".ep-pin").click()
    box = page.get_by_label("Comment", exact=True)
    box.click()
    box.press_sequentially("Asks for the account")
    expect(audio).to_have_js_property("paused", True)
    expect(page.locator(".ep-status")).to_have_text("Paused while you type a comment")
