"""A call's row on Calls opens its evaluations in Chromium (issue 14: "Calls rows open
theirs"): the North supervisor picks a call's row, follows the link named by scorer, date
and status, and reads the evaluation on Evaluations; the other team's supervisor never
sees the call or a link to its evaluation."""

import re

import pytest
from playwright.sync_api import expect

from db.engine import use_engine
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD, submit_evaluation

pytestmark = pytest.mark.browser
HEADER_AND_HALF_ROW = 35 + 17  # the grid's header row, then the middle of the first row


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


@pytest.fixture(scope="module")
def evaluated(earshot_app):
    # The newer call (the first row, newest first) has the evaluation; the other none.
    call = max(earshot_app.calls, key=lambda c: c.started_at)
    return call, submit_evaluation(earshot_app.world.sup_north, call.id, 4)


def _calls_table(page, url: str):
    page.goto(f"{url}/calls")
    wait_for_app(page)
    table = page.get_by_test_id("stDataFrame").last
    expect(table).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Pick a call's row to open its evaluations.")).to_be_visible()
    return table


def test_a_calls_row_opens_its_evaluation_read_only(page, earshot_app, evaluated):
    call, ev = evaluated
    log_in(page, earshot_app.url, "sup.north", PASSWORD)
    table = _calls_table(page, earshot_app.url)
    # The row marker (the check box at the row's left edge) picks the row.
    table.click(position={"x": 15, "y": HEADER_AND_HALF_ROW})
    link = page.get_by_role("link", name=re.compile(r"Sup\.North · \d{4}-\d\d-\d\d .* submitted"))
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", re.compile(rf"evaluation={ev.id}\b"))
    link.click()
    expect(page).to_have_url(re.compile(rf"/evaluations\?evaluation={ev.id}"))
    expect(page.get_by_role("button", name="Download as PDF")).to_be_visible()


def test_another_teams_supervisor_gets_no_link(page, earshot_app, evaluated):
    call, ev = evaluated
    log_in(page, earshot_app.url, "sup.south", PASSWORD)
    page.goto(f"{earshot_app.url}/calls")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Calls")).to_be_visible()
    expect(page.get_by_text("No calls yet.").last).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Sup.North"))).to_have_count(0)
