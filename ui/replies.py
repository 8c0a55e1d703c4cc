"""The reply thread on an evaluation, drawn the same on My feedback and Evaluations: the
messages oldest first as plain text, and a form to add one that keeps what was typed
when it is refused."""

from __future__ import annotations

import streamlit as st

from db.access import Actor
from db.services.replies import MAX_REPLIES, list_replies, post_reply
from scoring.errors import EarshotError
from scoring.text import REPLY_MAX
from ui.format import local_date, plain

ROLE_NAMES = {"agent": "agent", "supervisor": "supervisor", "admin": "admin"}


def _send(actor: Actor, evaluation_id: int, key: str) -> None:
    """The form's callback: post, then empty the box; a refusal keeps the text."""
    text = str(st.session_state.get(f"{key}_text", ""))
    try:
        post_reply(actor, evaluation_id, text)
    except EarshotError as exc:
        st.session_state[f"{key}_error"] = str(exc)
    else:
        st.session_state[f"{key}_text"] = ""
        st.session_state[f"{key}_sent"] = True


def reply_thread(actor: Actor, evaluation_id: int, key: str, intro: str = "") -> None:
    """The thread on `evaluation_id` with its form; state keys start with `key`. Draws
    nothing when the actor may not read the thread (the page shows the evaluation's own
    refusal)."""
    try:
        replies = list_replies(actor, evaluation_id)
    except EarshotError:
        return
    st.subheader("Replies")
    if intro:
        st.caption(plain(intro))  # it may carry a name someone typed
    if not replies:
        st.caption("No replies yet.")
    for reply in replies:
        role = ROLE_NAMES.get(reply.author_role, reply.author_role)
        st.text(f"{reply.author} ({role}) · {local_date(reply.created_at)}\n{reply.text}")
    if error := st.session_state.pop(f"{key}_error", None):
        st.error(plain(error))
    if st.session_state.pop(f"{key}_sent", False):
        st.success("Reply sent.")
    if len(replies) >= MAX_REPLIES:
        st.caption(f"This thread has reached its {MAX_REPLIES} replies.")
        return
    with st.form(f"{key}_form", border=False):
        st.text_area("Your reply", max_chars=REPLY_MAX, key=f"{key}_text", height=90)
        st.form_submit_button(
            "Send reply",
            icon=":material/reply:",
            on_click=_send,
            args=(actor, evaluation_id, key),
        )
