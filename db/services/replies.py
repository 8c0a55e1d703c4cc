"""Replies: a short thread on a submitted regular evaluation between the agent it scores
and its scorer, beside acknowledging and disputing. The agent's team supervisors and
admins may read and join it (``db.access.can_reply_evaluation``); a calibration
evaluation or a draft has none, so nothing reaches a blind scorer.

A reply is plain text of at most ``scoring.text.REPLY_MAX`` characters, never edited or
deleted; a thread holds at most ``MAX_REPLIES``. An evaluation someone may not read
answers "not found", as every other read does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.access import Actor, NotFound, can_reply_evaluation, current_actor, reply_filter
from db.engine import read_scope, session_scope
from db.models import Evaluation, EvaluationReply, User
from scoring.errors import Invalid
from scoring.ids import parse_id
from scoring.text import REPLY_MAX, clean_text

MAX_REPLIES = 50


class ReplyProblem(Invalid):
    """The reply cannot be posted; the message says why and is safe to show."""


@dataclass(frozen=True)
class ReplyRow:
    id: int
    evaluation_id: int
    author_id: int
    author: str
    author_role: str
    text: str
    created_at: datetime


def _not_found(evaluation_id: object) -> NotFound:
    return NotFound(f"Evaluation {evaluation_id} was not found or is not yours to open.")


def _thread_of(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    """The evaluation, when the actor may read and post in its thread; else NotFound."""
    ident = parse_id(evaluation_id)
    ev = session.get(Evaluation, ident) if ident is not None else None
    if ev is None or not can_reply_evaluation(session, actor, ev):
        raise _not_found(evaluation_id)
    return ev


def _rows(session: Session, actor: Actor, evaluation_id: int) -> list[ReplyRow]:
    found = session.exec(
        select(EvaluationReply, User.display_name, User.role)
        .join(User, col(User.id) == col(EvaluationReply.author_id))
        .join(Evaluation, col(Evaluation.id) == col(EvaluationReply.evaluation_id))
        .where(EvaluationReply.evaluation_id == evaluation_id, reply_filter(actor))
        .order_by(col(EvaluationReply.created_at), col(EvaluationReply.id))
    ).all()
    return [
        ReplyRow(
            id=int(r.id or 0),
            evaluation_id=r.evaluation_id,
            author_id=r.author_id,
            author=name,
            author_role=str(role),
            text=r.text,
            created_at=r.created_at,
        )
        for r, name, role in found
    ]


def list_replies(actor: Actor, evaluation_id: int) -> list[ReplyRow]:
    """The thread on an evaluation, oldest first."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        ev = _thread_of(session, actor, evaluation_id)
        return _rows(session, actor, int(ev.id or 0))


def post_reply(actor: Actor, evaluation_id: int, text: str) -> ReplyRow:
    """Add the actor's reply to the evaluation's thread; returns it."""
    text = clean_text(text, "reply", REPLY_MAX, error=ReplyProblem)
    if not text:
        raise ReplyProblem("The reply is empty: write what you want to say.")
    with session_scope() as session:
        actor = current_actor(session, actor)
        # Lock the evaluation (PostgreSQL) so two tabs cannot both pass the thread's cap.
        ident = parse_id(evaluation_id)
        ev = (
            session.exec(select(Evaluation).where(Evaluation.id == ident).with_for_update()).first()
            if ident is not None
            else None
        )
        if ev is None or not can_reply_evaluation(session, actor, ev):
            raise _not_found(evaluation_id)
        count = session.exec(
            select(func.count(col(EvaluationReply.id))).where(
                EvaluationReply.evaluation_id == ev.id
            )
        ).one()
        if int(count) >= MAX_REPLIES:
            raise ReplyProblem(
                f"This thread has reached its {MAX_REPLIES} replies: talk it over in person."
            )
        reply = EvaluationReply(evaluation_id=int(ev.id or 0), author_id=actor.id, text=text)
        session.add(reply)
        session.flush()
        return ReplyRow(
            id=int(reply.id or 0),
            evaluation_id=reply.evaluation_id,
            author_id=actor.id,
            author=actor.display_name,
            author_role=str(actor.role),
            text=reply.text,
            created_at=reply.created_at,
        )
