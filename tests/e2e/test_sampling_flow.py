"""Sampling in Chromium: a plan runs, the scorer sees their assignments, replaces one with
a reason, scores another, and the manager's progress moves."""

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from db.engine import read_scope, use_engine
from db.models import AssignmentRow
from db.services.calls import import_call
from db.services.sampling import run_plan, save_plan
from scoring.sampling import FixedQuota, SamplingPlan, Scorer
from tests.e2e.conftest import REPO_ROOT, log_in, score_item, wait_for_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
WEEK = date(2026, 11, 16)  # the week of the app fixture's calls (Friday 20 November)


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def _metric(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label)


def test_a_plan_runs_the_scorer_replaces_and_scores_and_progress_moves(chromium, earshot_app):
    world, url = earshot_app.world, earshot_app.url
    more = sorted((REPO_ROOT / "demo" / "audio").glob("*.opus"))[2:5]
    for n, path in enumerate(more):
        import_call(
            world.admin,
            path,
            original_name=path.name,
            agent_username=world.agent_north.username,
            started_at=datetime(2026, 11, 17 + n, 9, 0, tzinfo=UTC),
        )
    plan = save_plan(
        world.admin,
        "North weekly",
        SamplingPlan(
            key="north-weekly",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(2),
            scorers=(Scorer(world.sup_north.id),),
            agent_ids=frozenset({world.agent_north.id}),
        ),
    )
    assert run_plan(plan.id, WEEK).created == 2  # what the worker's job does

    scorer = chromium.new_context(viewport={"width": 1280, "height": 1100}).new_page()
    scorer.set_default_timeout(15_000)
    log_in(scorer, url, "sup.north", PASSWORD)
    scorer.goto(f"{url}/queue")
    wait_for_app(scorer)
    expect(scorer.get_by_role("heading", name="My assignments")).to_be_visible()
    expect(_metric(scorer, "Overdue")).to_contain_text("2")  # due at the end of that week

    with read_scope() as session:
        first, second = session.exec(
            select(AssignmentRow).where(AssignmentRow.plan_id == plan.id).order_by(AssignmentRow.id)
        ).all()
    scorer.get_by_text("Replace or hand over an assignment").click()
    scorer.get_by_label("Why (kept with the assignment)").fill("Wrong queue: a sales call")
    scorer.get_by_role("button", name="Replace with another call").click()
    expect(scorer.get_by_text("Replaced by call", exact=False)).to_be_visible()
    expect(_metric(scorer, "Overdue")).to_contain_text("2")  # the substitute took its place

    with read_scope() as session:
        replaced = session.exec(
            select(AssignmentRow).where(AssignmentRow.status == "replaced")
        ).one()
        open_rows = session.exec(
            select(AssignmentRow).where(
                AssignmentRow.plan_id == plan.id, AssignmentRow.status == "open"
            )
        ).all()
    assert replaced.note == "Wrong queue: a sales call"
    assert replaced.id in (first.id, second.id) and len(open_rows) == 2
    to_score = next(r for r in open_rows if r.id != replaced.replaced_by)

    scorer.goto(f"{url}/score?call={to_score.call_id}")
    scorer.locator(".ep-play").wait_for()
    wait_for_app(scorer)
    groups = scorer.locator("[data-testid=stRadio]")
    groups.nth(9).wait_for()
    for index in range(groups.count()):
        if index != 4:  # eye contact is N/A already on an audio-only call
            score_item(scorer, index, "4")
    scorer.get_by_role("button", name="Submit evaluation").click()
    expect(scorer.get_by_text("Submitted", exact=False).first).to_be_visible()

    scorer.goto(f"{url}/queue")
    wait_for_app(scorer)
    expect(_metric(scorer, "Overdue")).to_contain_text("1")

    manager = chromium.new_context(viewport={"width": 1280, "height": 1100}).new_page()
    manager.set_default_timeout(15_000)
    log_in(manager, url, "admin", PASSWORD)
    manager.goto(f"{url}/sampling")
    wait_for_app(manager)
    for part, value in (("year", "2026"), ("month", "11"), ("day", "18")):
        manager.get_by_role("spinbutton", name=f"{part}, Period containing").click()
        manager.keyboard.type(value)
    manager.get_by_role("gridcell", name="Wednesday, November 18, 2026").click()
    expect(manager.get_by_role("heading", name="16 Nov – 22 Nov 2026")).to_be_visible()
    expect(_metric(manager, "Expected")).to_contain_text("2")
    expect(_metric(manager, "Completed")).to_contain_text("1")
    expect(_metric(manager, "Replaced")).to_contain_text("1")
