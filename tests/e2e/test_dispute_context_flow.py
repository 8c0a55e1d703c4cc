"""Issue 14, the agents' side, in Chromium: an agent cites a moment in a dispute, replies
to their scorer and acknowledges two evaluations at once after a confirmation; the
supervisor opens the dispute in context and a cited moment seeks the player there."""

import pytest
from playwright.sync_api import expect

from db.engine import use_engine
from db.services.disputes import list_disputes
from db.services.feedback import my_evaluations
from db.services.replies import list_replies
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD, submit_evaluation

pytestmark = pytest.mark.browser
CITED_AT = 20.0
REPLY = "Thanks: could we go through the second half on Friday?"


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def _wait_audio(page, condition: str) -> None:
    """Until the player's audio (inside its shadow root) meets `condition` (JS on `a`)."""
    page.locator("audio").evaluate(
        "a => new Promise((r, j) => { const s = performance.now(); const t = setInterval(() =>"
        f" {{ if ({condition}) {{ clearInterval(t); r(); }} "
        "if (performance.now() - s > 8000) { clearInterval(t); "
        "j('currentTime=' + a.currentTime + ', paused=' + a.paused); } }, 50); })"
    )


def test_agent_cites_replies_and_bulk_acknowledges_and_the_supervisor_reads_in_context(
    chromium, earshot_app
):
    world, url = earshot_app.world, earshot_app.url
    first, second = (
        submit_evaluation(
            world.sup_north,
            call.id,
            3,
            {"be_patient": 2},
            comments=((5.0, "Listen from here", "be_patient"),),
        )
        for call in earshot_app.calls[:2]
    )

    agent = chromium.new_context(viewport={"width": 1280, "height": 1100}).new_page()
    agent.set_default_timeout(15_000)
    log_in(agent, url, "agent.north", PASSWORD)

    # Two evaluations acknowledged at once, only after saying yes.
    agent.goto(f"{url}/my_feedback")
    wait_for_app(agent)
    agent.get_by_text("Acknowledge several (2 not yet acknowledged)").click()
    agent.get_by_role("button", name="Select all not yet acknowledged").click()
    wait_for_app(agent)
    agent.get_by_role("button", name="Acknowledge 2 selected").click()
    expect(agent.get_by_text("Acknowledge 2 evaluation(s)?", exact=False)).to_be_visible()
    assert not any(r.acknowledged_at for r in my_evaluations(world.agent_north))
    agent.get_by_role("button", name="Yes, acknowledge 2").click()
    expect(agent.get_by_text("Acknowledged 2 evaluation(s).")).to_be_visible()
    assert all(r.acknowledged_at for r in my_evaluations(world.agent_north))

    # A dispute citing a moment, and a reply to the scorer.
    agent.goto(f"{url}/my_feedback?evaluation={first.id}")
    agent.locator(".ep-play").wait_for()
    wait_for_app(agent)
    form = agent.locator("[data-testid=stForm]").filter(has_text="Send dispute")
    field = form.locator("[data-testid=stSelectbox] input")
    field.click()
    field.fill("Gives the customer time")
    agent.keyboard.press("Enter")
    form.get_by_label("Why is this score wrong?").fill("The customer had finished; I waited.")
    form.get_by_role("textbox", name="Moments you cite (optional)").fill("0:20")
    form.get_by_role("button", name="Send dispute").click()
    expect(agent.get_by_text("Dispute sent", exact=False)).to_be_visible()
    (dispute,) = list_disputes(world.agent_north)
    assert dispute.moments == (CITED_AT,)

    agent.get_by_label("Your reply").fill(REPLY)
    agent.get_by_role("button", name="Send reply").click()
    expect(agent.get_by_text("Reply sent.")).to_be_visible()
    expect(agent.locator("[data-testid=stText]", has_text=REPLY)).to_be_visible()
    expect(agent.get_by_label("Your reply")).to_have_value("")  # sent: the box is empty
    assert [r.text for r in list_replies(world.sup_north, first.id)] == [REPLY]
    assert list_replies(world.sup_north, second.id) == []

    # The supervisor opens the dispute in context; the cited moment seeks the player.
    supervisor = chromium.new_context(viewport={"width": 1280, "height": 1100}).new_page()
    supervisor.set_default_timeout(15_000)
    log_in(supervisor, url, "sup.north", PASSWORD)
    supervisor.goto(f"{url}/disputes")
    wait_for_app(supervisor)
    expect(supervisor.get_by_text("Moments the agent cites: 0:20")).to_be_visible()
    expect(supervisor.locator(".ep-play")).to_have_count(0)  # closed until asked
    supervisor.get_by_text("Open the evaluation in context").click()
    supervisor.locator(".ep-play").wait_for()
    wait_for_app(supervisor)
    expect(supervisor.get_by_text("Listen from here", exact=False)).to_be_visible()
    _wait_audio(supervisor, "a.paused")
    supervisor.get_by_role("button", name="0:20", exact=True).click()
    # It seeks there and plays from there.
    _wait_audio(supervisor, f"!a.paused && a.currentTime > {CITED_AT} && a.currentTime < 23")
