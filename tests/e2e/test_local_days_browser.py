"""Days in Chromium (issue 14, bug 10): a browser in Auckland sees its own days on My
feedback and Trends, never UTC's. The evaluation is submitted at 2026-11-24 23:30 UTC,
which is 25 November (12:30 NZDT) in Auckland."""

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import Session

from db.engine import use_engine
from db.models import Evaluation
from db.services.browse import evaluation_record
from scoring.days import today_in
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD, submit_evaluation

pytestmark = pytest.mark.browser
AUCKLAND = "Pacific/Auckland"
SUBMITTED = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


@pytest.fixture(scope="module")
def late_evaluation(earshot_app):
    world = earshot_app.world
    ev = submit_evaluation(world.sup_north, earshot_app.calls[0].id, 4)
    with Session(earshot_app.engine) as s:
        row = s.get(Evaluation, ev.id)
        row.submitted_at = SUBMITTED
        s.add(row)
        s.commit()
    return ev


def _page_in(chromium, zone: str):
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, timezone_id=zone)
    context.set_default_timeout(15_000)
    return context.new_page()


def test_my_feedback_labels_the_agents_day(chromium, earshot_app, late_evaluation):
    page = _page_in(chromium, AUCKLAND)
    log_in(page, earshot_app.url, "agent.north", PASSWORD)
    page.goto(f"{earshot_app.url}/my_feedback")
    wait_for_app(page)
    picker = page.get_by_role("combobox", name="Open an evaluation")
    expect(picker).to_be_visible(timeout=30_000)
    picker.click()
    # The UTC date was the 24th; in Auckland it is the 25th.
    expect(page.get_by_role("option", name=re.compile(r"2026-11-25 · "))).to_be_visible()
    expect(page.get_by_role("option", name=re.compile(r"2026-11-24"))).to_have_count(0)
    page.keyboard.press("Escape")
    page.goto(f"{earshot_app.url}/my_feedback?evaluation={late_evaluation.id}")
    wait_for_app(page)
    expect(page.get_by_text("submitted 2026-11-25 12:30 NZDT", exact=False)).to_be_visible()
    page.context.close()


def test_the_agents_pdf_holds_their_scores_with_their_dates(chromium, earshot_app, late_evaluation):
    page = _page_in(chromium, AUCKLAND)
    log_in(page, earshot_app.url, "agent.north", PASSWORD)
    page.goto(f"{earshot_app.url}/my_feedback?evaluation={late_evaluation.id}")
    wait_for_app(page)
    button = page.get_by_role("button", name="Download as PDF")
    expect(button).to_be_visible()
    with page.expect_download() as download:
        button.click()
    data = Path(download.value.path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    # Made when clicked, away from the page's run: the dates are still the agent's.
    assert "Submitted: 2026-11-25 12:30 NZDT" in text
    record = evaluation_record(earshot_app.world.agent_north, late_evaluation.id)
    for item in record.items:
        assert f"{item.title}: {item.score}" in text
    page.context.close()


# 25 hours apart, so their dates differ at every moment: at least one is not UTC's date.
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_trends_offers_the_supervisors_days(chromium, earshot_app, zone):
    page = _page_in(chromium, zone)
    log_in(page, earshot_app.url, "sup.north", PASSWORD)
    page.goto(f"{earshot_app.url}/trends")
    wait_for_app(page)
    # On a loaded machine the first draw can take a while: wait for the filter itself.
    expect(page.get_by_role("group", name=re.compile("Submitted between"))).not_to_have_count(
        0, timeout=30_000
    )
    label = f"Submitted between (your days, {zone}; both included)"
    # The range ends on today's date there (year, month and day fields of the end date).
    today = today_in(ZoneInfo(zone))
    end = page.get_by_role("group", name=f"{label} end date")
    for part, value in (("year", f"{today:%Y}"), ("month", f"{today:%m}"), ("day", f"{today:%d}")):
        expect(end.get_by_role("spinbutton", name=re.compile(f"^{part},"))).to_have_text(value)
    expect(page.get_by_role("group", name=re.compile("UTC"))).to_have_count(0)
    page.context.close()
