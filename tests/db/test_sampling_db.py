"""Sampling plans in the database: plans saved and refused, idempotent runs, two runs at
once with no duplicates, replace, hand over, reassignment on deactivation, done on
submit, progress. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.engine import read_scope, session_scope
from db.models import (
    AssignmentRow,
    AuditEvent,
    Call,
    ListeningReportRow,
    SamplingPlanRow,
    SamplingRun,
    TextEvidenceRow,
)
from db.services.evaluations import open_draft, save_item, submit
from db.services.sampling import (
    assignment_counts,
    hand_over,
    list_plans,
    my_assignments,
    plan_progress,
    replace_assignment,
    run_due_plans,
    run_plan,
    save_plan,
)
from db.services.users import create_user, set_active
from scoring.errors import Conflict, Denied, Invalid, NotFound
from scoring.sampling import (
    Condition,
    PercentQuota,
    SamplingPlan,
    Scorer,
    Trigger,
)
from tests.factories import (
    PASSWORD,
    SAMPLING_WEEK,
    SCORED_ITEMS,
    add_calls,
    make_world,
    north_plan,
    one_assignment,
    submit_evaluation,
)

WEEK = SAMPLING_WEEK  # a Monday


def active_rows(plan_id: int | None = None) -> list[AssignmentRow]:
    with read_scope() as session:
        query = select(AssignmentRow).where(AssignmentRow.status.in_(("open", "done")))
        if plan_id is not None:
            query = query.where(AssignmentRow.plan_id == plan_id)
        return list(session.exec(query).all())


def made_before(plan_id: int, when: datetime) -> None:
    """Date a plan's creation back (plans made before a period close it)."""
    with session_scope() as session:
        row = session.get(SamplingPlanRow, plan_id)
        row.created_at = when
        session.add(row)


@pytest.fixture
def world(database):
    return make_world()


# ---------------------------------------------------------------- plans


def test_a_plan_is_saved_listed_and_scoped(world):
    view = save_plan(world.sup_north, "North weekly", north_plan(world))
    assert view.plan == north_plan(world)  # stored and read back whole
    assert [p.key for p in list_plans(world.sup_north)] == ["north-weekly"]
    assert [p.key for p in list_plans(world.admin)] == ["north-weekly"]
    assert list_plans(world.sup_south) == []
    with pytest.raises(Denied):
        list_plans(world.agent_north)
    with pytest.raises(NotFound):
        plan_progress(world.sup_south, view.id, WEEK)


def test_bad_plans_are_refused_naming_what_is_wrong(world):
    add_calls(world.agent_north.id, 2, "N")
    unknown = north_plan(world, conditions=(Condition("queue", equals="billing"),))
    with pytest.raises(Invalid, match="unknown field 'queue'.*direction"):
        save_plan(world.sup_north, "Queue plan", unknown)
    bad_metric = north_plan(world, triggers=(Trigger("sighs", ">=", 3),))
    with pytest.raises(Invalid, match="unknown metric 'sighs'"):
        save_plan(world.sup_north, "Sighs", bad_metric)
    other_team = north_plan(world)
    other_team = SamplingPlan(
        **{**other_team.__dict__, "team_ids": frozenset({world.agent_south.team_id})}
    )
    with pytest.raises(Denied, match="own team"):
        save_plan(world.sup_north, "South by North", other_team)
    agent_scorer = SamplingPlan(
        **{**north_plan(world).__dict__, "scorers": (Scorer(world.agent_north.id),)}
    )
    with pytest.raises(Invalid, match="not an active supervisor or admin"):
        save_plan(world.admin, "Agents score", agent_scorer)
    ok = save_plan(
        world.sup_north,
        "Inbound",
        north_plan(world, conditions=(Condition("direction", equals="inbound"),)),
    )
    assert ok.plan.conditions[0].field == "direction"
    with pytest.raises(Conflict, match="exists already"):
        save_plan(
            world.admin,
            "Same key",
            north_plan(world, conditions=(Condition("direction", equals="inbound"),)),
        )


# ---------------------------------------------------------------- runs


def test_a_run_meets_the_quota_and_a_second_run_adds_nothing(world):
    add_calls(world.agent_north.id, 10, "A")
    add_calls(world.agent_north2.id, 10, "B")
    add_calls(world.agent_south.id, 10, "S")
    plan = save_plan(world.sup_north, "North weekly", north_plan(world))
    first = run_plan(plan.id, WEEK + timedelta(days=3))
    assert first.period_start == WEEK and first.created == 4 and not first.shortfalls
    rows = active_rows(plan.id)
    per_agent = {a: sum(r.agent_id == a for r in rows) for a in {r.agent_id for r in rows}}
    assert per_agent == {world.agent_north.id: 2, world.agent_north2.id: 2}
    assert {r.scorer_id for r in rows} == {world.sup_north.id, world.admin.id}
    for scorer in (world.sup_north.id, world.admin.id):  # due spread, not all on Sunday
        due = sorted(r.due_at for r in rows if r.scorer_id == scorer)
        assert due[0] < due[1] == datetime(2026, 11, 9, tzinfo=UTC)
    second = run_plan(plan.id, WEEK)
    assert second.created == 0 and second.skipped == 0
    assert len(active_rows(plan.id)) == 4
    with read_scope() as session:
        seeds = session.exec(select(SamplingRun.seed)).all()
    assert len(seeds) == 2  # every run is recorded with its seed


def test_due_dates_are_spread_over_the_period_one_a_day(world):
    """Seven draws for one scorer over a week: one due by the end of each day, so My
    assignments on Wednesday noon shows two overdue, one due today and four upcoming."""
    add_calls(world.agent_north.id, 14, "A")  # at least one call each day
    view = save_plan(
        world.admin,
        "Daily pace",
        north_plan(
            world,
            per_agent=7,
            team_ids=frozenset(),
            scorers=(Scorer(world.sup_north.id),),
            agent_ids=frozenset({world.agent_north.id}),
        ),
    )
    assert run_plan(view.id, WEEK).created == 7
    due = sorted(r.due_at for r in active_rows(view.id))
    assert due == [datetime(2026, 11, 3 + d, tzinfo=UTC) for d in range(7)]
    mine = my_assignments(world.sup_north, now=datetime(2026, 11, 4, 12, tzinfo=UTC))
    assert mine.counts["Overdue"] == 2
    assert mine.counts["Due today"] == 1
    assert mine.counts["Upcoming"] == 4
    assert run_plan(view.id, WEEK).created == 0  # a rerun keeps the days


def test_conditions_read_imported_fields_of_every_json_type(world):
    """Conditions on booleans, numbers, text and lists in a call's metadata hold for the
    same calls on both databases (a run reads only the fields its conditions name)."""
    ids = add_calls(world.agent_north.id, 8, "M")
    metas = [
        {"vip": True, "tier": 2, "queue": "billing"},
        {"vip": False, "tier": 3, "queue": "billing"},
        {"vip": True, "tier": 5, "queue": "sales"},
        {"vip": 1, "tier": 2.5, "queue": "billing"},  # 1 == True, as in Python
        {"vip": True, "tier": True, "queue": "billing"},  # a boolean is never in a range
        {"vip": True, "tier": "2", "queue": "billing"},  # text is never in a range
        {"vip": True, "tier": 2, "queue": ["billing"]},  # a list equals no text
        {"tier": 2, "queue": "billing"},  # no vip: fails the condition
    ]
    with session_scope() as session:
        for call_id, meta in zip(ids, metas, strict=True):
            call = session.get(Call, call_id)
            call.meta = meta
            session.add(call)
    plan = north_plan(
        world,
        quota=PercentQuota(100.0),
        team_ids=frozenset(),
        agent_ids=frozenset({world.agent_north.id}),
        conditions=(
            Condition("vip", equals=True),
            Condition("tier", low=2, high=4),
            Condition("queue", one_of=("billing",)),
        ),
    )
    view = save_plan(world.admin, "Typed fields", plan)
    run_plan(view.id, WEEK)
    drawn = {r.call_id for r in active_rows(view.id)}
    assert drawn == {ids[0], ids[3]}


def test_impossible_quotas_draw_what_exists_and_say_so(world):
    add_calls(world.agent_north.id, 1, "A")
    plan = save_plan(world.admin, "Many", north_plan(world, per_agent=3))
    result = run_plan(plan.id, WEEK)
    assert result.created == 1
    assert any("quota 3" in s and "only 1" in s for s in result.shortfalls)


def test_triggered_calls_are_drawn_and_say_why(world):
    ids = add_calls(world.agent_north.id, 6, "A")
    with session_scope() as session:
        for i, call_id in enumerate(ids):
            session.add(
                ListeningReportRow(call_id=call_id, report={}, interruptions=5 if i == 4 else 0)
            )
    plan = north_plan(
        world,
        per_agent=2,
        team_ids=frozenset(),
        agent_ids=frozenset({world.agent_north.id}),
        triggers=(Trigger("interruptions", ">=", 3),),
        triggered_share=0.5,
    )
    view = save_plan(world.admin, "Interrupters", plan)
    run_plan(view.id, WEEK)
    reasons = {r.call_id: r.reason for r in active_rows(view.id)}
    assert reasons[ids[4]] == "interruptions >= 3"
    assert sorted(reasons.values()) == ["interruptions >= 3", "random"]


def test_text_evidence_counts_trigger_draws_and_calls_without_a_transcript_do_not(world):
    ids = add_calls(world.agent_north.id, 6, "A")
    with session_scope() as session:
        session.add(TextEvidenceRow(call_id=ids[2], rules_version=1, evidence={}, defensive=2))
        session.add(TextEvidenceRow(call_id=ids[3], rules_version=1, evidence={}, defensive=0))
    plan = north_plan(
        world,
        per_agent=1,
        team_ids=frozenset(),
        agent_ids=frozenset({world.agent_north.id}),
        triggers=(Trigger("defensive", ">=", 1),),
        triggered_share=1.0,
    )
    view = save_plan(world.admin, "Defensive moments", plan)
    run_plan(view.id, WEEK)
    ((call_id, reason),) = [(r.call_id, r.reason) for r in active_rows(view.id)]
    assert (call_id, reason) == (ids[2], "defensive >= 1")


def test_reviewed_and_calibration_calls_are_not_drawn(world):
    ids = add_calls(world.agent_north.id, 3, "A")
    ev = open_draft(world.sup_north, ids[0])
    for key in SCORED_ITEMS:
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=4)
    submit(world.sup_north, ev.id, ev.row_version)
    view = save_plan(
        world.admin,
        "All",
        north_plan(
            world, per_agent=3, team_ids=frozenset(), agent_ids=frozenset({world.agent_north.id})
        ),
    )
    run_plan(view.id, WEEK)
    assert {r.call_id for r in active_rows(view.id)} == set(ids[1:])


def test_two_runs_at_once_make_no_duplicates(world):
    for agent in (world.agent_north, world.agent_north2):
        add_calls(agent.id, 40, f"C{agent.id}")
    view = save_plan(world.admin, "Percent", north_plan(world, per_agent=5))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def go() -> None:
        try:
            barrier.wait()
            run_plan(view.id, WEEK)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = active_rows(view.id)
    assert len(rows) == 10  # 5 per agent, once
    assert len({r.call_id for r in rows}) == 10
    with read_scope() as session:
        runs = session.exec(select(SamplingRun.created)).all()
    assert sorted(runs) == [0, 10]


def test_the_scheduler_runs_the_current_period_as_calls_arrive(world):
    add_calls(world.agent_north.id, 14, "A")
    view = save_plan(
        world.admin,
        "Daily-ish",
        north_plan(
            world, per_agent=7, team_ids=frozenset(), agent_ids=frozenset({world.agent_north.id})
        ),
    )
    made_before(view.id, datetime(2026, 10, 1, tzinfo=UTC))  # the plan predates WEEK
    midweek = datetime(2026, 11, 5, 12, tzinfo=UTC)  # Thursday noon: 3.5 of 7 days
    results = run_due_plans(midweek)
    current = [r for r in results if r.period_start == WEEK]
    assert current[0].created == 3  # three strata have ended
    assert len(active_rows(view.id)) == 3
    after = run_due_plans(datetime(2026, 11, 10, 1, tzinfo=UTC))  # the next Tuesday
    closing = [r for r in after if r.period_start == WEEK]
    assert closing and closing[0].created == 4
    assert len(active_rows(view.id)) == 7
    again = run_due_plans(datetime(2026, 11, 10, 2, tzinfo=UTC))
    assert all(r.period_start != WEEK for r in again)  # the closed week is not run again


# ---------------------------------------------------------------- the scorer's work


def test_replace_draws_a_substitute_by_the_same_rule_and_records_why(world):
    add_calls(world.agent_north.id, 8, "A")
    view = save_plan(
        world.admin,
        "One",
        north_plan(
            world,
            per_agent=1,
            team_ids=frozenset(),
            agent_ids=frozenset({world.agent_north.id}),
            scorers=(Scorer(world.sup_north.id),),
        ),
    )
    run_plan(view.id, WEEK)
    (first,) = active_rows(view.id)
    with pytest.raises(Invalid, match="required"):
        replace_assignment(world.sup_north, first.id, "  ")
    with pytest.raises(NotFound):
        replace_assignment(world.sup_south, first.id, "not mine")
    substitute, message = replace_assignment(world.sup_north, first.id, "Audio is silent")
    assert substitute is not None and substitute.call_id != first.call_id
    assert substitute.scorer_id == world.sup_north.id and substitute.reason == "random"
    assert "Replaced by call" in message
    with read_scope() as session:
        old = session.get(AssignmentRow, first.id)
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "replace_assignment")
        ).one()
    assert (old.status, old.note, old.replaced_by) == ("replaced", "Audio is silent", substitute.id)
    assert audit.reason == "Audio is silent"
    with pytest.raises(Conflict):
        replace_assignment(world.sup_north, first.id, "again")
    # The replaced call is never drawn again, and the plan's quota still holds.
    run_plan(view.id, WEEK)
    assert [r.id for r in active_rows(view.id)] == [substitute.id]
    progress = plan_progress(world.admin, view.id, WEEK)
    assert progress.totals["replaced"] == 1 and progress.totals["expected"] == 1


def test_hand_over_moves_the_work_and_keeps_the_record(world):
    add_calls(world.agent_north.id, 4, "A")
    create_user(world.admin, "sup.north2", "North Two", "supervisor", PASSWORD, team="North")
    view = save_plan(
        world.admin,
        "One",
        north_plan(
            world,
            per_agent=1,
            team_ids=frozenset(),
            agent_ids=frozenset({world.agent_north.id}),
            scorers=(Scorer(world.sup_north.id),),
        ),
    )
    run_plan(view.id, WEEK)
    (row,) = active_rows(view.id)
    with pytest.raises(Invalid, match="may score this call"):
        hand_over(world.sup_north, row.id, world.sup_south.id)
    with pytest.raises(Invalid):
        hand_over(world.sup_north, row.id, world.agent_north.id)
    with read_scope() as session:
        from db.models import User

        north2 = session.exec(select(User).where(User.username == "sup.north2")).one()
    moved = hand_over(world.sup_north, row.id, north2.id, "I am away on Friday")
    assert moved.scorer_id == north2.id and moved.call_id == row.call_id
    with read_scope() as session:
        old = session.get(AssignmentRow, row.id)
    assert (old.status, old.replaced_by, old.note) == (
        "handed_over",
        moved.id,
        "I am away on Friday",
    )
    assert (
        my_assignments(world.sup_north).counts["Upcoming"]
        + my_assignments(world.sup_north).counts["Overdue"]
        == 0
    )


def test_a_deactivated_scorers_open_work_is_reassigned_never_lost(world):
    add_calls(world.agent_north.id, 10, "A")
    add_calls(world.agent_north2.id, 10, "B")
    create_user(world.admin, "sup.leaving", "Leaving", "supervisor", PASSWORD, team="North")
    with read_scope() as session:
        from db.models import User

        leaving = session.exec(select(User).where(User.username == "sup.leaving")).one()
    plan = north_plan(
        world,
        per_agent=3,
        scorers=(Scorer(world.sup_north.id), Scorer(leaving.id), Scorer(world.admin.id)),
    )
    view = save_plan(world.admin, "Three", plan)
    run_plan(view.id, WEEK)
    theirs = [r for r in active_rows(view.id) if r.scorer_id == leaving.id]
    assert theirs
    set_active(world.admin, leaving.id, False)
    rows = active_rows(view.id)
    assert len(rows) == 6
    assert not [r for r in rows if r.scorer_id == leaving.id]
    assert {r.call_id for r in rows} >= {r.call_id for r in theirs}
    loads = [sum(r.scorer_id == s for r in rows) for s in (world.sup_north.id, world.admin.id)]
    assert sorted(loads) == [3, 3]


def test_submitting_marks_the_assignment_done_and_unassigned_reviews_are_ad_hoc(world):
    ids, view, row = one_assignment(world, "A", 6)
    mine = my_assignments(world.sup_north, now=datetime(2026, 11, 8, 12, tzinfo=UTC))
    assert [a.id for a in mine.due_today] == [row.id]
    assert assignment_counts(world.sup_north, now=datetime(2026, 11, 9, 12, tzinfo=UTC)) == {
        "overdue": 1,
        "due_today": 0,
    }
    ev = open_draft(world.sup_north, row.call_id)
    for key in SCORED_ITEMS:
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=3)
    assert (
        my_assignments(world.sup_north, now=datetime(2026, 11, 3, tzinfo=UTC)).upcoming[0].draft_id
        == ev.id
    )
    done = submit(world.sup_north, ev.id, ev.row_version)
    with read_scope() as session:
        stored = session.get(AssignmentRow, row.id)
    assert (stored.status, stored.evaluation_id) == ("done", done.id)
    other = next(i for i in ids if i != row.call_id)
    submit_evaluation(world.sup_north, other, 5)
    with read_scope() as session:
        ad_hoc = session.exec(select(AssignmentRow).where(AssignmentRow.ad_hoc.is_(True))).one()
    assert (ad_hoc.call_id, ad_hoc.status, ad_hoc.plan_id) == (other, "done", None)
    progress = plan_progress(world.admin, view.id, WEEK, now=datetime(2026, 11, 6, tzinfo=UTC))
    assert progress.totals == {"expected": 1, "completed": 1, "overdue": 0, "replaced": 0}
    assert progress.score_sd is not None and progress.scored_n == 2
    assert progress.precision.half_width is None  # one evaluation per agent: too few


def test_progress_counts_per_scorer_and_agent_with_the_even_pace(world):
    add_calls(world.agent_north.id, 10, "A")
    add_calls(world.agent_north2.id, 10, "B")
    view = save_plan(world.admin, "Two", north_plan(world, per_agent=2))
    run_plan(view.id, WEEK)
    now = datetime(2026, 11, 12, tzinfo=UTC)  # after the due date
    progress = plan_progress(world.admin, view.id, WEEK, now=now)
    assert progress.totals == {"expected": 4, "completed": 0, "overdue": 4, "replaced": 0}
    assert sorted(progress.by_agent["expected"]) == [2, 2]
    assert sorted(progress.by_scorer["expected"]) == [2, 2]
    daily = progress.daily[progress.daily["scorer_id"] == world.sup_north.id]
    assert len(daily) == 7
    assert daily["expected"].iloc[-1] == pytest.approx(2.0)
    assert daily["expected"].iloc[0] == pytest.approx(2 / 7)
    sup_view = plan_progress(world.sup_north, view.id, WEEK, now=now)
    assert sup_view.totals == progress.totals  # the whole plan is in North
    with read_scope() as session:
        assert session.exec(select(func.count(AssignmentRow.id))).one() == 4


def test_a_new_plan_starts_with_the_current_period(world):
    add_calls(world.agent_north.id, 3, "A")
    view = save_plan(world.admin, "New", north_plan(world, per_agent=1))
    made_before(view.id, datetime(2026, 11, 9, 12, tzinfo=UTC))  # just after WEEK ended
    next_day = datetime(2026, 11, 10, 9, tzinfo=UTC)
    assert [r.period_start for r in run_due_plans(next_day)] == [date(2026, 11, 9)]
    assert active_rows(view.id) == []  # WEEK ended before the plan existed: not drawn
    made_before(view.id, datetime(2026, 11, 8, 12, tzinfo=UTC))  # made during WEEK
    assert [r.period_start for r in run_due_plans(next_day)] == [WEEK, date(2026, 11, 9)]
    assert len(active_rows(view.id)) == 1  # the one agent with calls in WEEK


def test_the_background_job_runs_one_plan_or_every_due_plan(world):
    from db.services.jobs import enqueue
    from jobs.handlers import SAMPLE
    from jobs.queue import make_huey
    from jobs.scheduler import queue_due_sampling

    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    add_calls(world.agent_north.id, 3, "A")  # in WEEK: long closed
    view = save_plan(world.admin, "Weekly", north_plan(world, per_agent=1))
    made_before(view.id, datetime(2026, 10, 1, tzinfo=UTC))
    job = queue_due_sampling()  # immediate mode in tests: run where it is queued
    assert job.state == "done", job.error
    with read_scope() as session:
        runs = session.exec(select(SamplingRun.period_start, SamplingRun.as_of)).all()
    assert {start for start, _ in runs} == {monday, monday - timedelta(days=7)}
    assert [as_of is None for start, as_of in sorted(runs)] == [True, False]
    one = enqueue(SAMPLE, subject=str(view.id))
    assert one.state == "done", one.error
    bad = enqueue(SAMPLE, subject="every plan")
    assert bad.state == "failed" and "names a plan id" in bad.error
    # The worker's huey carries the periodic task that queues these jobs.
    assert make_huey(immediate=True).sampling_task.name == "sampling"


# ---------------------------------------------------------------- others' drafts


def test_the_queue_and_my_assignments_name_other_scorers_drafts(world):
    from db.services.queue import scoring_queue

    ids, _, assigned = one_assignment(world, "D", 3)
    free = next(i for i in ids if i != assigned.call_id)
    for scorer, call_id in ((world.admin, assigned.call_id), (world.sup_north, free)):
        ev = open_draft(scorer, call_id)
        save_item(scorer, ev.id, ev.row_version, SCORED_ITEMS[0], value=3)
    mine = my_assignments(world.sup_north, now=datetime(2026, 11, 3, tzinfo=UTC))
    (row,) = mine.overdue + mine.due_today + mine.upcoming
    assert [d.scorer for d in row.others] == ["Admin"]
    assert row.others[0].since.year >= 2026
    north = {r.call_id: r.others for r in scoring_queue(world.sup_north)}
    assert [d.scorer for d in north[assigned.call_id]] == ["Admin"]
    assert north[free] == ()  # their own draft is not "someone else's"
    admin = {r.call_id: r.others for r in scoring_queue(world.admin)}
    assert [d.scorer for d in admin[free]] == ["Sup.North"]
    assert admin[assigned.call_id] == ()
    assert scoring_queue(world.sup_south) == []  # North's calls and drafts are not theirs
