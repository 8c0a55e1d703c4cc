"""Calibration sessions: several scorers score the same calls blind, then compare.

The blind rule lives in the access policy (``db.access``): until the facilitator
reveals a session, nobody but the scorer sees a session evaluation's scores or comments,
and ``session_results`` refuses outright. Before reveal the facilitator (or an admin) sees
who has submitted, never what.

Decisions:

* A facilitator is a supervisor or an admin; an admin may act as facilitator of any session.
* Scorers are active supervisors or admins (at least two); the facilitator may take a seat.
* The benchmark scorer, when there is one, must hold a seat: the benchmark scores blind like
  everyone else, and their submitted evaluation is the reference for weighted κ.
* The reference for deviations, item by item: the consensus score when the facilitator has
  recorded one, else the benchmark's level, else the group median.
* Only evaluations submitted before reveal count: a score finished after seeing the others
  is no longer blind.
* Calibration evaluations carry ``purpose="calibration"``; nothing here touches regular
  evaluations, so they never count toward an agent's scores or trends.

The service is a package split by purpose: ``sessions`` (choose scorers, create, list,
submission status, reveal), ``results`` (the revealed grid, spreads and agreement),
``consensus`` (record it), ``accuracy`` (each scorer's agreement over time) and
``common`` (limits, returned shapes, access, shared reads). Callers import from
``db.services.calibration``.
"""

from __future__ import annotations

from db.services.calibration.accuracy import (
    scorer_accuracy,
)
from db.services.calibration.common import (
    BLIND_MESSAGE,
    DRAFT,
    MAX_CONSENSUS_NOTE,
    MAX_TITLE,
    MIN_SCORERS,
    NOT_STARTED,
    SUBMITTED,
    CallResults,
    ConsensusItem,
    ItemNote,
    ScorerOption,
    SessionCall,
    SessionResults,
    SessionSummary,
    SubmissionRow,
    TimelineComment,
)
from db.services.calibration.consensus import (
    record_consensus,
)
from db.services.calibration.results import (
    session_results,
)
from db.services.calibration.sessions import (
    calls_to_score_blind,
    create_session,
    get_session,
    list_sessions,
    reveal,
    scorer_candidates,
    submission_status,
)

__all__ = [
    "BLIND_MESSAGE",
    "CallResults",
    "ConsensusItem",
    "DRAFT",
    "ItemNote",
    "MAX_CONSENSUS_NOTE",
    "MAX_TITLE",
    "MIN_SCORERS",
    "NOT_STARTED",
    "SUBMITTED",
    "ScorerOption",
    "SessionCall",
    "SessionResults",
    "SessionSummary",
    "SubmissionRow",
    "TimelineComment",
    "calls_to_score_blind",
    "create_session",
    "get_session",
    "list_sessions",
    "record_consensus",
    "reveal",
    "scorer_accuracy",
    "scorer_candidates",
    "session_results",
    "submission_status",
]
