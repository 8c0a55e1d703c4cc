"""Suggested levels per rubric item, stored with the evaluation they were shown on, and the
suggester measured as one more scorer.

- The model (``scoring.suggestions.fit``) is refitted by a background job on the submitted
  regular evaluations (calibration ones never train it) as they accumulate: a page that
  opens a draft asks ``queue_refit_if_due``, which queues the job once ``REFIT_EVERY`` new
  evaluations have been submitted since the last fit (or the first time there are enough).
- When a scorer opens a draft, each item's suggestion is computed once and stored
  (``evaluation_suggestion``): shown, or withheld when the item's suggestions are measured
  unreliable (α below the calibration page's convention on enough pairs), so their
  agreement can still be measured and the item can come back.
- Taking a suggestion is an ordinary ``save_item`` of its level, in the same transaction
  as marking it taken. Nothing is ever filled or submitted by itself.
- Blind calibration: no suggestions before the scorer submits (``db.access``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.access import (
    AccessDenied,
    Actor,
    NotFound,
    can_see_suggestions,
    can_take_suggestion,
    current_actor,
    suggestion_filter,
)
from db.cache import cached_by_versions, data_version, register_cache
from db.engine import read_scope, session_scope
from db.models import (
    Evaluation,
    EvaluationSuggestion,
    ItemScore,
    Job,
    JobState,
    ListeningReportRow,
    Purpose,
    Status,
    SuggestionModelRow,
    TextEvidenceRow,
    utcnow,
)
from db.models import Rubric as RubricRow
from scoring.suggestions import (
    ALPHA_TENTATIVE,
    MIN_EVALUATIONS,
    MIN_PAIRS,
    SuggestionModel,
    SuggestionOutcome,
    TrainingRow,
    call_features,
    evidence_moments,
    fit,
    reliable_items,
    suggest,
    suggester_agreement,
)
from scoring.text_evidence import TextEvidence

DEFAULT_RUBRIC_KEY = "listening"
REFIT_EVERY = 10  # new submitted evaluations since the last fit before refitting


@dataclass(frozen=True)
class ShownSuggestion:
    """A suggestion as the scorer sees it: ``reasons`` are ``Reason.to_dict()`` dicts
    (``text``, ``moments`` in seconds, ...); ``confidence`` 0–1."""

    item_key: str
    level: int
    confidence: float
    reasons: tuple[dict[str, Any], ...]
    taken: bool


# ---------------------------------------------------------------- training and fitting


def _submitted_regular(rubric_key: str) -> Any:
    return (
        select(Evaluation.id)
        .join(RubricRow, col(RubricRow.id) == Evaluation.rubric_id)
        .where(
            Evaluation.purpose == Purpose.regular,
            Evaluation.status == Status.submitted,
            RubricRow.key == rubric_key,
        )
    )


def _features_of(
    listening: ListeningReportRow | None, text: TextEvidenceRow | None
) -> dict[str, float | None]:
    from db.services.listening import stored_summary
    from db.services.text_evidence import text_summary_of

    return call_features(
        stored_summary(listening) if listening is not None else None, text_summary_of(text)
    )


def training_rows(session: Session, rubric_key: str) -> tuple[list[TrainingRow], int | None]:
    """Every submitted regular evaluation of the rubric key as a training row (its call's
    listening and text figures, its item levels; N/A as None), and the newest id."""
    evaluations = session.exec(
        select(Evaluation.id, Evaluation.call_id).where(
            col(Evaluation.id).in_(_submitted_regular(rubric_key))
        )
    ).all()
    if not evaluations:
        return [], None
    pairs = [(int(e), int(c)) for e, c in evaluations if e is not None]
    ids = [e for e, _ in pairs]
    call_ids = sorted({c for _, c in pairs})
    listening = {
        r.call_id: r
        for r in session.exec(
            select(ListeningReportRow).where(col(ListeningReportRow.call_id).in_(call_ids))
        ).all()
    }
    text = {
        r.call_id: r
        for r in session.exec(
            select(TextEvidenceRow).where(col(TextEvidenceRow.call_id).in_(call_ids))
        ).all()
    }
    scores: dict[int, dict[str, int | None]] = {}
    for ev_id, key, value in session.exec(
        select(ItemScore.evaluation_id, ItemScore.item_key, ItemScore.value).where(
            col(ItemScore.evaluation_id).in_(ids)
        )
    ).all():
        scores.setdefault(ev_id, {})[key] = value
    rows = [
        TrainingRow(_features_of(listening.get(c), text.get(c)), scores.get(e, {}))
        for e, c in pairs
    ]
    return rows, max(ids)


def refit_model(
    rubric_key: str = DEFAULT_RUBRIC_KEY,
    progress: Callable[[float], None] | None = None,
    **fit_options: Any,
) -> SuggestionModelRow:
    """Fit the model on the submitted regular evaluations and store it (a job's body)."""
    with read_scope() as session:
        rows, through = training_rows(session, rubric_key)
    if progress:
        progress(0.3)
    model = fit(rows, **fit_options)
    with session_scope() as session:
        row = SuggestionModelRow(
            rubric_key=rubric_key,
            model=model.to_dict(),
            n_evaluations=len(rows),
            through_evaluation_id=through,
            fitted_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return row


def queue_refit_if_due(rubric_key: str = DEFAULT_RUBRIC_KEY) -> bool:
    """Queue a refit when enough evaluations were submitted since the last one (and none is
    queued or running). True when a job was queued."""
    from db.services.jobs import enqueue
    from jobs.text_tasks import FIT_SUGGESTIONS

    with read_scope() as session:
        submitted = session.exec(
            select(func.count()).select_from(_submitted_regular(rubric_key).subquery())
        ).one()
        last = _latest_model_row(session, rubric_key)
        fitted_on = last.n_evaluations if last is not None else 0
        due = submitted >= MIN_EVALUATIONS and (
            last is None or submitted - fitted_on >= REFIT_EVERY
        )
        if not due:
            return False
        pending = session.exec(
            select(Job.id).where(
                Job.kind == FIT_SUGGESTIONS,
                Job.subject == rubric_key,
                col(Job.state).in_([JobState.queued, JobState.running]),
            )
        ).first()
        if pending is not None:
            return False
    enqueue(FIT_SUGGESTIONS, subject=rubric_key)
    return True


def _latest_model_row(session: Session, rubric_key: str) -> SuggestionModelRow | None:
    return session.exec(
        select(SuggestionModelRow)
        .where(SuggestionModelRow.rubric_key == rubric_key)
        .order_by(col(SuggestionModelRow.id).desc())
        .limit(1)
    ).first()


# (database, model row id) → parsed model. Rows never change, but ids start again in
# another database or after a restore, so the database is part of the key and a restore
# (clear_cache) empties it.
_models: dict[tuple[str, int], SuggestionModel] = {}
register_cache(_models.clear)


def _model_of(session: Session, row: SuggestionModelRow) -> SuggestionModel:
    assert row.id is not None
    key = (str(session.get_bind().engine.url), row.id)
    if key not in _models:
        _models[key] = SuggestionModel.from_dict(row.model)
    return _models[key]


# ---------------------------------------------------------------- the suggester as a scorer


def _outcomes(session: Session, where: list[Any]) -> list[SuggestionOutcome]:
    rows = session.execute(
        sql_select(  # six columns: beyond sqlmodel's typed overloads
            col(EvaluationSuggestion.item_key),
            col(EvaluationSuggestion.level),
            col(ItemScore.value),
            col(EvaluationSuggestion.shown),
            col(EvaluationSuggestion.taken),
            col(Evaluation.submitted_at),
        )
        .join(Evaluation, col(Evaluation.id) == EvaluationSuggestion.evaluation_id)
        .join(
            ItemScore,
            (col(ItemScore.evaluation_id) == EvaluationSuggestion.evaluation_id)
            & (col(ItemScore.item_key) == EvaluationSuggestion.item_key),
        )
        .where(
            col(Evaluation.purpose) == Purpose.regular,
            col(Evaluation.status) == Status.submitted,
            *where,
        )
    ).all()
    return [
        SuggestionOutcome(
            item_key=item,
            suggested=int(level),
            human=None if human is None else int(human),
            taken=bool(taken) if shown else None,
            period=submitted.strftime("%Y-%m") if submitted is not None else None,
        )
        for item, level, human, shown, taken, submitted in rows
    ]


def withheld_items(session: Session) -> frozenset[str]:
    """Items whose suggestions are measured unreliable over every submitted evaluation
    (α below the convention on at least MIN_PAIRS pairs): computed, stored, not shown.
    Items not yet measured keep showing (their model passed cross-validation)."""
    agreement = suggester_agreement(_outcomes(session, []), min_pairs=MIN_PAIRS)
    if agreement.empty:
        return frozenset()
    measured = {str(k) for k in agreement.index[(agreement["n"] >= MIN_PAIRS).to_numpy()]}
    return frozenset(measured - reliable_items(agreement, ALPHA_TENTATIVE, MIN_PAIRS))


def suggestion_agreement(actor: Actor, *, by_period: bool = False) -> pd.DataFrame:
    """The suggester against the submitted human levels on the evaluations the actor may
    read (``scoring.suggestions.suggester_agreement``: α, weighted κ, mean signed
    deviation, take-rate, status per item, and per month with ``by_period``)."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        if not actor.can_score:
            raise AccessDenied("Only supervisors and admins see how good the suggestions are.")
        outcomes = _outcomes(session, [suggestion_filter(actor)])
    return suggester_agreement(outcomes, by_period=by_period)


# ---------------------------------------------------------------- on an evaluation


def _shown(row: EvaluationSuggestion) -> ShownSuggestion:
    return ShownSuggestion(
        row.item_key, row.level, row.confidence, tuple(row.reasons or ()), row.taken
    )


def _compute(session: Session, ev: Evaluation, item_keys: set[str]) -> list[EvaluationSuggestion]:
    rubric = session.get(RubricRow, ev.rubric_id)
    model_row = _latest_model_row(session, rubric.key if rubric else DEFAULT_RUBRIC_KEY)
    if model_row is None:
        return []
    listening = session.get(ListeningReportRow, ev.call_id)
    text = session.get(TextEvidenceRow, ev.call_id)
    features = _features_of(listening, text)
    evidence = TextEvidence.from_dict(text.evidence) if text is not None else None
    report = listening.report if listening is not None and not listening.error else None
    moments = evidence_moments(report, evidence)
    # Over every submitted evaluation: reused until the data version moves (a submission).
    withheld = cached_by_versions(
        ("suggestions.withheld_items", MIN_PAIRS, ALPHA_TENTATIVE),
        (data_version(),),
        lambda: withheld_items(session),
    )
    now = utcnow()
    return [
        EvaluationSuggestion(
            evaluation_id=int(ev.id or 0),
            item_key=s.item_key,
            level=s.level,
            confidence=s.confidence,
            reasons=[r.to_dict() for r in s.reasons],
            model_id=model_row.id,
            shown=s.item_key not in withheld,
            created_at=now,
        )
        for s in suggest(_model_of(session, model_row), features, moments, items=item_keys)
    ]


def suggestions_for(actor: Actor, evaluation_id: int) -> dict[str, ShownSuggestion]:
    """Item key → the suggestion shown to the actor on this evaluation. Computed and stored
    the first time a draft is opened (one per item; withheld ones stored unshown), read
    back afterwards. Empty for anyone the policy shows none (blind calibration, agents)."""
    try:
        return _suggestions_for(actor, evaluation_id)
    except IntegrityError:  # another tab stored them first (one row per item): read theirs
        return _suggestions_for(actor, evaluation_id)


def _suggestions_for(actor: Actor, evaluation_id: int) -> dict[str, ShownSuggestion]:
    with session_scope() as session:
        actor = current_actor(session, actor)
        ev = session.get(Evaluation, evaluation_id)
        if ev is None:
            raise NotFound(f"Evaluation {evaluation_id} was not found.")
        if not can_see_suggestions(session, actor, ev):
            return {}
        stored = session.exec(
            select(EvaluationSuggestion).where(EvaluationSuggestion.evaluation_id == evaluation_id)
        ).all()
        if not stored and ev.status == Status.draft and ev.scorer_id == actor.id:
            from db.queries.rubrics import rubric_by_id

            keys = set(rubric_by_id(session, ev.rubric_id).item_keys)
            stored = _compute(session, ev, keys)
            session.add_all(stored)
            session.flush()
        return {row.item_key: _shown(row) for row in stored if row.shown}


def take_suggestion(
    actor: Actor,
    evaluation_id: int,
    expected_version: int,
    item_key: str,
    *,
    stored: Any = None,
) -> Any:
    """Take a shown suggestion: save its level as the item's score (``save_item``) and
    record it taken, in one transaction. Raises as ``save_item`` does (stale version,
    locked, not the scorer), NotFound for a suggestion that was not shown."""
    from db.services.evaluations import save_item

    with session_scope() as session:
        actor = current_actor(session, actor)
        ev = session.get(Evaluation, evaluation_id)
        if ev is None or not can_take_suggestion(session, actor, ev):
            raise AccessDenied("Only the evaluation's own scorer can take its suggestions.")
        row = session.exec(
            select(EvaluationSuggestion).where(
                EvaluationSuggestion.evaluation_id == evaluation_id,
                EvaluationSuggestion.item_key == item_key,
                col(EvaluationSuggestion.shown).is_(True),
            )
        ).first()
        if row is None:
            from db.queries.rubrics import rubric_by_id

            items = {i.key: i.title for i in rubric_by_id(session, ev.rubric_id).items}
            named = f"'{items[item_key]}'" if item_key in items else "this item"
            raise NotFound(f"No suggestion was shown for {named}.")
        row.taken, row.taken_at = True, utcnow()
        session.add(row)
        session.flush()
        return save_item(
            actor, evaluation_id, expected_version, item_key, value=row.level, stored=stored
        )


def suggestion_records(actor: Actor, evaluation_id: int) -> list[dict[str, Any]]:
    """Every stored suggestion of an evaluation (shown or withheld) for a reader allowed to
    see its suggestions: item, level, confidence, shown, taken."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        ev = session.get(Evaluation, evaluation_id)
        if ev is None or not can_see_suggestions(session, actor, ev):
            return []
        rows = session.exec(
            select(EvaluationSuggestion)
            .where(EvaluationSuggestion.evaluation_id == evaluation_id)
            .order_by(col(EvaluationSuggestion.id))
        ).all()
        return [
            {
                "item_key": r.item_key,
                "level": r.level,
                "confidence": r.confidence,
                "shown": r.shown,
                "taken": r.taken,
            }
            for r in rows
        ]
