"""Issue 14 in Chromium, bugs 5 and 6 and the PDF: calibration results name items by
their titles and call a scattered scorer inconsistent; amend offers N/A only where the
item allows it; an evaluation downloads as a PDF holding its scores, notes and comment
times."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from db.engine import use_engine
from db.services.calibration import create_session, reveal
from db.services.evaluations import add_comment, amend, open_draft, rubric_for, save_item, submit
from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import ALL_ITEMS, PASSWORD

pytestmark = pytest.mark.browser
SCORED = [key for key in ALL_ITEMS if key != "eye_contact"]


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def _scored(actor, call_id, levels, session_id=None, comment=None):
    ev = open_draft(actor, call_id, session_id)
    for key, level in levels.items():
        ev = save_item(actor, ev.id, ev.row_version, key, value=level)
    if comment:
        ev = add_comment(actor, ev.id, ev.row_version, *comment)
    return submit(actor, ev.id, ev.row_version)


def _page(chromium, url, username):
    context = chromium.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    log_in(page, url, username, PASSWORD)
    return page


def test_calibration_results_show_titles_and_an_inconsistent_scorer(chromium, earshot_app):
    world, call, url = earshot_app.world, earshot_app.calls[1], earshot_app.url
    session_id = create_session(
        world.sup_north,
        "Titles and tendency",
        [call.id],
        [world.sup_north.id, world.sup_south.id],
        world.sup_north.id,
    )
    ev = _scored(world.sup_north, call.id, dict.fromkeys(SCORED, 3), session_id)
    _scored(
        world.sup_south,
        call.id,
        {key: 4 if n % 2 == 0 else 2 for n, key in enumerate(SCORED)},
        session_id,
    )
    reveal(world.sup_north, session_id)
    titles = {item.key: item.title for item in rubric_for(world.sup_north, ev.id).items}

    page = _page(chromium, url, "sup.north")
    page.goto(f"{url}/calibration?session={session_id}")
    wait_for_app(page)
    # Plotly's script loads on first use: slow on a loaded machine.
    heatmap = page.get_by_test_id("stPlotlyChart").first
    heatmap.wait_for(timeout=60_000)
    heatmap.scroll_into_view_if_needed()
    expect(heatmap.locator(".xtick text").first).to_be_visible(timeout=60_000)
    ticks = heatmap.locator(".xtick text").all_text_contents()
    assert titles["stop_talking"] in ticks and "stop_talking" not in ticks
    expect(
        page.get_by_text(f"{titles['stop_talking']}\nscored: Sup.North 3, Sup.South 4")
    ).to_be_visible()
    page.context.close()


@pytest.fixture(scope="module")
def submitted(earshot_app):
    """Sup.North's submitted evaluation of the first call, made once for this module."""
    use_engine(earshot_app.engine)
    world = earshot_app.world
    return _scored(world.sup_north, earshot_app.calls[0].id, dict.fromkeys(SCORED, 4))


def test_amend_offers_na_only_where_the_item_allows_it(chromium, earshot_app, submitted):
    world, call, url = earshot_app.world, earshot_app.calls[0], earshot_app.url
    ev = submitted
    title = rubric_for(world.sup_north, ev.id).item("be_patient").title
    page = _page(chromium, url, "sup.north")
    page.goto(f"{url}/score?call={call.id}")
    wait_for_app(page)
    page.get_by_text("Amend this evaluation").click()
    page.get_by_label("Item").click()
    page.keyboard.type(title)
    page.keyboard.press("Enter")
    # (The player's speed list has options too: 0.75× … 2×.)
    expect(page.get_by_role("option", name=title)).to_have_count(0)  # the list closed
    wait_for_app(page)
    # The five levels and no N/A (before the fix: N/A on every item).
    levels = page.get_by_role("option").filter(has_text=re.compile(r"^(\d|N/A)$"))
    for _ in range(3):  # a list opened while the item's rerun redraws the box closes again
        page.get_by_label("New score").click()
        try:
            expect(levels.first).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
            wait_for_app(page)
    expect(levels).to_have_text(["1", "2", "3", "4", "5"])
    page.keyboard.press("Escape")
    page.context.close()


def test_an_evaluation_downloads_as_a_pdf(chromium, earshot_app, submitted):
    world, url = earshot_app.world, earshot_app.url
    ev = open_draft(world.sup_north, submitted.call_id)  # as stored now
    ev = amend(
        world.sup_north,
        ev.id,
        ev.row_version,
        {"paraphrase": {"value": 2, "note": "Never played back the order number"}},
        "Second listen",
    )
    page = _page(chromium, url, "sup.north")
    page.goto(f"{url}/evaluations")
    wait_for_app(page)
    grid = page.locator("[data-testid=stDataFrame]").first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selector
    wait_for_app(page)
    button = page.get_by_role("button", name="Download as PDF")
    expect(button).to_be_visible()
    with page.expect_download() as download:
        button.click()
    data = Path(download.value.path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    title = rubric_for(world.sup_north, ev.id).item("paraphrase").title
    assert f"{title}: 2" in text
    assert "Note: Never played back the order number" in text
    assert "Reason: Second listen" in text
    page.context.close()
