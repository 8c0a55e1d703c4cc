"""A pinned comment as people read it: its moment (a button that plays from there) and
its text, always drawn as plain text."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from db.evaluations import CommentView
from ui.format import mmss


def comment_row(comment: CommentView, prefix: str, item_title: str | None) -> DeltaGenerator:
    """Draw one comment; clicking its time asks the page's player (state key
    `{prefix}_seek`, a (seconds, nonce) pair) to play from that moment. Returns the text
    column, for controls a page adds beside it."""
    moment, text = st.columns([1.2, 5])
    if moment.button(
        mmss(comment.t_s),
        key=f"{prefix}_seek_{comment.id}",
        icon=":material/play_arrow:",
        help="Play from here",
    ):
        _, nonce = st.session_state.get(f"{prefix}_seek", (None, 0))
        st.session_state[f"{prefix}_seek"] = (comment.t_s, nonce + 1)
        st.rerun()
    about = f" · {item_title}" if item_title else ""
    text.text(f"{comment.text}\n— {comment.author}{about}")
    return text
