"""The calibration service's shared parts: limits, the shapes it returns, who may open or
run a session, and the small reads every part uses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    require_role,
)
from db.models import (
    CalibrationCall,
    CalibrationSeat,
    CalibrationSession,
    Call,
    Evaluation,
    Purpose,
    Role,
    Status,
    User,
)
from db.models import Rubric as RubricRow
from scoring.calibration import (
    SessionStatistics,
)
from scoring.text import CONSENSUS_NOTE_MAX, TITLE_MAX

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
