"""The plan editor and progress page, and My assignments (the queue page)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from db.engine import read_scope, session_scope
from db.models import AssignmentRow, Call
from db.services.sampling import list_plans, run_plan, save_plan
from scoring.sampling import FixedQuota, SamplingPlan, Scorer
from tests.app.conftest import open_page
from tests.factories import make_world

SAMPLING = "pages/sampling.py"
QUEUE = "pages/queue.py"


def add_calls(agent_id: int, n: int, prefix: str, start: date) -> None:
    with session_scope() as session:
        for i in range(n):
            session.add(
                Call(
                    external_id=f"{prefix}-{i}",
                    agent_id=agent_id,
                    started_at=datetime.combine(start, datetime.min.time(), tzinfo=UTC)
                    + timedelta(hours=2 + 11 * i),
                    duration_s=120.0,
                    audio_path=f"{prefix}-{i}.wav",
                    audio_sha256=f"{prefix}-{i}".ljust(64, "0"),
                    audio_format="wav",
                    sample_rate=8000,
                    channels=2,
                    meta={"direction": "inbound"},
                )
            )


def this_week() -> date:
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday())


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _fill_plan(at, world, key: str = "north-check") -> None:
    at.text_input(key="plan_title_new").input("North check")
    at.text_input(key="plan_key_new").input(key)
    at.multiselect(key="plan_teams_new").set_value([world.agent_north.team_id])
    at.multiselect(key="plan_scorers_new").set_value([world.sup_north.id])
    at.number_input(key="plan_per_agent_new").set_value(2)


def test_a_supervisor_creates_a_plan_and_unknown_fields_are_named(app_db):
    world = make_world()
    at = open_page(world.sup_north, SAMPLING)
    assert at.selectbox(key="sampling_plan").value == "New plan…"
    _fill_plan(at, world)
    at.text_area(key="plan_conditions_new").input("queue = billing")
    _button(at, "Save plan").click().run()
    assert not at.exception
    assert any("unknown field 'queue'" in e.value for e in at.error)
    assert list_plans(world.sup_north) == []
    at.text_area(key="plan_conditions_new").input("60 <= duration_s <= 900")
    at.text_area(key="plan_triggers_new").input("interruptions >= 3")
    at.slider(key="plan_share_new").set_value(0.5)
    _button(at, "Save plan").click().run()
    assert not at.exception and not at.error
    (plan,) = list_plans(world.sup_north)
    assert (plan.title, plan.plan.quota, plan.plan.triggered_share) == (
        "North check",
        FixedQuota(2),
        0.5,
    )
    assert plan.plan.conditions[0].low == 60 and plan.plan.triggers[0].label == "interruptions >= 3"
    assert at.selectbox(key="sampling_plan").value == "North check"
    assert any("saved" in s.value for s in at.success)


def test_progress_shows_what_was_drawn_and_what_the_quota_buys(app_db):
    world = make_world()
    add_calls(world.agent_north.id, 10, "N", this_week())
    view = save_plan(
        world.admin,
        "North weekly",
        SamplingPlan(
            key="north-weekly",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(3),
            scorers=(Scorer(world.sup_north.id),),
            team_ids=frozenset({world.agent_north.team_id}),
        ),
    )
    run_plan(view.id, this_week())
    at = open_page(world.sup_north, SAMPLING)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Expected"], metrics["Completed"], metrics["Replaced"]) == ("3", "0", "0")
    assert len(at.get("plotly_chart")) == 3
    assert open_page(world.sup_south, SAMPLING).selectbox(key="sampling_plan").options == [
        "New plan…"
    ]


def test_my_assignments_lists_them_and_a_replacement_needs_a_reason(app_db):
    world = make_world()
    add_calls(world.agent_north.id, 12, "N", this_week())
    view = save_plan(
        world.admin,
        "North weekly",
        SamplingPlan(
            key="north-weekly",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(2),
            scorers=(Scorer(world.sup_north.id),),
            team_ids=frozenset({world.agent_north.team_id}),
        ),
    )
    run_plan(view.id, this_week())
    at = open_page(world.sup_north, QUEUE)
    assert at.title[0].value == "My assignments"
    table = at.dataframe[0].value
    assert len(table) == 2 and set(table["Why"]) == {"random"}
    assert set(table["When"]) <= {"Due today", "Upcoming"}
    assert len(at.dataframe) == 1  # the rest of the queue is one click away
    at.toggle(key="queue_show_ad_hoc").set_value(True).run()
    ad_hoc = at.dataframe[1].value  # the other calls stay reachable for ad-hoc reviews
    assert len(ad_hoc) and not set(ad_hoc["Call"]) & set(table["Call"])
    first = table["Call"][0]
    _button(at, "Replace with another call").click().run()
    assert any("required" in e.value for e in at.error)
    at.selectbox(key="assignment_pick").set_value(at.selectbox(key="assignment_pick").options[0])
    at.text_input(key="assignment_reason").input("The recording is silent")
    _button(at, "Replace with another call").click().run()
    assert not at.exception
    assert any("Replaced by call" in s.value for s in at.success)
    calls = list(at.dataframe[0].value["Call"])
    assert len(calls) == 2 and first not in calls
    with read_scope() as session:
        replaced = session.exec(
            select(AssignmentRow).where(AssignmentRow.status == "replaced")
        ).one()
    assert replaced.note == "The recording is silent"
    # South's supervisor has no assignments and sees none of North's.
    south = open_page(world.sup_south, QUEUE)
    assert any("No open assignments" in i.value for i in south.info)


def test_trends_and_my_feedback_show_intervals_and_the_comparison(app_db):
    from tests.factories import submit_evaluation

    world = make_world()
    add_calls(world.agent_north.id, 4, "N", this_week() - timedelta(days=7))
    add_calls(world.agent_north2.id, 4, "M", this_week() - timedelta(days=7))
    with read_scope() as session:
        calls = session.exec(select(Call.id, Call.agent_id)).all()
    for n, (call_id, _) in enumerate(calls):
        submit_evaluation(world.sup_north, call_id, level=2 + n % 4)
    at = open_page(world.sup_north, "pages/trends.py")
    at.selectbox(key="trends_agent").set_value(world.agent_north.id).run()
    at.segmented_control(key="trends_view").set_value("With intervals").run()
    assert not at.exception
    assert any("vs the rest of the team" in m.value for m in at.markdown)
    assert any("90% interval" in c.value for c in at.caption)
    at = open_page(world.agent_north, "pages/my_feedback.py")
    at.segmented_control(key="feedback_view").set_value("My trend").run()
    assert not at.exception
    assert any("This period vs the one before" in m.value for m in at.markdown)


def test_a_departed_scorers_work_waits_for_a_manager_to_hand_it_over(app_db):
    from db.services.auth import authenticate
    from db.services.users import create_user, set_active
    from tests.factories import PASSWORD

    world = make_world()
    create_user(world.admin, "sup.leaving", "Leaving", "supervisor", PASSWORD, team="North")
    leaving = authenticate("sup.leaving", PASSWORD)
    add_calls(world.agent_north.id, 6, "N", this_week())
    view = save_plan(
        world.admin,
        "North weekly",
        SamplingPlan(
            key="north-weekly",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(2),
            scorers=(Scorer(leaving.id),),
            team_ids=frozenset({world.agent_north.team_id}),
        ),
    )
    run_plan(view.id, this_week())
    set_active(world.admin, leaving.id, False)  # nobody else in the plan: kept, not lost
    at = open_page(world.admin, SAMPLING)
    assert {m.label: m.value for m in at.metric}["Needing a scorer"] == "2"
    at.selectbox(key="sampling_hand_to").set_value(world.sup_north.id)
    _button(at, "Hand over").click().run()
    assert not at.exception and not at.error
    assert any("handed to Sup.North" in s.value for s in at.success)
    assert {m.label: m.value for m in at.metric}["Needing a scorer"] == "1"
    with read_scope() as session:
        moved = session.exec(
            select(AssignmentRow).where(AssignmentRow.scorer_id == world.sup_north.id)
        ).one()
    assert moved.status == "open"
