"""Disputes: an agent challenges one item of their own submitted evaluation; the agent's
team supervisor or an admin decides.

- Only the agent scored, on a submitted *regular* evaluation, within the dispute window
  (``settings().dispute_window_days``, counted from ``submitted_at``); a reason is required;
  one open dispute per item at a time.
- Decisions: ``accepted`` or ``partly_accepted`` amend the item through
  :func:`db.services.evaluations.amend` (the audited amend path, with the dispute named in the
  reason); ``rejected`` needs a reason and changes no score. Every decision writes an
  audit event on the dispute.
- Who sees what: agents their own disputes; supervisors their team's (by the agent's
  team); admins all. A dispute someone may not see reads as "not found".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.access import (
    AccessDenied,
    Actor,
    NotFound,
    can_decide_dispute,
    can_read_evaluation,
    current_actor,
    dispute_filter,
    is_own_feedback,
)
from db.cache import bump_feedback_version
from db.engine import read_scope, session_scope
from db.models import (
    Call,
    Dispute,
    Evaluation,
    ItemScore,
    ListeningReportRow,
    Role,
    User,
    utcnow,
)
from db.models import Rubric as RubricRow
from db.operations.config import settings
from db.queries.comments import CommentView, comments_of
from db.queries.rubrics import rubric_by_id, rubric_from_row
from db.services.audit import record_audit
from db.services.calls import CallRow, signed_audio_url
from db.services.evaluations import amend
from scoring.cited_moments import valid_moments
from scoring.errors import Invalid
from scoring.ids import parse_id
from scoring.rubric import Rubric
from scoring.text import DISPUTE_TEXT_MAX, REASON_MAX, clean_text, shorten

OPEN = "open"
ACCEPTED = "accepted"
PARTLY_ACCEPTED = "partly_accepted"
REJECTED = "rejected"
DECISIONS = (ACCEPTED, PARTLY_ACCEPTED, REJECTED)
STATUSES = (OPEN, *DECISIONS)
STATUS_LABELS = {
    OPEN: "Open",
    ACCEPTED: "Accepted",
    PARTLY_ACCEPTED: "Partly accepted",
    REJECTED: "Rejected",
}
MAX_TEXT = DISPUTE_TEXT_MAX
MIN_REASON = 5


class DisputeProblem(Invalid):
    """The dispute or decision cannot be recorded; the message says why and is safe to show."""


class DisputeWindowClosed(DisputeProblem):
    """The evaluation is older than the dispute window."""


@dataclass(frozen=True)
class DisputeRow:
    id: int
    evaluation_id: int
    call_id: int
    call_external_id: str
    agent_id: int
    agent: str
    scorer_id: int
    scorer: str
    item_key: str
    item_title: str
    current_value: int | None  # the item's score now (after any amendment)
    current_na: bool
    current_note: str  # the scorer's note on the item
    levels: tuple[int, ...]
    na_allowed: bool
    reason: str
    status: str
    resolution: str
    resolver: str | None
    created_at: datetime
    resolved_at: datetime | None
    evaluation_submitted_at: datetime | None
    moments: tuple[float, ...] = ()  # the moments the agent cites, seconds from the start

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def current_score(self) -> str:
        if self.current_na:
            return "N/A"
        return "–" if self.current_value is None else str(self.current_value)


def dispute_window() -> timedelta:
    return timedelta(days=settings().dispute_window_days)


def dispute_deadline(submitted_at: datetime | None) -> datetime | None:
    return None if submitted_at is None else submitted_at + dispute_window()


def _clean(text: str | None, what: str) -> str:
    return clean_text(text, what, MAX_TEXT, error=DisputeProblem)


def _not_found(what: str, ident: int) -> NotFound:
    # One message for "missing" and "not yours": nobody probes for ids.
    return NotFound(f"{what} {ident} was not found or is not yours to open.")


# ---------------------------------------------------------------- reading


def _rubrics(session: Session, rubric_ids: set[int]) -> dict[int, Rubric]:
    if not rubric_ids:
        return {}
    rows = session.exec(select(RubricRow).where(RubricRow.id.in_(sorted(rubric_ids)))).all()
    return {row.id: rubric_from_row(row) for row in rows}


def dispute_rows(session: Session, actor: Actor, *conditions, newest_first: bool = True):
    """Disputes the actor may see, matching `conditions`, as DisputeRow."""
    agent = aliased(User)
    scorer = aliased(User)
    resolver = aliased(User)
    query = (
        select(
            Dispute,
            Evaluation.call_id,
            Evaluation.scorer_id,
            Evaluation.rubric_id,
            Evaluation.submitted_at,
            Call.external_id,
            agent.display_name,
            scorer.display_name,
            resolver.display_name,
            ItemScore.value,
            ItemScore.na,
            ItemScore.note,
        )
        .join(Evaluation, Evaluation.id == Dispute.evaluation_id)
        .join(Call, Call.id == Evaluation.call_id)
        .join(agent, agent.id == Dispute.agent_id)
        .join(scorer, scorer.id == Evaluation.scorer_id)
        .outerjoin(resolver, resolver.id == Dispute.resolver_id)
        .outerjoin(
            ItemScore,
            (ItemScore.evaluation_id == Dispute.evaluation_id)
            & (ItemScore.item_key == Dispute.item_key),
        )
        .where(*conditions)
    )
    query = query.where(dispute_filter(actor, agent))
    order = (
        (Dispute.created_at.desc(), Dispute.id.desc())
        if newest_first
        else (Dispute.created_at, Dispute.id)
    )
    rows = session.exec(query.order_by(*order)).all()
    rubrics = _rubrics(session, {r[3] for r in rows})
    out = []
    for (
        d,
        call_id,
        scorer_id,
        rubric_id,
        submitted_at,
        external_id,
        agent_name,
        scorer_name,
        resolver_name,
        value,
        na,
        note,
    ) in rows:
        rubric = rubrics[rubric_id]
        try:
            item = rubric.item(d.item_key)
            title, na_allowed = item.title, item.na_allowed
        except KeyError:
            title, na_allowed = d.item_key, False
        out.append(
            DisputeRow(
                id=d.id,
                evaluation_id=d.evaluation_id,
                call_id=call_id,
                call_external_id=external_id,
                agent_id=d.agent_id,
                agent=agent_name,
                scorer_id=scorer_id,
                scorer=scorer_name,
                item_key=d.item_key,
                item_title=title,
                current_value=value,
                current_na=bool(na),
                current_note=note or "",
                levels=rubric.levels,
                na_allowed=na_allowed,
                reason=d.reason,
                status=d.status,
                resolution=d.resolution,
                resolver=resolver_name,
                created_at=d.created_at,
                resolved_at=d.resolved_at,
                evaluation_submitted_at=submitted_at,
                moments=tuple(float(t) for t in d.moments or ()),
            )
        )
    return out


def list_disputes(
    actor: Actor, status: str | None = None, evaluation_id: int | None = None
) -> list[DisputeRow]:
    """Disputes the actor may see. Open ones oldest first (a queue); otherwise newest first."""
    if status is not None and status not in STATUSES:
        raise DisputeProblem(f"Unknown dispute status {status!r}; use {', '.join(STATUSES)}.")
    with read_scope() as session:
        actor = current_actor(session, actor)
        conditions = []
        if status is not None:
            conditions.append(Dispute.status == status)
        if evaluation_id is not None:
            conditions.append(Dispute.evaluation_id == evaluation_id)
        return dispute_rows(session, actor, *conditions, newest_first=status != OPEN)


def get_dispute(actor: Actor, dispute_id: int) -> DisputeRow:
    with read_scope() as session:
        actor = current_actor(session, actor)
        if parse_id(dispute_id) is None:
            raise _not_found("Dispute", dispute_id)
        rows = dispute_rows(session, actor, Dispute.id == dispute_id)
        if not rows:
            raise _not_found("Dispute", dispute_id)
        return rows[0]


def open_dispute_count(actor: Actor) -> int:
    """Open disputes waiting for this actor: a supervisor's team, everything for admins,
    an agent's own. For the navigation badge."""
    with read_scope() as session:
        return int(session.exec(open_disputes_counted(actor)).one())


def open_disputes_counted(actor: Actor) -> Any:
    """The statement of ``open_dispute_count`` (one column, one row), for a caller that
    counts several things in one round trip (the navigation)."""
    return (
        select(func.count(Dispute.id))
        .join(User, User.id == Dispute.agent_id)
        .where(Dispute.status == OPEN, dispute_filter(actor, User))
    )


# ---------------------------------------------------------------- the agent disputes


def open_dispute(
    actor: Actor,
    evaluation_id: int,
    item_key: str,
    reason: str,
    moments: Sequence[float] = (),
) -> DisputeRow:
    """The agent disputes one item of their own submitted evaluation, with a reason and
    the moments of the call they cite (seconds from its start, within the call; they are
    stored sorted, without repeats)."""
    reason = _clean(reason, "reason")
    if len(reason) < MIN_REASON:
        raise DisputeProblem("A dispute needs a reason: say why you think the score is wrong.")
    with session_scope() as session:
        actor = current_actor(session, actor)
        if not actor.is_agent:
            raise AccessDenied("Only the agent whose call was scored can dispute an item.")
        if parse_id(evaluation_id) is None:
            raise _not_found("Evaluation", evaluation_id)
        # Lock the evaluation row (PostgreSQL) so two tabs cannot open the same dispute twice.
        ev = session.exec(
            select(Evaluation).where(Evaluation.id == evaluation_id).with_for_update()
        ).first()
        if ev is None or not is_own_feedback(actor, ev):
            raise _not_found("Evaluation", evaluation_id)
        rubric = rubric_by_id(session, ev.rubric_id)
        if item_key not in rubric.item_keys:
            raise DisputeProblem(f"This evaluation has no item {item_key!r}.")
        deadline = dispute_deadline(ev.submitted_at)
        if utcnow() > deadline:
            raise DisputeWindowClosed(
                f"Disputes close {settings().dispute_window_days} days after the evaluation is "
                f"submitted; this one closed on {deadline:%Y-%m-%d}."
            )
        already = session.exec(
            select(Dispute.id).where(
                Dispute.evaluation_id == ev.id,
                Dispute.item_key == item_key,
                Dispute.status == OPEN,
            )
        ).first()
        if already is not None:
            raise DisputeProblem(
                f"You already have an open dispute on “{rubric.item(item_key).title}”; "
                "wait for its outcome."
            )
        call = session.get(Call, ev.call_id)
        cited = list(valid_moments(moments, call.duration_s if call else 0.0))
        dispute = Dispute(
            evaluation_id=ev.id,
            item_key=item_key,
            agent_id=actor.id,
            reason=reason,
            moments=cited,
        )
        session.add(dispute)
        session.flush()
        record_audit(
            session,
            actor,
            "open_dispute",
            "dispute",
            dispute.id,
            after={
                "evaluation_id": ev.id,
                "item_key": item_key,
                "status": OPEN,
                "moments": cited,
            },
            reason=reason,
        )
        bump_feedback_version(session, actor.id)
        return dispute_rows(session, actor, Dispute.id == dispute.id)[0]


# ---------------------------------------------------------------- deciding


def _load_for_decision(session: Session, actor: Actor, dispute_id: int):
    if parse_id(dispute_id) is None:
        raise _not_found("Dispute", dispute_id)
    dispute = session.exec(
        select(Dispute).where(Dispute.id == dispute_id).with_for_update()
    ).first()
    if dispute is None or not can_decide_dispute(session, actor, dispute):
        raise _not_found("Dispute", dispute_id)
    ev = session.get(Evaluation, dispute.evaluation_id)
    return dispute, ev


def resolve_dispute(
    actor: Actor,
    dispute_id: int,
    decision: str,
    resolution_text: str,
    new_value: int | None = None,
    *,
    na: bool = False,
) -> DisputeRow:
    """Decide an open dispute.

    ``accepted`` / ``partly_accepted``: the item becomes ``new_value`` (or N/A with
    ``na=True``) through :func:`db.services.evaluations.amend` in the same transaction, whose audit
    event names the dispute;
    ``partly_accepted`` also needs a resolution text. ``rejected``: a resolution text (the
    reason) is required and no score changes. Each decision writes a ``resolve_dispute``
    audit event. Raises DisputeProblem (bad input, already decided), NotFound (not the
    actor's to decide), and whatever ``amend`` raises (e.g. StaleEvaluation), in which case
    the dispute stays open.
    """
    if decision not in DECISIONS:
        raise DisputeProblem(f"Decide with one of {', '.join(DECISIONS)}; got {decision!r}.")
    text = _clean(resolution_text, "resolution")
    if decision != ACCEPTED and len(text) < MIN_REASON:
        what = "Rejecting" if decision == REJECTED else "Partly accepting"
        raise DisputeProblem(f"{what} a dispute needs a reason the agent can read.")
    changes_score = decision != REJECTED
    if changes_score and new_value is None and not na:
        raise DisputeProblem("Choose the item's new score.")
    with session_scope() as session:
        actor = current_actor(session, actor)
        if actor.role not in (Role.admin, Role.supervisor):
            raise AccessDenied("Only supervisors and admins decide disputes.")
        dispute, ev = _load_for_decision(session, actor, dispute_id)
        if dispute.status != OPEN:
            raise DisputeProblem(
                f"This dispute was already decided: {STATUS_LABELS[dispute.status].lower()}."
            )
        item = session.exec(
            select(ItemScore).where(
                ItemScore.evaluation_id == ev.id, ItemScore.item_key == dispute.item_key
            )
        ).first()
        before_score = {"value": item.value if item else None, "na": bool(item and item.na)}
        after_score = {"value": None if na else new_value, "na": bool(na)}
        if changes_score and after_score == before_score:
            raise DisputeProblem(
                "The new score is the same as the current one: choose a different score, "
                "or reject the dispute with a reason."
            )
        expected_version = ev.row_version
        claimed = session.exec(
            update(Dispute)
            .where(Dispute.id == dispute.id, Dispute.status == OPEN)
            .values(status=decision, resolution=text, resolver_id=actor.id, resolved_at=utcnow())
        )
        if claimed.rowcount != 1:
            raise DisputeProblem("This dispute was decided by someone else just now.")
        audit = {
            "before": {"status": OPEN, "item_key": dispute.item_key, **before_score},
            "after": {
                "status": decision,
                "item_key": dispute.item_key,
                **(after_score if changes_score else before_score),
            },
        }
        if changes_score:
            # The score changes through the audited amend path, in this same transaction:
            # the decision and the new score commit together, or (if amend refuses, e.g.
            # a stale version) neither does and the dispute stays open.
            label = STATUS_LABELS[decision].lower()
            amend_reason = f"Dispute #{dispute.id} {label}. {text or 'Accepted.'} "
            # The amend reason's column holds REASON_MAX: the agent's own words are cut
            # there (they are kept whole on the dispute), never refused.
            amend_reason = shorten(amend_reason + "Agent's reason: " + dispute.reason, REASON_MAX)
            change = {"na": True} if na else {"value": new_value}
            amend(actor, ev.id, expected_version, {dispute.item_key: change}, amend_reason)
        bump_feedback_version(session, dispute.agent_id)  # after the other row locks
        record_audit(session, actor, "resolve_dispute", "dispute", dispute.id, reason=text, **audit)
        session.flush()
        return dispute_rows(session, actor, Dispute.id == dispute.id)[0]


# ---------------------------------------------------------------- in context


@dataclass(frozen=True)
class ItemInContext:
    key: str
    title: str
    score: str  # "3", "N/A" or "–"
    note: str
    disputed: bool


@dataclass
class DisputeContext:
    """What the person deciding needs beside the dispute: the call to play (a signed
    link), its listening report for the player, the scorer's pinned comments, and every
    item of the evaluation with the disputed one marked."""

    dispute: DisputeRow
    call: CallRow
    audio_url: str
    listening: dict[str, Any] | None
    comments: list[CommentView]
    items: list[ItemInContext]


def dispute_context(actor: Actor, dispute_id: int) -> DisputeContext:
    """The dispute with its evaluation in context, for someone who may see both;
    anything else reads as "not found"."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        ident = parse_id(dispute_id)
        rows = dispute_rows(session, actor, Dispute.id == ident) if ident is not None else []
        ev = session.get(Evaluation, rows[0].evaluation_id) if rows else None
        if ev is None or not can_read_evaluation(session, actor, ev):
            raise _not_found("Dispute", dispute_id)
        row = rows[0]
        call, agent = session.exec(
            select(Call, User)
            .join(User, col(User.id) == col(Call.agent_id))
            .where(Call.id == ev.call_id)
        ).one()
        report = session.get(ListeningReportRow, ev.call_id)
        listening = (
            None
            if report is None
            else {"report": report.report or None, "peaks": report.peaks, "error": report.error}
        )
        scores = {
            s.item_key: s
            for s in session.exec(select(ItemScore).where(ItemScore.evaluation_id == ev.id))
        }
        items = []
        for item in rubric_by_id(session, ev.rubric_id).items:
            score = scores.get(item.key)
            shown = (
                "N/A"
                if score is not None and score.na
                else "–"
                if score is None or score.value is None
                else str(score.value)
            )
            items.append(
                ItemInContext(
                    item.key,
                    item.title,
                    shown,
                    score.note if score else "",
                    item.key == row.item_key,
                )
            )
        return DisputeContext(
            dispute=row,
            call=CallRow(
                ev.call_id,
                call.external_id,
                call.agent_id,
                agent.display_name,
                call.started_at,
                call.duration_s,
                call.channels,
                call.agent_channel,
            ),
            audio_url=signed_audio_url(ev.call_id, actor.id),  # may read the evaluation: its call
            listening=listening,
            comments=comments_of(session, row.evaluation_id),
            items=items,
        )
