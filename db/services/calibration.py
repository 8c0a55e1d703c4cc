"""Calibration sessions: several scorers score the same calls blind, then compare.

The blind rule lives in the access policy (``db.access``): until the facilitator
reveals a session, nobody but the scorer sees a session evaluation's scores or comments,
and ``session_results`` refuses outright. Before reveal the facilitator (or an admin) sees
who has submitted, never what.

Decisions:

* A facilitator is a supervisor or an admin; an admin may act as facilitator of any session.
* Scorers are active supervisors or admins (at least two); the facilitator may take a seat.
* The benchmark scorer, when there is one, must hold a seat: the benchmark scores blind like
  everyone else, and their submitted evaluation is the reference for weighted κ.
* The reference for deviations, item by item: the consensus score when the facilitator has
  recorded one, else the benchmark's level, else the group median.
* Only evaluations submitted before reveal count: a score finished after seeing the others
  is no longer blind.
* Calibration evaluations carry ``purpose="calibration"``; nothing here touches regular
  evaluations, so they never count toward an agent's scores or trends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Select, func, or_
from sqlmodel import Session, select

from db.access import (
    AccessDenied,
    Actor,
    NotFound,
    can_run_session,
    can_see_session,
    current_actor,
    followable_scorers,
    get_visible_call,
    require_role,
    session_filter,
)
from db.cache import cached_by_data_version
from db.engine import read_scope, session_scope
from db.models import (
    CalibrationCall,
    CalibrationSeat,
    CalibrationSession,
    Call,
    Comment,
    ConsensusScore,
    Evaluation,
    ItemScore,
    Purpose,
    Role,
    Status,
    Team,
    User,
    utcnow,
)
from db.models import Rubric as RubricRow
from db.queries.rubrics import latest_rubric_row, rubric_by_id
from db.services.audit import record_audit
from scoring.calibration import (
    BENCHMARK,
    SessionStatistics,
    calibration_grid,
    item_spreads,
    reference_levels,
    scorer_accuracy_over_time,
    scorer_deviation,
    session_statistics,
)
from scoring.errors import Invalid
from scoring.evaluation import answered_values, validate_values
from scoring.rubric import Rubric
from scoring.text import CONSENSUS_NOTE_MAX, TITLE_MAX, clean_text

MAX_TITLE = TITLE_MAX
MAX_CONSENSUS_NOTE = CONSENSUS_NOTE_MAX
MIN_SCORERS = 2
NOT_STARTED, DRAFT, SUBMITTED = "not started", "draft", Status.submitted.value
BLIND_MESSAGE = (
    "The scores of this session stay hidden until the facilitator reveals them: "
    "everyone scores blind."
)


# ---------------------------------------------------------------- returned shapes


@dataclass(frozen=True)
class ScorerOption:
    id: int
    display_name: str
    username: str
    role: str
    team: str | None


@dataclass(frozen=True)
class SessionCall:
    call_id: int
    external_id: str
    agent: str
    started_at: datetime
    duration_s: float


@dataclass(frozen=True)
class SessionSummary:
    """One session as the actor may see it.

    ``submitted``/``expected`` count every seat × call and are None unless the actor
    facilitates (or is an admin); ``my_submitted`` counts the actor's own submissions.
    """

    id: int
    title: str
    facilitator_id: int
    facilitator: str
    rubric_id: int
    rubric_title: str
    rubric_version: int
    benchmark_scorer_id: int | None
    benchmark: str | None
    due_at: datetime | None
    revealed: bool
    revealed_at: datetime | None
    created_at: datetime
    scorer_ids: tuple[int, ...]
    scorers: tuple[str, ...]
    calls: tuple[SessionCall, ...]
    i_facilitate: bool
    my_seat: bool
    my_submitted: int
    submitted: int | None
    expected: int | None

    @property
    def my_expected(self) -> int:
        return len(self.calls) if self.my_seat else 0


@dataclass(frozen=True)
class SubmissionRow:
    """Whether a scorer has submitted a call: the status, never the scores."""

    call_id: int
    external_id: str
    scorer_id: int
    scorer: str
    status: str  # "not started" | "draft" | "submitted"
    submitted_at: datetime | None


@dataclass(frozen=True)
class ItemNote:
    scorer: str
    item_key: str
    note: str


@dataclass(frozen=True)
class TimelineComment:
    t_s: float
    scorer: str
    item_key: str | None
    text: str
    created_at: datetime


@dataclass(frozen=True)
class ConsensusItem:
    item_key: str
    value: int | None  # None with na=True is N/A
    na: bool
    note: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class CallResults:
    """One call of a revealed session.

    ``scores``: scorer → item → level or None (N/A), submitted evaluations only.
    ``grid``, ``spreads``, ``deviation``: from ``scoring.calibration`` against ``reference``
    (item → level, None where the reference is N/A or nobody scored the item), whose origin
    per item is in ``reference_source`` ("consensus", "benchmark" or "group median").
    ``comments``: everyone's pinned comments in recording-time order.
    """

    call: SessionCall
    scores: dict[str, dict[str, int | None]]
    totals: dict[str, float | None]
    notes: list[ItemNote]
    comments: list[TimelineComment]
    grid: pd.DataFrame
    reference: dict[str, float | None]
    reference_source: dict[str, str]
    spreads: pd.DataFrame
    deviation: pd.DataFrame
    consensus: dict[str, ConsensusItem]
    missing: list[str]  # scorers with a seat but no evaluation submitted before reveal


@dataclass(frozen=True)
class SessionResults:
    session: SessionSummary
    item_keys: list[str]
    item_titles: dict[str, str]
    levels: tuple[int, ...]
    na_allowed: dict[str, bool]
    calls: list[CallResults]
    statistics: SessionStatistics


# ---------------------------------------------------------------- access


def _not_found(session_id: int) -> NotFound:
    # The same message for "missing" and "not yours": no probing for ids.
    return NotFound(f"Calibration session {session_id} was not found or is not yours to open.")


def _start(session: Session, actor: Actor) -> Actor:
    """The actor as stored now (role changes and deactivation apply at once)."""
    actor = current_actor(session, actor)
    require_role(actor, Role.admin, Role.supervisor)
    return actor


def _load_visible(session: Session, actor: Actor, session_id: int) -> CalibrationSession:
    cal = session.get(CalibrationSession, session_id)
    if cal is None or not can_see_session(session, actor, cal):
        raise _not_found(session_id)
    return cal


def _load_facilitated(session: Session, actor: Actor, session_id: int) -> CalibrationSession:
    cal = _load_visible(session, actor, session_id)
    if not can_run_session(actor, cal):
        raise AccessDenied("Only the session's facilitator or an admin can do this.")
    return cal


# ---------------------------------------------------------------- helpers


def _labels(users: Iterable[User]) -> dict[int, str]:
    """User id → display name; names shared by two people get the username added."""
    users = list({u.id: u for u in users}.values())
    counts: dict[str, int] = defaultdict(int)
    for user in users:
        counts[user.display_name] += 1
    return {
        u.id: u.display_name if counts[u.display_name] == 1 else f"{u.display_name} ({u.username})"
        for u in users
    }


def _seat_ids(session: Session, session_id: int) -> list[int]:
    return list(
        session.exec(
            select(CalibrationSeat.scorer_id)
            .where(CalibrationSeat.session_id == session_id)
            .order_by(CalibrationSeat.scorer_id)
        ).all()
    )


def _session_calls(session: Session, session_id: int) -> list[SessionCall]:
    rows = session.exec(
        select(Call, User)
        .join(CalibrationCall, CalibrationCall.call_id == Call.id)
        .join(User, User.id == Call.agent_id)
        .where(CalibrationCall.session_id == session_id)
        .order_by(Call.started_at, Call.id)
    ).all()
    return [
        SessionCall(c.id, c.external_id, u.display_name, c.started_at, c.duration_s)
        for c, u in rows
    ]


def _users(session: Session, ids: Iterable[int]) -> list[User]:
    ids = sorted(set(ids))
    if not ids:
        return []
    return list(session.exec(select(User).where(User.id.in_(ids))).all())


def _counted_submissions(query: Select) -> Select:
    """`query` (over Evaluation) narrowed to the calibration submissions that count: by
    seat holders, on the session's calls, and after a reveal only those submitted before
    it (later ones were not scored blind)."""
    return (
        query.join(CalibrationSession, CalibrationSession.id == Evaluation.calibration_session_id)
        .join(
            CalibrationSeat,
            (CalibrationSeat.session_id == Evaluation.calibration_session_id)
            & (CalibrationSeat.scorer_id == Evaluation.scorer_id),
        )
        .join(
            CalibrationCall,
            (CalibrationCall.session_id == Evaluation.calibration_session_id)
            & (CalibrationCall.call_id == Evaluation.call_id),
        )
        .where(
            Evaluation.purpose == Purpose.calibration,
            Evaluation.status == Status.submitted,
            or_(
                CalibrationSession.revealed.is_(False),
                CalibrationSession.revealed_at.is_(None),
                Evaluation.submitted_at <= CalibrationSession.revealed_at,
            ),
        )
    )


def _submitted_evaluations(session: Session, cal: CalibrationSession) -> list[Evaluation]:
    """The session's submitted evaluations that count (`_counted_submissions`)."""
    query = _counted_submissions(select(Evaluation)).where(
        Evaluation.calibration_session_id == cal.id
    )
    return list(session.exec(query.order_by(Evaluation.id)).all())


def _summary(session: Session, actor: Actor, cal: CalibrationSession) -> SessionSummary:
    return _summaries(session, actor, [cal])[0]


def _summaries(
    session: Session, actor: Actor, cals: Sequence[CalibrationSession]
) -> list[SessionSummary]:
    """Summaries of several sessions in five grouped queries, however many sessions."""
    ids = [cal.id for cal in cals]
    if not ids:
        return []
    seats: dict[int, list[int]] = defaultdict(list)
    for session_id, scorer_id in session.exec(
        select(CalibrationSeat.session_id, CalibrationSeat.scorer_id)
        .where(CalibrationSeat.session_id.in_(ids))
        .order_by(CalibrationSeat.scorer_id)
    ):
        seats[session_id].append(scorer_id)
    calls: dict[int, list[SessionCall]] = defaultdict(list)
    for session_id, call, agent in session.exec(
        select(CalibrationCall.session_id, Call, User)
        .join(Call, Call.id == CalibrationCall.call_id)
        .join(User, User.id == Call.agent_id)
        .where(CalibrationCall.session_id.in_(ids))
        .order_by(Call.started_at, Call.id)
    ):
        calls[session_id].append(
            SessionCall(
                call.id, call.external_id, agent.display_name, call.started_at, call.duration_s
            )
        )
    people = {
        u.id: u
        for u in _users(
            session,
            [
                *(i for seat_ids in seats.values() for i in seat_ids),
                *(cal.facilitator_id for cal in cals),
                *(cal.benchmark_scorer_id for cal in cals if cal.benchmark_scorer_id),
            ],
        )
    }
    rubrics = {
        r.id: r
        for r in session.exec(
            select(RubricRow).where(RubricRow.id.in_({cal.rubric_id for cal in cals}))
        )
    }
    submitted = _submitted_counts(session, ids)
    summaries = []
    for cal in cals:
        seat_ids = seats[cal.id]
        labels = _labels(
            people[i]
            for i in {*seat_ids, cal.facilitator_id, cal.benchmark_scorer_id}
            if i in people
        )
        facilitates = can_run_session(actor, cal)
        by_scorer = submitted[cal.id]
        rubric = rubrics[cal.rubric_id]
        summaries.append(
            SessionSummary(
                id=cal.id,
                title=cal.title,
                facilitator_id=cal.facilitator_id,
                facilitator=labels.get(cal.facilitator_id, "?"),
                rubric_id=cal.rubric_id,
                rubric_title=rubric.title,
                rubric_version=rubric.version,
                benchmark_scorer_id=cal.benchmark_scorer_id,
                benchmark=labels.get(cal.benchmark_scorer_id) if cal.benchmark_scorer_id else None,
                due_at=cal.due_at,
                revealed=cal.revealed,
                revealed_at=cal.revealed_at,
                created_at=cal.created_at,
                scorer_ids=tuple(seat_ids),
                scorers=tuple(labels[i] for i in seat_ids if i in labels),
                calls=tuple(calls[cal.id]),
                i_facilitate=facilitates,
                my_seat=actor.id in seat_ids,
                my_submitted=by_scorer.get(actor.id, 0),
                submitted=sum(by_scorer.values()) if facilitates else None,
                expected=len(seat_ids) * len(calls[cal.id]) if facilitates else None,
            )
        )
    return summaries


def _submitted_counts(session: Session, ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """Session id → scorer id → how many submitted evaluations count (`_counted_submissions`)."""
    rows = session.exec(
        _counted_submissions(
            select(Evaluation.calibration_session_id, Evaluation.scorer_id, func.count())
        )
        .where(Evaluation.calibration_session_id.in_(ids))
        .group_by(Evaluation.calibration_session_id, Evaluation.scorer_id)
    )
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for session_id, scorer_id, n in rows:
        counts[session_id][scorer_id] = int(n)
    return counts


def _unique(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))


# ---------------------------------------------------------------- creating and listing


def scorer_candidates(actor: Actor) -> list[ScorerOption]:
    """Everyone a facilitator may seat: active supervisors and admins, by name."""
    with read_scope() as session:
        _start(session, actor)
        rows = session.exec(
            select(User, Team)
            .outerjoin(Team, Team.id == User.team_id)
            .where(User.active, User.role.in_([Role.supervisor, Role.admin]))
            .order_by(User.display_name, User.username)
        ).all()
        return [
            ScorerOption(u.id, u.display_name, u.username, u.role, t.name if t else None)
            for u, t in rows
        ]


def create_session(
    actor: Actor,
    title: str,
    call_ids: Sequence[int],
    scorer_ids: Sequence[int],
    benchmark_scorer_id: int | None = None,
    due_at: datetime | None = None,
) -> int:
    """Open a session on the newest rubric version; returns its id.

    The facilitator (a supervisor or admin: the actor) must be able to see every call.
    Scorers: two or more active supervisors/admins. The benchmark, if any, must be one of
    them. ``due_at`` must be timezone-aware. Audited as ``create`` on
    ``calibration_session``.
    """
    title = clean_text(title, "title", MAX_TITLE)
    if not title:
        raise Invalid("A calibration session needs a title.")
    call_ids, scorer_ids = _unique(call_ids), _unique(scorer_ids)
    if not call_ids:
        raise Invalid("Choose at least one call to calibrate on.")
    if len(scorer_ids) < MIN_SCORERS:
        raise Invalid(f"A calibration session needs at least {MIN_SCORERS} scorers.")
    if benchmark_scorer_id is not None and benchmark_scorer_id not in scorer_ids:
        raise Invalid(
            "The benchmark must be one of the session's scorers: they score the calls blind "
            "like everyone else."
        )
    if due_at is not None and due_at.tzinfo is None:
        raise Invalid("The due date needs a time zone (UTC).")
    with session_scope() as session:
        actor = _start(session, actor)
        for call_id in call_ids:
            get_visible_call(session, actor, call_id)
        scorers = {u.id: u for u in _users(session, scorer_ids)}
        for scorer_id in scorer_ids:
            user = scorers.get(scorer_id)
            if user is None or not user.active or user.role not in (Role.supervisor, Role.admin):
                raise Invalid(
                    f"User {scorer_id} cannot score: scorers are active supervisors or admins."
                )
        cal = CalibrationSession(
            title=title,
            facilitator_id=actor.id,
            rubric_id=latest_rubric_row(session).id,
            benchmark_scorer_id=benchmark_scorer_id,
            due_at=due_at,
        )
        session.add(cal)
        session.flush()
        session.add_all(CalibrationCall(session_id=cal.id, call_id=c) for c in call_ids)
        session.add_all(CalibrationSeat(session_id=cal.id, scorer_id=s) for s in scorer_ids)
        record_audit(
            session,
            actor,
            "create",
            "calibration_session",
            cal.id,
            after={
                "title": title,
                "call_ids": call_ids,
                "scorer_ids": scorer_ids,
                "benchmark_scorer_id": benchmark_scorer_id,
                "rubric_id": cal.rubric_id,
                "due_at": due_at.isoformat() if due_at else None,
            },
        )
        return cal.id


def list_sessions(actor: Actor) -> list[SessionSummary]:
    """Sessions where the actor sits or facilitates (admins: all), newest first."""
    with read_scope() as session:
        actor = _start(session, actor)
        query = (
            select(CalibrationSession)
            .where(session_filter(actor))
            .order_by(CalibrationSession.created_at.desc(), CalibrationSession.id.desc())
        )
        return _summaries(session, actor, session.exec(query).all())


def calls_to_score_blind(actor: Actor) -> int:
    """How many calls the actor still has to score in sessions not yet revealed: their
    seats' calls less the submissions that count. Two counts, not a list of sessions."""
    with read_scope() as session:
        open_seats = (
            select(CalibrationSeat.session_id)
            .join(CalibrationSession, CalibrationSession.id == CalibrationSeat.session_id)
            .where(CalibrationSeat.scorer_id == actor.id, CalibrationSession.revealed.is_(False))
        )
        seat_calls = (
            select(func.count())
            .select_from(CalibrationCall)
            .where(CalibrationCall.session_id.in_(open_seats))
        )
        done = _counted_submissions(select(func.count(Evaluation.id))).where(
            Evaluation.scorer_id == actor.id, Evaluation.calibration_session_id.in_(open_seats)
        )
        return int(session.exec(seat_calls).one()) - int(session.exec(done).one())


def get_session(actor: Actor, session_id: int) -> SessionSummary:
    with read_scope() as session:
        actor = _start(session, actor)
        return _summary(session, actor, _load_visible(session, actor, session_id))


def submission_status(actor: Actor, session_id: int) -> list[SubmissionRow]:
    """Per call and scorer: not started, draft or submitted. Never the scores.

    Facilitator and admins see every seat; before reveal a seat holder sees only their own
    rows (after reveal, everyone's).
    """
    with read_scope() as session:
        actor = _start(session, actor)
        cal = _load_visible(session, actor, session_id)
        seat_ids = _seat_ids(session, cal.id)
        if not (can_run_session(actor, cal) or cal.revealed):
            seat_ids = [actor.id]
        labels = _labels(_users(session, seat_ids))
        evaluations = session.exec(
            select(
                Evaluation.call_id, Evaluation.scorer_id, Evaluation.status, Evaluation.submitted_at
            ).where(
                Evaluation.calibration_session_id == cal.id,
                Evaluation.purpose == Purpose.calibration,
                Evaluation.scorer_id.in_(seat_ids),
            )
        ).all()
        found = {(c, s): (status, at) for c, s, status, at in evaluations}
        rows = []
        for call in _session_calls(session, cal.id):
            for scorer_id in seat_ids:
                status, at = found.get((call.call_id, scorer_id), (None, None))
                rows.append(
                    SubmissionRow(
                        call.call_id,
                        call.external_id,
                        scorer_id,
                        labels.get(scorer_id, "?"),
                        NOT_STARTED if status is None else status,
                        at,
                    )
                )
        return rows


def reveal(actor: Actor, session_id: int) -> SessionSummary:
    """Lift the blind: facilitator or admin only, once. Audited as ``reveal``."""
    with session_scope() as session:
        actor = _start(session, actor)
        cal = _load_facilitated(session, actor, session_id)
        if cal.revealed:
            raise Invalid("This session has already been revealed.")
        submitted = _submitted_evaluations(session, cal)
        if not submitted:
            raise Invalid("Nobody has submitted yet: there is nothing to reveal.")
        cal.revealed, cal.revealed_at = True, utcnow()
        session.add(cal)
        session.flush()
        expected = len(_seat_ids(session, cal.id)) * len(_session_calls(session, cal.id))
        record_audit(
            session,
            actor,
            "reveal",
            "calibration_session",
            cal.id,
            before={"revealed": False},
            after={
                "revealed": True,
                "revealed_at": cal.revealed_at.isoformat(),
                "submitted": len(submitted),
                "expected": expected,
            },
        )
        return _summary(session, actor, cal)


# ---------------------------------------------------------------- results


def _scores_of(
    session: Session, evaluations: Sequence[Evaluation]
) -> dict[int, tuple[dict[str, int | None], dict[str, str]]]:
    """Evaluation id → (item key → level or None for N/A, answered items only;
    item key → note, non-empty notes only)."""
    if not evaluations:
        return {}
    scores: dict[int, dict[str, int | None]] = defaultdict(dict)
    notes: dict[int, dict[str, str]] = defaultdict(dict)
    rows = session.exec(
        select(ItemScore).where(ItemScore.evaluation_id.in_([ev.id for ev in evaluations]))
    ).all()
    for row in rows:
        scores[row.evaluation_id].update(answered_values([(row.item_key, row.value, row.na)]))
        if row.note:
            notes[row.evaluation_id][row.item_key] = row.note
    return {ev.id: (dict(scores[ev.id]), dict(notes[ev.id])) for ev in evaluations}


def _consensus(session: Session, cal: CalibrationSession) -> dict[int, dict[str, ConsensusScore]]:
    """Call id → item key → recorded consensus row."""
    found: dict[int, dict[str, ConsensusScore]] = defaultdict(dict)
    for row in session.exec(
        select(ConsensusScore).where(ConsensusScore.session_id == cal.id)
    ).all():
        found[row.call_id][row.item_key] = row
    return found


@dataclass
class _Loaded:
    """A revealed session's submitted work, loaded once for results or accuracy."""

    cal: CalibrationSession
    rubric: Rubric
    calls: list[SessionCall]
    seat_ids: list[int]
    evaluations: dict[tuple[int, int], Evaluation]  # (call id, scorer id) → evaluation
    scores: dict[int, tuple[dict, dict]]  # evaluation id → (levels, notes)
    consensus: dict[int, dict[str, ConsensusScore]]
    labels: dict[int, str] = field(default_factory=dict)

    def call_scores(self, call_id: int) -> dict[int, dict[str, int | None]]:
        return {
            scorer_id: self.scores[self.evaluations[(call_id, scorer_id)].id][0]
            for scorer_id in self.seat_ids
            if (call_id, scorer_id) in self.evaluations
        }

    def reference_for(self, call_id: int, grid: pd.DataFrame) -> tuple[dict, dict]:
        benchmark = self.cal.benchmark_scorer_id
        by_scorer = self.call_scores(call_id)
        consensus = {k: row.value for k, row in self.consensus.get(call_id, {}).items()}
        return reference_levels(
            grid,
            self.rubric.item_keys,
            consensus,
            by_scorer.get(benchmark) if benchmark is not None else None,
        )


def _load(session: Session, cal: CalibrationSession) -> _Loaded:
    evaluations = _submitted_evaluations(session, cal)
    seat_ids = _seat_ids(session, cal.id)
    return _Loaded(
        cal=cal,
        rubric=rubric_by_id(session, cal.rubric_id),
        calls=_session_calls(session, cal.id),
        seat_ids=seat_ids,
        evaluations={(ev.call_id, ev.scorer_id): ev for ev in evaluations},
        scores=_scores_of(session, evaluations),
        consensus=_consensus(session, cal),
    )


def session_results(actor: Actor, session_id: int) -> SessionResults:
    """Everything a revealed session shows: per call the scores by scorer, notes, everyone's
    comments, grid, spreads, deviations and consensus; the session's agreement statistics.

    Seat holders, the facilitator and admins only (others: NotFound); before reveal,
    AccessDenied for everyone: this is the blind rule.
    """
    with read_scope() as session:
        actor = _start(session, actor)
        cal = _load_visible(session, actor, session_id)
        if not cal.revealed:
            raise AccessDenied(BLIND_MESSAGE)
        loaded = _load(session, cal)
        summary = _summary(session, actor, cal)
        consensus_people = {
            row.recorded_by for rows in loaded.consensus.values() for row in rows.values()
        }
        labels = _labels(_users(session, [*loaded.seat_ids, *consensus_people]))
        rubric, item_keys = loaded.rubric, list(loaded.rubric.item_keys)
        ev_ids = [ev.id for ev in loaded.evaluations.values()]
        comment_rows = (
            session.exec(
                select(Comment, Evaluation.call_id)
                .join(Evaluation, Evaluation.id == Comment.evaluation_id)
                .where(Comment.evaluation_id.in_(ev_ids))
                .order_by(Comment.t_s, Comment.created_at, Comment.id)
            ).all()
            if ev_ids
            else []
        )
        comment_authors = _labels(_users(session, [c.author_id for c, _ in comment_rows]))
        comments: dict[int, list[TimelineComment]] = defaultdict(list)
        for comment, call_id in comment_rows:
            comments[call_id].append(
                TimelineComment(
                    comment.t_s,
                    labels.get(comment.author_id) or comment_authors.get(comment.author_id, "?"),
                    comment.item_key,
                    comment.text,
                    comment.created_at,
                )
            )

        results: list[CallResults] = []
        stats_scores: dict[str, dict[str, dict[str, int | None]]] = {}
        stats_totals: dict[str, dict[str, float]] = {}
        for call in loaded.calls:
            by_scorer = loaded.call_scores(call.call_id)
            named = {labels[s]: levels for s, levels in by_scorer.items()}
            grid = calibration_grid(named, item_keys)
            reference, source = loaded.reference_for(call.call_id, grid)
            totals = {labels[s]: loaded.evaluations[(call.call_id, s)].total for s in by_scorer}
            notes = [
                ItemNote(labels[s], key, note)
                for s in by_scorer
                for key, note in loaded.scores[loaded.evaluations[(call.call_id, s)].id][1].items()
            ]
            results.append(
                CallResults(
                    call=call,
                    scores=named,
                    totals=totals,
                    notes=notes,
                    comments=comments.get(call.call_id, []),
                    grid=grid,
                    reference=reference,
                    reference_source=source,
                    spreads=item_spreads(grid, reference),
                    deviation=scorer_deviation(grid, reference),
                    consensus={
                        key: ConsensusItem(
                            key,
                            row.value,
                            row.na,
                            row.note,
                            labels.get(row.recorded_by, "?"),
                            row.recorded_at,
                        )
                        for key, row in loaded.consensus.get(call.call_id, {}).items()
                    },
                    missing=[labels[s] for s in loaded.seat_ids if s not in by_scorer],
                )
            )
            stats_scores[call.external_id] = named
            stats_totals[call.external_id] = {
                name: total for name, total in totals.items() if total is not None
            }
        benchmark = cal.benchmark_scorer_id
        statistics = session_statistics(
            stats_scores,
            item_keys,
            totals=stats_totals,
            benchmark=labels.get(benchmark) if benchmark is not None else None,
            scale=(rubric.scale_min, rubric.scale_max),
        )
        return SessionResults(
            session=summary,
            item_keys=item_keys,
            item_titles={item.key: item.title for item in rubric.items},
            levels=rubric.levels,
            na_allowed={item.key: item.na_allowed for item in rubric.items},
            calls=results,
            statistics=statistics,
        )


# ---------------------------------------------------------------- consensus


def record_consensus(
    actor: Actor,
    session_id: int,
    call_id: int,
    items: Mapping[str, tuple[int | None, str]],
) -> dict[str, ConsensusItem]:
    """Record (or change) the agreed level per item, None for N/A, with a note.

    Facilitator or admin, after reveal. Items not named keep what was recorded before.
    The consensus becomes the call's reference for deviations and scorer accuracy.
    Audited as ``record_consensus`` with the before and after values.
    """
    if not items:
        raise Invalid("Choose a consensus level (or N/A) for at least one item.")
    with session_scope() as session:
        actor = _start(session, actor)
        cal = _load_facilitated(session, actor, session_id)
        if not cal.revealed:
            raise AccessDenied(
                "Reveal the session first: the consensus is agreed after everyone has seen "
                "the scores."
            )
        if session.get(CalibrationCall, (cal.id, call_id)) is None:
            raise NotFound(f"Call {call_id} is not part of this calibration session.")
        rubric = rubric_by_id(session, cal.rubric_id)
        cleaned: dict[str, tuple[int | None, str]] = {}
        for key, (value, note) in items.items():
            validate_values(rubric, {key: value})
            title = rubric.item(key).title
            cleaned[key] = (value, clean_text(note, f"note on '{title}'", MAX_CONSENSUS_NOTE))
        before: dict[str, dict] = {}
        after: dict[str, dict] = {}
        now = utcnow()
        for key, (value, note) in cleaned.items():
            row = session.get(ConsensusScore, (cal.id, call_id, key))
            if row is not None:
                before[key] = {"value": row.value, "na": row.na, "note": row.note}
            else:
                row = ConsensusScore(
                    session_id=cal.id, call_id=call_id, item_key=key, recorded_by=actor.id
                )
            row.value, row.na, row.note = value, value is None, note
            row.recorded_by, row.recorded_at = actor.id, now
            session.add(row)
            after[key] = {"value": row.value, "na": row.na, "note": row.note}
        session.flush()
        record_audit(
            session,
            actor,
            "record_consensus",
            "calibration_session",
            cal.id,
            before={"call_id": call_id, "items": before},
            after={"call_id": call_id, "items": after},
        )
        label = _labels([session.get(User, actor.id)])[actor.id]
        rows = session.exec(
            select(ConsensusScore).where(
                ConsensusScore.session_id == cal.id, ConsensusScore.call_id == call_id
            )
        ).all()
        people = _labels(_users(session, [r.recorded_by for r in rows]))
        return {
            r.item_key: ConsensusItem(
                r.item_key, r.value, r.na, r.note, people.get(r.recorded_by, label), r.recorded_at
            )
            for r in rows
        }


# ---------------------------------------------------------------- accuracy over time


def _accuracy_scope(session: Session, actor: Actor, scorer_ids: Sequence[int] | None) -> set[int]:
    """Scorer ids the actor may follow (the policy's `followable_scorers`), narrowed to
    `scorer_ids` when given."""
    allowed = followable_scorers(session, actor)
    if scorer_ids is None:
        if allowed is None:
            return set(session.exec(select(CalibrationSeat.scorer_id)).all())
        return allowed
    wanted = set(_unique(scorer_ids))
    if allowed is not None and not wanted <= allowed:
        raise AccessDenied("You can follow the accuracy of your own team's scorers only.")
    return wanted


def scorer_accuracy(actor: Actor, scorer_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Each scorer's agreement with the reference per revealed session, for the drift trend.

    One row per (scorer, session) in ``scoring.calibration.ACCURACY_COLUMNS`` order, with
    the session date being its reveal time. Reference per call and item: consensus, else
    benchmark, else group median (the benchmark is not compared with themselves). A
    supervisor sees their team's scorers and themselves; admins everyone.

    Cached until the data version moves (submit, reveal, consensus, user changes): it reads
    every revealed session, which made it most of the Calibration page's time.
    """
    wanted = None if scorer_ids is None else tuple(scorer_ids)
    return _scorer_accuracy(actor, wanted)


@cached_by_data_version
def _scorer_accuracy(actor: Actor, scorer_ids: tuple[int, ...] | None) -> pd.DataFrame:
    with read_scope() as session:
        actor = _start(session, actor)
        scope = _accuracy_scope(session, actor, scorer_ids)
        if not scope:
            return scorer_accuracy_over_time([])
        sessions = session.exec(
            select(CalibrationSession)
            .where(
                CalibrationSession.revealed,
                CalibrationSession.id.in_(
                    select(CalibrationSeat.session_id).where(
                        CalibrationSeat.scorer_id.in_(sorted(scope))
                    )
                ),
            )
            .order_by(CalibrationSession.revealed_at, CalibrationSession.id)
        ).all()
        loaded_sessions = [_load(session, cal) for cal in sessions]
        labels = _labels(
            _users(session, {s for loaded in loaded_sessions for s in loaded.seat_ids})
        )
        rows = []
        for loaded in loaded_sessions:
            benchmark = loaded.cal.benchmark_scorer_id
            for call in loaded.calls:
                by_scorer = loaded.call_scores(call.call_id)
                grid = calibration_grid(
                    {labels[s]: levels for s, levels in by_scorer.items()},
                    loaded.rubric.item_keys,
                )
                reference, source = loaded.reference_for(call.call_id, grid)
                for scorer_id, levels in by_scorer.items():
                    if scorer_id not in scope:
                        continue
                    for key in loaded.rubric.item_keys:
                        if key not in levels or reference[key] is None:
                            continue  # not scored, or nothing to compare with
                        if scorer_id == benchmark and source[key] == BENCHMARK:
                            continue  # the benchmark agrees with themselves by definition
                        rows.append(
                            (
                                labels[scorer_id],
                                loaded.cal.id,
                                loaded.cal.revealed_at,
                                key,
                                levels[key],
                                reference[key],
                            )
                        )
        return scorer_accuracy_over_time(rows)
