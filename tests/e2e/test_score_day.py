"""The scorer's day on the Score page in Chromium (issue 14, bugs 1-3 and Next call):
browsing calls leaves no draft and a draft can be discarded; a colleague's evaluation of
the call is shown with a link to read it, and a second one is an explicit choice; review
time accumulates across page loads and stops while the tab is hidden; after Submit, Next
call opens the next call waiting."""

import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from db.engine import read_scope, use_engine
from db.models import AuditEvent, Evaluation
from db.services.auth import authenticate
from db.services.calls import import_call
from db.services.evaluations import NewDraft, open_draft, open_evaluation, save_item, submit
from tests.e2e.conftest import REPO_ROOT, log_in, score_item, wait_for_app
from tests.factories import PASSWORD, SCORED_ITEMS, submit_evaluation

pytestmark = pytest.mark.browser

HIDE = (
    "() => { Object.defineProperty(document, 'visibilityState', "
    "{value: 'hidden', configurable: true}); "
    "document.dispatchEvent(new Event('visibilitychange')); }"
)
SHOW = (
    "() => { Object.defineProperty(document, 'visibilityState', "
    "{value: 'visible', configurable: true}); "
    "document.dispatchEvent(new Event('visibilitychange')); }"
)


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def _as(username: str):
    return authenticate(username, PASSWORD)


def _evaluations_of(call_id: int) -> list[Evaluation]:
    with read_scope() as session:
        return list(session.exec(select(Evaluation).where(Evaluation.call_id == call_id)).all())


def _open(page, url: str, call_id: int) -> None:
    page.goto(f"{url}/score?call={call_id}")
    page.locator(".ep-play").wait_for()
    wait_for_app(page)


def _stored_review_seconds(call_id: int) -> int:
    return open_evaluation(_as("sup.north"), call_id).review_seconds


def _wait_for(predicate, what: str, timeout_s: float = 15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def _work(page, seconds: float) -> None:
    """A scorer using the page: the pointer moves now and then."""
    for n in range(int(seconds * 2)):
        page.mouse.move(200 + 10 * (n % 20), 300 + 5 * (n % 7))
        page.wait_for_timeout(500)


def test_browsing_leaves_no_draft_and_a_draft_is_discarded(page, earshot_app):
    url, calls = earshot_app.url, earshot_app.calls
    log_in(page, url, "sup.north", PASSWORD)
    for call in calls:
        _open(page, url, call.id)
    assert not any(_evaluations_of(c.id) for c in calls)  # looking is not drafting
    page.goto(url)
    wait_for_app(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Your drafts")).to_contain_text("0")

    _open(page, url, calls[0].id)
    score_item(page, 0, "3")  # the first score creates the draft
    (draft,) = _evaluations_of(calls[0].id)
    page.get_by_role("button", name="Discard draft").click()
    page.get_by_role("button", name="Yes, discard this draft").click()
    expect(page.get_by_role("radio", name="3").first).not_to_be_checked()
    assert _evaluations_of(calls[0].id) == []
    with read_scope() as session:
        (event,) = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "evaluation", AuditEvent.entity_id == draft.id
            )
        ).all()
    assert event.action == "discard_draft" and event.actor_id == _as("sup.north").id


def test_a_colleagues_evaluation_is_shown_and_a_second_is_chosen(page, earshot_app):
    url, call = earshot_app.url, earshot_app.calls[1]
    first = submit_evaluation(_as("sup.north"), call.id)
    log_in(page, url, "admin", PASSWORD)
    _open(page, url, call.id)
    expect(page.get_by_text("Sup.North", exact=False).first).to_be_visible()
    expect(page.get_by_text("evaluated this call", exact=False)).to_be_visible()
    radios = page.locator("[data-testid=stRadio]")
    expect(radios.first.get_by_role("radio", name="3")).to_be_disabled()  # not by accident

    page.get_by_role("button", name="Start a second evaluation").click()
    expect(radios.first.get_by_role("radio", name="3")).to_be_enabled()
    score_item(page, 0, "3")
    (second,) = [e for e in _evaluations_of(call.id) if e.id != first.id]
    assert second.scorer_id == _as("admin").id and second.status == "draft"
    expect(page.get_by_text("A second evaluation of this call", exact=False)).to_be_visible()

    page.get_by_role("link", name="Read it").click()  # the colleague's, read-only
    expect(page.get_by_text("Scored by Sup.North", exact=False)).to_be_visible()
    expect(page.get_by_text("submitted", exact=False).first).to_be_visible()


def test_review_time_adds_up_across_loads_and_stops_while_hidden(page, earshot_app):
    url, call = earshot_app.url, earshot_app.calls[0]
    log_in(page, url, "sup.north", PASSWORD)
    _open(page, url, call.id)
    score_item(page, 1, "4")
    _work(page, 4)
    page.evaluate(HIDE)  # the tab is hidden: what was measured is reported now
    first = _wait_for(lambda: _stored_review_seconds(call.id), "review time stored")

    page.wait_for_timeout(3000)  # hidden: no time counts
    page.evaluate(SHOW)
    page.evaluate(HIDE)
    page.wait_for_timeout(1500)
    assert _stored_review_seconds(call.id) == first

    page.reload()  # a new page load, as a refresh or the next morning would be
    page.locator(".ep-play").wait_for()
    wait_for_app(page)
    _work(page, 4)
    page.evaluate(HIDE)
    total = _wait_for(
        lambda: (s := _stored_review_seconds(call.id)) > first and s, "time added, not restarted"
    )
    assert total > first


def test_next_call_opens_the_next_call_waiting_after_submit(page, earshot_app):
    url, world, call = earshot_app.url, earshot_app.world, earshot_app.calls[0]
    path = sorted((REPO_ROOT / "demo" / "audio").glob("*.opus"))[2]
    waiting = import_call(
        world.admin,
        path,
        original_name=path.name,
        agent_username=world.agent_north.username,
        started_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    )
    scorer = _as("sup.north")
    draft = open_draft(scorer, call.id)
    for key in SCORED_ITEMS[:-1]:
        draft = save_item(scorer, draft.id, draft.row_version, key, value=4)
    log_in(page, url, "sup.north", PASSWORD)
    _open(page, url, call.id)
    last = page.locator("[data-testid=stRadio]").nth(9)
    last.get_by_text("4", exact=True).click()
    submit = page.get_by_role("button", name="Submit evaluation")
    expect(submit).to_be_enabled()
    submit.click()
    page.get_by_role("button", name="Next call").click()
    page.wait_for_url(f"**/score?call={waiting.id}")
    page.locator(".ep-play").wait_for()
    expect(page.get_by_role("heading", name=waiting.external_id, exact=False)).to_be_visible()


def test_the_agent_sees_a_second_evaluation_marked_as_such(page, earshot_app):
    url, call = earshot_app.url, earshot_app.calls[1]
    admin, sup = _as("admin"), _as("sup.north")
    if not any(e.scorer_id == sup.id for e in _evaluations_of(call.id)):  # run alone
        submit_evaluation(sup, call.id)
    second = open_evaluation(admin, call.id)  # the admin's draft from the test above
    if not second.saved:
        second = save_item(admin, 0, 0, "be_patient", value=3, new=NewDraft(call.id, second=True))
    for key in SCORED_ITEMS:
        second = save_item(admin, second.id, second.row_version, key, value=3)
    submit(admin, second.id, second.row_version)
    log_in(page, url, "agent.north", PASSWORD)
    page.goto(f"{url}/my_feedback?evaluation={second.id}")
    wait_for_app(page)
    expect(page.get_by_text("A second evaluation of this call", exact=False)).to_be_visible()
    expect(page.get_by_text("Sup.North evaluated it first", exact=False)).to_be_visible()


def test_review_time_stops_when_the_scorer_is_idle(page, earshot_app):
    url, world = earshot_app.url, earshot_app.world
    path = sorted((REPO_ROOT / "demo" / "audio").glob("*.opus"))[3]
    call = import_call(
        world.admin,
        path,
        original_name=path.name,
        agent_username=world.agent_north.username,
        started_at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
    )
    page.clock.install()  # the page's clock runs as usual until the test jumps it
    log_in(page, url, "sup.north", PASSWORD)
    _open(page, url, call.id)
    score_item(page, 0, "4")
    _work(page, 3)
    page.evaluate(HIDE)
    first = _wait_for(lambda: _stored_review_seconds(call.id), "review time stored")
    page.evaluate(SHOW)

    page.clock.fast_forward("02:00")  # two minutes without a key, click or pointer move
    page.wait_for_timeout(3000)
    page.evaluate(HIDE)
    page.wait_for_timeout(1500)
    assert _stored_review_seconds(call.id) == first  # idle time is not review time

    page.evaluate(SHOW)
    _work(page, 3)  # back at work: the clock runs again
    page.evaluate(HIDE)
    _wait_for(lambda: _stored_review_seconds(call.id) > first, "time counted again")
