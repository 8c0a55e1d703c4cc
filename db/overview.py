"""What waits for this user, for the overview page: a few counts, each with the page where
it is dealt with. Scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select

from db.access import Actor
from db.calibration import calls_to_score_blind
from db.disputes import open_dispute_count
from db.engine import read_scope
from db.feedback import feedback_counts
from db.models import Call, Evaluation, Purpose, Status, User
from db.queue import scoring_queue
from db.sampling import assignment_counts, my_assignments

MY_FEEDBACK = "pages/my_feedback.py"


@dataclass(frozen=True)
class Figure:
    """One headline count; `page` is where the user acts on it (None: nothing to do)."""

    label: str
    value: int | str
    page: str | None = None
    action: str = ""


def overview_for(actor: Actor) -> dict[str, Figure]:
    """The actor's headline figures by label, in the order the page shows them."""
    figures = _agent_figures(actor) if actor.is_agent else _scorer_figures(actor)
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


def _scorer_figures(actor: Actor) -> list[Figure]:
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
    due = assignment_counts(actor)
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
