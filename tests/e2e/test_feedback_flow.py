"""The feedback loop in Chromium: an agent opens their evaluation, jumps to a pinned
moment, acknowledges and disputes an item; the supervisor resolves the dispute."""

import pytest

from db.engine import use_engine
from db.services.disputes import list_disputes
from db.services.evaluations import get_evaluation
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD, submit_evaluation
from ui.format import mmss

pytestmark = pytest.mark.browser
LEVELS = {"be_patient": 2, "paraphrase": 4}
PINNED_AT = 20.0


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def _choose_option(page, selectbox, label: str) -> None:
    """Pick an option of a Streamlit selectbox the way a keyboard user does."""
    field = selectbox.locator("input")
    field.click()
    field.fill(label)
    page.keyboard.press("Enter")


def test_agent_reads_jumps_acknowledges_disputes_and_the_supervisor_decides(chromium, earshot_app):
    world, url = earshot_app.world, earshot_app.url
    ev = submit_evaluation(
        world.sup_north,
        earshot_app.calls[0].id,
        3,
        LEVELS,
        comments=((PINNED_AT, "Here the customer was cut off", "be_patient"),),
    )

    agent = chromium.new_context(viewport={"width": 1280, "height": 1100}).new_page()
    agent.set_default_timeout(15_000)
    log_in(agent, url, "agent.north", PASSWORD)
    agent.goto(f"{url}/my_feedback?evaluation={ev.id}")
    agent.locator(".ep-play").wait_for()
    wait_for_app(agent)
    assert agent.locator(".ep-pin").is_hidden()  # agents cannot pin comments

    agent.get_by_role("button", name=mmss(PINNED_AT), exact=True).click()
    agent.locator("audio").evaluate(
        "a => new Promise((r, j) => { const s = performance.now(); const t = setInterval(() =>"
        f" {{ if (Math.abs(a.currentTime - {PINNED_AT}) < 0.5) {{ clearInterval(t); r(); }} "
        "if (performance.now() - s > 8000) { clearInterval(t); j(a.currentTime); } }, 50); })"
    )

    agent.get_by_role("button", name="Acknowledge").click()
    agent.get_by_text("Acknowledged", exact=False).first.wait_for()

    form = agent.locator("[data-testid=stForm]")
    _choose_option(agent, form.locator("[data-testid=stSelectbox]"), "Gives the customer time")
    form.get_by_label("Why is this score wrong?").fill("The customer had finished; I waited.")
    form.get_by_role("button", name="Send dispute").click()
    agent.get_by_text("Dispute sent", exact=False).wait_for()
    (dispute,) = list_disputes(world.agent_north)
    assert dispute.status == "open" and dispute.item_key == "be_patient"

    supervisor = chromium.new_context(viewport={"width": 1280, "height": 1100}).new_page()
    supervisor.set_default_timeout(15_000)
    log_in(supervisor, url, "sup.north", PASSWORD)
    supervisor.goto(f"{url}/disputes")
    wait_for_app(supervisor)
    form = supervisor.locator("[data-testid=stForm]").first
    form.get_by_text("Accept", exact=True).click()
    _choose_option(supervisor, form.locator("[data-testid=stSelectbox]"), "4")
    form.get_by_role("button", name="Record decision").click()
    wait_for_app(supervisor)

    for _ in range(50):
        (dispute,) = list_disputes(world.agent_north)
        if dispute.status != "open":
            break
        supervisor.wait_for_timeout(200)
    assert dispute.status == "accepted"
    assert get_evaluation(world.agent_north, ev.id).items["be_patient"].value == 4

    agent.reload()
    agent.get_by_text("accepted", exact=False).first.wait_for()
