"""What waits for this user, for the overview page: a few counts, each with the page where
it is dealt with. Scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from db.access import Actor
from db.engine import read_scope
from db.models import Call, Evaluation, Purpose, Status, User
from db.services.calibration import calls_to_score_blind
from db.services.disputes import open_dispute_count, open_disputes_counted
from db.services.feedback import feedback_counts, unread_count
from db.services.notifications import bell_from, unread_by_kind_counted
from db.services.queue import scoring_queue
from db.services.sampling import (
    assignment_counts,
    due_assignments_counted,
    end_of_today,
    my_assignments,
)

MY_FEEDBACK = "pages/my_feedback.py"


@dataclass(frozen=True)
class Figure:
    """One headline count; `page` is where the user acts on it (None: nothing to do)."""

    label: str
    value: int | str
    page: str | None = None
    action: str = ""


def overview_for(
    actor: Actor, zone: tzinfo = UTC, now: datetime | None = None
) -> dict[str, Figure]:
    """The actor's headline figures by label, in the order the page shows them; "due
    today" is the reader's today (``zone``), as in the navigation and My assignments."""
    figures = _agent_figures(actor) if actor.is_agent else _scorer_figures(actor, zone, now)
    return {f.label: f for f in figures}


def _agent_figures(actor: Actor) -> list[Figure]:
    counts = feedback_counts(actor)
    mean = "–" if counts.mean_total is None else f"{counts.mean_total:.1f}"
    return [
        Figure("New feedback", counts.unread, MY_FEEDBACK, "Read your feedback"),
        Figure("Not yet acknowledged", counts.unacknowledged, MY_FEEDBACK, "Acknowledge"),
        Figure("Your open disputes", counts.open_disputes, MY_FEEDBACK, "Follow them"),
        Figure("Your average", mean, MY_FEEDBACK, f"Your evaluations ({counts.evaluations})"),
    ]


def _scorer_figures(actor: Actor, zone: tzinfo, now: datetime | None) -> list[Figure]:
    with read_scope() as session:
        drafts = select(func.count(Evaluation.id)).where(
            Evaluation.scorer_id == actor.id,
            Evaluation.status == Status.draft,
            Evaluation.purpose == Purpose.regular,
        )
        submitted = select(func.count(Evaluation.id)).where(
            Evaluation.scorer_id == actor.id,
            Evaluation.status == Status.submitted,
            Evaluation.purpose == Purpose.regular,
        )
        calls = select(func.count(Call.id)).join(User, User.id == Call.agent_id)
        if actor.is_supervisor:
            calls = calls.where(User.team_id == actor.team_id)
        n_drafts, n_submitted, n_calls = (session.exec(q).one() for q in (drafts, submitted, calls))
    due = assignment_counts(actor, now, zone)
    return [
        Figure("Assignments overdue", due["overdue"], "pages/queue.py", "Review overdue calls"),
        Figure("Assignments due today", due["due_today"], "pages/queue.py", "Review today's calls"),
        Figure("Your drafts", n_drafts, "pages/queue.py", "Continue scoring"),
        Figure("Disputes waiting", open_dispute_count(actor), "pages/disputes.py", "Decide"),
        Figure(
            "Calibration calls to score",
            calls_to_score_blind(actor),
            "pages/calibration.py",
            "Score blind",
        ),
        Figure("Your submitted evaluations", n_submitted),
        Figure("Calls you can see", n_calls, "pages/calls.py", "Browse calls"),
    ]


def next_call_for(actor: Actor, after_call_id: int) -> int | None:
    """The call to open after submitting `after_call_id`: the first of the actor's open
    assignments (overdue, due today, upcoming), else the top of their queue (their own
    drafts first, then the newest call nobody has evaluated); None when nothing waits."""
    mine = my_assignments(actor)
    for assignment in (*mine.overdue, *mine.due_today, *mine.upcoming):
        if assignment.call_id != after_call_id:
            return assignment.call_id
    for row in scoring_queue(actor, limit=2):
        if row.call_id != after_call_id:
            return row.call_id
    return None


@dataclass(frozen=True)
class NavigationCounts:
    """What the navigation counts beside page titles."""

    due_assignments: int = 0  # open, due by the end of the reader's today (overdue too)
    open_disputes: int = 0  # waiting for a decision (admins and supervisors)
    unread_feedback: int = 0  # an agent's evaluations not opened yet
    unread_notifications: int = 0  # the bell: unread, of the kinds the user shows


def navigation_counts(
    actor: Actor, zone: tzinfo = UTC, now: datetime | None = None
) -> NavigationCounts:
    """The navigation's counts for ``actor`` as the shell re-read them this run
    (``ui.session.check_session``; no second read of the user here), in one round trip:
    open assignments due by the end of the reader's today (overdue included), disputes
    waiting, and the bell (unread notifications of the kinds the user shows); plus an
    agent's unread feedback, cached by their feedback version. The shell runs on every
    page, so this is a part of every page's time."""
    due_by = end_of_today(now or datetime.now(UTC), zone)
    with read_scope() as session:
        statement = _navigation_statement(actor.id, actor.role, actor.team_id)
        disputes, due, *bell = session.exec(statement, params={"due_by": due_by}).one()
    return NavigationCounts(
        due_assignments=int(due) if actor.can_score else 0,
        open_disputes=int(disputes) if actor.can_score else 0,  # an agent's: My feedback's
        unread_feedback=unread_count(actor),
        unread_notifications=bell_from(bell),
    )


@lru_cache(maxsize=256)
def _navigation_statement(actor_id: int, role: str, team_id: int | None) -> Any:
    """Every count of ``navigation_counts`` as scalar subqueries of one SELECT for one
    actor scope, built once (the end of today is a parameter): the shell reuses it, and
    its cache key, on every run."""
    actor = Actor(actor_id, "", "", role, team_id)
    return select(
        open_disputes_counted(actor).scalar_subquery(),
        due_assignments_counted(actor).scalar_subquery(),
        *unread_by_kind_counted(actor),
    )
