"""A pinned comment as people read it: its moment (a button that plays from there) and
its text, always drawn as plain text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from db.queries.comments import CommentView
from ui.format import mmss

COMMENTS_PER_PAGE = 50
"""Comments drawn at first and added by each "Show more": an evaluation may hold up to
EARSHOT_MAX_COMMENTS_PER_EVALUATION (300), and every row is several elements."""

Shown = TypeVar("Shown")


def comment_row(comment: CommentView, prefix: str, item_title: str | None) -> DeltaGenerator:
    """Draw one comment; clicking its time asks the page's player (state key
    `{prefix}_seek`, a (seconds, nonce) pair) to play from that moment (see
    :func:`seek_request`). Returns the text column, for controls a page adds beside it."""
    moment, text = st.columns([1.2, 5])
    if moment.button(
        mmss(comment.t_s),
        key=f"{prefix}_seek_{comment.id}",
        icon=":material/play_arrow:",
        help="Play from here",
    ):
        _, nonce = st.session_state.get(f"{prefix}_seek", (None, 0))
        st.session_state[f"{prefix}_seek"] = (comment.t_s, nonce + 1)
        st.session_state[f"{prefix}_seek_play"] = nonce + 1
        st.rerun()
    about = f" · {item_title}" if item_title else ""
    text.text(f"{comment.text}\n— {comment.author}{about}")
    return text


def seek_request(prefix: str) -> tuple[float | None, int, bool]:
    """The page's player seek as ``call_player`` takes it: (seek_to, seek_nonce,
    seek_play). A comment's time asks to play from there; other seeks (a moment picked
    beside an item, a ?t= link) only move the playhead."""
    seek_to, nonce = st.session_state.get(f"{prefix}_seek", (None, 0))
    return seek_to, nonce, st.session_state.get(f"{prefix}_seek_play") == nonce


def comment_page(
    comments: Sequence[Shown], key: str, per_page: int = COMMENTS_PER_PAGE
) -> tuple[Sequence[Shown], Callable[[], None]]:
    """The comments to draw now (the first ``per_page``, ``per_page`` more for each
    "Show more" pressed in this session under ``key``) and a function that draws the
    "Show more" button below them (nothing once all are shown)."""
    pages_key = f"{key}_comment_pages"
    shown = comments[: per_page * int(st.session_state.get(pages_key, 1))]

    def show_more() -> None:
        rest = len(comments) - len(shown)
        if rest <= 0:
            return
        if st.button(
            f"Show {min(per_page, rest)} more ({rest} not shown)",
            key=f"{key}_comments_more",
            icon=":material/expand_more:",
        ):
            st.session_state[pages_key] = int(st.session_state.get(pages_key, 1)) + 1
            st.rerun()

    return shown, show_more
