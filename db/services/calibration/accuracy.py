"""Each scorer's agreement with the reference over revealed sessions, for the drift
trend (cached until the data version moves)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlmodel import Session, select

from db.access import (
    AccessDenied,
    Actor,
    followable_scorers,
)
from db.cache import cached_by_data_version
from db.engine import read_scope
from db.models import (
    CalibrationSeat,
    CalibrationSession,
)
from db.services.calibration.common import (
    _labels,
    _start,
    _unique,
    _users,
)
from db.services.calibration.results import (
    _load,
)
from scoring.calibration import (
    BENCHMARK,
    calibration_grid,
    scorer_accuracy_over_time,
)

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
