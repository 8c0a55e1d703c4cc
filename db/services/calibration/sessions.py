"""Calibration sessions made, listed and revealed: the scorers to choose from, a new
session with its calls and seats, the list and one session, who has submitted (never
what) and the reveal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from db.access import (
    Actor,
    can_run_session,
    get_visible_call,
    session_filter,
)
from db.engine import read_scope, session_scope
from db.models import (
    CalibrationCall,
    CalibrationSeat,
    CalibrationSession,
    Evaluation,
    Purpose,
    Role,
    Team,
    User,
    utcnow,
)
from db.queries.rubrics import latest_rubric_row
from db.services.audit import record_audit
from db.services.calibration.common import (
    MAX_TITLE,
    MIN_SCORERS,
    NOT_STARTED,
    ScorerOption,
    SessionSummary,
    SubmissionRow,
    _counted_submissions,
    _labels,
    _load_facilitated,
    _load_visible,
    _seat_ids,
    _session_calls,
    _start,
    _submitted_evaluations,
    _summaries,
    _summary,
    _unique,
    _users,
)
from scoring.errors import Invalid
from scoring.text import clean_text

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
