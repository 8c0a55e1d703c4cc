"""An evaluation's pinned comments, read inside the caller's session (no access check: the
caller's service has already loaded the evaluation through the policy)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from db.models import Comment, User


@dataclass(frozen=True)
class CommentView:
    id: int
    t_s: float
    item_key: str | None
    text: str
    author_id: int
    author: str


def comments_of(session: Session, evaluation_id: int) -> list[CommentView]:
    """An evaluation's comments in time order, with their authors' names."""
    rows = session.exec(
        select(Comment, User)
        .join(User, col(User.id) == col(Comment.author_id))
        .where(Comment.evaluation_id == evaluation_id)
        .order_by(col(Comment.t_s), col(Comment.id))
    ).all()
    # Stored rows always have their ids.
    return [
        CommentView(c.id or 0, c.t_s, c.item_key, c.text, c.author_id, u.display_name)
        for c, u in rows
    ]
