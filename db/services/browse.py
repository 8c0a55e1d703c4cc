"""Finding evaluations: every evaluation a user may see, filtered and searched, each
one's history (amendments, dispute decisions, acknowledgements) in words, and one
evaluation whole as a record to print (`evaluation_record`).

What a user may see is the access policy's `evaluation_filter` (db/access.py): scorers
their own, supervisors their team's, agents their own submitted feedback, calibration work
only after reveal. Filters narrow it; none can widen it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.access import Actor, NotFound, can_read_evaluation, current_actor, evaluation_filter
from db.engine import read_scope
from db.models import (
    AuditEvent,
    Call,
    Comment,
    Dispute,
    Evaluation,
    ItemScore,
    ListeningReportRow,
    Status,
    User,
)
from db.queries.rubrics import rubric_by_id
from db.services.audit import ACKNOWLEDGE
from db.services.listening import stored_summary
from scoring.days import day_bounds, zone_from_id
from scoring.errors import Invalid
from scoring.evaluation import item_changes
from scoring.evidence import METRIC_LABELS, evidence_lines
from scoring.ids import parse_id

MAX_ROWS = 500


@dataclass(frozen=True)
class BrowseFilters:
    """None means any. Dates are inclusive days in ``zone`` (the reader's: an IANA name
    or a fixed offset such as "+05:30"; None is UTC); totals 0–100."""

    agent_id: int | None = None
    scorer_id: int | None = None
    since: date | None = None
    until: date | None = None
    min_total: float | None = None
    max_total: float | None = None
    status: str | None = None  # "draft" or "submitted"
    disputed: bool | None = None
    amended: bool | None = None
    text: str = ""  # words in an item note or a comment
    zone: str | None = None
    evaluation_id: int | None = None  # just this one (a link to it), if the reader may
    call_id: int | None = None  # the evaluations of this call (its row on Calls)


@dataclass(frozen=True)
class BrowseRow:
    evaluation_id: int
    call_id: int
    call: str
    agent: str
    scorer: str
    scorer_id: int
    purpose: str
    status: str
    total: float | None
    failed_critical: bool
    when: datetime  # submitted, or started for a draft
    disputes: int
    amended: bool


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    what: str  # "Amended", "Dispute accepted", "Acknowledged", ...
    changes: tuple[str, ...]  # "Be patient: 2 → 3"
    reason: str


@dataclass(frozen=True)
class RecordItem:
    title: str
    score: str  # "4", "N/A", or "–" while open
    note: str
    critical: bool
    evidence: tuple[str, ...]  # listening-evidence lines for this item, where measured


@dataclass(frozen=True)
class RecordComment:
    t_s: float
    author: str
    item: str  # the item's title, or "" for the whole call
    text: str


@dataclass(frozen=True)
class EvaluationRecord:
    """One evaluation whole, as plain data for print: items in rubric order (titles,
    never keys), comments in recording order, the call's listening evidence, history."""

    evaluation_id: int
    call: str
    call_started_at: datetime
    agent: str
    scorer: str
    purpose: str
    status: str
    rubric: str  # "Listening on support calls v3"
    scale: str  # "1–5"
    started_at: datetime
    submitted_at: datetime | None
    total: float | None
    failed_critical: bool
    items: tuple[RecordItem, ...]
    comments: tuple[RecordComment, ...]
    evidence: tuple[str, ...]
    history: tuple[HistoryEntry, ...]


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _filter_conditions(f: BrowseFilters) -> list:  # type: ignore[type-arg]
    where = []
    if f.status is not None:
        if f.status not in (Status.draft, Status.submitted):
            raise Invalid(f"Status must be draft or submitted, not {f.status!r}.")
        where.append(col(Evaluation.status) == f.status)
    if f.evaluation_id is not None:
        where.append(col(Evaluation.id) == f.evaluation_id)
    if f.call_id is not None:
        where.append(col(Evaluation.call_id) == f.call_id)
    if f.agent_id is not None:
        where.append(col(Evaluation.agent_id) == f.agent_id)
    if f.scorer_id is not None:
        where.append(col(Evaluation.scorer_id) == f.scorer_id)
    when = func.coalesce(Evaluation.submitted_at, Evaluation.started_at)
    start, end = day_bounds(f.since, f.until, zone_from_id(f.zone))
    if start is not None:
        where.append(when >= start)
    if end is not None:
        where.append(when < end)
    if f.min_total is not None:
        where.append(col(Evaluation.total) >= f.min_total)
    if f.max_total is not None:
        where.append(col(Evaluation.total) <= f.max_total)
    disputed = exists().where(Dispute.evaluation_id == Evaluation.id)
    if f.disputed is not None:
        where.append(disputed if f.disputed else ~disputed)
    if f.amended is not None:
        amended = _amended()
        where.append(amended if f.amended else ~amended)
    if words := f.text.strip():
        pattern = _like(words)
        where.append(
            or_(
                exists().where(
                    ItemScore.evaluation_id == Evaluation.id,
                    func.lower(ItemScore.note).like(pattern, escape="\\"),
                ),
                exists().where(
                    Comment.evaluation_id == Evaluation.id,
                    func.lower(Comment.text).like(pattern, escape="\\"),
                ),
            )
        )
    return where


def _amended():  # type: ignore[no-untyped-def]  # a correlated EXISTS
    return exists().where(
        AuditEvent.entity == "evaluation",
        AuditEvent.entity_id == Evaluation.id,
        AuditEvent.action == "amend",
    )


def browse_evaluations(
    actor: Actor, f: BrowseFilters | None = None, limit: int = MAX_ROWS
) -> list[BrowseRow]:
    """Evaluations the actor may see that match `f`, newest first, at most `limit`."""
    f = f or BrowseFilters()
    limit = max(1, min(int(limit), MAX_ROWS))
    agent, scorer = aliased(User), aliased(User)
    disputes = (
        select(func.count(Dispute.id)).where(Dispute.evaluation_id == Evaluation.id)
    ).scalar_subquery()
    when = func.coalesce(Evaluation.submitted_at, Evaluation.started_at)
    with read_scope() as session:
        actor = current_actor(session, actor)
        query = (
            select(
                Evaluation,
                Call.external_id,
                agent.display_name,
                scorer.display_name,
                disputes,
                _amended(),
            )
            .join(Call, col(Call.id) == col(Evaluation.call_id))
            .join(agent, agent.id == Evaluation.agent_id)
            .join(scorer, scorer.id == Evaluation.scorer_id)
            .where(evaluation_filter(actor), *_filter_conditions(f))
            .order_by(when.desc(), col(Evaluation.id).desc())
            .limit(limit)
        )
        return [
            BrowseRow(
                evaluation_id=ev.id,
                call_id=ev.call_id,
                call=external_id,
                agent=agent_name,
                scorer=scorer_name,
                scorer_id=ev.scorer_id,
                purpose=ev.purpose,
                status=ev.status,
                total=ev.total,
                failed_critical=ev.failed_critical,
                when=ev.submitted_at or ev.started_at,
                disputes=int(n_disputes or 0),
                amended=bool(amended),
            )
            for ev, external_id, agent_name, scorer_name, n_disputes, amended in session.exec(query)
        ]


def evaluation_history(actor: Actor, evaluation_id: int) -> list[HistoryEntry]:
    """An evaluation's amendments, dispute decisions and acknowledgements, oldest first,
    in item titles:
    for anyone who may read the evaluation (its scorer, the agent, their supervisors)."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        ev = session.get(Evaluation, evaluation_id) if parse_id(evaluation_id) else None
        if ev is None or not can_read_evaluation(session, actor, ev):
            raise NotFound(f"Evaluation {evaluation_id} was not found or is not yours to open.")
        return _history(session, ev)


def evaluation_record(actor: Actor, evaluation_id: int) -> EvaluationRecord:
    """One evaluation whole, for anyone who may read it (the policy's
    `can_read_evaluation`: its scorer, the agent once submitted, their supervisors,
    admins; calibration work only after reveal). Anything else raises NotFound."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        ev = session.get(Evaluation, evaluation_id) if parse_id(evaluation_id) else None
        if ev is None or not can_read_evaluation(session, actor, ev):
            raise NotFound(f"Evaluation {evaluation_id} was not found or is not yours to open.")
        return _record(session, ev)


def _score_text(row: ItemScore | None) -> str:
    if row is None or (row.value is None and not row.na):
        return "–"
    return "N/A" if row.na else str(row.value)


def _record(session: Session, ev: Evaluation) -> EvaluationRecord:
    rubric = rubric_by_id(session, ev.rubric_id)
    titles = {item.key: item.title for item in rubric.items}
    call = session.get(Call, ev.call_id)
    agent, scorer = session.get(User, ev.agent_id), session.get(User, ev.scorer_id)
    rows = {
        r.item_key: r
        for r in session.exec(select(ItemScore).where(ItemScore.evaluation_id == ev.id))
    }
    report = session.get(ListeningReportRow, ev.call_id)
    summary = stored_summary(report) if report is not None else None
    comments = session.exec(
        select(Comment, User.display_name)
        .outerjoin(User, col(User.id) == col(Comment.author_id))
        .where(Comment.evaluation_id == ev.id)
        .order_by(col(Comment.t_s), col(Comment.created_at), col(Comment.id))
    ).all()
    return EvaluationRecord(
        evaluation_id=ev.id or 0,  # stored rows have their id
        call=call.external_id if call else "?",
        call_started_at=call.started_at if call else ev.started_at,
        agent=agent.display_name if agent else "?",
        scorer=scorer.display_name if scorer else "?",
        purpose=str(ev.purpose),
        status=str(ev.status),
        rubric=f"{rubric.title} v{rubric.version}",
        scale=f"{rubric.scale_min}–{rubric.scale_max}",
        started_at=ev.started_at,
        submitted_at=ev.submitted_at,
        total=ev.total,
        failed_critical=bool(ev.failed_critical),
        items=tuple(
            RecordItem(
                item.title,
                _score_text(rows.get(item.key)),
                (row.note if (row := rows.get(item.key)) else "") or "",
                item.critical,
                tuple(evidence_lines(summary, item.evidence)),
            )
            for item in rubric.items
        ),
        comments=tuple(
            RecordComment(
                c.t_s, who or "?", titles.get(c.item_key, c.item_key) if c.item_key else "", c.text
            )
            for c, who in comments
        ),
        evidence=tuple(evidence_lines(summary, list(METRIC_LABELS))),
        history=tuple(_history(session, ev)),
    )


def _history(session: Session, ev: Evaluation) -> list[HistoryEntry]:
    rubric = rubric_by_id(session, ev.rubric_id)
    titles = {item.key: item.title for item in rubric.items}
    disputes = session.exec(select(Dispute).where(Dispute.evaluation_id == ev.id)).all()
    rows = session.exec(
        select(AuditEvent, User.display_name)
        .outerjoin(User, col(User.id) == col(AuditEvent.actor_id))
        .where(
            or_(
                and_(AuditEvent.entity == "evaluation", AuditEvent.entity_id == ev.id),
                and_(
                    AuditEvent.entity == "dispute",
                    col(AuditEvent.entity_id).in_([d.id for d in disputes] or [-1]),
                    AuditEvent.action == "resolve_dispute",
                ),
            )
        )
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    entries = []
    for event, who in rows:
        if event.entity == "evaluation" and event.action == "amend":
            before = (event.before or {}).get("items", {})
            after = (event.after or {}).get("items", {})
            changes = tuple(
                change.describe(titles.get(change.key, change.key))
                for change in item_changes(before, after)
            )
            entries.append(HistoryEntry(event.at, who or "?", "Amended", changes, event.reason))
        elif event.entity == "evaluation" and event.action == ACKNOWLEDGE:
            entries.append(HistoryEntry(event.at, who or "?", "Acknowledged", (), ""))
        elif event.entity == "dispute":
            after, before = event.after or {}, event.before or {}
            key = after.get("item_key", "")
            status = str(after.get("status", "")).replace("_", " ")
            changes = tuple(
                change.describe(titles.get(change.key, change.key))
                for change in item_changes({key: before}, {key: after})
            )
            entries.append(
                HistoryEntry(event.at, who or "?", f"Dispute {status}", changes, event.reason)
            )
    return entries
