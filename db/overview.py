"""Headline counts for the overview page, scoped to who is asking."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from db.access import Actor
from db.engine import read_scope
from db.models import Call, Evaluation, Purpose, Status, User


def overview_for(actor: Actor) -> dict[str, int | str]:
    with read_scope() as session:
        if actor.is_agent:
            mine = select(func.count(Evaluation.id)).where(
                Evaluation.agent_id == actor.id,
                Evaluation.purpose == Purpose.regular,
                Evaluation.status == Status.submitted,
            )
            avg = select(func.avg(Evaluation.total)).where(
                Evaluation.agent_id == actor.id,
                Evaluation.purpose == Purpose.regular,
                Evaluation.status == Status.submitted,
            )
            mean = session.exec(avg).one()
            return {
                "Evaluations of your calls": session.exec(mine).one(),
                "Your average": f"{mean:.1f}" if mean is not None else "–",
            }
        calls = select(func.count(Call.id)).join(User, User.id == Call.agent_id)
        drafts = select(func.count(Evaluation.id)).where(
            Evaluation.scorer_id == actor.id, Evaluation.status == Status.draft
        )
        submitted = select(func.count(Evaluation.id)).where(
            Evaluation.scorer_id == actor.id,
            Evaluation.status == Status.submitted,
            Evaluation.purpose == Purpose.regular,
        )
        if actor.is_supervisor:
            calls = calls.where(User.team_id == actor.team_id)
        return {
            "Calls you can see": session.exec(calls).one(),
            "Your drafts": session.exec(drafts).one(),
            "Your submitted evaluations": session.exec(submitted).one(),
        }
