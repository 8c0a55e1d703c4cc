"""Sampling plans, their runs and the assignments they make: the services around the pure
rules of ``scoring.sampling``.

A run reads the period's calls (with their listening evidence and metadata), what is
already reviewed, in calibration or assigned, calls ``draw`` and inserts the new
assignments with ON CONFLICT DO NOTHING on the one-active-assignment-per-plan-and-call
index. Two runs of one plan take turns: each starts by bumping the plan's ``run_count``,
a row write that holds the row (PostgreSQL) or the database (SQLite) until it commits,
so the second reads what the first inserted and draws nothing twice.

Who may do what: ``db.access`` (``can_manage_plan``/``plan_filter`` for plans,
``can_see_assignment``/``assignment_filter`` for assignments).
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from statistics import stdev
from typing import Any

import pandas as pd
from sqlalchemy import String, bindparam, func, or_, type_coerce, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from db.access import (
    AccessDenied,
    Actor,
    NotFound,
    assignment_filter,
    can_change_assignment,
    can_manage_plan,
    can_score_call,
    current_actor,
    plan_filter,
    require_role,
)
from db.cache import bump_data_version, cached_by_data_version
from db.engine import read_scope, session_scope
from db.models import (
    AssignmentRow,
    AssignmentStatus,
    CalibrationCall,
    Call,
    Evaluation,
    ListeningReportRow,
    Purpose,
    Role,
    SamplingPlanRow,
    SamplingRun,
    Status,
    Team,
    TextEvidenceRow,
    User,
    utcnow,
)
from db.models import Rubric as RubricRow
from db.queries.calls import known_fields
from db.services.audit import record_audit
from db.services.queue import Drafting, drafts_and_others
from scoring.days import day_start, today_in
from scoring.errors import Conflict, Invalid
from scoring.sampling import (
    CALL_FIELDS,
    Assignment,
    PercentQuota,
    SampleCall,
    SamplingPlan,
    Scorer,
    Window,
    draw,
    expected_by,
    may_want_more,
    plan_from_dict,
    plan_to_dict,
    quota_for,
    reassign,
    replace,
    validate_plan,
)
from scoring.text import REASON_MAX, clean_text
from scoring.text_evidence import TEXT_METRICS
from scoring.uncertainty import Precision, quota_precision

# Evidence metrics a trigger may name, and the column each reads: listening report
# columns, then the text evidence counts of the call's transcript.
METRIC_COLUMNS: dict[str, str] = {
    "talk_share": "talk_share",
    "interruptions": "interruptions",
    "backchannels": "backchannels",
    "long_silences": "long_silences",
    "longest_agent_turn": "longest_agent_turn",
    "response_gaps": "response_gap_median",
    "overtalk": "overtalk",
}
KNOWN_METRICS: tuple[str, ...] = (*METRIC_COLUMNS, *TEXT_METRICS)
AD_HOC = "ad hoc"
SPREAD_DAYS = 90  # "the spread of scores seen so far": totals of this many days
ACTIVE = (AssignmentStatus.open, AssignmentStatus.done)


# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class PlanView:
    id: int
    key: str
    title: str
    active: bool
    team_id: int | None
    seed: int
    plan: SamplingPlan
    created_by: int


@dataclass(frozen=True)
class RunResult:
    plan_id: int
    run_id: int
    period_start: date
    period_end: date
    seed: int
    created: int
    skipped: int
    shortfalls: list[str]


@dataclass(frozen=True)
class AssignmentView:
    id: int
    plan_id: int | None
    plan_title: str
    call_id: int
    external_id: str
    agent_id: int
    agent: str
    scorer_id: int
    scorer: str
    started_at: datetime
    duration_s: float
    due_at: datetime | None
    reason: str
    status: str
    ad_hoc: bool
    note: str
    replaced_by: int | None
    evaluation_id: int | None
    draft_id: int | None = None
    others: tuple[Drafting, ...] = ()  # other scorers' drafts of the call (My assignments)


@dataclass(frozen=True)
class MyAssignments:
    """A scorer's open assignments by when they are due, and their own drafts."""

    overdue: list[AssignmentView]
    due_today: list[AssignmentView]
    upcoming: list[AssignmentView]
    drafts: list[tuple[int, int, str]]  # (evaluation id, call id, call external id)
    scorers: list[tuple[int, str]] = field(default_factory=list)  # scorer_choices, same read

    @property
    def counts(self) -> dict[str, int]:
        return {
            "Overdue": len(self.overdue),
            "Due today": len(self.due_today),
            "Upcoming": len(self.upcoming),
            "Your drafts": len(self.drafts),
        }


@dataclass(frozen=True)
class PlanProgress:
    """A plan's period: cumulative progress per scorer per day (charts PROGRESS_COLUMNS),
    totals per scorer and per agent (PROGRESS_TOTAL_COLUMNS), the assignments, and what
    the quota buys with the spread of totals seen so far."""

    plan: PlanView
    window: Window
    daily: pd.DataFrame
    by_scorer: pd.DataFrame
    by_agent: pd.DataFrame
    assignments: list[AssignmentView]
    score_sd: float | None
    scored_n: int
    precision: Precision | None
    unplaced: int = 0  # open assignments whose scorer has left: to reassign
    totals: dict[str, int] = field(default_factory=dict)
    unplaced_ids: list[int] = field(default_factory=list)


# ---------------------------------------------------------------- plans


def _plan_view(row: SamplingPlanRow) -> PlanView:
    assert row.id is not None
    return PlanView(
        row.id,
        row.key,
        row.title,
        row.active,
        row.team_id,
        row.seed,
        plan_from_dict(row.definition),
        row.created_by,
    )


def _check_people(session: Session, actor: Actor, plan: SamplingPlan) -> set[int | None]:
    """Teams, agents and scorers exist and are within the actor's reach; returns the teams
    the plan reviews."""
    where = f"plan {plan.key!r}"
    for team_id in sorted(plan.team_ids):
        if session.get(Team, team_id) is None:
            raise Invalid(f"{where}: team {team_id} does not exist")
        if not actor.is_admin and team_id != actor.team_id:
            raise AccessDenied(f"{where}: a supervisor plans for their own team only")
    reviewed_teams: set[int | None] = set(plan.team_ids)
    for agent_id in sorted(plan.agent_ids):
        agent = session.get(User, agent_id)
        if agent is None or agent.role != Role.agent:
            raise Invalid(f"{where}: user {agent_id} is not an agent")
        if not actor.is_admin and agent.team_id != actor.team_id:
            raise AccessDenied(f"{where}: agent {agent.display_name} is not in your team")
        reviewed_teams.add(agent.team_id)
    for scorer in plan.scorers:
        user = session.get(User, scorer.user_id)
        if user is None or not user.active or user.role not in (Role.admin, Role.supervisor):
            raise Invalid(f"{where}: scorer {scorer.user_id} is not an active supervisor or admin")
        if user.role == Role.supervisor and reviewed_teams - {user.team_id}:
            raise Invalid(
                f"{where}: scorer {user.display_name} may score only their own team's calls; "
                f"the plan reviews other teams"
            )
    return reviewed_teams


def save_plan(
    actor: Actor, title: str, plan: SamplingPlan, plan_id: int | None = None, active: bool = True
) -> PlanView:
    """Create (``plan_id`` None) or edit a plan. Admins plan for any teams, a supervisor
    for their own. The plan is validated (``validate_plan``) against the metadata fields
    calls carry and ``KNOWN_METRICS``: unknown fields are refused with the field named."""
    require_role(actor, Role.admin, Role.supervisor)
    title = clean_text(title, "plan title", 200)
    if not title:
        raise Invalid("Give the plan a title.")
    with session_scope() as session:
        actor = current_actor(session, actor)
        validate_plan(plan, known_fields(session), KNOWN_METRICS)
        if (
            session.exec(select(RubricRow.id).where(RubricRow.key == plan.rubric_key)).first()
            is None
        ):
            raise Invalid(f"plan {plan.key!r}: no rubric with the key {plan.rubric_key!r}")
        teams = _check_people(session, actor, plan)
        # A plan within one team is that team's: its supervisors follow it too.
        owner = (
            actor.team_id
            if not actor.is_admin
            else (next(iter(teams)) if len(teams) == 1 else None)
        )
        clash = session.exec(
            select(SamplingPlanRow.id).where(SamplingPlanRow.key == plan.key)
        ).first()
        if clash is not None and clash != plan_id:
            raise Conflict(f"A plan with the key {plan.key!r} exists already.")
        if plan_id is None:
            row = SamplingPlanRow(
                key=plan.key,
                title=title,
                definition=plan_to_dict(plan),
                team_id=owner,
                created_by=actor.id,
                active=active,
                seed=secrets.randbits(62),
            )
            before = None
        else:
            found = session.get(SamplingPlanRow, plan_id)
            if found is None or not can_manage_plan(actor, found):
                raise NotFound(f"Plan {plan_id} was not found or is not yours to edit.")
            row = found
            before = {"definition": row.definition, "title": row.title, "active": row.active}
            row.key, row.title, row.definition = plan.key, title, plan_to_dict(plan)
            row.active, row.updated_at, row.team_id = active, utcnow(), owner
        session.add(row)
        session.flush()
        record_audit(
            session,
            actor,
            "save_plan",
            "sampling_plan",
            row.id,
            before=before,
            after={"definition": row.definition, "title": title, "active": active},
        )
        return _plan_view(row)


def list_plans(actor: Actor) -> list[PlanView]:
    require_role(actor, Role.admin, Role.supervisor)
    with read_scope() as session:
        actor = current_actor(session, actor)
        rows = session.exec(
            select(SamplingPlanRow).where(plan_filter(actor)).order_by(SamplingPlanRow.title)
        ).all()
        return [_plan_view(r) for r in rows]


def get_plan(actor: Actor, plan_id: int) -> PlanView:
    with read_scope() as session:
        actor = current_actor(session, actor)
        row = session.get(SamplingPlanRow, plan_id)
        if row is None or not can_manage_plan(actor, row):
            raise NotFound(f"Plan {plan_id} was not found or is not yours to open.")
        return _plan_view(row)


# ---------------------------------------------------------------- running a plan


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _lock_plan(session: Session, plan_id: int) -> SamplingPlanRow:
    """Bump the plan's run count first: the write makes concurrent runs take turns."""
    session.exec(
        update(SamplingPlanRow)
        .where(col(SamplingPlanRow.id) == plan_id)
        .values(run_count=SamplingPlanRow.run_count + 1)
    )
    row = session.exec(
        select(SamplingPlanRow)
        .where(SamplingPlanRow.id == plan_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound(f"Plan {plan_id} was not found.")
    return row


def _reviewed_agents(session: Session, plan: SamplingPlan) -> dict[int, int | None]:
    """agent id → team id for every agent the plan reviews."""
    conditions = []
    if plan.team_ids:
        conditions.append(col(User.team_id).in_(sorted(plan.team_ids)))
    if plan.agent_ids:
        conditions.append(col(User.id).in_(sorted(plan.agent_ids)))
    rows = session.exec(
        select(User.id, User.team_id).where(User.role == Role.agent, or_(*conditions))
    ).all()
    return {int(i): t for i, t in rows}


def _call_scope(window: Window, agents: Iterable[int], agent_id: int | None = None) -> list[Any]:
    """WHERE clauses for the period's calls of the reviewed agents (or of one agent)."""
    where = [col(Call.started_at) >= _utc(window.start), col(Call.started_at) < _utc(window.end)]
    if agent_id is not None:
        where.append(col(Call.agent_id) == agent_id)
    else:
        where.append(col(Call.agent_id).in_(sorted(agents)))
    return where


def _meta_columns(name: str, sqlite: bool) -> list[Any]:
    """One metadata field of a call, as columns. PostgreSQL hands back the JSON value
    parsed; SQLite's json_extract gives text and numbers as they are, so its JSON type
    comes first (``_json_value`` restores true, false, objects and arrays)."""
    if not sqlite:
        return [Call.meta[name]]
    path = '$."' + name + '"'
    return [func.json_type(Call.meta, path), func.json_extract(Call.meta, path)]


def _json_value(kind: str | None, value: Any) -> Any:
    """A value from SQLite's json_type and json_extract, as ``json.loads`` would give it."""
    if kind == "true":
        return True
    if kind == "false":
        return False
    if kind in ("object", "array"):
        return json.loads(value)
    return value


def _duration_range(plan: SamplingPlan) -> list[Any]:
    """The plan's duration ranges as WHERE clauses (the sampler checks them again)."""
    where = []
    for condition in plan.conditions:
        if condition.field == "duration_s" and condition.form == "range":
            if condition.low is not None:
                where.append(col(Call.duration_s) >= condition.low)
            if condition.high is not None:
                where.append(col(Call.duration_s) <= condition.high)
    return where


def _period_calls(
    session: Session,
    plan: SamplingPlan,
    scope: list[Any],
    agents: dict[int, int | None],
) -> list[SampleCall]:
    """The calls in ``scope`` as the sampler sees them; only the metadata fields and
    evidence the plan's conditions and triggers name are read, and the start time is read
    as naive UTC without the decorator: a week at scale is 100,000 rows. A duration range
    is also applied in SQL (the sampler checks every condition again)."""
    meta_fields = [c.field for c in plan.conditions if c.field not in CALL_FIELDS]
    metrics = sorted({t.metric for t in plan.triggers})
    sqlite = session.get_bind().dialect.name == "sqlite"
    started_at = (
        type_coerce(Call.started_at, String())  # ISO text, parsed below in C
        if sqlite
        else func.timezone("UTC", Call.started_at)  # naive UTC
    )
    columns: list[Any] = [Call.id, Call.agent_id, started_at, Call.duration_s]
    for name in meta_fields:
        columns += _meta_columns(name, sqlite)
    for metric in metrics:
        if metric in TEXT_METRICS:
            columns.append(getattr(TextEvidenceRow, metric))
        else:
            columns.append(getattr(ListeningReportRow, METRIC_COLUMNS[metric]))
    query = select(*columns).where(*scope, *_duration_range(plan))
    if any(m in METRIC_COLUMNS for m in metrics):
        query = query.outerjoin(ListeningReportRow, ListeningReportRow.call_id == Call.id)
    if any(m in TEXT_METRICS for m in metrics):  # no transcript: the metric is not measured
        query = query.outerjoin(TextEvidenceRow, TextEvidenceRow.call_id == Call.id)
    parse = datetime.fromisoformat
    n_meta = len(meta_fields) * (2 if sqlite else 1)
    calls = []
    for row in session.connection().execute(query).fetchall():
        call_id, agent, started, duration = row[0], row[1], row[2], row[3]
        if sqlite:
            started = parse(started)
        if not n_meta:
            meta = {}
        elif sqlite:
            meta = {
                name: _json_value(row[4 + 2 * k], row[5 + 2 * k])
                for k, name in enumerate(meta_fields)
            }
        else:
            meta = dict(zip(meta_fields, row[4 : 4 + n_meta], strict=True))
        evidence = (
            {
                m: (None if v is None else float(v))
                for m, v in zip(metrics, row[4 + n_meta :], strict=True)
            }
            if metrics
            else {}
        )
        calls.append(
            SampleCall(call_id, agent, started, duration, agents.get(agent), meta, evidence)
        )
    return calls


def _exclusions(
    session: Session, scope: list[Any]
) -> tuple[set[int], set[int], list[Assignment], dict[int, str]]:
    """Of the calls in ``scope``: reviewed (a submitted regular evaluation), in
    calibration, and every assignment on them as the sampler sees it (plan keys by id)."""
    calls = select(Call.id).where(*scope)
    connection = session.connection()
    keys = {
        int(i): k for i, k in connection.execute(select(SamplingPlanRow.id, SamplingPlanRow.key))
    }
    reviewed = set(
        connection.execute(
            select(Evaluation.call_id).where(
                col(Evaluation.call_id).in_(calls),
                Evaluation.purpose == Purpose.regular,
                Evaluation.status == Status.submitted,
            )
        ).scalars()
    )
    calibrating = set(
        connection.execute(
            select(CalibrationCall.call_id).where(col(CalibrationCall.call_id).in_(calls))
        ).scalars()
    )
    rows = connection.execute(
        select(
            AssignmentRow.plan_id,
            AssignmentRow.period_start,
            AssignmentRow.call_id,
            AssignmentRow.agent_id,
            AssignmentRow.scorer_id,
            AssignmentRow.reason,
            AssignmentRow.due_at,
            AssignmentRow.status,
        ).where(col(AssignmentRow.call_id).in_(calls))
    )
    existing = [
        Assignment(
            keys.get(plan_id, "") if plan_id is not None else "",
            period_start or date.min,
            call_id,
            agent_id,
            scorer_id,
            reason,
            ((due_at - timedelta(days=1)).date() if due_at else date.min),
            status in ACTIVE,
        )
        for plan_id, period_start, call_id, agent_id, scorer_id, reason, due_at, status in rows
    ]
    return reviewed, calibrating, existing, keys


def _active_scorers(session: Session, scorers: Iterable[Scorer]) -> list[Scorer]:
    """The plan's scorers who are still active supervisors or admins."""
    scorers = list(scorers)
    ids = [s.user_id for s in scorers]
    alive = set(
        session.exec(
            select(User.id).where(
                col(User.id).in_(ids),
                col(User.active).is_(True),
                col(User.role).in_((Role.admin, Role.supervisor)),
            )
        ).all()
    )
    return [s for s in scorers if s.user_id in alive]


def _insert_assignments(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping any that would duplicate an active assignment; returns how many
    went in."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = AssignmentRow.__table__  # type: ignore[attr-defined]
    # One statement for many parameter sets: compiled once and cached, sent in batches.
    statement = insert(table).on_conflict_do_nothing().returning(table.c.id)
    inserted = len(session.connection().execute(statement, rows).all())
    if inserted:
        bump_data_version(session)  # a bulk insert passes the flush listener by
    return inserted


def _run_seed(row: SamplingPlanRow, window: Window) -> int:
    """The plan's stored seed, moved on per period and per run: reproducible from the
    seed stored with the run."""
    return (row.seed + window.start.toordinal() * 1_000_003 + row.run_count * 7919) % (2**62)


def _run_scope(
    session: Session, plan_id: int, plan: SamplingPlan, window: Window, agents: Collection[int]
) -> list[Any]:
    """WHERE clauses for the calls a run reads: every call in the period of the agents who
    may be due another draw (``may_want_more``), and the calls this plan already assigned
    in the period (they count toward quotas, scorers' loads and due days). A rerun after
    the quotas are met reads only those."""
    assigned = select(AssignmentRow.agent_id, AssignmentRow.call_id).where(
        AssignmentRow.plan_id == plan_id,
        AssignmentRow.period_start == window.start,
        col(AssignmentRow.status).in_(ACTIVE),
    )
    have: dict[int, int] = defaultdict(int)
    for agent_id, _ in session.connection().execute(assigned):
        have[int(agent_id)] += 1
    counts: dict[int, int] = defaultdict(int)
    percent = isinstance(plan.quota, PercentQuota)
    if percent:  # calls per agent, at least the sampler's eligible ones
        counts.update(
            (int(agent_id), int(n))
            for agent_id, n in session.connection().execute(
                select(Call.agent_id, func.count(col(Call.id)))
                .where(*_call_scope(window, agents), *_duration_range(plan))
                .group_by(col(Call.agent_id))
            )
        )
    wanting = [
        a for a in agents if may_want_more(plan.quota, have[a], counts[a] if percent else None)
    ]
    if len(wanting) == len(agents):
        return _call_scope(window, wanting)
    return [
        col(Call.started_at) >= _utc(window.start),
        col(Call.started_at) < _utc(window.end),
        or_(
            col(Call.agent_id).in_(sorted(wanting)),
            col(Call.id).in_(assigned.with_only_columns(col(AssignmentRow.call_id))),
        ),
    ]


def _run_locked(
    session: Session,
    row: SamplingPlanRow,
    day: date,
    as_of: datetime | None,
    requested_by: int | None,
) -> RunResult:
    assert row.id is not None
    plan = plan_from_dict(row.definition)
    window = plan.window(day)
    agents = _reviewed_agents(session, plan)
    scope = _run_scope(session, row.id, plan, window, agents)
    calls = _period_calls(session, plan, scope, agents) if agents else []
    reviewed, calibrating, existing, _ = _exclusions(session, scope)
    seed = _run_seed(row, window)
    horizon = None if as_of is None or as_of >= _utc(window.end) else _naive(as_of)
    result = draw(
        plan,
        calls,
        _active_scorers(session, plan.scorers),
        reviewed,
        calibrating,
        window,
        seed=seed,
        existing_assignments=existing,
        as_of=horizon,
    )
    run = SamplingRun(
        plan_id=row.id,
        period_start=window.start,
        period_end=window.end,
        seed=seed,
        as_of=as_of if horizon is not None else None,
        shortfalls=result.warnings,
        requested_by=requested_by,
    )
    session.add(run)
    session.flush()
    values = [
        {
            "plan_id": row.id,
            "run_id": run.id,
            "period_start": window.start,
            "call_id": a.call_id,
            "agent_id": a.agent_id,
            "scorer_id": a.scorer_id,
            "due_at": _utc(a.due + timedelta(days=1)),  # by the end of the due day
            "reason": a.reason[:120],
            "status": AssignmentStatus.open.value,
            "note": "",
            "ad_hoc": False,
            "created_at": utcnow(),
        }
        for a in result.assignments
    ]
    created = _insert_assignments(session, values)
    run.created, run.skipped = created, len(values) - created
    session.add(run)
    assert run.id is not None
    return RunResult(
        row.id,
        run.id,
        window.start,
        window.end,
        seed,
        created,
        len(values) - created,
        result.warnings,
    )


def run_plan(
    plan_id: int,
    day: date,
    as_of: datetime | None = None,
    actor: Actor | None = None,
) -> RunResult:
    """Draw the plan's assignments for the period containing ``day``. ``as_of`` (during
    the period): only what the elapsed part is due. ``actor`` None: the scheduler."""
    with session_scope() as session:
        if actor is not None:
            actor = current_actor(session, actor)
            found = session.get(SamplingPlanRow, plan_id)
            if found is None or not can_manage_plan(actor, found):
                raise NotFound(f"Plan {plan_id} was not found or is not yours to run.")
        row = _lock_plan(session, plan_id)
        if not row.active:
            raise Conflict(f"Plan {row.title!r} is paused; activate it to run it.")
        return _run_locked(session, row, day, as_of, None if actor is None else actor.id)


def run_due_plans(now: datetime | None = None) -> list[RunResult]:
    """The scheduler's pass (a background job, every few minutes): each active plan is run
    for its current period as of now (calls that arrived since are considered) and, once,
    for its previous period after that has ended (its last draws) when the plan existed
    before that period ended: a new plan starts with the current period."""
    now = now or utcnow()
    with read_scope() as session:
        plans = session.exec(
            select(
                SamplingPlanRow.id, SamplingPlanRow.definition, SamplingPlanRow.created_at
            ).where(col(SamplingPlanRow.active).is_(True))
        ).all()
        closed = {
            (int(p), s)
            for p, s in session.exec(
                select(SamplingRun.plan_id, SamplingRun.period_start).where(
                    col(SamplingRun.as_of).is_(None)
                )
            ).all()
        }
    results = []
    today = now.astimezone(UTC).date()
    for plan_id, definition, created_at in plans:
        plan = plan_from_dict(definition)
        previous = plan.window(plan.window(today).start - timedelta(days=1))
        existed = created_at < _utc(previous.end)
        if existed and (int(plan_id), previous.start) not in closed:
            results.append(run_plan(int(plan_id), previous.start))
        results.append(run_plan(int(plan_id), today, as_of=now))
    return results


# ---------------------------------------------------------------- the scorer's work


_AGENT = User.__table__.alias("agent")  # type: ignore[attr-defined]
_SCORER = User.__table__.alias("scorer")  # type: ignore[attr-defined]


def _views_select() -> Any:
    """Assignments with their call, agent, scorer and plan (plain columns: My assignments
    reads hundreds on every run); the caller adds the conditions."""
    a = AssignmentRow
    return (
        select(  # type: ignore[call-overload]
            a.id,
            a.plan_id,
            SamplingPlanRow.title,
            a.call_id,
            Call.external_id,
            a.agent_id,
            _AGENT.c.display_name,
            a.scorer_id,
            _SCORER.c.display_name,
            Call.started_at,
            Call.duration_s,
            a.due_at,
            a.reason,
            a.status,
            a.ad_hoc,
            a.note,
            a.replaced_by,
            a.evaluation_id,
        )
        .join(Call, Call.id == a.call_id)
        .join(_AGENT, _AGENT.c.id == a.agent_id)
        .join(_SCORER, _SCORER.c.id == a.scorer_id)
        .outerjoin(SamplingPlanRow, SamplingPlanRow.id == a.plan_id)
    )


def _views_of(rows: Iterable[Any]) -> list[AssignmentView]:
    return [
        AssignmentView(i, plan_id, plan_title or AD_HOC, *rest)
        for i, plan_id, plan_title, *rest in rows
    ]


def _assignment_views(session: Session, *where: Any) -> list[AssignmentView]:
    """Assignments matching ``where`` with their call, agent, scorer and plan, by due time
    and id."""
    a = AssignmentRow
    query = _views_select().where(*where).order_by(col(a.due_at), col(a.id))
    return _views_of(session.exec(query).all())


# My assignments' statements, built once (their SQL and cache keys are reused on every run;
# the scorer is a parameter).
_MY_OPEN = (
    _views_select()
    .where(
        AssignmentRow.scorer_id == bindparam("scorer"),
        AssignmentRow.status == AssignmentStatus.open,
    )
    .order_by(col(AssignmentRow.due_at), col(AssignmentRow.id))
)


def end_of_today(now: datetime, zone: tzinfo = UTC) -> datetime:
    """The UTC instant today ends in ``zone`` (the reader's): what is due by then is due
    today, in their day, not UTC's."""
    return day_start(today_in(zone, now) + timedelta(days=1), zone)


def my_assignments(actor: Actor, now: datetime | None = None, zone: tzinfo = UTC) -> MyAssignments:
    """The actor's open assignments: overdue (due before now), due today (by the end of
    today in ``zone``, the reader's), upcoming, each with who else is drafting its call;
    their regular drafts; and the scorers they may hand work to (``scorer_choices``). One
    read: the page's lists come from one session, the actor read once."""
    require_role(actor, Role.admin, Role.supervisor)
    now = now or utcnow()
    tomorrow = end_of_today(now, zone)
    with read_scope() as session:
        actor = current_actor(session, actor)
        views = _views_of(session.exec(_MY_OPEN, params={"scorer": actor.id}).all())
        drafts, others = drafts_and_others(session, actor)  # one statement for both
        scorers = _scorer_choices(session, actor)
    by_call = {int(call_id): int(ev_id) for ev_id, call_id, _ in drafts}
    views = [
        _with_draft(v, by_call.get(v.call_id), others.get(v.call_id, ()))
        if v.call_id in by_call or v.call_id in others
        else v
        for v in views
    ]
    overdue = [v for v in views if v.due_at is not None and v.due_at <= now]
    today = [v for v in views if v.due_at is not None and now < v.due_at <= tomorrow]
    upcoming = [v for v in views if v.due_at is None or v.due_at > tomorrow]
    return MyAssignments(
        overdue, today, upcoming, [(int(e), int(c), str(x)) for e, c, x in drafts], scorers
    )


def _with_draft(
    view: AssignmentView, draft_id: int | None, others: Iterable[Drafting]
) -> AssignmentView:
    return dataclass_replace(view, draft_id=draft_id, others=tuple(others))


def assignment_counts(
    actor: Actor, now: datetime | None = None, zone: tzinfo = UTC
) -> dict[str, int]:
    """Open assignments of the actor: overdue and due by the end of today in ``zone`` (two
    counts for the overview, without loading rows)."""
    if not actor.can_score:
        return {"overdue": 0, "due_today": 0}
    now = now or utcnow()
    tomorrow = end_of_today(now, zone)
    base = select(func.count(col(AssignmentRow.id))).where(
        AssignmentRow.scorer_id == actor.id, AssignmentRow.status == AssignmentStatus.open
    )
    with read_scope() as session:
        overdue = session.exec(base.where(col(AssignmentRow.due_at) <= now)).one()
        today = session.exec(
            base.where(col(AssignmentRow.due_at) > now, col(AssignmentRow.due_at) <= tomorrow)
        ).one()
    return {"overdue": int(overdue), "due_today": int(today)}


def due_assignment_count(actor: Actor, now: datetime | None = None, zone: tzinfo = UTC) -> int:
    """Open assignments of the actor due by the end of today in ``zone`` (the reader's),
    overdue included: the count beside My assignments in the navigation. Cached until the
    data version moves (assignments move it), so a rerun costs no query."""
    if not actor.can_score:
        return 0
    return _due_by(actor, end_of_today(now or utcnow(), zone))


def due_assignments_counted(actor: Actor) -> Any:
    """The statement of ``due_assignment_count`` (one column, one row) with the end of the
    reader's today as the bind parameter ``due_by``, for a caller that counts several
    things in one round trip (the navigation)."""
    return select(func.count(col(AssignmentRow.id))).where(
        AssignmentRow.scorer_id == actor.id,
        AssignmentRow.status == AssignmentStatus.open,
        col(AssignmentRow.due_at) <= bindparam("due_by"),
    )


def _count_due_by(actor: Actor, by: datetime) -> int:
    with read_scope() as session:
        return int(
            session.exec(
                select(func.count(col(AssignmentRow.id))).where(
                    AssignmentRow.scorer_id == actor.id,
                    AssignmentRow.status == AssignmentStatus.open,
                    col(AssignmentRow.due_at) <= by,
                )
            ).one()
        )


_due_by = cached_by_data_version(_count_due_by)


def _load_open(session: Session, actor: Actor, assignment_id: int) -> AssignmentRow:
    row = session.get(AssignmentRow, assignment_id, with_for_update=True)
    if row is None or not can_change_assignment(session, actor, row):
        raise NotFound(f"Assignment {assignment_id} was not found or is not yours to change.")
    if row.status != AssignmentStatus.open:
        raise Conflict(f"Assignment {assignment_id} is {row.status.replace('_', ' ')} already.")
    return row


def _reason(reason: str, what: str) -> str:
    cleaned = clean_text(reason, what, REASON_MAX)
    if not cleaned:
        raise Invalid(f"Say why: the {what} is required.")
    return cleaned


def _successor(row: AssignmentRow, **changes: object) -> AssignmentRow:
    fields: dict[str, Any] = {
        "plan_id": row.plan_id,
        "run_id": row.run_id,
        "period_start": row.period_start,
        "call_id": row.call_id,
        "agent_id": row.agent_id,
        "scorer_id": row.scorer_id,
        "due_at": row.due_at,
        "reason": row.reason,
    }
    fields.update(changes)
    return AssignmentRow(**fields)


def replace_assignment(
    actor: Actor, assignment_id: int, reason: str
) -> tuple[AssignmentView | None, str]:
    """Replace an open assignment (unusable audio, wrong queue, ...) with ``reason``: a
    substitute matching the same rule is drawn for the same scorer (``scoring.sampling.
    replace``). Returns the substitute (None when no call matches) and what happened; the
    replaced row keeps the reason and points at its substitute."""
    reason = _reason(reason, "reason for replacing")
    with session_scope() as session:
        actor = current_actor(session, actor)
        row = _load_open(session, actor, assignment_id)
        if row.plan_id is None:
            raise Invalid("An ad-hoc review has no plan to draw a substitute from.")
        plan_row = _lock_plan(session, row.plan_id)
        plan = plan_from_dict(plan_row.definition)
        window = plan.window(row.period_start or row.created_at.date())
        agents = _reviewed_agents(session, plan)
        scope = _call_scope(window, agents, agent_id=row.agent_id)
        calls = _period_calls(session, plan, scope, agents)
        reviewed, calibrating, existing, _ = _exclusions(session, scope)
        pure = Assignment(
            plan.key,
            window.start,
            row.call_id,
            row.agent_id,
            row.scorer_id,
            row.reason,
            window.last_day,
        )
        seed = _run_seed(plan_row, window)
        outcome = replace(
            plan, pure, calls, reviewed, calibrating, window, seed, existing_assignments=existing
        )
        now = utcnow()
        row.status, row.note, row.closed_at = AssignmentStatus.replaced, reason, now
        session.add(row)
        session.flush()
        substitute = None
        if outcome.assignment is not None:
            call = session.get(Call, outcome.assignment.call_id)
            assert call is not None
            new = _successor(row, call_id=call.id)
            session.add(new)
            session.flush()
            row.replaced_by = new.id
            session.add(row)
            session.flush()
            substitute = new
        record_audit(
            session,
            actor,
            "replace_assignment",
            "assignment",
            row.id,
            before={"call_id": row.call_id, "status": "open"},
            after={"replaced_by": row.replaced_by, "call_id": substitute and substitute.call_id},
            reason=reason,
        )
        message = outcome.message
        if substitute is None:
            return None, f"Replaced; {message}."
        (view,) = _assignment_views(session, AssignmentRow.id == substitute.id)
        return view, f"Replaced by call {view.external_id} ({message})."


def hand_over(
    actor: Actor, assignment_id: int, to_scorer_id: int, reason: str = ""
) -> AssignmentView:
    """Give an open assignment to another scorer who may score the call (never the call's
    own agent). The old row is kept as handed over and points at the new one."""
    reason = clean_text(reason, "reason for handing over", REASON_MAX)
    with session_scope() as session:
        actor = current_actor(session, actor)
        row = _load_open(session, actor, assignment_id)
        target = session.get(User, to_scorer_id)
        call = session.get(Call, row.call_id)
        assert call is not None
        if (
            target is None
            or not target.active
            or target.role not in (Role.admin, Role.supervisor)
            or target.id == call.agent_id
            or not can_score_call(session, Actor.of(target), call)
        ):
            raise Invalid("Hand it to an active supervisor or admin who may score this call.")
        if target.id == row.scorer_id:
            raise Invalid("The assignment is theirs already.")
        new = _handed(session, row, target.id, reason or f"handed over by {actor.display_name}")
        record_audit(
            session,
            actor,
            "hand_over_assignment",
            "assignment",
            row.id,
            before={"scorer_id": row.scorer_id},
            after={"scorer_id": target.id, "replaced_by": new.id},
            reason=reason,
        )
        (view,) = _assignment_views(session, AssignmentRow.id == new.id)
        return view


def _handed(session: Session, row: AssignmentRow, scorer_id: int, note: str) -> AssignmentRow:
    row.status, row.note, row.closed_at = AssignmentStatus.handed_over, note, utcnow()
    session.add(row)
    session.flush()  # the old row leaves the active index before the new one enters it
    new = _successor(row, scorer_id=scorer_id)
    session.add(new)
    session.flush()
    row.replaced_by = new.id
    session.add(row)
    return new


def reassign_departed_scorer(session: Session, user_id: int) -> tuple[int, int]:
    """Inside the deactivation's transaction: hand a departing scorer's open assignments to
    the plan's remaining scorers by the balanced rule. Those nobody else may take stay
    open on the departed scorer, shown to managers as needing a scorer: never lost.
    Returns (moved, left)."""
    rows = session.exec(
        select(AssignmentRow).where(
            AssignmentRow.scorer_id == user_id, AssignmentRow.status == AssignmentStatus.open
        )
    ).all()
    moved = left = 0
    by_plan: dict[int | None, list[AssignmentRow]] = defaultdict(list)
    for row in rows:
        by_plan[row.plan_id].append(row)
    for plan_id, plan_rows in by_plan.items():
        plan_row = session.get(SamplingPlanRow, plan_id) if plan_id is not None else None
        if plan_row is None:
            left += len(plan_rows)
            continue
        plan = plan_from_dict(plan_row.definition)
        scorers = [s for s in _active_scorers(session, plan.scorers) if s.user_id != user_id]
        load = dict(
            session.exec(
                select(AssignmentRow.scorer_id, func.count(col(AssignmentRow.id)))
                .where(
                    AssignmentRow.plan_id == plan_id,
                    AssignmentRow.status == AssignmentStatus.open,
                )
                .group_by(col(AssignmentRow.scorer_id))
            ).all()
        )
        pure = [
            Assignment(
                plan.key,
                r.period_start or date.min,
                r.call_id,
                r.agent_id,
                user_id,
                r.reason,
                date.min,
            )
            for r in plan_rows
        ]
        outcome = reassign(pure, scorers, load, seed=plan_row.seed)
        by_call = {r.call_id: r for r in plan_rows}
        for a in outcome.moved:
            _handed(session, by_call[a.call_id], a.scorer_id, "scorer deactivated")
            moved += 1
        left += len(outcome.unplaced)
    return moved, left


def mark_done_on_submit(session: Session, ev: Evaluation) -> None:
    """Inside ``submit``'s transaction: the scorer's open assignment of this call is done;
    a regular review nobody assigned is recorded as ad hoc."""
    if ev.purpose != Purpose.regular:
        return
    now = utcnow()
    result = session.exec(
        update(AssignmentRow)
        .where(
            col(AssignmentRow.call_id) == ev.call_id,
            col(AssignmentRow.scorer_id) == ev.scorer_id,
            col(AssignmentRow.status) == AssignmentStatus.open,
        )
        .values(status=AssignmentStatus.done.value, evaluation_id=ev.id, closed_at=now)
    )
    if result.rowcount:
        return
    session.add(
        AssignmentRow(
            call_id=ev.call_id,
            agent_id=ev.agent_id,
            scorer_id=ev.scorer_id,
            reason=AD_HOC,
            status=AssignmentStatus.done,
            evaluation_id=ev.id,
            ad_hoc=True,
            closed_at=now,
        )
    )


# ---------------------------------------------------------------- progress


def _spread(
    session: Session, plan: SamplingPlan, agents: Iterable[int], now: datetime
) -> tuple[float | None, int]:
    """SD (ddof 1) and count of submitted regular totals of the plan's agents over the
    last ``SPREAD_DAYS`` days: the spread of scores seen so far."""
    totals = [
        float(t)
        for t in session.exec(
            select(Evaluation.total).where(
                col(Evaluation.agent_id).in_(sorted(agents)),
                Evaluation.purpose == Purpose.regular,
                Evaluation.status == Status.submitted,
                col(Evaluation.total).is_not(None),
                col(Evaluation.submitted_at) >= now - timedelta(days=SPREAD_DAYS),
            )
        ).all()
    ]
    return (stdev(totals) if len(totals) >= 2 else None), len(totals)


def _totals(views: list[AssignmentView], key: str, name: str, now: datetime) -> pd.DataFrame:
    acc: dict[int, dict[str, object]] = {}
    for v in views:
        who = getattr(v, key)
        entry = acc.setdefault(
            who,
            {
                "who_id": who,
                "who": getattr(v, name),
                "expected": 0,
                "completed": 0,
                "overdue": 0,
                "replaced": 0,
            },
        )
        if v.status in ACTIVE:
            entry["expected"] = int(entry["expected"]) + 1  # type: ignore[call-overload]
        if v.status == AssignmentStatus.done:
            entry["completed"] = int(entry["completed"]) + 1  # type: ignore[call-overload]
        if v.status == AssignmentStatus.open and v.due_at is not None and v.due_at <= now:
            entry["overdue"] = int(entry["overdue"]) + 1  # type: ignore[call-overload]
        if v.status == AssignmentStatus.replaced:
            entry["replaced"] = int(entry["replaced"]) + 1  # type: ignore[call-overload]
    columns = ["who_id", "who", "expected", "completed", "overdue", "replaced"]
    frame = pd.DataFrame(list(acc.values()), columns=columns)
    return frame.sort_values("who").reset_index(drop=True) if len(frame) else frame


def plan_progress(
    actor: Actor, plan_id: int, day: date | None = None, now: datetime | None = None
) -> PlanProgress:
    """The plan's period containing ``day`` (today): expected vs completed per scorer per
    day and in total, per agent, overdue and replaced, and the precision its quota buys."""
    now = now or utcnow()
    day = day or now.astimezone(UTC).date()
    with read_scope() as session:
        actor = current_actor(session, actor)
        row = session.get(SamplingPlanRow, plan_id)
        if row is None or not can_manage_plan(actor, row):
            raise NotFound(f"Plan {plan_id} was not found or is not yours to open.")
        view = _plan_view(row)
        window = view.plan.window(day)
        views = _assignment_views(
            session,
            AssignmentRow.plan_id == plan_id,
            AssignmentRow.period_start == window.start,
            assignment_filter(actor),
        )
        closed = dict(
            session.exec(
                select(AssignmentRow.id, AssignmentRow.closed_at).where(
                    AssignmentRow.plan_id == plan_id, AssignmentRow.period_start == window.start
                )
            ).all()
        )
        inactive = set(
            session.exec(
                select(User.id).where(
                    col(User.id).in_({v.scorer_id for v in views}), col(User.active).is_(False)
                )
            ).all()
        )
        agents = _reviewed_agents(session, view.plan)
        sd, scored = _spread(session, view.plan, agents, now) if agents else (None, 0)
    rows = []
    by_scorer: dict[int, list[AssignmentView]] = defaultdict(list)
    for v in views:
        by_scorer[v.scorer_id].append(v)
    for scorer_id, mine in by_scorer.items():
        total = sum(v.status in ACTIVE for v in mine)
        done_days = [
            closed[v.id].astimezone(UTC).date()
            for v in mine
            if v.status == AssignmentStatus.done and closed.get(v.id) is not None
        ]
        for offset in range(window.days):
            current = window.start + timedelta(days=offset)
            rows.append(
                {
                    "scorer_id": scorer_id,
                    "scorer": mine[0].scorer,
                    "day": current,
                    "expected": expected_by(current, total, window),
                    "completed": sum(d <= current for d in done_days),
                }
            )
    daily = pd.DataFrame(rows, columns=["scorer_id", "scorer", "day", "expected", "completed"])
    per_agent = _per_agent_quota(view.plan, views)
    precision = quota_precision(per_agent, sd) if sd is not None else None
    by_s = _totals(views, "scorer_id", "scorer", now)
    by_a = _totals(views, "agent_id", "agent", now)
    unplaced_ids = [
        v.id for v in views if v.status == AssignmentStatus.open and v.scorer_id in inactive
    ]
    unplaced = len(unplaced_ids)
    totals = {
        "expected": int(by_s["expected"].sum()) if len(by_s) else 0,
        "completed": int(by_s["completed"].sum()) if len(by_s) else 0,
        "overdue": int(by_s["overdue"].sum()) if len(by_s) else 0,
        "replaced": int(by_s["replaced"].sum()) if len(by_s) else 0,
    }
    return PlanProgress(
        view,
        window,
        daily,
        by_s,
        by_a,
        views,
        sd,
        scored,
        precision,
        unplaced,
        totals,
        unplaced_ids,
    )


def _per_agent_quota(plan: SamplingPlan, views: list[AssignmentView]) -> int:
    """Evaluations per agent per period the quota asks for (a percentage: its minimum, or
    the period's mean draws per agent when more)."""
    agents = {v.agent_id for v in views if v.status in ACTIVE}
    drawn = sum(v.status in ACTIVE for v in views)
    mean = round(drawn / len(agents)) if agents else 0
    return max(quota_for(plan.quota, 0), mean)


def scorer_choices(actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of active scorers the actor may plan for or hand work to: admins and
    supervisors; a supervisor sees their team's supervisors and the admins."""
    require_role(actor, Role.admin, Role.supervisor)
    with read_scope() as session:
        return _scorer_choices(session, current_actor(session, actor))


_SCORERS = (
    select(User.id, User.display_name, User.role, User.team_id)
    .where(col(User.active).is_(True), col(User.role).in_((Role.admin, Role.supervisor)))
    .order_by(User.display_name)
)


def _scorer_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    rows = session.exec(_SCORERS).all()
    return [
        (int(i), str(name))
        for i, name, role, team_id in rows
        if actor.is_admin or role == Role.admin or team_id == actor.team_id
    ]
