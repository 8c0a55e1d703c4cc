"""The agent's own feedback: their submitted regular evaluations, read marks,
acknowledgements, and one evaluation in full (rubric, call, comments, listening evidence).

Agents only, and only their own submitted *regular* evaluations: never drafts, never
calibration evaluations, never another agent's. Anything else reads as "not found".

The reads run on every page run, so their answers are cached per process, keyed on the
agent's `User.feedback_version` and the data version. Both are read with the actor on every
call (one primary-key query, which also refuses a deactivated agent); every write that
changes an agent's feedback moves one of them (`bump_feedback_version`: read marks,
acknowledgements, disputes; `bump_data_version`: submit, amend, evidence, users).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from db.access import (
    AccessDenied,
    Actor,
    NotFound,
    active_actor,
    current_actor,
    is_own_feedback,
    own_feedback_filter,
    require_role,
)
from db.cache import bump_feedback_version, cached_by_versions
from db.engine import read_scope, session_scope
from db.models import (
    Acknowledgement,
    Call,
    DataVersion,
    Dispute,
    Evaluation,
    ItemScore,
    ListeningReportRow,
    Role,
    User,
    utcnow,
)
from db.models import EvaluationView as ViewMark
from db.queries.comments import CommentView, comments_of
from db.queries.rubrics import rubric_by_id
from db.services.audit import record_acknowledgement
from db.services.calls import CallRow, signed_audio_url
from db.services.disputes import OPEN, DisputeRow, dispute_deadline, dispute_rows
from db.services.listening import stored_summary
from scoring.errors import Invalid
from scoring.evidence import evidence_lines
from scoring.ids import id_fits, parse_id

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
    evidence: Sequence[str]  # listening-evidence lines for this item, where measured
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
    # Cached for every reader, so frozen there (db.cache.freeze): the sequences are
    # tuples, the mappings read-only.
    items: Sequence[ItemFeedback]
    comments: Sequence[CommentView]
    listening: Mapping[str, Any] | None  # {"report", "peaks", "error"} or None
    summary: Mapping[str, Any] | None  # ListeningReport.summary() where measured
    acknowledged_at: datetime | None
    viewed_at: datetime | None
    dispute_deadline: datetime
    disputes: Sequence[DisputeRow] = field(default_factory=list)
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


def _valid_id(evaluation_id: object) -> bool:
    # An int, not a bool: True would share a cache entry (and a row) with evaluation 1.
    return isinstance(evaluation_id, int) and parse_id(evaluation_id) is not None


def _own(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    """The actor's own submitted regular evaluation, or NotFound (same message either way)."""
    ev = session.get(Evaluation, evaluation_id) if _valid_id(evaluation_id) else None
    if ev is None or not is_own_feedback(actor, ev):
        raise NotFound(NOT_YOURS.format(id=evaluation_id))
    return ev


def _actor_and_versions(session: Session, actor: Actor) -> tuple[Actor, tuple]:
    """The actor as stored now (a deactivated one is refused) and what their cached
    feedback is keyed on: (their feedback version, the data version, the actor). One
    primary-key read, so the check and the versions come from the same snapshot."""
    found = (
        session.exec(
            select(User, DataVersion.version)
            .outerjoin(DataVersion, DataVersion.id == 1)
            .where(User.id == actor.id)
        ).first()
        if id_fits(actor.id)
        else None
    )
    user, data_version = found if found is not None else (None, None)
    actor = active_actor(user)
    # The actor itself too: their name is shown in the detail, their role gates it all.
    return actor, (user.feedback_version, data_version or 0, actor)


def my_evaluations(actor: Actor, limit: int = 200) -> Sequence[FeedbackRow]:
    """The agent's newest `limit` submitted regular evaluations, newest first, with unread
    marks. (Older ones stay in the trend; the list is for reading feedback.)"""
    _require_agent(actor)
    with read_scope() as session:
        actor, versions = _actor_and_versions(session, actor)
        _require_agent(actor)
        return cached_by_versions(
            ("my_evaluations", actor.id, limit),
            versions,
            lambda: _my_evaluations(session, actor, limit),
        )


def _my_evaluations(session: Session, actor: Actor, limit: int) -> list[FeedbackRow]:
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
        .where(*own_feedback_filter(actor))
        .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc())
        .limit(limit)
    )
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


@dataclass(frozen=True)
class FeedbackCounts:
    """Where an agent stands: their submitted evaluations, how many they have not opened
    or not acknowledged, their open disputes, and the mean total (0–100; None before the
    first evaluation)."""

    evaluations: int
    unread: int
    unacknowledged: int
    open_disputes: int
    mean_total: float | None


def feedback_counts(actor: Actor) -> FeedbackCounts:
    """The agent's own counts, in one query, cached like the rest of their feedback."""
    require_role(actor, Role.agent)
    with read_scope() as session:
        actor, versions = _actor_and_versions(session, actor)
        require_role(actor, Role.agent)  # as stored now, not as when they logged in
        return cached_by_versions(
            ("feedback_counts", actor.id),
            versions,
            lambda: _feedback_counts(session, actor),
        )


def unread_count(actor: Actor) -> int:
    """How many of the agent's evaluations they have not opened yet (0 for other roles,
    and for an account deactivated or re-roled since it logged in: a badge, never an
    error)."""
    if not actor.is_agent:
        return 0
    try:
        return feedback_counts(actor).unread
    except AccessDenied:
        return 0


def _marked(mark: type) -> Any:
    """The evaluation's row in `mark` (view or acknowledgement), or NULL.

    A scalar subquery, not an outer or anti-join: PostgreSQL may plan those as a hash
    join reading every agent's marks (it does for custom plans, ~2x slower at bench
    scale). This probes the mark's primary key once per evaluation of this agent,
    whatever the planner estimates."""
    return (
        select(mark.evaluation_id)
        .where(mark.evaluation_id == Evaluation.id)
        .correlate(Evaluation)
        .scalar_subquery()
    )


def _feedback_counts(session: Session, actor: Actor) -> FeedbackCounts:
    open_disputes = (
        select(func.count(Dispute.id))
        .where(Dispute.agent_id == actor.id, Dispute.status == OPEN)
        .scalar_subquery()
    )
    n, viewed, acknowledged, mean, disputes = session.exec(
        select(
            func.count(Evaluation.id),
            func.count(_marked(ViewMark)),
            func.count(_marked(Acknowledgement)),
            func.avg(Evaluation.total),
            open_disputes,
        )
        .select_from(Evaluation)
        .where(*own_feedback_filter(actor))
    ).one()
    return FeedbackCounts(
        evaluations=int(n),
        unread=int(n) - int(viewed),
        unacknowledged=int(n) - int(acknowledged),
        open_disputes=int(disputes or 0),
        mean_total=None if mean is None else float(mean),
    )


def mark_viewed(actor: Actor, evaluation_id: int) -> datetime:
    """Record when the agent first opened this evaluation (idempotent); returns that time."""
    return _record_first(actor, evaluation_id, ViewMark)


def acknowledge(actor: Actor, evaluation_id: int) -> datetime:
    """The agent acknowledges their evaluation (which also marks it read); returns when
    (the first time counts)."""
    return _record_first(actor, evaluation_id, Acknowledgement)


MAX_BULK_ACKNOWLEDGE = 200


def acknowledge_many(actor: Actor, evaluation_ids: Iterable[int]) -> int:
    """The agent acknowledges several of their evaluations at once, each exactly as
    `acknowledge` records one (an acknowledgement row with its time, and the view).

    All or none: one id that is not the agent's own submitted regular evaluation refuses
    the whole batch (NotFound naming it) and records nothing. Returns how many were
    acknowledged now (ones acknowledged before keep their first time)."""
    wanted = list(dict.fromkeys(evaluation_ids))
    if not wanted:
        raise Invalid("Choose at least one evaluation to acknowledge.")
    if len(wanted) > MAX_BULK_ACKNOWLEDGE:
        raise Invalid(
            f"Acknowledge at most {MAX_BULK_ACKNOWLEDGE} evaluations at once; "
            f"{len(wanted)} were chosen."
        )
    for attempt in range(2):
        try:
            with session_scope() as session:
                actor = current_actor(session, actor)
                evaluations = [_own(session, actor, i) for i in wanted]
                done = 0
                for ev in evaluations:
                    assert ev.id is not None
                    if session.get(Acknowledgement, ev.id) is not None:
                        continue
                    row = Acknowledgement(evaluation_id=ev.id, agent_id=actor.id)
                    session.add(row)
                    if session.get(ViewMark, ev.id) is None:
                        session.add(ViewMark(evaluation_id=ev.id, agent_id=actor.id, at=row.at))
                    record_acknowledgement(session, actor, ev.id, row.at, bulk=True)
                    done += 1
                if done:
                    bump_feedback_version(session, actor.id)  # flushes the new rows first
                return done
        except IntegrityError:  # another tab acknowledged one of them in the same instant
            if attempt:
                raise
    return 0


def _record_first(
    actor: Actor, evaluation_id: int, model: type[ViewMark | Acknowledgement]
) -> datetime:
    """Insert the agent's `model` row for their evaluation unless one exists; returns its
    time. An acknowledgement also records the view, if none was recorded yet."""
    try:
        with session_scope() as session:
            actor = current_actor(session, actor)
            ev = _own(session, actor, evaluation_id)
            row = session.get(model, ev.id)
            if row is not None:
                return row.at
            row = model(evaluation_id=ev.id, agent_id=actor.id)
            session.add(row)
            if model is Acknowledgement:
                if session.get(ViewMark, ev.id) is None:
                    session.add(ViewMark(evaluation_id=ev.id, agent_id=actor.id, at=row.at))
                record_acknowledgement(session, actor, evaluation_id, row.at, bulk=False)
            bump_feedback_version(session, actor.id)  # flushes the new rows first
            return row.at
    except IntegrityError:  # another tab recorded it in the same instant
        with session_scope() as session:
            return session.get(model, evaluation_id).at


def feedback_detail(actor: Actor, evaluation_id: int) -> FeedbackDetail:
    """One of the agent's own evaluations in full. Anything else raises NotFound."""
    with read_scope() as session:
        actor, versions = _actor_and_versions(session, actor)
        if not actor.is_agent or not _valid_id(evaluation_id):
            raise NotFound(NOT_YOURS.format(id=evaluation_id))
        detail = cached_by_versions(
            ("feedback_detail", actor.id, evaluation_id),
            versions,
            lambda: _feedback_detail(session, actor, evaluation_id),
        )
    # Worked out per call, not cached: the window is a setting, the link expires.
    return replace(
        detail,
        dispute_deadline=dispute_deadline(detail.submitted_at),
        audio_url=signed_audio_url(detail.call.id, actor.id),  # _own checked: their call
    )


def _feedback_detail(session: Session, actor: Actor, evaluation_id: int) -> FeedbackDetail:
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
    )
