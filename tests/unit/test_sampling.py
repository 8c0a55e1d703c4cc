"""Sampling plans: the rules by example, and the guarantees as properties over many random
call populations (hypothesis)."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace as dc_replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.sampling import (
    RANDOM,
    Assignment,
    Condition,
    FixedQuota,
    PercentQuota,
    PlanError,
    SampleCall,
    SamplingPlan,
    Scorer,
    Trigger,
    Window,
    check_plan,
    draw,
    expected_by,
    may_want_more,
    period_window,
    quota_for,
    reassign,
    replace,
    spread_due_days,
    validate_plan,
)

MONDAY = date(2026, 11, 23)
WEEK = Window(MONDAY, MONDAY + timedelta(days=7))
START = datetime.combine(MONDAY, datetime.min.time())
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEAM = 7


def plan(**changes: object) -> SamplingPlan:
    base = SamplingPlan(
        key="p",
        rubric_key="listening",
        period="weekly",
        quota=FixedQuota(3),
        scorers=(Scorer(100), Scorer(101)),
        team_ids=frozenset({TEAM}),
    )
    return dc_replace(base, **changes)  # type: ignore[arg-type]


def call(call_id: int, agent_id: int, seconds: int, **kw: object) -> SampleCall:
    return SampleCall(
        call_id=call_id,
        agent_id=agent_id,
        started_at=START + timedelta(seconds=seconds),
        duration_s=float(kw.pop("duration_s", 300.0)),  # type: ignore[arg-type]
        team_id=kw.pop("team_id", TEAM),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def every_hour(agent_id: int, first_id: int = 1, **kw: object) -> list[SampleCall]:
    return [call(first_id + h, agent_id, h * 3600 + 60, **kw) for h in range(7 * 24)]


# ---------------------------------------------------------------- periods


def test_period_windows():
    wednesday = date(2026, 11, 25)
    assert period_window("daily", wednesday) == Window(wednesday, date(2026, 11, 26))
    assert period_window("weekly", wednesday) == WEEK
    assert period_window("weekly", MONDAY) == WEEK
    assert period_window("weekly", date(2026, 11, 29)) == WEEK  # Sunday ends the week
    assert period_window("monthly", date(2026, 12, 31)) == Window(
        date(2026, 12, 1), date(2027, 1, 1)
    )
    assert period_window("monthly", date(2028, 2, 10)).days == 29  # leap year
    # Fortnights count from the anchor, before it too.
    anchor = date(2026, 11, 2)
    assert period_window("biweekly", date(2026, 11, 15), anchor) == Window(
        anchor, date(2026, 11, 16)
    )
    assert period_window("biweekly", date(2026, 11, 16), anchor).start == date(2026, 11, 16)
    assert period_window("biweekly", date(2026, 11, 1), anchor).start == date(2026, 10, 19)
    with pytest.raises(PlanError, match="period must be one of"):
        period_window("yearly", MONDAY)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="must end after"):
        Window(MONDAY, MONDAY)


def test_window_position_and_expected_pace():
    assert WEEK.position(START) == 0.0
    assert WEEK.position(START + timedelta(days=3, hours=12)) == pytest.approx(0.5)
    assert WEEK.last_day == date(2026, 11, 29)
    assert expected_by(MONDAY, 14, WEEK) == pytest.approx(2.0)
    assert expected_by(date(2026, 11, 29), 14, WEEK) == 14
    assert expected_by(date(2026, 12, 10), 14, WEEK) == 14
    assert expected_by(date(2026, 11, 1), 14, WEEK) == 0


# ---------------------------------------------------------------- validation


def test_conditions_on_unknown_fields_are_refused_with_the_field_named():
    good = plan(conditions=(Condition("queue", equals="billing"), Condition("duration_s", low=60)))
    validate_plan(good, known_fields={"queue", "direction"})
    bad = plan(conditions=(Condition("duration_s", low=60), Condition("queu", equals="billing")))
    with pytest.raises(PlanError, match=r"condition 2 is on the unknown field 'queu'.*queue"):
        validate_plan(bad, known_fields={"queue", "direction"})
    with pytest.raises(PlanError, match="unknown metric 'charisma'"):
        validate_plan(
            plan(triggers=(Trigger("charisma", ">", 1),), triggered_share=0.5), known_fields=()
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"team_ids": frozenset()}, "teams or agents"),
        ({"scorers": ()}, "at least one scorer"),
        ({"scorers": (Scorer(1), Scorer(1))}, "scorer 1 is listed twice"),
        ({"scorers": (Scorer(1, 0.0),)}, "scorer 1 weight"),
        ({"quota": FixedQuota(0)}, "at least 1"),
        ({"quota": PercentQuota(0)}, r"percent must be in \(0, 100\]"),
        ({"quota": PercentQuota(5, minimum=4, maximum=2)}, "maximum"),
        ({"triggered_share": 1.5}, "between 0 and 1"),
        ({"triggered_share": 0.3}, "needs at least one trigger"),
        ({"date_from": date(2026, 11, 5), "date_to": date(2026, 11, 1)}, "before it starts"),
        ({"conditions": (Condition("duration_s"),)}, "exactly one of"),
        ({"conditions": (Condition("duration_s", equals=1, low=0),)}, "equals, range"),
        ({"conditions": (Condition("duration_s", low=9, high=1),)}, "low 9 is above high 1"),
        ({"triggers": (Trigger("talk_share", "~", 1),)}, "op must be one of"),  # type: ignore[arg-type]
        ({"period": "hourly"}, "period must be one of"),
    ],
)
def test_inconsistent_plans_are_refused(changes, message):
    with pytest.raises(PlanError, match=message):
        check_plan(plan(**changes))


def test_percent_quota_rounds_half_up_and_clips():
    assert quota_for(PercentQuota(5), 30) == 2  # 1.5 → 2
    assert quota_for(PercentQuota(5), 29) == 1  # 1.45 → 1
    assert quota_for(PercentQuota(5, minimum=2), 10) == 2
    assert quota_for(PercentQuota(50, maximum=4), 100) == 4
    assert quota_for(FixedQuota(6), 0) == 6


# ---------------------------------------------------------------- rules by example


def test_conditions_date_window_and_who_is_reviewed_select_the_calls():
    calls = [
        call(1, 1, 3600, meta={"direction": "inbound"}),
        call(2, 1, 7200, meta={"direction": "outbound"}),
        call(3, 1, 9000, meta={}),  # no direction: fails the condition
        call(4, 1, 86400 * 3, meta={"direction": "inbound"}, duration_s=30.0),  # too short
        call(5, 1, 86400 * 5, meta={"direction": "inbound"}),  # after the date window
        call(6, 2, 3600, meta={"direction": "inbound"}, team_id=8),  # not reviewed
        call(7, 3, 3600, meta={"direction": "inbound"}, team_id=8),  # named agent
        call(8, 1, 86400 * 8, meta={"direction": "inbound"}),  # next week
    ]
    p = plan(
        quota=FixedQuota(10),
        agent_ids=frozenset({3}),
        conditions=(Condition("direction", equals="inbound"), Condition("duration_s", low=60)),
        date_to=MONDAY + timedelta(days=4),
    )
    result = draw(p, calls, None, set(), set(), WEEK, seed=1)
    assert sorted(a.call_id for a in result.assignments) == [1, 7]
    assert {s.agent_id: (s.wanted, s.drawn) for s in result.shortfalls} == {1: (10, 1), 3: (10, 1)}
    assert "only 1 eligible call" in result.warnings[0]


def test_condition_forms():
    assert Condition("queue", one_of=("a", "b")).holds("b")
    assert not Condition("queue", one_of=("a", "b")).holds("c")
    assert Condition("duration_s", low=60, high=600).holds(600.0)
    assert not Condition("duration_s", low=60, high=600).holds(601)
    assert not Condition("duration_s", low=60).holds("long")  # not a number
    assert not Condition("duration_s", high=60).holds(True)
    assert Condition("duration_s", low=60, high=600).describe() == "60 <= duration_s <= 600"


def test_triggers_fill_the_reserved_share_and_say_why():
    calls = every_hour(1, evidence={"interruptions": 0.0})
    hot = {5: 4.0, 40: 3.0, 90: 7.0, 150: 2.0}
    calls = [
        dc_replace(c, evidence={"interruptions": hot.get(c.call_id, 0.0)})
        if c.call_id in hot
        else c
        for c in calls
    ]
    p = plan(
        quota=FixedQuota(6), triggers=(Trigger("interruptions", ">=", 3),), triggered_share=0.5
    )
    result = draw(p, calls, None, set(), set(), WEEK, seed=3)
    reasons = Counter(a.reason for a in result.assignments)
    assert reasons == {"interruptions >= 3": 3, RANDOM: 3}
    assert {a.call_id for a in result.assignments if a.reason != RANDOM} == {5, 40, 90}
    # Only two triggered calls left: random draws make up the quota.
    taken = draw(p, calls, None, {5}, set(), WEEK, seed=3)
    assert Counter(a.reason for a in taken.assignments) == {"interruptions >= 3": 2, RANDOM: 4}
    assert not taken.shortfalls


def test_a_scorer_never_reviews_their_own_calls():
    calls = every_hour(100) + every_hour(101, first_id=1000)
    result = draw(plan(agent_ids=frozenset({100, 101})), calls, None, set(), set(), WEEK, seed=1)
    assert len(result.assignments) == 6
    assert all(a.scorer_id != a.agent_id for a in result.assignments)
    # A sole scorer who is also the agent: the draws cannot be placed, and it says so.
    alone = draw(
        plan(team_ids=frozenset(), agent_ids=frozenset({100}), scorers=(Scorer(100),)),
        calls,
        None,
        set(),
        set(),
        WEEK,
    )
    assert not alone.assignments
    assert "no scorer" in alone.shortfalls[0].reason


def test_a_scorer_who_left_gets_nothing_new():
    calls = every_hour(1)
    result = draw(plan(), calls, [Scorer(101)], set(), set(), WEEK, seed=1)
    assert {a.scorer_id for a in result.assignments} == {101}


def test_seed_is_returned_and_reproduces_the_draw():
    calls = every_hour(1) + every_hour(2, first_id=1000)
    first = draw(plan(), calls, None, set(), set(), WEEK)
    again = draw(plan(), calls, None, set(), set(), WEEK, seed=first.seed)
    assert first.assignments == again.assignments
    assert isinstance(first.seed, int)


def test_due_days_are_spread_over_the_period_not_all_on_its_last_day():
    # 14 calls of an agent every hour, one scorer: two due each day of the week.
    alone = plan(quota=FixedQuota(14), scorers=(Scorer(100),))
    result = draw(alone, every_hour(1), None, set(), set(), WEEK, seed=2)
    assert {(a.period_start, a.plan_key) for a in result.assignments} == {(MONDAY, "p")}
    assert Counter(a.due for a in result.assignments) == {
        MONDAY + timedelta(days=d): 2 for d in range(7)
    }
    one = draw(dc_replace(alone, quota=FixedQuota(1)), every_hour(1), None, set(), set(), WEEK)
    assert [a.due for a in one.assignments] == [WEEK.last_day]  # one call: the whole week


def test_due_days_follow_the_even_pace_and_never_precede_the_call_or_the_run():
    days = [MONDAY + timedelta(days=d) for d in (0, 0, 1, 3, 3, 6)]
    assert spread_due_days(WEEK, days) == [MONDAY + timedelta(days=d) for d in (1, 2, 3, 4, 5, 6)]
    late = [WEEK.last_day] * 3  # calls all on Sunday: due on Sunday, not before
    assert spread_due_days(WEEK, late) == late
    run_day = MONDAY + timedelta(days=4)
    assert spread_due_days(WEEK, days, not_before=run_day) == [
        MONDAY + timedelta(days=d) for d in (4, 4, 4, 4, 5, 6)
    ]
    assert spread_due_days(WEEK, []) == []


@PROPERTY
@given(
    st.sampled_from(["daily", "weekly", "biweekly", "monthly"]),
    st.lists(st.floats(0.0, 0.999), max_size=80),
    st.one_of(st.none(), st.floats(0.0, 1.2)),
)
def test_due_days_properties(period, where, run_at):
    """Due days lie in the period, in order, never before the call or the run; with every
    call on or before its slot the load per day differs by at most one and by the end of
    day k exactly ⌊k × n / D⌋ are due (the even pace)."""
    window = period_window(period, MONDAY)
    calls = sorted(window.start + timedelta(days=int(w * window.days)) for w in where)
    not_before = None if run_at is None else window.start + timedelta(days=int(run_at * 40))
    due = spread_due_days(window, calls, not_before)
    assert len(due) == len(calls) and due == sorted(due)
    assert all(window.start <= d <= window.last_day for d in due)
    assert all(d >= c or d == window.last_day for d, c in zip(due, calls, strict=True))
    if not_before is not None:
        assert all(d >= min(not_before, window.last_day) for d in due)
    n, days = len(calls), window.days
    early = [window.start] * n  # every call on the first day: nothing holds a slot back
    even = spread_due_days(window, early)
    loads = Counter(even)
    per_day = [loads[window.start + timedelta(days=k)] for k in range(days)]
    if n:
        assert max(per_day) - min(per_day) <= 1
    for k in range(1, days + 1):
        assert sum(per_day[:k]) == k * n // days
    assert even[-1:] == ([window.last_day] if n else [])


def test_percent_quota_grows_as_calls_arrive_and_draws_only_the_difference():
    p = plan(quota=PercentQuota(10, minimum=1))
    monday = [call(i, 1, i * 600) for i in range(1, 21)]  # 20 calls: 2 wanted
    first = draw(p, monday, None, set(), set(), WEEK, seed=1)
    assert len(first.assignments) == 2
    later = monday + [call(100 + i, 1, 86400 * 3 + i * 600) for i in range(20)]  # 40: 4
    second = draw(
        p, later, None, set(), set(), WEEK, seed=2, existing_assignments=first.assignments
    )
    assert len(second.assignments) == 2
    assert not {a.call_id for a in second.assignments} & {a.call_id for a in first.assignments}


def test_replaced_assignments_free_the_quota_but_never_their_call():
    calls = every_hour(1)
    first = draw(plan(), calls, None, set(), set(), WEEK, seed=4)
    gone = dc_replace(first.assignments[0], active=False)
    existing = [gone, *first.assignments[1:]]
    again = draw(plan(), calls, None, set(), set(), WEEK, seed=5, existing_assignments=existing)
    assert len(again.assignments) == 1
    assert again.assignments[0].call_id != gone.call_id


def test_replace_draws_a_substitute_matching_the_same_rule_near_in_time():
    calls = every_hour(1)
    hot = {3, 30, 31, 120}
    calls = [dc_replace(c, evidence={"defensive": 1.0 if c.call_id in hot else 0.0}) for c in calls]
    p = plan(quota=FixedQuota(2), triggers=(Trigger("defensive", ">=", 1),), triggered_share=0.5)
    result = draw(p, calls, None, set(), set(), WEEK, seed=1)
    triggered = next(a for a in result.assignments if a.reason == "defensive >= 1")
    random_one = next(a for a in result.assignments if a.reason == RANDOM)
    sub = replace(
        p, triggered, calls, set(), set(), WEEK, seed=9, existing_assignments=result.assignments
    )
    assert sub.assignment is not None
    assert sub.assignment.call_id in hot - {triggered.call_id}
    assert (sub.assignment.reason, sub.assignment.scorer_id) == (
        triggered.reason,
        triggered.scorer_id,
    )
    sub_random = replace(
        p, random_one, calls, set(), set(), WEEK, seed=9, existing_assignments=result.assignments
    )
    assert sub_random.assignment is not None
    assert sub_random.assignment.call_id not in {a.call_id for a in result.assignments}
    # The substitute comes from the same half of the week (quota 2 → two strata).
    half = lambda a: WEEK.position(calls[a.call_id - 1].started_at) >= 0.5  # noqa: E731
    assert half(sub_random.assignment) == half(random_one)
    assert sub_random.seed == 9
    # Nothing else triggered and unassigned: no substitute, and the reason.
    blocked = hot - {triggered.call_id}
    none = replace(
        p, triggered, calls, blocked, set(), WEEK, existing_assignments=result.assignments
    )
    assert none.assignment is None and "defensive >= 1" in none.message


# ---------------------------------------------------------------- properties


@st.composite
def populations(draw_: st.DrawFn) -> dict[str, object]:
    n_agents = draw_(st.integers(1, 5))
    calls: list[SampleCall] = []
    call_id = 1
    for agent_id in range(1, n_agents + 1):
        offsets = draw_(st.lists(st.integers(0, 7 * 86400 - 1), max_size=40))
        for seconds in offsets:
            evidence = {"interruptions": float(draw_(st.integers(0, 5)))}
            calls.append(call(call_id, agent_id, seconds, evidence=evidence))
            call_id += 1
    # A few calls outside the week or another team's, which must never be drawn.
    calls.append(call(call_id, 1, -60))
    calls.append(call(call_id + 1, 1, 7 * 86400))
    calls.append(call(call_id + 2, 1, 3600, team_id=TEAM + 1))
    ids = [c.call_id for c in calls]
    reviewed = set(draw_(st.lists(st.sampled_from(ids), max_size=6)))
    calibration = set(draw_(st.lists(st.sampled_from(ids), max_size=3)))
    weights = draw_(st.lists(st.sampled_from([1.0, 1.0, 2.0, 3.0]), min_size=1, max_size=4))
    quota = draw_(
        st.one_of(
            st.builds(FixedQuota, st.integers(1, 8)),
            st.builds(
                PercentQuota,
                st.sampled_from([5.0, 10.0, 25.0, 50.0]),
                st.integers(0, 2),
                st.one_of(st.none(), st.integers(3, 6)),
            ),
        )
    )
    share = draw_(st.sampled_from([0.0, 0.0, 0.25, 0.5, 1.0]))
    p = plan(
        quota=quota,
        scorers=tuple(Scorer(100 + n, w) for n, w in enumerate(weights)),
        triggers=(Trigger("interruptions", ">=", 4),) if share else (),
        triggered_share=share,
    )
    return {
        "plan": p,
        "calls": calls,
        "reviewed": reviewed,
        "calibration": calibration,
        "seed": draw_(st.integers(0, 2**32)),
    }


def _eligible(p: SamplingPlan, calls: list[SampleCall]) -> dict[int, list[SampleCall]]:
    by_agent: dict[int, list[SampleCall]] = {}
    for c in calls:
        if c.team_id == TEAM and WEEK.contains(c.started_at):
            by_agent.setdefault(c.agent_id, []).append(c)
    return by_agent


def _run(pop: dict, **kw: object):
    return draw(
        pop["plan"],
        kw.get("calls", pop["calls"]),
        None,
        pop["reviewed"],
        pop["calibration"],
        WEEK,
        seed=kw.get("seed", pop["seed"]),
        existing_assignments=kw.get("existing", ()),
    )


@PROPERTY
@given(populations())
def test_quotas_are_met_exactly_where_calls_suffice(pop):
    result = _run(pop)
    p = pop["plan"]
    drawn = Counter(a.agent_id for a in result.assignments)
    short = {s.agent_id: s for s in result.shortfalls}
    for agent_id, calls in _eligible(p, pop["calls"]).items():
        quota = quota_for(p.quota, len(calls))
        open_calls = [c for c in calls if c.call_id not in pop["reviewed"] | pop["calibration"]]
        if len(open_calls) >= quota:
            assert drawn[agent_id] == quota and agent_id not in short
        else:
            assert drawn[agent_id] == len(open_calls)
            assert (short[agent_id].wanted, short[agent_id].drawn) == (quota, len(open_calls))


@PROPERTY
@given(populations())
def test_exclusions_and_eligibility(pop):
    result = _run(pop)
    eligible = {c.call_id for cs in _eligible(pop["plan"], pop["calls"]).values() for c in cs}
    ids = [a.call_id for a in result.assignments]
    assert len(ids) == len(set(ids))
    assert set(ids) <= eligible
    assert not set(ids) & (pop["reviewed"] | pop["calibration"])
    assert all(a.scorer_id != a.agent_id for a in result.assignments)
    assert {a.scorer_id for a in result.assignments} <= {s.user_id for s in pop["plan"].scorers}


@PROPERTY
@given(populations())
def test_draws_spread_over_the_period(pop):
    """With q draws for an agent, the period's q equal time strata each hold at most one
    draw while strata with calls remain: the draws use min(q, strata with calls) strata."""
    p = pop["plan"]
    if p.triggered_share:
        p = dc_replace(p, triggers=(), triggered_share=0.0)
    result = draw(p, pop["calls"], None, set(), set(), WEEK, seed=pop["seed"])
    for agent_id, calls in _eligible(p, pop["calls"]).items():
        q = quota_for(p.quota, len(calls))
        if q == 0:
            continue
        stratum = {c.call_id: min(int(WEEK.position(c.started_at) * q), q - 1) for c in calls}
        used = {stratum[a.call_id] for a in result.assignments if a.agent_id == agent_id}
        assert len(used) == min(q, len(set(stratum.values())))


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 12), st.integers(0, 2**32))
def test_an_even_flow_of_calls_gives_one_draw_per_stratum(q, seed):
    calls = every_hour(1)
    result = draw(plan(quota=FixedQuota(q)), calls, None, set(), set(), WEEK, seed=seed)
    strata = Counter(
        min(int(WEEK.position(calls[a.call_id - 1].started_at) * q), q - 1)
        for a in result.assignments
    )
    assert strata == dict.fromkeys(range(q), 1)
    days = {calls[a.call_id - 1].started_at.date() for a in result.assignments}
    assert len(days) >= min(q, 7) * 0.5  # never all from the first day


@PROPERTY
@given(populations())
def test_scorer_load_is_balanced_by_weight(pop):
    """D'Hondt: each scorer gets at least ⌊total × wᵢ / Σw⌋; equal weights differ by ≤ 1.
    (Scorers here never take calls themselves, so nobody is excluded.)"""
    result = _run(pop)
    scorers = pop["plan"].scorers
    load = Counter(a.scorer_id for a in result.assignments)
    total = len(result.assignments)
    weight = sum(s.weight for s in scorers)
    for s in scorers:
        assert load[s.user_id] >= math.floor(total * s.weight / weight + 1e-9)
    if len({s.weight for s in scorers}) == 1:
        loads = [load[s.user_id] for s in scorers]
        assert max(loads) - min(loads) <= 1


@PROPERTY
@given(populations(), st.integers(0, 50))
def test_an_agent_who_may_want_no_more_gets_no_more(pop, extra):
    """``may_want_more`` False (given at least as many calls as the agent has) means a
    draw with those assignments in place draws nothing more for the agent."""
    p = pop["plan"]
    first = _run(pop)
    have = Counter(a.agent_id for a in first.assignments)
    again = _run(pop, existing=first.assignments, seed=pop["seed"] + 1)
    for agent_id, calls in _eligible(p, pop["calls"]).items():
        if not may_want_more(p.quota, have[agent_id], len(calls) + extra):
            assert all(a.agent_id != agent_id for a in again.assignments)
    assert not may_want_more(FixedQuota(3), 3) and may_want_more(FixedQuota(3), 2)
    assert may_want_more(PercentQuota(10, 1, 4), 3) and not may_want_more(PercentQuota(10, 1, 4), 4)
    assert not may_want_more(PercentQuota(10, 1), 2, 20) and may_want_more(
        PercentQuota(10, 1), 2, 30
    )


@PROPERTY
@given(populations())
def test_each_scorers_due_days_keep_an_even_load(pop):
    """A scorer's due days lie in the period, never before their call's day; where no call
    holds its slot back, by the end of day k exactly ⌊k × n / 7⌋ of their n are due."""
    result = _run(pop)
    at = {c.call_id: c.started_at for c in pop["calls"]}
    started = {c.call_id: c.started_at.date() for c in pop["calls"]}
    for scorer in {a.scorer_id for a in result.assignments}:
        mine = sorted(
            (a for a in result.assignments if a.scorer_id == scorer),
            key=lambda a: (at[a.call_id], a.call_id),
        )
        assert all(WEEK.start <= a.due <= WEEK.last_day for a in mine)
        assert all(a.due >= started[a.call_id] for a in mine)
        assert [a.due for a in mine] == sorted(a.due for a in mine)
        n = len(mine)
        slots = [MONDAY + timedelta(days=-(-(i + 1) * 7 // n) - 1) for i in range(n)]
        if all(started[a.call_id] <= slot for a, slot in zip(mine, slots, strict=True)):
            for k in range(1, 8):
                by_k = sum(a.due < MONDAY + timedelta(days=k) for a in mine)
                assert by_k == k * n // 7


@PROPERTY
@given(populations(), st.randoms(use_true_random=False))
def test_reproducible_from_the_seed_whatever_the_order_of_the_calls(pop, shuffler):
    first = _run(pop)
    shuffled = list(pop["calls"])
    shuffler.shuffle(shuffled)
    assert _run(pop, calls=shuffled) == first


@PROPERTY
@given(populations(), st.integers(0, 2**32))
def test_idempotent_given_existing_assignments(pop, other_seed):
    first = _run(pop)
    again = _run(pop, seed=other_seed, existing=first.assignments)
    assert again.assignments == ()
    # Half the assignments recorded (a crash mid-run): the rerun tops up to the same counts.
    kept = first.assignments[::2]
    topped = _run(pop, seed=other_seed, existing=kept)
    before = Counter(a.agent_id for a in first.assignments)
    after = Counter(a.agent_id for a in kept + topped.assignments)
    assert after == before
    assert not {a.call_id for a in kept} & {a.call_id for a in topped.assignments}


@PROPERTY
@given(populations())
def test_every_assignment_says_why_it_was_drawn(pop):
    result = _run(pop)
    p = pop["plan"]
    calls = {c.call_id: c for c in pop["calls"]}
    by_agent = Counter()
    for a in result.assignments:
        if a.reason == RANDOM:
            continue
        trigger = next(t for t in p.triggers if t.label == a.reason)
        assert trigger.matches(calls[a.call_id].evidence.get(trigger.metric))
        by_agent[a.agent_id] += 1
    for agent_id, calls_ in _eligible(p, pop["calls"]).items():
        quota = quota_for(p.quota, len(calls_))
        reserved = math.floor(quota * p.triggered_share + 0.5) if p.triggers else 0
        hot = [
            c
            for c in calls_
            if c.call_id not in pop["reviewed"] | pop["calibration"]
            and p.triggers
            and p.triggers[0].matches(c.evidence.get("interruptions"))
        ]
        assert by_agent[agent_id] == min(reserved, len(hot))


def test_existing_assignments_of_other_plans_block_calls_but_not_quota():
    calls = every_hour(1)
    other = [
        Assignment("other", MONDAY, c.call_id, 1, 100, RANDOM, WEEK.last_day) for c in calls[::2]
    ]
    result = draw(plan(), calls, None, set(), set(), WEEK, seed=1, existing_assignments=other)
    assert len(result.assignments) == 3
    assert not {a.call_id for a in result.assignments} & {a.call_id for a in other}


def test_random_module_is_not_used_for_draws():
    # Python's global random state must not change a draw: numpy's Generator from the seed.
    random.seed(1)
    first = draw(plan(), every_hour(1), None, set(), set(), WEEK, seed=8)
    random.seed(2)
    assert draw(plan(), every_hour(1), None, set(), set(), WEEK, seed=8) == first


def test_a_departing_scorers_open_assignments_are_reassigned_never_lost():
    calls = every_hour(1) + every_hour(102, first_id=1000)
    p = plan(
        quota=FixedQuota(4),
        agent_ids=frozenset({102}),
        scorers=(Scorer(100), Scorer(101), Scorer(102)),
    )
    result = draw(p, calls, None, set(), set(), WEEK, seed=3)
    leaving = [a for a in result.assignments if a.scorer_id == 100]
    staying = [Scorer(101), Scorer(102)]
    load = Counter(a.scorer_id for a in result.assignments if a.scorer_id != 100)
    moved = reassign(leaving, staying, load, seed=1)
    assert len(moved.moved) + len(moved.unplaced) == len(leaving) > 0
    assert not moved.unplaced
    assert all(a.scorer_id in {101, 102} and a.scorer_id != a.agent_id for a in moved.moved)
    assert sorted(a.call_id for a in moved.moved) == sorted(a.call_id for a in leaving)
    # Agent 102's calls can only go to 101; with 101 gone too they come back unplaced.
    own = [a for a in leaving if a.agent_id == 102]
    alone = reassign(own, [Scorer(102)], seed=1)
    assert alone.unplaced == tuple(own) and not alone.moved
    assert reassign(leaving, staying, load, seed=1) == moved


@PROPERTY
@given(populations(), st.integers(0, 2**32))
def test_a_replacement_matches_the_same_rule_and_is_never_a_blocked_call(pop, seed):
    first = _run(pop)
    p = pop["plan"]
    blocked = pop["reviewed"] | pop["calibration"] | {a.call_id for a in first.assignments}
    calls = {c.call_id: c for c in pop["calls"]}
    eligible = _eligible(p, pop["calls"])
    for old in first.assignments[:3]:
        result = replace(
            p,
            old,
            pop["calls"],
            pop["reviewed"],
            pop["calibration"],
            WEEK,
            seed=seed,
            existing_assignments=first.assignments,
        )
        same_rule = [
            c
            for c in eligible[old.agent_id]
            if c.call_id not in blocked
            and (
                old.reason == RANDOM
                or any(
                    t.label == old.reason and t.matches(c.evidence.get(t.metric))
                    for t in p.triggers
                )
            )
        ]
        if not same_rule:
            assert result.assignment is None
            continue
        new = result.assignment
        assert new is not None and new.call_id in {c.call_id for c in same_rule}
        assert (new.agent_id, new.scorer_id, new.reason) == (
            old.agent_id,
            old.scorer_id,
            old.reason,
        )
        assert calls[new.call_id].agent_id == old.agent_id


def test_runs_during_the_period_draw_each_stratum_once_it_has_ended():
    calls = every_hour(1)
    p = plan(quota=FixedQuota(7))  # one stratum per day
    monday_noon = START + timedelta(hours=12)
    early = draw(p, calls, None, set(), set(), WEEK, seed=1, as_of=monday_noon)
    assert early.assignments == () and early.shortfalls == ()  # nothing due, nothing short
    made: list[Assignment] = []
    for day in range(1, 8):  # the job runs each midnight, and once after the week
        as_of = START + timedelta(days=day, minutes=5)
        arrived = [c for c in calls if c.started_at < as_of]
        result = draw(
            p, arrived, None, set(), set(), WEEK, seed=day, existing_assignments=made, as_of=as_of
        )
        assert len(result.assignments) == 1
        assert all(
            calls[a.call_id - 1].started_at.date() == MONDAY + timedelta(days=day - 1)
            for a in result.assignments
        )
        made.extend(result.assignments)
    assert draw(p, calls, None, set(), set(), WEEK, existing_assignments=made).assignments == ()


def test_a_percentage_grows_with_the_calls_that_arrive():
    calls = every_hour(1)  # 168 calls, 24 a day
    p = plan(quota=PercentQuota(10, minimum=2))
    as_of = START + timedelta(days=1, minutes=5)  # 25 calls so far: 2.5 → 3 due
    first = draw(
        p, [c for c in calls if c.started_at < as_of], None, set(), set(), WEEK, seed=1, as_of=as_of
    )
    assert len(first.assignments) == 3
    final = draw(p, calls, None, set(), set(), WEEK, seed=2, existing_assignments=first.assignments)
    assert len(first.assignments) + len(final.assignments) == quota_for(p.quota, 168) == 17


@PROPERTY
@given(populations(), st.lists(st.integers(0, 7 * 86400 - 1), max_size=6))
def test_runs_as_calls_arrive_end_with_the_same_guarantees(pop, run_times):
    """A job runs at several moments, seeing the calls that have started, then once after
    the period: quotas are met where calls suffice, and spread as a single draw would."""
    p = dc_replace(pop["plan"], triggers=(), triggered_share=0.0)
    made: list[Assignment] = []
    for n, seconds in enumerate(sorted(run_times)):
        as_of = START + timedelta(seconds=seconds)
        arrived = [c for c in pop["calls"] if c.started_at < as_of]
        result = draw(
            p, arrived, None, set(), set(), WEEK, seed=n, existing_assignments=made, as_of=as_of
        )
        assert not result.shortfalls
        assert all(c.started_at < as_of for c in arrived)
        made.extend(result.assignments)
    made.extend(
        draw(
            p, pop["calls"], None, set(), set(), WEEK, seed=99, existing_assignments=made
        ).assignments
    )
    drawn = Counter(a.agent_id for a in made)
    for agent_id, calls in _eligible(p, pop["calls"]).items():
        q = quota_for(p.quota, len(calls))
        assert drawn[agent_id] == min(q, len(calls))
        if isinstance(p.quota, FixedQuota):
            stratum = {c.call_id: min(int(WEEK.position(c.started_at) * q), q - 1) for c in calls}
            used = {stratum[a.call_id] for a in made if a.agent_id == agent_id}
            assert len(used) == min(q, len(set(stratum.values())))
