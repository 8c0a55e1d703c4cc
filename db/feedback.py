"""The agent's own feedback: their submitted regular evaluations, read marks,
acknowledgements, and one evaluation in full (rubric, call, comments, listening evidence).

Agents only, and only their own submitted *regular* evaluations: never drafts, never
calibration evaluations, never another agent's. Anything else reads as "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from db.access import AccessDenied, Actor, NotFound, reload_actor
from db.calls import CallRow, signed_audio_url
from db.disputes import OPEN, DisputeRow, dispute_deadline, dispute_rows
from db.engine import session_scope
from db.evaluations import CommentView, comments_of
from db.listening import stored_summary
from db.models import (
    Acknowledgement,
    Call,
    Dispute,
    Evaluation,
    ItemScore,
    ListeningReportRow,
    Purpose,
    Status,
    User,
    utcnow,
)
from db.models import EvaluationView as ViewMark
from db.rubrics import rubric_by_id
from scoring.evidence import evidence_lines

NOT_YOURS = "Evaluation {id} was not found or is not yours to open."


@dataclass(frozen=True)
class FeedbackRow:
    evaluation_id: int
    call_id: int
    call_external_id: str
    call_started_at: datetime
    scorer: str
    submitted_at: datetime
    total: float | None
    failed_critical: bool
    unread: bool
    acknowledged_at: datetime | None
    open_disputes: int


@dataclass(frozen=True)
class ItemFeedback:
    key: str
    title: str
    listen_for: str
    critical: bool
    value: int | None
    na: bool
    note: str
    level_label: str  # e.g. "Good" for 4, "" for N/A
    anchor: str  # the behavioural anchor of the given level, "" for N/A
    evidence: list[str]  # listening-evidence lines for this item, where measured
    dispute: DisputeRow | None  # the newest dispute on this item, if any

    @property
    def score(self) -> str:
        if self.na:
            return "N/A"
        return "–" if self.value is None else str(self.value)

    @property
    def open_dispute(self) -> bool:
        return self.dispute is not None and self.dispute.is_open


@dataclass(frozen=True)
class FeedbackDetail:
    evaluation_id: int
    call: CallRow
    scorer: str
    submitted_at: datetime
    total: float | None
    failed_critical: bool
    rubric_title: str
    rubric_version: int
    scale_max: int
    items: list[ItemFeedback]
    comments: list[CommentView]
    listening: dict[str, Any] | None  # {"report", "peaks", "error"} or None
    summary: dict[str, Any] | None  # ListeningReport.summary() where measured
    acknowledged_at: datetime | None
    viewed_at: datetime | None
    dispute_deadline: datetime
    disputes: list[DisputeRow] = field(default_factory=list)
    audio_url: str = ""  # signed for this agent: their own call

    @property
    def can_dispute(self) -> bool:
        return utcnow() <= self.dispute_deadline

    @property
    def disputable_items(self) -> list[ItemFeedback]:
        return [i for i in self.items if not i.open_dispute] if self.can_dispute else []


def _require_agent(actor: Actor) -> None:
    if not actor.is_agent:
        raise AccessDenied("This is the agents' own feedback; it lists your evaluations only.")


def _own(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    """The actor's own submitted regular evaluation, or NotFound (same message either way)."""
    valid_id = isinstance(evaluation_id, int) and 0 < evaluation_id < 2**31
    ev = session.get(Evaluation, evaluation_id) if valid_id else None
    if (
        ev is None
        or not actor.is_agent
        or ev.agent_id != actor.id
        or ev.purpose != Purpose.regular
        or ev.status != Status.submitted
    ):
        raise NotFound(NOT_YOURS.format(id=evaluation_id))
    return ev


def _mine(actor: Actor):  # noqa: ANN202 - a list of SQL conditions
    return [
        Evaluation.agent_id == actor.id,
        Evaluation.purpose == Purpose.regular,
        Evaluation.status == Status.submitted,
    ]


def my_evaluations(actor: Actor, limit: int = 200) -> list[FeedbackRow]:
    """The agent's newest `limit` submitted regular evaluations, newest first, with unread
    marks. (Older ones stay in the trend; the list is for reading feedback.)"""
    _require_agent(actor)
    scorer = aliased(User)
    open_counts = (
        select(Dispute.evaluation_id, func.count(Dispute.id).label("n"))
        .where(Dispute.agent_id == actor.id, Dispute.status == OPEN)
        .group_by(Dispute.evaluation_id)
        .subquery()
    )
    query = (
        select(
            Evaluation.id,
            Evaluation.call_id,
            Evaluation.submitted_at,
            Evaluation.total,
            Evaluation.failed_critical,
            Call.external_id,
            Call.started_at,
            scorer.display_name,
            ViewMark.at,
            Acknowledgement.at,
            open_counts.c.n,
        )
        .join(Call, Call.id == Evaluation.call_id)
        .join(scorer, scorer.id == Evaluation.scorer_id)
        .outerjoin(ViewMark, ViewMark.evaluation_id == Evaluation.id)
        .outerjoin(Acknowledgement, Acknowledgement.evaluation_id == Evaluation.id)
        .outerjoin(open_counts, open_counts.c.evaluation_id == Evaluation.id)
        .where(*_mine(actor))
        .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc())
        .limit(limit)
    )
    with session_scope() as session:
        actor = reload_actor(session, actor)
        _require_agent(actor)
        return [
            FeedbackRow(
                evaluation_id=ev_id,
                call_id=call_id,
                call_external_id=external_id,
                call_started_at=started_at,
                scorer=scorer_name,
                submitted_at=submitted_at,
                total=total,
                failed_critical=bool(failed),
                unread=viewed is None,
                acknowledged_at=acked,
                open_disputes=int(n or 0),
            )
            for (
                ev_id,
                call_id,
                submitted_at,
                total,
                failed,
                external_id,
                started_at,
                scorer_name,
                viewed,
                acked,
                n,
            ) in session.exec(query).all()
        ]


def unread_count(actor: Actor) -> int:
    """How many of the agent's evaluations they have not opened yet (0 for other roles)."""
    if not actor.is_agent:
        return 0
    query = (
        select(func.count(Evaluation.id))
        .outerjoin(ViewMark, ViewMark.evaluation_id == Evaluation.id)
        .where(*_mine(actor), ViewMark.evaluation_id.is_(None))
    )
    with session_scope() as session:
        return int(session.exec(query).one())


def mark_viewed(actor: Actor, evaluation_id: int) -> datetime:
    """Record when the agent first opened this evaluation (idempotent); returns that time."""
    try:
        with session_scope() as session:
            actor = reload_actor(session, actor)
            ev = _own(session, actor, evaluation_id)
            mark = session.get(ViewMark, ev.id)
            if mark is not None:
                return mark.at
            mark = ViewMark(evaluation_id=ev.id, agent_id=actor.id)
            session.add(mark)
            session.flush()
            return mark.at
    except IntegrityError:  # another tab marked it in the same instant
        with session_scope() as session:
            return session.get(ViewMark, evaluation_id).at


def acknowledge(actor: Actor, evaluation_id: int) -> datetime:
    """The agent acknowledges their evaluation; returns when (the first time counts)."""
    try:
        with session_scope() as session:
            actor = reload_actor(session, actor)
            ev = _own(session, actor, evaluation_id)
            ack = session.get(Acknowledgement, ev.id)
            if ack is not None:
                return ack.at
            ack = Acknowledgement(evaluation_id=ev.id, agent_id=actor.id)
            session.add(ack)
            if session.get(ViewMark, ev.id) is None:
                session.add(ViewMark(evaluation_id=ev.id, agent_id=actor.id, at=ack.at))
            session.flush()
            return ack.at
    except IntegrityError:
        with session_scope() as session:
            return session.get(Acknowledgement, evaluation_id).at


def feedback_detail(actor: Actor, evaluation_id: int) -> FeedbackDetail:
    """One of the agent's own evaluations in full. Anything else raises NotFound."""
    with session_scope() as session:
        actor = reload_actor(session, actor)
        ev = _own(session, actor, evaluation_id)
        rubric = rubric_by_id(session, ev.rubric_id)
        # One round trip for the one-to-one rows around the evaluation (a page run each).
        call, scorer, report_row, ack, mark = session.exec(
            select(Call, User, ListeningReportRow, Acknowledgement, ViewMark)
            .select_from(Call)
            .join(User, User.id == ev.scorer_id)
            .outerjoin(ListeningReportRow, ListeningReportRow.call_id == Call.id)
            .outerjoin(Acknowledgement, Acknowledgement.evaluation_id == ev.id)
            .outerjoin(ViewMark, ViewMark.evaluation_id == ev.id)
            .where(Call.id == ev.call_id)
        ).one()
        scores = {
            s.item_key: s
            for s in session.exec(select(ItemScore).where(ItemScore.evaluation_id == ev.id))
        }
        comments = comments_of(session, ev.id)
        disputes = dispute_rows(session, actor, Dispute.evaluation_id == ev.id)

    listening = summary = None
    if report_row is not None:
        listening = {
            "report": report_row.report or None,
            "peaks": report_row.peaks,
            "error": report_row.error,
        }
        summary = stored_summary(report_row)
    newest_dispute: dict[str, DisputeRow] = {}
    for d in disputes:  # newest first: keep the first seen per item
        newest_dispute.setdefault(d.item_key, d)
    items = []
    for item in rubric.items:
        score = scores.get(item.key)
        value = score.value if score else None
        na = bool(score and score.na)
        items.append(
            ItemFeedback(
                key=item.key,
                title=item.title,
                listen_for=item.listen_for,
                critical=item.critical,
                value=value,
                na=na,
                note=score.note if score else "",
                level_label="" if value is None else rubric.scale_labels.get(value, ""),
                anchor="" if value is None else item.anchors.get(value, ""),
                evidence=evidence_lines(summary, item.evidence),
                dispute=newest_dispute.get(item.key),
            )
        )
    return FeedbackDetail(
        evaluation_id=ev.id,
        call=CallRow(
            call.id,
            call.external_id,
            call.agent_id,
            actor.display_name,  # _own: the agent is the actor
            call.started_at,
            call.duration_s,
            call.channels,
            call.agent_channel,
        ),
        scorer=scorer.display_name if scorer else "?",
        submitted_at=ev.submitted_at,
        total=ev.total,
        failed_critical=ev.failed_critical,
        rubric_title=rubric.title,
        rubric_version=rubric.version,
        scale_max=rubric.scale_max,
        items=items,
        comments=comments,
        listening=listening,
        summary=summary,
        acknowledged_at=ack.at if ack else None,
        viewed_at=mark.at if mark else None,
        dispute_deadline=dispute_deadline(ev.submitted_at),
        disputes=disputes,
        audio_url=signed_audio_url(call.id, actor.id),  # _own checked: the agent's call
    )
