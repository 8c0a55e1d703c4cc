"""Evaluations: drafts saved on every change, submit, audited amend, pinned comments.

Every write names the `row_version` it read; a stale version is refused (optimistic
locking), so two scorers can never silently overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

import db.cache  # noqa: F401 - its flush listener keeps cached aggregates fresh
from db.access import (
    AccessDenied,
    Actor,
    NotFound,
    can_amend_evaluation,
    can_change_evaluation,
    can_discard_evaluation,
    can_read_evaluation,
    can_score_call,
    can_score_in_session,
    change_filter,
    current_actor,
    evaluation_filter,
    get_visible_call,
)
from db.engine import get_engine, in_unit_of_work, read_scope, session_scope, statement_scope
from db.models import (
    AssignmentRow,
    CalibrationSession,
    Call,
    Comment,
    Evaluation,
    EvaluationSuggestion,
    ItemScore,
    Purpose,
    Status,
    User,
    utcnow,
)
from db.models import (
    Rubric as RubricRow,
)
from db.operations.config import settings
from db.queries.comments import CommentView, comments_of
from db.queries.rubrics import latest_rubric_row, rubric_by_id, rubric_from_row
from db.services.audit import record_audit
from db.services.sampling import mark_done_on_submit
from scoring.errors import Conflict, Invalid
from scoring.evaluation import (
    UNCHANGED,
    answered_values,
    apply_item_change,
    score_evaluation,
    validate_values,
)
from scoring.ids import id_fits
from scoring.rubric import Rubric
from scoring.text import NOTE_MAX, REASON_MAX, clean_text

MAX_TEXT = NOTE_MAX
MAX_REASON = REASON_MAX
MAX_REVIEW_REPORT_S = 3600  # one report of active review time adds at most an hour
_UNSET = object()


STALE_MESSAGE = (
    "This evaluation was changed elsewhere (another tab or another person) after you "
    "opened it. Your last change was NOT saved; reload to see the current version."
)


class StaleEvaluation(Conflict):
    """Someone saved this evaluation since you loaded it; your change was not applied."""


class EvaluationLocked(Conflict):
    """The evaluation is submitted: change it through Amend, with a reason."""


@dataclass(frozen=True)
class ItemState:
    key: str
    value: int | None
    na: bool
    note: str

    @property
    def answered(self) -> bool:
        return self.value is not None or self.na


@dataclass(frozen=True, kw_only=True)
class DraftState:
    """An evaluation's scores as stored: what an autosave returns (no comments reread)."""

    id: int
    rubric_id: int
    row_version: int
    status: str
    total: float | None
    failed_critical: bool
    items: dict[str, ItemState] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, int | None]:
        """Answered items only, as the scoring engine takes them (None = N/A)."""
        return answered_values((k, s.value, s.na) for k, s in self.items.items())

    @property
    def submitted(self) -> bool:
        return self.status == Status.submitted


@dataclass(frozen=True)
class OtherEvaluation:
    """Someone else's regular evaluation of a call, as a scorer opening it is told."""

    evaluation_id: int
    scorer: str
    status: str
    started_at: datetime
    submitted_at: datetime | None

    @property
    def submitted(self) -> bool:
        return self.status == Status.submitted


@dataclass(frozen=True)
class NewDraft:
    """What the first write to a call needs to create the draft it goes into.

    `second`: the scorer chose to evaluate a call someone else has evaluated or is
    drafting (regular evaluations only). `review_seconds`: active review time spent
    before the first write, stored with the new draft."""

    call_id: int
    calibration_session_id: int | None = None
    second: bool = False
    review_seconds: int = 0


@dataclass(frozen=True, kw_only=True)
class EvaluationView(DraftState):
    """The whole evaluation, with who scored it and its comments."""

    call_id: int
    agent_id: int
    scorer_id: int
    scorer: str
    purpose: str
    review_seconds: int
    started_at: datetime
    submitted_at: datetime | None
    calibration_session_id: int | None
    comments: list[CommentView] = field(default_factory=list)
    # Others' regular evaluations of the call (filled by `open_evaluation`, never for
    # calibration: blind means blind).
    others: list[OtherEvaluation] = field(default_factory=list)

    @property
    def saved(self) -> bool:
        """False for a draft not yet stored: nothing was scored, noted or pinned."""
        return self.id != 0


# ---------------------------------------------------------------- access


def _load_for_read(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    actor = current_actor(session, actor)
    ev = session.get(Evaluation, evaluation_id)
    if ev is None or not can_read_evaluation(session, actor, ev):
        raise NotFound(f"Evaluation {evaluation_id} was not found or is not yours to open.")
    return ev


def _refuse_after_reveal(session: Session, ev: Evaluation) -> None:
    """Once a calibration session is revealed its scores are the record: no changes."""
    if ev.purpose == Purpose.calibration:
        cal = session.get(CalibrationSession, ev.calibration_session_id)
        if cal is not None and cal.revealed:
            raise EvaluationLocked(
                "This calibration session has been revealed; its evaluations are closed."
            )


def _load_for_write(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    """The actor's own evaluation, re-checked against who they are now (deactivation, a
    role change or a team move refuse the write)."""
    actor = current_actor(session, actor)
    ev = session.get(Evaluation, evaluation_id)
    if ev is None or ev.scorer_id != actor.id:
        raise AccessDenied("Only the evaluation's own scorer can change it.")
    _refuse_after_reveal(session, ev)
    if not can_change_evaluation(session, actor, ev):
        raise AccessDenied(
            "You may no longer change this evaluation: the call is outside your team "
            "or your calibration seat now."
        )
    return ev


def _bump_version(session: Session, ev: Evaluation, expected_version: int) -> None:
    """Atomically claim the next row version, or refuse a stale write."""
    result = session.exec(
        update(Evaluation)
        .where(Evaluation.id == ev.id, Evaluation.row_version == expected_version)
        .values(row_version=Evaluation.row_version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise StaleEvaluation(STALE_MESSAGE)
    # The row now holds exactly this version: record it without reading the row again.
    set_committed_value(ev, "row_version", expected_version + 1)


# ---------------------------------------------------------------- reading


def _view(
    session: Session,
    ev: Evaluation,
    items: list[ItemScore] | None = None,
    scorer_name: str | None = None,
) -> EvaluationView:
    """The evaluation as plain data. `items` and `scorer_name` spare the queries when the
    caller has just read them (autosave runs on every click)."""
    if items is None:
        items = session.exec(select(ItemScore).where(ItemScore.evaluation_id == ev.id)).all()
    comments = comments_of(session, ev.id)
    if scorer_name is None:
        scorer = session.get(User, ev.scorer_id)
        scorer_name = scorer.display_name if scorer else "?"
    return EvaluationView(
        id=ev.id,
        call_id=ev.call_id,
        agent_id=ev.agent_id,
        scorer_id=ev.scorer_id,
        scorer=scorer_name,
        rubric_id=ev.rubric_id,
        purpose=ev.purpose,
        status=ev.status,
        total=ev.total,
        failed_critical=ev.failed_critical,
        row_version=ev.row_version,
        review_seconds=ev.review_seconds,
        started_at=ev.started_at,
        submitted_at=ev.submitted_at,
        calibration_session_id=ev.calibration_session_id,
        items={i.item_key: ItemState(i.item_key, i.value, i.na, i.note) for i in items},
        comments=comments,
    )


def get_evaluation(actor: Actor, evaluation_id: int) -> EvaluationView:
    with read_scope() as session:
        return _view(session, _load_for_read(session, actor, evaluation_id))


def rubric_for(actor: Actor, evaluation_id: int) -> Rubric:
    with read_scope() as session:
        ev = _load_for_read(session, actor, evaluation_id)
        return rubric_by_id(session, ev.rubric_id)


def _own_query(actor: Actor, call_id: int, calibration_session_id: int | None) -> Any:
    purpose = Purpose.calibration if calibration_session_id else Purpose.regular
    return (
        select(Evaluation)
        .where(
            Evaluation.call_id == call_id,
            Evaluation.scorer_id == actor.id,
            Evaluation.purpose == purpose,
            Evaluation.calibration_session_id == calibration_session_id,
        )
        .order_by(col(Evaluation.id).desc())
    )


def _rubric_row_to_score(
    session: Session, actor: Actor, call: Call, calibration_session_id: int | None
) -> RubricRow:
    """The rubric version a new evaluation of this call uses, once the actor is found
    entitled to score it (their team's call, or their seat in its calibration session)."""
    if calibration_session_id:
        cal = session.get(CalibrationSession, calibration_session_id)
        if not can_score_in_session(session, actor, cal, call.id):
            raise AccessDenied(
                "You do not have a seat in this calibration session, or the call is not part of it."
            )
        if cal.revealed:
            raise EvaluationLocked("This calibration session has been revealed already.")
        return session.get(RubricRow, cal.rubric_id)
    if not can_score_call(session, actor, call):
        raise AccessDenied(
            "This call is not your team's: you may score it only in its calibration session."
        )
    return latest_rubric_row(session)


def _others(session: Session, actor: Actor, call_id: int) -> list[OtherEvaluation]:
    """Others' regular evaluations of the call the actor may read, oldest first.
    Calibration evaluations are never listed: blind means blind."""
    rows = session.exec(
        select(Evaluation, User)
        .join(User, col(User.id) == Evaluation.scorer_id)
        .where(
            Evaluation.call_id == call_id,
            Evaluation.purpose == Purpose.regular,
            Evaluation.scorer_id != actor.id,
            evaluation_filter(actor),
        )
        .order_by(col(Evaluation.id))
    ).all()
    return [
        OtherEvaluation(int(ev.id or 0), u.display_name, ev.status, ev.started_at, ev.submitted_at)
        for ev, u in rows
    ]


def open_evaluation(
    actor: Actor, call_id: int, calibration_session_id: int | None = None
) -> EvaluationView:
    """The actor's evaluation of this call (draft or submitted), or, when they have none,
    an unsaved draft (`id` 0, `saved` False) on the rubric version a new one would use,
    with N/A pre-set where the rubric says so for audio-only calls. Writes nothing: the
    draft is created by its first write (`NewDraft`). `others` lists colleagues' regular
    evaluations of the call (never calibration ones)."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        if not actor.can_score:
            raise AccessDenied("Only supervisors and admins score calls.")
        call = get_visible_call(session, actor, call_id)
        others = [] if calibration_session_id else _others(session, actor, call_id)
        existing = session.exec(_own_query(actor, call_id, calibration_session_id)).first()
        if existing is not None:
            return replace(_view(session, existing), others=others)
        rubric_row = _rubric_row_to_score(session, actor, call, calibration_session_id)
        defaults = rubric_from_row(rubric_row).default_values(audio_only=True)
        return EvaluationView(
            id=0,
            call_id=call_id,
            agent_id=call.agent_id,
            scorer_id=actor.id,
            scorer=actor.display_name,
            rubric_id=int(rubric_row.id or 0),
            purpose=Purpose.calibration if calibration_session_id else Purpose.regular,
            status=Status.draft,
            total=None,
            failed_critical=False,
            row_version=0,
            review_seconds=0,
            started_at=utcnow(),
            submitted_at=None,
            calibration_session_id=calibration_session_id,
            items={k: ItemState(k, v, v is None, "") for k, v in defaults.items()},
            others=others,
        )


def _create_draft(session: Session, actor: Actor, new: NewDraft) -> Evaluation:
    """Create the actor's draft of a call inside the caller's transaction (its first
    write). Refused when they already have one (another tab made it: reload), and, for a
    regular evaluation, when someone else has evaluated or is drafting the call unless
    the scorer chose a second evaluation."""
    actor = current_actor(session, actor)
    if not actor.can_score:
        raise AccessDenied("Only supervisors and admins score calls.")
    call = get_visible_call(session, actor, new.call_id)
    if session.exec(_own_query(actor, new.call_id, new.calibration_session_id)).first():
        raise StaleEvaluation(STALE_MESSAGE)
    rubric_row = _rubric_row_to_score(session, actor, call, new.calibration_session_id)
    if not new.calibration_session_id and not new.second:
        others = _others(session, actor, new.call_id)
        if others:
            first = others[0]
            doing = "evaluated" if first.submitted else "is drafting"
            raise Conflict(
                f"{first.scorer} {doing} this call already. Choose to start a second "
                "evaluation if you mean to evaluate it too."
            )
    ev = Evaluation(
        call_id=new.call_id,
        agent_id=call.agent_id,
        scorer_id=actor.id,
        rubric_id=int(rubric_row.id or 0),
        purpose=Purpose.calibration if new.calibration_session_id else Purpose.regular,
        calibration_session_id=new.calibration_session_id,
        review_seconds=max(0, min(int(new.review_seconds), MAX_REVIEW_REPORT_S)),
    )
    session.add(ev)
    session.flush()
    defaults = rubric_from_row(rubric_row).default_values(audio_only=True)
    for key, value in defaults.items():
        session.add(
            ItemScore(evaluation_id=int(ev.id or 0), item_key=key, value=value, na=value is None)
        )
    session.flush()
    _recompute_total(session, ev)
    return ev


def open_draft(
    actor: Actor, call_id: int, calibration_session_id: int | None = None
) -> EvaluationView:
    """The actor's evaluation of this call, created at once as an empty draft when they
    have none (for tools and tests; the Score page opens with `open_evaluation`, which
    writes nothing). Creating a draft this way is itself the choice of a second
    evaluation when colleagues have one."""
    with session_scope() as session:
        actor = current_actor(session, actor)
        if not actor.can_score:
            raise AccessDenied("Only supervisors and admins score calls.")
        get_visible_call(session, actor, call_id)
        existing = session.exec(_own_query(actor, call_id, calibration_session_id)).first()
        if existing is not None:
            return _view(session, existing)
        ev = _create_draft(session, actor, NewDraft(call_id, calibration_session_id, True))
        return _view(session, ev)


def discard_draft(actor: Actor, evaluation_id: int, expected_version: int) -> None:
    """Remove the actor's own draft with its items, notes and comments (audited, with
    what it held). Submitted evaluations are never discarded; a stale version is refused."""
    with session_scope() as session:
        actor = current_actor(session, actor)
        ev = session.get(Evaluation, evaluation_id) if id_fits(evaluation_id) else None
        if ev is None or not can_discard_evaluation(session, actor, ev):
            raise AccessDenied("Only the draft's own scorer can discard it.")
        if ev.status == Status.submitted:
            raise EvaluationLocked("This evaluation is submitted: it is kept, never discarded.")
        _refuse_after_reveal(session, ev)
        _bump_version(session, ev, expected_version)
        view = _view(session, ev)
        record_audit(
            session,
            actor,
            "discard_draft",
            "evaluation",
            ev.id,
            before={
                "call_id": ev.call_id,
                "purpose": ev.purpose,
                "total": ev.total,
                "items": {
                    k: {"value": i.value, "na": i.na, "note": i.note} for k, i in view.items.items()
                },
                "comments": [{"t_s": c.t_s, "text": c.text} for c in view.comments],
            },
        )
        for table in (ItemScore, Comment, EvaluationSuggestion):
            session.exec(delete(table).where(col(table.evaluation_id) == ev.id))
        session.exec(
            update(AssignmentRow)
            .where(col(AssignmentRow.evaluation_id) == ev.id)
            .values(evaluation_id=None)
        )
        session.delete(ev)


def earlier_evaluation(actor: Actor, evaluation_id: int) -> OtherEvaluation | None:
    """For a regular evaluation: another scorer's regular evaluation of the same call
    submitted before it, when there is one (this one is then a second evaluation)."""
    with read_scope() as session:
        ev = _load_for_read(session, actor, evaluation_id)
        if ev.purpose != Purpose.regular:
            return None
        first = session.exec(
            select(Evaluation, User)
            .join(User, col(User.id) == Evaluation.scorer_id)
            .where(
                Evaluation.call_id == ev.call_id,
                Evaluation.purpose == Purpose.regular,
                Evaluation.status == Status.submitted,
                Evaluation.scorer_id != ev.scorer_id,
                col(Evaluation.id) < ev.id,
            )
            .order_by(col(Evaluation.id))
        ).first()
        if first is None:
            return None
        other, scorer = first
        return OtherEvaluation(
            int(other.id or 0),
            scorer.display_name,
            other.status,
            other.started_at,
            other.submitted_at,
        )


def record_review_time(actor: Actor, evaluation_id: int, seconds: int) -> bool:
    """Add active review time to the actor's own draft in one UPDATE (no row-version
    claim, so it never makes an autosave stale). At most `MAX_REVIEW_REPORT_S` per
    report; False when nothing was added (not theirs, submitted, or no longer entitled)."""
    seconds = max(0, min(int(seconds), MAX_REVIEW_REPORT_S))
    if seconds == 0 or not id_fits(evaluation_id):
        return False
    with session_scope() as session:
        result = session.connection().execute(
            _ADD_TIME,
            {
                "b_evaluation_id": evaluation_id,
                "b_scorer_id": actor.id,
                "b_epoch": actor.session_epoch,
                "b_seconds": seconds,
            },
        )
        return result.rowcount == 1


# ---------------------------------------------------------------- writing


def _recompute_total(session: Session, ev: Evaluation) -> tuple[Rubric, list[ItemScore]]:
    """Store the evaluation's total from its item rows; returns the rubric and the rows."""
    rubric = rubric_by_id(session, ev.rubric_id)
    rows = list(session.exec(select(ItemScore).where(ItemScore.evaluation_id == ev.id)).all())
    _store_total(session, ev, rubric, rows)
    return rubric, rows


def _store_total(session: Session, ev: Evaluation, rubric: Rubric, rows: list[ItemScore]) -> None:
    """Set the evaluation's live total from `rows` (its items as they are now)."""
    answered = answered_values((r.item_key, r.value, r.na) for r in rows)
    ev.total, ev.failed_critical = _total_of(rubric, answered)
    session.add(ev)


def _total_of(rubric: Rubric, values: dict[str, int | None]) -> tuple[float | None, bool]:
    """(live total, failed on a critical item) of a draft's answered items (None = N/A);
    no total until a level has been given."""
    if not any(v is not None for v in values.values()):
        return None, False
    result = score_evaluation(rubric, values)
    return result.total, result.failed


def _clean_text(text: str, what: str, limit: int = MAX_TEXT) -> str:
    return clean_text(text, what, limit)


# Autosave runs on every click: its statements are built once, on the tables.
_EV = Evaluation.__table__
_ITEM = ItemScore.__table__
_USER = User.__table__
_READ_ITEMS = (
    select(
        _EV.c.rubric_id,
        _EV.c.row_version,
        _ITEM.c.item_key,
        _ITEM.c.value,
        _ITEM.c.na,
        _ITEM.c.note,
    )
    .select_from(_EV.outerjoin(_ITEM, _ITEM.c.evaluation_id == _EV.c.id))
    .where(_EV.c.id == bindparam("b_evaluation_id"))
)
_CLAIM = (
    update(_EV)
    .where(
        _EV.c.id == bindparam("b_evaluation_id"),
        _EV.c.row_version == bindparam("b_expected_version"),
        _EV.c.status == Status.draft,
        change_filter(
            _EV, bindparam("b_scorer_id"), bindparam("b_epoch", type_=_USER.c.session_epoch.type)
        ),
    )
    .values(
        row_version=_EV.c.row_version + 1,
        updated_at=bindparam("now", type_=_EV.c.updated_at.type),
        total=bindparam("new_total", type_=_EV.c.total.type),
        failed_critical=bindparam("new_failed", type_=_EV.c.failed_critical.type),
    )
    .returning(_EV.c.id, _EV.c.row_version)
)
_ADD_TIME = (
    update(_EV)
    .where(
        _EV.c.id == bindparam("b_evaluation_id"),
        _EV.c.status == Status.draft,
        change_filter(
            _EV, bindparam("b_scorer_id"), bindparam("b_epoch", type_=_USER.c.session_epoch.type)
        ),
    )
    .values(
        review_seconds=_EV.c.review_seconds
        + bindparam("b_seconds", type_=_EV.c.review_seconds.type)
    )
)
_ITEM_VALUES = {
    "new_value": _ITEM.c.value.type,
    "new_na": _ITEM.c.na.type,
    "new_note": _ITEM.c.note.type,
}
_UPDATE_ITEM = (
    update(_ITEM)
    .where(
        _ITEM.c.evaluation_id == bindparam("b_evaluation_id"),
        _ITEM.c.item_key == bindparam("b_key"),
    )
    .values(value=bindparam("new_value"), na=bindparam("new_na"), note=bindparam("new_note"))
)
_INSERT_ITEM = insert(_ITEM).values(
    evaluation_id=bindparam("b_evaluation_id"),
    item_key=bindparam("b_key"),
    value=bindparam("new_value"),
    na=bindparam("new_na"),
    note=bindparam("new_note"),
)


def _claim_and_write_in_one_statement():
    """PostgreSQL: claim the version and upsert the item in ONE statement, so it is
    atomic without a transaction (no BEGIN or COMMIT round trips)."""
    claim = _CLAIM.cte("claim")
    chosen = select(
        claim.c.id,
        bindparam("b_key", type_=_ITEM.c.item_key.type),
        *(bindparam(name, type_=kind) for name, kind in _ITEM_VALUES.items()),
    )
    upsert = pg_insert(_ITEM).from_select(
        ["evaluation_id", "item_key", "value", "na", "note"], chosen
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[_ITEM.c.evaluation_id, _ITEM.c.item_key],
        set_={
            "value": upsert.excluded.value,
            "na": upsert.excluded.na,
            "note": upsert.excluded.note,
        },
    )
    return select(claim.c.row_version).add_cte(upsert.cte("upsert"))


_CLAIM_AND_WRITE = _claim_and_write_in_one_statement()


def save_item(
    actor: Actor,
    evaluation_id: int,
    expected_version: int,
    item_key: str,
    *,
    value: int | None | object = _UNSET,
    na: bool | object = _UNSET,
    note: str | object = _UNSET,
    stored: DraftState | None = None,
    new: NewDraft | None = None,
) -> DraftState:
    """Autosave one item of a draft: its level (or N/A) and/or its note.

    `evaluation_id` 0 with `new`: the first write to the call, which creates the draft in
    the same transaction (nothing is stored if the change is refused).

    Read the items with the version they belong to (one statement, one snapshot); then
    claim the next version, store the new total and write the item, but only if the
    version is still the one read, the actor is the scorer, it is a draft and no
    calibration reveal closed it. Otherwise nothing is written and the reason is raised.
    On PostgreSQL the second step is one statement in autocommit; on SQLite it is a
    short transaction.

    `stored`: the draft as the caller last had it from `open_draft` or `save_item`. When
    its version is `expected_version` the read is skipped (a click is one round trip):
    a version names one stored state, and the claim writes only if the row still has it.
    """
    if evaluation_id == 0 and new is not None:
        return _first_save(actor, new, item_key, value=value, na=na, note=note)
    if not id_fits(evaluation_id):
        raise AccessDenied("Only the evaluation's own scorer can change it.")
    engine = get_engine()
    # Inside a caller's unit of work (taking a suggestion) the write joins its transaction.
    postgres = engine.dialect.name == "postgresql" and not in_unit_of_work()
    scope = statement_scope() if postgres else session_scope()
    with scope as session:
        conn = session.connection()
        if stored is not None and (stored.id, stored.row_version) == (
            evaluation_id,
            expected_version,
        ):
            rubric_id, version_read, items = stored.rubric_id, expected_version, stored.items
        else:
            found = conn.execute(_READ_ITEMS, {"b_evaluation_id": evaluation_id}).all()
            if not found:
                raise AccessDenied("Only the evaluation's own scorer can change it.")
            rubric_id, version_read = found[0].rubric_id, found[0].row_version
            items = {
                r.item_key: ItemState(r.item_key, r.value, bool(r.na), r.note or "")
                for r in found
                if r.item_key is not None
            }
        rubric = rubric_by_id(session, rubric_id)
        state = _draft_after_change(rubric, items, item_key, value=value, na=na, note=note)
        params = {
            "b_evaluation_id": evaluation_id,
            "b_expected_version": expected_version,
            "b_scorer_id": actor.id,
            "b_epoch": actor.session_epoch,
            "b_key": item_key,
            "now": utcnow(),
            "new_total": state.total,
            "new_failed": state.failed_critical,
            "new_value": state.items[item_key].value,
            "new_na": state.items[item_key].na,
            "new_note": state.items[item_key].note,
        }
        claimed = None
        if version_read == expected_version:  # else stale already: write nothing
            if postgres:  # one statement in autocommit: atomic by itself
                claimed = conn.execute(_CLAIM_AND_WRITE, params).scalar_one_or_none()
            else:
                row = conn.execute(_CLAIM, params).one_or_none()
                if row is not None:
                    claimed = row.row_version
                    write = _UPDATE_ITEM if item_key in items else _INSERT_ITEM
                    conn.execute(write, params)
    if claimed is None:
        _why_not_saved(actor, evaluation_id)
    return replace(state, id=evaluation_id, rubric_id=rubric_id, row_version=claimed)


def _first_save(
    actor: Actor, new: NewDraft, item_key: str, *, value: object, na: object, note: object
) -> DraftState:
    """Create the draft and store its first item change, in one transaction."""
    with session_scope() as session:
        ev = _create_draft(session, actor, new)
        rows = {
            r.item_key: r
            for r in session.exec(select(ItemScore).where(ItemScore.evaluation_id == ev.id))
        }
        items = {k: ItemState(k, r.value, bool(r.na), r.note or "") for k, r in rows.items()}
        rubric = rubric_by_id(session, ev.rubric_id)
        state = _draft_after_change(rubric, items, item_key, value=value, na=na, note=note)
        changed = state.items[item_key]
        row = rows.get(item_key) or ItemScore(evaluation_id=int(ev.id or 0), item_key=item_key)
        row.value, row.na, row.note = changed.value, changed.na, changed.note
        ev.total, ev.failed_critical = state.total, state.failed_critical
        session.add_all([row, ev])
        session.flush()
        _bump_version(session, ev, ev.row_version)
        return replace(
            state, id=int(ev.id or 0), rubric_id=ev.rubric_id, row_version=ev.row_version
        )


def _draft_after_change(
    rubric: Rubric,
    items: dict[str, ItemState],
    item_key: str,
    *,
    value: object,
    na: object,
    note: object,
) -> DraftState:
    """The draft's items and live total once this change is applied (not yet stored; the
    caller fills in id, rubric and version)."""
    rubric.item(item_key)  # unknown key → KeyError with the key named
    items = dict(items)
    stored = items.get(item_key)
    new_value, new_na = apply_item_change(
        stored.value if stored else None,
        stored.na if stored else False,
        new_value=UNCHANGED if value is _UNSET else value,
        new_na=UNCHANGED if na is _UNSET else na,
    )
    new_note = stored.note if stored else ""
    if new_value is not None or new_na:
        validate_values(rubric, {item_key: new_value})
    if note is not _UNSET:
        new_note = _clean_text(note, f"note on '{rubric.item(item_key).title}'")
    items[item_key] = ItemState(item_key, new_value, new_na, new_note)
    total, failed = _total_of(rubric, answered_values((k, i.value, i.na) for k, i in items.items()))
    return DraftState(
        id=0,
        rubric_id=0,
        row_version=0,
        status=Status.draft,
        total=total,
        failed_critical=failed,
        items=items,
    )


def _why_not_saved(actor: Actor, evaluation_id: int) -> None:
    """Raise the reason an autosave claim was refused: not theirs, submitted, revealed,
    or (theirs and still open) changed elsewhere since it was read."""
    with session_scope() as session:
        ev = _load_for_write(session, actor, evaluation_id)
        if ev.status == Status.submitted:
            raise EvaluationLocked("This evaluation is submitted: use Amend, with a reason.")
    raise StaleEvaluation(STALE_MESSAGE)


def _check_comment_time(session: Session, ev: Evaluation, t_s: float) -> float:
    call = session.get(Call, ev.call_id)
    try:
        t_s = float(t_s)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"Comment time {t_s!r} is not a number of seconds.") from exc
    if not 0 <= t_s <= call.duration_s:
        raise Invalid(
            f"Comment time {t_s:.1f} s is outside the recording (0 to {call.duration_s:.1f} s)."
        )
    return round(t_s, 2)


def add_comment(
    actor: Actor,
    evaluation_id: int,
    expected_version: int,
    t_s: float,
    text: str,
    item_key: str | None = None,
    new: NewDraft | None = None,
) -> EvaluationView:
    """Pin a comment at `t_s` seconds. `evaluation_id` 0 with `new`: the call's first
    write, which creates the draft in the same transaction."""
    with session_scope() as session:
        if evaluation_id == 0 and new is not None:
            ev = _create_draft(session, actor, new)
            expected_version = ev.row_version
        else:
            ev = _load_for_write(session, actor, evaluation_id)
        if ev.status == Status.submitted:
            raise EvaluationLocked("This evaluation is submitted: comments are closed.")
        t_s = _check_comment_time(session, ev, t_s)
        text = _clean_text(text, "comment")
        if not text:
            raise Invalid("A comment needs some text.")
        _check_comment_item(session, ev, item_key)
        limit = settings().max_comments_per_evaluation
        count = session.exec(
            select(func.count(Comment.id)).where(Comment.evaluation_id == ev.id)
        ).one()
        if count >= limit:
            raise Invalid(
                f"This evaluation has {count} comments, the most one may hold ({limit}). "
                "Edit or delete one first."
            )
        _bump_version(session, ev, expected_version)
        session.add(
            Comment(
                evaluation_id=ev.id,
                author_id=actor.id,
                t_s=t_s,
                text=text,
                item_key=item_key or None,
            )
        )
        session.flush()
        return _view(session, ev)


def _check_comment_item(session: Session, ev: Evaluation, item_key: str | None) -> None:
    """A comment's item must be one of its rubric's (the Score page draws it by item)."""
    if item_key:
        rubric = rubric_by_id(session, ev.rubric_id)
        if item_key not in rubric.item_keys:
            raise Invalid(f"The comment names an item this rubric does not have: {item_key!r}.")


def _own_comment(session: Session, actor: Actor, comment_id: int) -> tuple[Comment, Evaluation]:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.author_id != actor.id:
        raise AccessDenied("You can only change your own comments.")
    ev = _load_for_write(session, actor, comment.evaluation_id)
    if ev.status == Status.submitted:
        raise EvaluationLocked("This evaluation is submitted: comments are closed.")
    return comment, ev


def edit_comment(
    actor: Actor,
    comment_id: int,
    expected_version: int,
    text: str,
    t_s: float | None = None,
    item_key: str | None | object = _UNSET,
) -> EvaluationView:
    with session_scope() as session:
        comment, ev = _own_comment(session, actor, comment_id)
        text = _clean_text(text, "comment")
        if not text:
            raise Invalid("A comment needs some text; delete it instead.")
        if t_s is not None:
            comment.t_s = _check_comment_time(session, ev, t_s)
        if item_key is not _UNSET:
            _check_comment_item(session, ev, item_key)  # type: ignore[arg-type]
            comment.item_key = item_key or None  # type: ignore[assignment]
        comment.text, comment.updated_at = text, utcnow()
        _bump_version(session, ev, expected_version)
        session.add(comment)
        session.flush()
        return _view(session, ev)


def delete_comment(actor: Actor, comment_id: int, expected_version: int) -> EvaluationView:
    with session_scope() as session:
        comment, ev = _own_comment(session, actor, comment_id)
        _bump_version(session, ev, expected_version)
        session.delete(comment)
        session.flush()
        return _view(session, ev)


def submit(
    actor: Actor, evaluation_id: int, expected_version: int, review_seconds: int = 0
) -> EvaluationView:
    """Lock a complete draft. Every item must be answered (a level or N/A)."""
    with session_scope() as session:
        ev = _load_for_write(session, actor, evaluation_id)
        if ev.status == Status.submitted:
            raise EvaluationLocked("This evaluation is already submitted.")
        rubric, rows = _recompute_total(session, ev)
        values = answered_values((r.item_key, r.value, r.na) for r in rows)
        result = score_evaluation(rubric, values)  # all-N/A raises here
        if not result.complete:
            titles = ", ".join(rubric.item(k).title for k in result.open_items)
            raise Invalid(f"Answer every item before submitting. Still open: {titles}.")
        _bump_version(session, ev, expected_version)
        ev.status, ev.submitted_at = Status.submitted, utcnow()
        ev.total, ev.failed_critical = result.total, result.failed
        ev.review_seconds = max(0, int(review_seconds)) + ev.review_seconds
        session.add(ev)
        session.flush()
        mark_done_on_submit(session, ev)  # the scorer's assignment of this call is done
        return _view(session, ev)


def amend(
    actor: Actor, evaluation_id: int, expected_version: int, changes: dict[str, dict], reason: str
) -> EvaluationView:
    """Change a submitted evaluation. `changes` maps item key → any of value/na/note.
    Needs a reason; writes an audit event with the before and after values. Inside
    another unit of work (a dispute decision) it commits with it, or not at all."""
    reason = _clean_text(reason, "reason", limit=MAX_REASON)
    if len(reason) < 5:
        raise Invalid("Amending a submitted evaluation needs a reason (a few words at least).")
    with session_scope() as session:
        actor = current_actor(session, actor)
        ev = session.get(Evaluation, evaluation_id)
        if ev is None:
            raise NotFound(f"Evaluation {evaluation_id} was not found.")
        _refuse_after_reveal(session, ev)
        if not can_amend_evaluation(session, actor, ev):
            raise AccessDenied("You may not amend this evaluation.")
        if ev.status != Status.submitted:
            raise Invalid("Only submitted evaluations are amended; a draft saves as you go.")
        return _amend(session, actor, ev, expected_version, changes, reason)


def _amend(
    session: Session,
    actor: Actor,
    ev: Evaluation,
    expected_version: int,
    changes: dict[str, dict],
    reason: str,
) -> EvaluationView:
    rubric = rubric_by_id(session, ev.rubric_id)
    rows = {
        r.item_key: r
        for r in session.exec(select(ItemScore).where(ItemScore.evaluation_id == ev.id)).all()
    }
    before_items = {k: {"value": r.value, "na": r.na, "note": r.note} for k, r in rows.items()}
    for key, change in changes.items():
        rubric.item(key)
        row = rows.get(key) or ItemScore(evaluation_id=ev.id, item_key=key)
        row.value, row.na = apply_item_change(
            row.value,
            bool(row.na),
            new_value=change.get("value", UNCHANGED),
            new_na=change.get("na", UNCHANGED),
        )
        if "note" in change:
            row.note = _clean_text(change["note"], f"note on '{rubric.item(key).title}'")
        validate_values(rubric, {key: row.value})
        rows[key] = row
        session.add(row)
    values = answered_values((k, r.value, r.na) for k, r in rows.items())
    result = score_evaluation(rubric, values)
    if not result.complete:
        raise Invalid("An amended evaluation must still answer every item.")
    before = {"total": ev.total, "items": before_items}
    _bump_version(session, ev, expected_version)
    ev.total, ev.failed_critical = result.total, result.failed
    session.add(ev)
    session.flush()
    after = {
        "total": ev.total,
        "items": {k: {"value": r.value, "na": r.na, "note": r.note} for k, r in rows.items()},
    }
    record_audit(
        session, actor, "amend", "evaluation", ev.id, before=before, after=after, reason=reason
    )
    return _view(session, ev)
