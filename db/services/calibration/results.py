"""A revealed session's results: the scorer × item grid per call, spreads, deviations
from the reference (consensus, else benchmark, else group median), the notes and pinned
comments, and the agreement statistics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import Session, select

from db.access import (
    AccessDenied,
    Actor,
)
from db.engine import read_scope
from db.models import (
    CalibrationSession,
    Comment,
    ConsensusScore,
    Evaluation,
    ItemScore,
)
from db.queries.rubrics import rubric_by_id
from db.services.calibration.common import (
    BLIND_MESSAGE,
    CallResults,
    ConsensusItem,
    ItemNote,
    SessionCall,
    SessionResults,
    TimelineComment,
    _labels,
    _load_visible,
    _seat_ids,
    _session_calls,
    _start,
    _submitted_evaluations,
    _summary,
    _users,
)
from scoring.calibration import (
    calibration_grid,
    item_spreads,
    reference_levels,
    scorer_deviation,
    session_statistics,
)
from scoring.evaluation import answered_values
from scoring.rubric import Rubric

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
