"""Sampling plans: which calls are reviewed, by whom, in which period. Pure rules.

A ``SamplingPlan`` names who is reviewed (teams or agents), by whom (scorers, optionally
weighted), the rubric, a recurring period and a quota per agent per period, conditions the
calls must meet and evidence triggers. ``draw`` turns a plan, the period's calls and what
is already assigned into new ``Assignment`` rows; ``replace`` draws one substitute.

How a draw works, per agent (agents in id order, calls in time order, so the result depends
only on the inputs and the seed, never on their order):

1. Eligible calls: the agent is reviewed, the call starts inside the period and the plan's
   date window, every condition holds. Calls already reviewed, in calibration or assigned
   (by any plan, even a replaced assignment) are never drawn.
2. Quota q: fixed, or ``round(percent/100 × eligible calls)`` clipped to [minimum,
   maximum] (eligible counted before exclusions: "a percentage of their calls"). Active
   assignments of this plan in this period already count, so a second run draws nothing.
3. Triggered share: ``round(q × triggered_share)`` draws come from calls matching any
   trigger, the rest at random from what is left (when too few calls match, random draws
   make up the quota: the reserve is a ceiling, not a hole in the sample).
4. Even spread: the period is cut into q equal time strata and each draw takes a random
   call from a stratum that holds no draw yet; when strata run out of calls, the next draw
   is the call farthest in time from every draw so far. So where calls exist in every
   stratum each stratum gets exactly one draw, never all from the period's first day.
   A run during the period (``as_of``, as calls arrive) draws only what the elapsed part
   is due: a stratum's draw once the stratum has ended.
5. Scorers: each new assignment goes to an eligible scorer (never the call's own agent)
   with the smallest (load + 1) / weight, ties at random: D'Hondt's rule, so with equal
   weights loads differ by at most one and each scorer gets at least ⌊total × wᵢ / Σw⌋.
   Calls with fewer eligible scorers are placed first.
6. Due days: each scorer's assignments of the period, in call time order, are due spread
   evenly over its days (``spread_due_days``: by the end of day k, ⌊k × n / D⌋ of n), so
   a scorer's load per day stays even instead of all falling on the period's last day; a
   call is never due before its own day or the run that drew it.

Times are the calls' wall-clock times as given (Earshot stores UTC); a period is the
half-open day range [start, end).
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as _dataclass_replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Literal, TypeAlias

import numpy as np

from scoring.errors import Invalid

Period = Literal["daily", "weekly", "biweekly", "monthly"]
PERIODS: tuple[str, ...] = ("daily", "weekly", "biweekly", "monthly")
Comparison = Literal[">=", ">", "<=", "<", "=="]
COMPARISONS: tuple[str, ...] = (">=", ">", "<=", "<", "==")
Scalar: TypeAlias = str | int | float | bool
RANDOM = "random"
# Fields every call has; imported metadata fields are added by the caller.
CALL_FIELDS: tuple[str, ...] = ("duration_s",)
# Biweekly periods count fortnights from this Monday unless the plan names its own anchor.
DEFAULT_ANCHOR = date(2024, 1, 1)
# Evidence metric names the app computes (listening summary and text evidence counts);
# a plan is validated against what the caller passes, these are the usual ones.
EVIDENCE_METRICS: tuple[str, ...] = (
    "talk_share",
    "interruptions",
    "backchannels",
    "long_silences",
    "longest_silence_s",
    "longest_agent_turn",
    "response_gaps",
    "overtalk",
    "defensive",
)


class PlanError(Invalid):
    """A plan that cannot be run; the message names the part of the plan that is wrong."""


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Window:
    """The days [start, end) of one period."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise PlanError(f"a period must end after it starts; got {self.start} to {self.end}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def contains(self, moment: datetime | date) -> bool:
        day = moment.date() if isinstance(moment, datetime) else moment
        return self.start <= day < self.end

    def position(self, moment: datetime) -> float:
        """Where ``moment`` falls in the window: 0 at its start, 1 at its end."""
        start = datetime.combine(self.start, time())
        seconds = (moment.replace(tzinfo=None) - start).total_seconds()
        return seconds / (self.days * 86400.0)


def period_window(period: Period, day: date, anchor: date = DEFAULT_ANCHOR) -> Window:
    """The window of ``period`` that contains ``day``.

    daily: that day; weekly: Monday to Sunday; biweekly: fortnights counted from
    ``anchor`` (a Monday by convention; any day works); monthly: the calendar month.
    """
    if period == "daily":
        return Window(day, day + timedelta(days=1))
    if period == "weekly":
        start = day - timedelta(days=day.weekday())
        return Window(start, start + timedelta(days=7))
    if period == "biweekly":
        offset = (day - anchor).days // 14
        start = anchor + timedelta(days=14 * offset)
        return Window(start, start + timedelta(days=14))
    if period == "monthly":
        start = day.replace(day=1)
        length = calendar.monthrange(day.year, day.month)[1]
        return Window(start, start + timedelta(days=length))
    raise PlanError(f"period must be one of {', '.join(PERIODS)}; got {period!r}")


def expected_by(day: date, total: int, window: Window) -> float:
    """Assignments a scorer should have completed by the end of ``day`` at an even pace:
    total × (days elapsed, ``day`` included) / days in the window, clipped to [0, total]."""
    elapsed = (day - window.start).days + 1
    return total * min(max(elapsed / window.days, 0.0), 1.0)


def spread_due_days(
    window: Window, call_days: Sequence[date], not_before: date | None = None
) -> list[date]:
    """Due days for one scorer's n assignments in one period, given their calls' days in
    time order (one entry per assignment, non-decreasing).

    The i-th (from 0) is due by the end of day ⌈(i + 1) × D / n⌉ of the period's D days, so
    by the end of day k, ⌊k × n / D⌋ are due: ``expected_by``'s even pace rounded down, and
    no two days' loads differ by more than one. A call is never due before its own day, nor
    before ``not_before`` (the day of the run that draws it), nor after the period's last
    day; those limits can only move a due day later, so the days stay in order.
    """
    n, days = len(call_days), window.days
    floor = window.start if not_before is None else max(window.start, not_before)
    due = []
    for i, call_day in enumerate(call_days):
        slot = window.start + timedelta(days=-(-(i + 1) * days // n) - 1)
        due.append(min(max(slot, call_day, floor), window.last_day))
    return due


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Scorer:
    """A scorer and their share of the work (weight 2 takes twice the calls of weight 1)."""

    user_id: int
    weight: float = 1.0


@dataclass(frozen=True)
class FixedQuota:
    """``per_agent`` calls per agent per period."""

    per_agent: int


@dataclass(frozen=True)
class PercentQuota:
    """``percent`` (0–100] of each agent's eligible calls, at least ``minimum``, at most
    ``maximum`` (None: no maximum)."""

    percent: float
    minimum: int = 0
    maximum: int | None = None


Quota: TypeAlias = FixedQuota | PercentQuota


@dataclass(frozen=True)
class Condition:
    """A call condition on ``field`` (``duration_s`` or an imported metadata field).

    Exactly one form: ``equals`` a value, ``one_of`` several values, or a range
    ``low <= value <= high`` (either end may be open). A call without the field fails it.
    """

    field: str
    equals: Scalar | None = None
    one_of: tuple[Scalar, ...] | None = None
    low: float | None = None
    high: float | None = None

    @cached_property  # checked once, then read for every call
    def form(self) -> str:
        forms = [
            name
            for name, present in (
                ("equals", self.equals is not None),
                ("one_of", self.one_of is not None),
                ("range", self.low is not None or self.high is not None),
            )
            if present
        ]
        if len(forms) != 1:
            raise PlanError(
                f"condition on {self.field!r} must have exactly one of equals, one_of or a "
                f"range (low/high); got {', '.join(forms) or 'none'}"
            )
        return forms[0]

    def holds(self, value: object) -> bool:
        if value is None:
            return False
        form = self.form
        if form == "equals":
            return bool(value == self.equals)
        if form == "one_of":
            return value in (self.one_of or ())
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.low is not None and value < self.low:
            return False
        return not (self.high is not None and value > self.high)

    def describe(self) -> str:
        form = self.form
        if form == "equals":
            return f"{self.field} = {self.equals!r}"
        if form == "one_of":
            return f"{self.field} in {list(self.one_of or ())!r}"
        low = "" if self.low is None else f"{self.low:g} <= "
        high = "" if self.high is None else f" <= {self.high:g}"
        return f"{low}{self.field}{high}"


@dataclass(frozen=True)
class Trigger:
    """Evidence that makes a call worth a look: ``metric`` ``op`` ``threshold``, e.g.
    interruptions >= 3, longest_silence_s > 20, talk_share > 0.7, defensive >= 1."""

    metric: str
    op: Comparison
    threshold: float

    @property
    def label(self) -> str:
        """What an assignment records as the reason it was drawn."""
        return f"{self.metric} {self.op} {self.threshold:g}"

    def matches(self, value: float | None) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        if self.op == ">=":
            return value >= self.threshold
        if self.op == ">":
            return value > self.threshold
        if self.op == "<=":
            return value <= self.threshold
        if self.op == "<":
            return value < self.threshold
        if self.op == "==":
            return value == self.threshold
        raise PlanError(
            f"trigger on {self.metric!r}: op must be one of {', '.join(COMPARISONS)}; "
            f"got {self.op!r}"
        )


@dataclass(frozen=True)
class SamplingPlan:
    """Who is reviewed (``team_ids`` ∪ ``agent_ids``), by whom, on which rubric, how often,
    how many, and which calls qualify. ``date_from``/``date_to`` are inclusive days.
    ``triggered_share`` (0–1) of each quota is reserved for calls matching a trigger."""

    key: str
    rubric_key: str
    period: Period
    quota: Quota
    scorers: tuple[Scorer, ...]
    team_ids: frozenset[int] = frozenset()
    agent_ids: frozenset[int] = frozenset()
    conditions: tuple[Condition, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    triggered_share: float = 0.0
    date_from: date | None = None
    date_to: date | None = None
    anchor: date = DEFAULT_ANCHOR

    def window(self, day: date) -> Window:
        return period_window(self.period, day, self.anchor)


def check_plan(plan: SamplingPlan) -> None:
    """Refuse a plan that is inconsistent in itself, naming the part that is wrong."""
    where = f"plan {plan.key!r}"
    if plan.period not in PERIODS:
        raise PlanError(f"{where}: period must be one of {', '.join(PERIODS)}; got {plan.period!r}")
    if not plan.team_ids and not plan.agent_ids:
        raise PlanError(f"{where}: name the teams or agents to review")
    if not plan.rubric_key:
        raise PlanError(f"{where}: name the rubric")
    _check_scorers(plan, where)
    _check_quota(plan.quota, where)
    if not (0.0 <= plan.triggered_share <= 1.0):
        raise PlanError(
            f"{where}: triggered share must be between 0 and 1; got {plan.triggered_share}"
        )
    if plan.triggered_share > 0 and not plan.triggers:
        raise PlanError(f"{where}: a triggered share needs at least one trigger")
    if plan.date_from and plan.date_to and plan.date_to < plan.date_from:
        raise PlanError(f"{where}: date window ends ({plan.date_to}) before it starts")
    _check_conditions_and_triggers(plan, where)


def _check_scorers(plan: SamplingPlan, where: str) -> None:
    if not plan.scorers:
        raise PlanError(f"{where}: name at least one scorer")
    seen: set[int] = set()
    for scorer in plan.scorers:
        if scorer.user_id in seen:
            raise PlanError(f"{where}: scorer {scorer.user_id} is listed twice")
        seen.add(scorer.user_id)
        if not (scorer.weight > 0 and math.isfinite(scorer.weight)):
            raise PlanError(
                f"{where}: scorer {scorer.user_id} weight must be a positive number; "
                f"got {scorer.weight!r}"
            )


def _check_quota(quota: object, where: str) -> None:
    if isinstance(quota, FixedQuota):
        if isinstance(quota.per_agent, bool) or quota.per_agent < 1:
            raise PlanError(f"{where}: quota per agent must be at least 1; got {quota.per_agent}")
        return
    if not isinstance(quota, PercentQuota):
        raise PlanError(f"{where}: quota must be a FixedQuota or a PercentQuota")
    if not (0 < quota.percent <= 100):
        raise PlanError(f"{where}: quota percent must be in (0, 100]; got {quota.percent}")
    if quota.minimum < 0:
        raise PlanError(f"{where}: quota minimum must not be negative; got {quota.minimum}")
    if quota.maximum is not None and quota.maximum < max(quota.minimum, 1):
        raise PlanError(
            f"{where}: quota maximum ({quota.maximum}) must be at least 1 and at least "
            f"the minimum ({quota.minimum})"
        )


def _check_conditions_and_triggers(plan: SamplingPlan, where: str) -> None:
    for n, condition in enumerate(plan.conditions, 1):
        if (
            condition.form == "range"
            and (condition.low is not None and condition.high is not None)
            and condition.low > condition.high
        ):
            raise PlanError(
                f"{where}: condition {n} on {condition.field!r}: low {condition.low:g} is "
                f"above high {condition.high:g}"
            )
    for n, trigger in enumerate(plan.triggers, 1):
        if trigger.op not in COMPARISONS:
            raise PlanError(
                f"{where}: trigger {n} on {trigger.metric!r}: op must be one of "
                f"{', '.join(COMPARISONS)}; got {trigger.op!r}"
            )
        if not math.isfinite(trigger.threshold):
            raise PlanError(f"{where}: trigger {n} on {trigger.metric!r}: threshold not finite")


def validate_plan(
    plan: SamplingPlan,
    known_fields: Collection[str],
    known_metrics: Collection[str] = EVIDENCE_METRICS,
) -> None:
    """``check_plan`` plus: every condition names a known field (``CALL_FIELDS`` or one of
    ``known_fields``, the imported metadata fields) and every trigger a known metric."""
    check_plan(plan)
    fields = set(CALL_FIELDS) | set(known_fields)
    for n, condition in enumerate(plan.conditions, 1):
        if condition.field not in fields:
            raise PlanError(
                f"plan {plan.key!r}: condition {n} is on the unknown field "
                f"{condition.field!r}; known fields: {', '.join(sorted(fields))}"
            )
    for n, trigger in enumerate(plan.triggers, 1):
        if trigger.metric not in known_metrics:
            raise PlanError(
                f"plan {plan.key!r}: trigger {n} is on the unknown metric "
                f"{trigger.metric!r}; known metrics: {', '.join(sorted(known_metrics))}"
            )


def quota_for(quota: Quota, eligible_calls: int) -> int:
    """Draws wanted for an agent with ``eligible_calls`` calls in the period (may exceed
    what exists: the shortfall is reported, not hidden)."""
    if isinstance(quota, FixedQuota):
        return quota.per_agent
    wanted = math.floor(quota.percent / 100.0 * eligible_calls + 0.5)  # round half up
    wanted = max(wanted, quota.minimum)
    return wanted if quota.maximum is None else min(wanted, quota.maximum)


def may_want_more(quota: Quota, active: int, calls_at_most: int | None = None) -> bool:
    """Whether an agent with ``active`` assignments of the plan in a period could be due
    another draw, knowing they have at most ``calls_at_most`` eligible calls in it (None:
    unknown). False once ``active`` fills the quota those calls could ask for (a fixed
    quota; a percentage of at most that many calls, or its maximum): ``draw`` would draw
    nothing for them, so a run need not read their calls. A percentage never asks more of
    fewer calls, and a run during the period never more than the whole period."""
    if isinstance(quota, FixedQuota):
        return active < quota.per_agent
    if calls_at_most is not None:
        return active < quota_for(quota, calls_at_most)
    return quota.maximum is None or active < quota.maximum


# ---------------------------------------------------------------- calls and results


@dataclass(frozen=True)
class SampleCall:
    """One call as the sampler sees it. ``meta``: imported metadata fields (direction,
    queue, ...). ``evidence``: listening and text metrics by name (None: not measured).
    ``team_id``: the agent's team."""

    call_id: int
    agent_id: int
    started_at: datetime
    duration_s: float
    team_id: int | None = None
    meta: Mapping[str, Scalar | None] = field(default_factory=dict)
    evidence: Mapping[str, float | None] = field(default_factory=dict)

    def value(self, name: str) -> object:
        return self.duration_s if name == "duration_s" else self.meta.get(name)


@dataclass(frozen=True)
class Assignment:
    """A call to be reviewed by a scorer: ``reason`` is "random" or the matching trigger's
    label; ``due`` the day it should be reviewed by (``spread_due_days``). ``active``
    False: replaced or withdrawn (the call is still never drawn again, but no longer
    counts toward the quota)."""

    plan_key: str
    period_start: date
    call_id: int
    agent_id: int
    scorer_id: int
    reason: str
    due: date
    active: bool = True

    @property
    def triggered(self) -> bool:
        return self.reason != RANDOM


@dataclass(frozen=True)
class Shortfall:
    """An agent whose quota could not be met: ``wanted`` new draws, ``drawn`` made."""

    agent_id: int
    wanted: int
    drawn: int
    reason: str


@dataclass(frozen=True)
class DrawResult:
    """New assignments (in agent, time order), shortfalls, and the seed that reproduces it."""

    assignments: tuple[Assignment, ...]
    shortfalls: tuple[Shortfall, ...]
    seed: int

    @property
    def warnings(self) -> list[str]:
        return [s.reason for s in self.shortfalls]


# ---------------------------------------------------------------- drawing


def _eligible(plan: SamplingPlan, call: SampleCall, period: Window) -> bool:
    if call.agent_id not in plan.agent_ids and (
        call.team_id is None or call.team_id not in plan.team_ids
    ):
        return False
    if not period.contains(call.started_at):
        return False
    day = call.started_at.date()
    if plan.date_from is not None and day < plan.date_from:
        return False
    if plan.date_to is not None and day > plan.date_to:
        return False
    return all(c.holds(call.value(c.field)) for c in plan.conditions)


def _eligibility(plan: SamplingPlan, period: Window) -> Callable[[SampleCall], bool]:
    """``_eligible`` for many calls: the same test with the plan's day range worked out
    once (a week at scale is 100,000 calls)."""
    first = max(period.start, plan.date_from or period.start)
    last = min(period.last_day, plan.date_to or period.last_day)
    agent_ids, team_ids, conditions = plan.agent_ids, plan.team_ids, plan.conditions

    def eligible(call: SampleCall) -> bool:
        if call.agent_id not in agent_ids and call.team_id not in team_ids:
            return False
        if not first <= call.started_at.date() <= last:
            return False
        return all(c.holds(call.value(c.field)) for c in conditions)

    return eligible


def _positions(period: Window, calls: Sequence[SampleCall]) -> np.ndarray:
    """``period.position`` of each call's start, as an array."""
    start = datetime.combine(period.start, time())
    span = period.days * 86400.0
    return np.fromiter(
        ((c.started_at.replace(tzinfo=None) - start).total_seconds() / span for c in calls),
        dtype=float,
        count=len(calls),
    )


def _trigger_label(plan: SamplingPlan, call: SampleCall) -> str | None:
    """The first trigger (in plan order) the call matches, or None."""
    for trigger in plan.triggers:
        if trigger.matches(call.evidence.get(trigger.metric)):
            return trigger.label
    return None


def _due(quota: Quota, calls: int, horizon: float) -> tuple[int, float]:
    """(draws due by now, share of the period open for drawing) for an agent with
    ``calls`` eligible calls so far when ``horizon`` (0–1) of the period has passed."""
    if horizon >= 1.0:
        return quota_for(quota, calls), 1.0
    if isinstance(quota, FixedQuota):
        ended = math.floor(quota.per_agent * horizon + 1e-9)  # strata that have ended
        return ended, max(ended / quota.per_agent, 1e-12)
    due = math.floor(quota.percent / 100.0 * calls + 0.5)
    due = max(due, math.floor(quota.minimum * horizon + 1e-9))
    due = due if quota.maximum is None else min(due, quota.maximum)
    return due, max(horizon, 1e-12)


def _new_seed() -> int:
    return int(np.random.SeedSequence().entropy) % (2**63)  # type: ignore[arg-type]


def _spread_pick(
    rng: np.random.Generator,
    positions: np.ndarray,
    candidates: list[int],
    taken: list[float],
    k: int,
    n_strata: int,
) -> list[int]:
    """Pick up to ``k`` of ``candidates`` (indexes into ``positions``, each in [0, 1)) so
    picks fall in strata of [0, 1) cut into ``n_strata`` that hold nothing from ``taken``;
    then, with strata used up, the candidate farthest from every pick so far."""
    if k <= 0 or not candidates:
        return []
    n_strata = max(n_strata, 1)
    pool = list(candidates)
    cand_pos = positions[pool]
    strata = np.clip((cand_pos * n_strata).astype(np.int64), 0, n_strata - 1)
    occupied = {min(max(int(p * n_strata), 0), n_strata - 1) for p in taken}
    by_stratum: dict[int, list[int]] = defaultdict(list)
    for idx, s in zip(pool, strata.tolist(), strict=True):
        if s not in occupied:
            by_stratum[s].append(idx)
    free = sorted(by_stratum)
    if len(free) > k:
        free = sorted(rng.choice(free, size=k, replace=False).tolist())
    picks = [by_stratum[s][int(rng.integers(len(by_stratum[s])))] for s in free]
    chosen = set(picks)
    marks = [*taken, *positions[picks].tolist()]
    remaining = [i for i in pool if i not in chosen]
    while len(picks) < k and remaining:
        rest = positions[remaining]
        if marks:
            gaps = np.min(np.abs(rest[:, None] - np.asarray(marks)[None, :]), axis=1)
            best = np.flatnonzero(gaps >= gaps.max() - 1e-12)
        else:
            best = np.arange(len(remaining))
        at = int(best[int(rng.integers(len(best)))])
        picks.append(remaining.pop(at))
        marks.append(float(rest[at]))
    return picks


def _eligible_scorers(scorers: Sequence[Scorer], agent_id: int) -> list[Scorer]:
    return [s for s in scorers if s.user_id != agent_id]


def _place_scorers(
    rng: np.random.Generator,
    drawn: list[tuple[SampleCall, str]],
    scorers: Sequence[Scorer],
    load: dict[int, int],
) -> list[tuple[SampleCall, str, int | None]]:
    """Give each drawn call a scorer: smallest (load + 1) / weight among those allowed,
    ties at random; the most constrained calls first."""
    order = rng.permutation(len(drawn)).tolist()
    order.sort(key=lambda i: len(_eligible_scorers(scorers, drawn[i][0].agent_id)))
    placed: dict[int, int | None] = {}
    for i in order:
        allowed = _eligible_scorers(scorers, drawn[i][0].agent_id)
        if not allowed:
            placed[i] = None
            continue
        costs = np.array([(load[s.user_id] + 1) / s.weight for s in allowed])
        best = np.flatnonzero(costs <= costs.min() * (1 + 1e-12))
        scorer = allowed[int(best[int(rng.integers(len(best)))])]
        load[scorer.user_id] += 1
        placed[i] = scorer.user_id
    return [(call, reason, placed[i]) for i, (call, reason) in enumerate(drawn)]


def _with_due_days(
    new: list[Assignment],
    mine: list[Assignment],
    by_agent: Mapping[int, list[SampleCall]],
    period: Window,
    not_before: date | None,
) -> list[Assignment]:
    """``new`` with due days spread over the period per scorer (``spread_due_days``): each
    scorer's active assignments of the period so far (``mine``, which keep their days) and
    new ones are put in call time order and the new ones take their slots."""
    started = {c.call_id: c.started_at for calls in by_agent.values() for c in calls}
    per_scorer: dict[int, list[tuple[datetime, int, int | None]]] = defaultdict(list)
    for a in mine:
        at = started.get(a.call_id, datetime.combine(a.due, time()))
        per_scorer[a.scorer_id].append((at, a.call_id, None))
    for n, a in enumerate(new):
        per_scorer[a.scorer_id].append((started[a.call_id], a.call_id, n))
    due = [a.due for a in new]
    for items in per_scorer.values():
        items.sort(key=lambda item: (item[0], item[1]))
        days = spread_due_days(period, [at.date() for at, _, _ in items], not_before)
        for (_, _, slot), day in zip(items, days, strict=True):
            if slot is not None:
                due[slot] = day
    return [_dataclass_replace(a, due=day) for a, day in zip(new, due, strict=True)]


def draw(
    plan: SamplingPlan,
    calls: Iterable[SampleCall],
    scorers: Sequence[Scorer] | None,
    already_reviewed: Collection[int],
    in_calibration: Collection[int],
    period: Window,
    seed: int | None = None,
    existing_assignments: Iterable[Assignment] = (),
    as_of: datetime | None = None,
) -> DrawResult:
    """New assignments of ``plan`` for ``period`` (see the module docstring for the rules).

    ``calls``: the period's calls (others are ignored). ``scorers``: who may be assigned
    now (None: the plan's; pass the plan's scorers minus those who left). Call ids in
    ``already_reviewed``, ``in_calibration`` or any of ``existing_assignments`` are not
    drawn; this plan's active assignments in ``period`` count toward its quotas. ``seed``
    None picks a fresh one, returned in the result so the draw can be repeated.

    ``as_of`` (a run while the period is still going, as calls arrive): draw only what the
    elapsed part of the period is due, so the sample is not all from its first days. A
    fixed quota q draws one call per time stratum (a q-th of the period) once the stratum
    has ended; a percentage draws round(percent × calls so far), the minimum growing in
    step with the elapsed share; both spread over the elapsed part. Shortfalls are
    reported only once the period is over (as_of None or at or past its end).
    """
    check_plan(plan)
    scorers = tuple(plan.scorers if scorers is None else scorers)
    seed = _new_seed() if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    existing = list(existing_assignments)
    blocked = set(already_reviewed) | set(in_calibration) | {a.call_id for a in existing}
    mine = [
        a
        for a in existing
        if a.active and a.plan_key == plan.key and a.period_start == period.start
    ]
    have: dict[int, list[Assignment]] = defaultdict(list)
    load: dict[int, int] = {s.user_id: 0 for s in scorers}
    for a in mine:
        have[a.agent_id].append(a)
        if a.scorer_id in load:
            load[a.scorer_id] += 1
    by_agent: dict[int, list[SampleCall]] = defaultdict(list)
    eligible = _eligibility(plan, period)
    for call in calls:
        if eligible(call):
            by_agent[call.agent_id].append(call)

    horizon = 1.0 if as_of is None else min(max(period.position(as_of), 0.0), 1.0)
    drawn: list[tuple[SampleCall, str]] = []
    shortfalls: list[Shortfall] = []
    for agent_id in sorted(by_agent.keys() | have.keys()):
        unsorted = by_agent.get(agent_id, [])
        quota, closed = _due(plan.quota, len(unsorted), horizon)
        previous = have.get(agent_id, [])
        wanted = quota - len(previous)
        if wanted <= 0:
            continue
        agent_calls = sorted(unsorted, key=lambda c: (c.started_at, c.call_id))
        # Positions in the part of the period open for drawing, scaled to [0, 1).
        positions = _positions(period, agent_calls) / closed
        open_idx = [
            i for i, c in enumerate(agent_calls) if c.call_id not in blocked and positions[i] < 1.0
        ]
        at = {c.call_id: i for i, c in enumerate(agent_calls)} if previous else {}
        taken_all = [float(positions[at[a.call_id]]) for a in previous if a.call_id in at]
        taken_trig = [
            float(positions[at[a.call_id]]) for a in previous if a.triggered and a.call_id in at
        ]
        reserved = math.floor(quota * plan.triggered_share + 0.5) if plan.triggers else 0
        want_trig = min(max(reserved - sum(a.triggered for a in previous), 0), wanted)
        labels = {i: _trigger_label(plan, agent_calls[i]) for i in open_idx} if want_trig else {}
        triggered_idx = [i for i, label in labels.items() if label is not None]
        picks_trig = _spread_pick(
            rng, positions, triggered_idx, taken_trig, want_trig, max(reserved, 1)
        )
        chosen = set(picks_trig)
        rest = [i for i in open_idx if i not in chosen]
        picks_rand = _spread_pick(
            rng,
            positions,
            rest,
            taken_all + positions[picks_trig].tolist(),
            wanted - len(picks_trig),
            quota,
        )
        for i in sorted(picks_trig):
            drawn.append((agent_calls[i], labels.get(i) or RANDOM))
        for i in sorted(picks_rand):
            drawn.append((agent_calls[i], RANDOM))
        got = len(picks_trig) + len(picks_rand)
        if got < wanted and horizon >= 1.0:
            shortfalls.append(
                Shortfall(
                    agent_id,
                    wanted,
                    got,
                    f"agent {agent_id}: quota {quota} in the period from {period.start} "
                    f"needs {wanted} more call(s) but only {got} eligible call(s) are left "
                    f"to draw ({len(agent_calls)} match the plan, "
                    f"{len(agent_calls) - len(open_idx)} already reviewed, in calibration "
                    f"or assigned)",
                )
            )

    placed = _place_scorers(rng, drawn, scorers, load)
    assignments: list[Assignment] = []
    unplaced: dict[int, int] = defaultdict(int)
    for call, reason, scorer_id in placed:
        if scorer_id is None:
            unplaced[call.agent_id] += 1
            continue
        assignments.append(
            Assignment(
                plan.key,
                period.start,
                call.call_id,
                call.agent_id,
                scorer_id,
                reason,
                period.last_day,
            )
        )
    assignments = _with_due_days(
        assignments, mine, by_agent, period, None if as_of is None else as_of.date()
    )
    for agent_id, count in sorted(unplaced.items()):
        shortfalls.append(
            Shortfall(
                agent_id,
                count,
                0,
                f"agent {agent_id}: {count} drawn call(s) have no scorer: the only scorers "
                f"available are the agent themselves",
            )
        )
    return DrawResult(tuple(assignments), tuple(shortfalls), seed)


@dataclass(frozen=True)
class Replacement:
    """The substitute (None when no call matches the same rule) and why."""

    assignment: Assignment | None
    message: str
    seed: int


def replace(
    plan: SamplingPlan,
    assignment: Assignment,
    calls: Iterable[SampleCall],
    already_reviewed: Collection[int],
    in_calibration: Collection[int],
    period: Window,
    seed: int | None = None,
    existing_assignments: Iterable[Assignment] = (),
) -> Replacement:
    """A substitute for ``assignment``: a call of the same agent in the same period that
    matches the same rule (the same trigger, or any eligible call for "random"), for the
    same scorer, as close in time as the plan's spread allows: a random call from the
    replaced call's stratum, else the nearest in time. The replaced call is never drawn
    again (it is in ``existing_assignments`` or excluded here all the same)."""
    check_plan(plan)
    seed = _new_seed() if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    existing = list(existing_assignments)
    blocked = (
        set(already_reviewed)
        | set(in_calibration)
        | {a.call_id for a in existing}
        | {assignment.call_id}
    )
    agent_calls = sorted(
        (c for c in calls if c.agent_id == assignment.agent_id and _eligible(plan, c, period)),
        key=lambda c: (c.started_at, c.call_id),
    )
    replaced = next((c for c in agent_calls if c.call_id == assignment.call_id), None)
    candidates = [
        c
        for c in agent_calls
        if c.call_id not in blocked
        and (assignment.reason == RANDOM or _trigger_label(plan, c) == assignment.reason)
    ]
    rule = "any call the plan accepts" if assignment.reason == RANDOM else assignment.reason
    if not candidates:
        return Replacement(
            None,
            f"no other call of agent {assignment.agent_id} in this period matches {rule}",
            seed,
        )
    quota = max(quota_for(plan.quota, len(agent_calls)), 1)
    positions = np.array([period.position(c.started_at) for c in candidates])
    if replaced is not None:
        at = period.position(replaced.started_at)
        stratum = min(int(at * quota), quota - 1)
        same = np.flatnonzero(np.clip((positions * quota).astype(int), 0, quota - 1) == stratum)
        if same.size == 0:
            gaps = np.abs(positions - at)
            same = np.flatnonzero(gaps <= gaps.min() + 1e-12)
    else:
        same = np.arange(len(candidates))
    call = candidates[int(same[int(rng.integers(len(same)))])]
    substitute = _dataclass_replace(
        assignment, call_id=call.call_id, active=True, reason=assignment.reason
    )
    return Replacement(substitute, f"drawn to replace call {assignment.call_id}: {rule}", seed)


@dataclass(frozen=True)
class Reassignment:
    """Open assignments moved off a scorer (``moved``, with their new scorer) and those no
    remaining scorer may take (``unplaced``: the only others are the calls' own agents)."""

    moved: tuple[Assignment, ...]
    unplaced: tuple[Assignment, ...]
    seed: int


def reassign(
    open_assignments: Sequence[Assignment],
    scorers: Sequence[Scorer],
    load: Mapping[int, int] | None = None,
    seed: int | None = None,
) -> Reassignment:
    """Hand ``open_assignments`` (a departing scorer's, say) to ``scorers`` (those who
    remain) by the draw's rule: smallest (load + 1) / weight, never the call's own agent,
    starting from each scorer's current open ``load``. Nothing is lost: what cannot be
    placed comes back in ``unplaced``."""
    seed = _new_seed() if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    counts = {s.user_id: int((load or {}).get(s.user_id, 0)) for s in scorers}
    by_call = {a.call_id: a for a in open_assignments}
    stand_ins = [
        (SampleCall(a.call_id, a.agent_id, datetime.min, 0.0), a.reason) for a in open_assignments
    ]
    moved: list[Assignment] = []
    unplaced: list[Assignment] = []
    for call, _, scorer_id in _place_scorers(rng, stand_ins, scorers, counts):
        original = by_call[call.call_id]
        if scorer_id is None:
            unplaced.append(original)
        else:
            moved.append(_dataclass_replace(original, scorer_id=scorer_id))
    return Reassignment(tuple(moved), tuple(unplaced), seed)


# ---------------------------------------------------------------- storing a plan


def plan_to_dict(plan: SamplingPlan) -> dict[str, object]:
    """The plan as plain JSON data (``plan_from_dict`` reads it back); ids sorted."""
    quota: dict[str, object]
    if isinstance(plan.quota, FixedQuota):
        quota = {"per_agent": plan.quota.per_agent}
    else:
        quota = {
            "percent": plan.quota.percent,
            "minimum": plan.quota.minimum,
            "maximum": plan.quota.maximum,
        }
    conditions = []
    for c in plan.conditions:
        item: dict[str, object] = {"field": c.field}
        if c.equals is not None:
            item["equals"] = c.equals
        if c.one_of is not None:
            item["one_of"] = list(c.one_of)
        if c.low is not None:
            item["low"] = c.low
        if c.high is not None:
            item["high"] = c.high
        conditions.append(item)
    return {
        "key": plan.key,
        "rubric_key": plan.rubric_key,
        "period": plan.period,
        "quota": quota,
        "scorers": [{"user_id": s.user_id, "weight": s.weight} for s in plan.scorers],
        "team_ids": sorted(plan.team_ids),
        "agent_ids": sorted(plan.agent_ids),
        "conditions": conditions,
        "triggers": [
            {"metric": t.metric, "op": t.op, "threshold": t.threshold} for t in plan.triggers
        ],
        "triggered_share": plan.triggered_share,
        "date_from": plan.date_from.isoformat() if plan.date_from else None,
        "date_to": plan.date_to.isoformat() if plan.date_to else None,
        "anchor": plan.anchor.isoformat(),
    }


def _day(value: object, where: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise PlanError(f"{where} must be a date (YYYY-MM-DD); got {value!r}") from exc


def _ids(value: object, where: str) -> frozenset[int]:
    if not isinstance(value, list | tuple):
        raise PlanError(f"{where} must be a list of ids; got {value!r}")
    if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise PlanError(f"{where} must hold whole-number ids; got {list(value)!r}")
    return frozenset(value)


def plan_from_dict(data: Mapping[str, object]) -> SamplingPlan:
    """A plan from ``plan_to_dict``'s shape; a missing or malformed part raises a
    ``PlanError`` naming it. The result still goes through ``check_plan``."""
    try:
        key = str(data["key"])
        quota_data = data["quota"]
        if not isinstance(quota_data, Mapping):
            raise PlanError(f"plan {key!r}: quota must be a table")
        quota: Quota
        if "per_agent" in quota_data:
            quota = FixedQuota(int(quota_data["per_agent"]))
        else:
            maximum = quota_data.get("maximum")
            quota = PercentQuota(
                float(quota_data["percent"]),
                int(quota_data.get("minimum") or 0),
                None if maximum is None else int(maximum),
            )
        scorers = tuple(
            Scorer(int(s["user_id"]), float(s.get("weight", 1.0)))
            for s in data.get("scorers") or ()  # type: ignore[attr-defined]
        )
        conditions = tuple(
            Condition(
                str(c["field"]),
                c.get("equals"),
                None if c.get("one_of") is None else tuple(c["one_of"]),
                None if c.get("low") is None else float(c["low"]),
                None if c.get("high") is None else float(c["high"]),
            )
            for c in data.get("conditions") or ()  # type: ignore[attr-defined]
        )
        triggers = tuple(
            Trigger(str(t["metric"]), t["op"], float(t["threshold"]))
            for t in data.get("triggers") or ()  # type: ignore[attr-defined]
        )
        plan = SamplingPlan(
            key=key,
            rubric_key=str(data["rubric_key"]),
            period=data["period"],  # type: ignore[arg-type]
            quota=quota,
            scorers=scorers,
            team_ids=_ids(data.get("team_ids") or [], f"plan {key!r}: team_ids"),
            agent_ids=_ids(data.get("agent_ids") or [], f"plan {key!r}: agent_ids"),
            conditions=conditions,
            triggers=triggers,
            triggered_share=float(data.get("triggered_share") or 0.0),  # type: ignore[arg-type]
            date_from=_day(data.get("date_from"), f"plan {key!r}: date_from"),
            date_to=_day(data.get("date_to"), f"plan {key!r}: date_to"),
            anchor=_day(data.get("anchor"), f"plan {key!r}: anchor") or DEFAULT_ANCHOR,
        )
    except PlanError:
        raise
    except KeyError as exc:
        raise PlanError(f"a stored plan is missing {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise PlanError(f"a stored plan is malformed: {exc}") from exc
    check_plan(plan)
    return plan


# ---------------------------------------------------------------- the editor's line syntax


def _scalar(text: str) -> Scalar:
    """A quoted string as is, a number as a number, anything else as text."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise PlanError(f"{where}: {text.strip()!r} is not a number") from exc
    if not math.isfinite(value):
        raise PlanError(f"{where}: {text.strip()!r} is not a finite number")
    return value


def parse_condition(line: str, where: str = "condition") -> Condition:
    """One condition as a person writes it (``Condition.describe`` writes the same):
    ``direction = inbound``, ``queue in billing, sales``, ``60 <= duration_s <= 600``,
    ``duration_s >= 60`` or ``duration_s <= 600``."""
    text = line.strip()
    parts = [p.strip() for p in text.split("<=")]
    if len(parts) == 3:
        return Condition(parts[1], low=_number(parts[0], where), high=_number(parts[2], where))
    if ">=" in text:
        name, value = text.split(">=", 1)
        return Condition(name.strip(), low=_number(value, where))
    if len(parts) == 2:
        if isinstance(_scalar(parts[0]), int | float):  # "60 <= duration_s"
            return Condition(parts[1], low=_number(parts[0], where))
        return Condition(parts[0], high=_number(parts[1], where))
    if " in " in text:
        name, values = text.split(" in ", 1)
        items = [v for v in values.strip().strip("[]").split(",") if v.strip()]
        if not items:
            raise PlanError(f"{where}: {text!r} lists no values after 'in'")
        return Condition(name.strip(), one_of=tuple(_scalar(v) for v in items))
    if "=" in text:
        name, value = text.split("=", 1)
        return Condition(name.strip(), equals=_scalar(value))
    raise PlanError(
        f"{where}: {text!r} is not a condition; write e.g. 'direction = inbound', "
        "'queue in billing, sales' or '60 <= duration_s <= 600'"
    )


def parse_trigger(line: str, where: str = "trigger") -> Trigger:
    """One trigger as ``Trigger.label`` writes it: ``interruptions >= 3``."""
    text = line.strip()
    for op in (">=", "<=", "==", ">", "<"):  # two-character operators first
        if op in text:
            metric, threshold = text.split(op, 1)
            return Trigger(metric.strip(), op, _number(threshold, where))
    raise PlanError(
        f"{where}: {text!r} is not a trigger; write a metric, one of "
        f"{', '.join(COMPARISONS)} and a number, e.g. 'interruptions >= 3'"
    )
