"""Disputes: the queue of items agents disputed, for their team supervisor or an admin to
accept (the score is amended through the audited amend path), partly accept with a new
score, or reject with a reason. Each card opens the evaluation in context: the call in
the player with the scorer's comments and the moments the agent cites (each one a button
that seeks the player there), and every item with the disputed one marked. Text people
typed is drawn with st.text or in tables."""

import pandas as pd
import streamlit as st

from db.access import AccessDenied
from db.services.disputes import (
    ACCEPTED,
    PARTLY_ACCEPTED,
    REJECTED,
    STATUS_LABELS,
    DisputeContext,
    DisputeRow,
    dispute_context,
    list_disputes,
)
from db.services.disputes import resolve_dispute as decide
from scoring.errors import EarshotError
from scoring.ids import parse_id
from ui.comments import comment_row
from ui.format import local_date, mmss, plain
from ui.player import read_only_player
from ui.session import require_actor, show_denied

NA = "N/A"
DECISION_LABELS = {ACCEPTED: "Accept", PARTLY_ACCEPTED: "Partly accept", REJECTED: "Reject"}
ERRORS = EarshotError

actor = require_actor()
state = st.session_state
st.title("Disputes")
st.caption(
    "Agents dispute an item of their own evaluation within the dispute window, with a reason. "
    "Accepting changes the score through the audited amend path; rejecting needs a reason the "
    "agent will read."
)
if flash := state.pop("disputes_flash", None):
    st.success(plain(flash))


def decision_form(d: DisputeRow) -> None:
    with st.container(border=True):
        st.markdown(f"**{plain(d.item_title)}** · current score **{d.current_score}**")
        st.text(
            f"{d.agent} · call {d.call_external_id} · scored by {d.scorer} · "
            f"disputed {local_date(d.created_at)}"
        )
        if d.current_note:
            st.text(f"Scorer's note: {d.current_note}")
        st.text(f"Agent's reason: {d.reason}")
        if d.moments:
            st.text("Moments the agent cites: " + ", ".join(mmss(t) for t in d.moments))
        if st.toggle(
            "Open the evaluation in context",
            value=d.id == asked_for,
            key=f"dispute_{d.id}_context",
        ):
            try:
                draw_context(dispute_context(actor, d.id))
            except ERRORS as exc:
                st.error(plain(exc))
        with st.form(f"dispute_{d.id}"):
            decision = st.radio(
                "Decision",
                list(DECISION_LABELS),
                horizontal=True,
                index=None,
                format_func=DECISION_LABELS.get,
                key=f"dispute_{d.id}_decision",
            )
            options = [*d.levels, *([NA] if d.na_allowed else [])]
            new_score = st.selectbox(
                "New score (accept or partly accept)",
                options,
                index=None,
                placeholder="Choose the new score",
                key=f"dispute_{d.id}_score",
            )
            text = st.text_area(
                "Resolution (the agent reads it; required to reject or partly accept)",
                max_chars=2000,
                key=f"dispute_{d.id}_text",
            )
            submitted = st.form_submit_button("Record decision", type="primary")
        if submitted and decision is None:
            st.error("Choose a decision: accept, partly accept or reject.")
        elif submitted:
            changes = decision != REJECTED
            try:
                decide(
                    actor,
                    d.id,
                    decision,
                    text,
                    new_value=new_score if changes and new_score not in (None, NA) else None,
                    na=changes and new_score == NA,
                )
            except ERRORS as exc:
                st.error(plain(str(exc).strip("'\"")))
            else:
                state["disputes_flash"] = (
                    f"Decision recorded on “{d.item_title}”: {STATUS_LABELS[decision].lower()}."
                )
                st.rerun()


def _play_from(prefix: str, t_s: float) -> None:
    """Ask the card's player to seek to `t_s` and play from there."""
    _, nonce = state.get(f"{prefix}_seek", (None, 0))
    state[f"{prefix}_seek"] = (t_s, nonce + 1)
    state[f"{prefix}_seek_play"] = nonce + 1


def draw_context(context: DisputeContext) -> None:
    """The evaluation around the dispute: the player (the scorer's comments and the
    agent's cited moments on its timeline), the cited moments as buttons that seek it,
    every item with the disputed one marked, and the scorer's comments."""
    d = context.dispute
    prefix = f"dispute{d.id}"
    cited = [(t, "Cited by the agent") for t in d.moments]
    read_only_player(
        context.call,
        context.listening,
        [(c.t_s, c.text) for c in context.comments] + cited,
        audio_url=context.audio_url,
        prefix=prefix,
        key=f"dispute_player_{d.id}",
    )
    if d.moments:
        st.markdown("**Moments the agent cites**")
        buttons = st.columns(min(len(d.moments), 5))
        for n, t_s in enumerate(d.moments):
            buttons[n % len(buttons)].button(
                mmss(t_s),
                key=f"{prefix}_moment_{n}",
                icon=":material/play_arrow:",
                help="Play from here",
                on_click=_play_from,
                args=(prefix, t_s),
            )
    else:
        st.caption("The agent cites no moments of the call.")
    st.markdown("**The evaluation**")
    st.dataframe(
        pd.DataFrame(
            {
                "Item": [i.title for i in context.items],
                "Score": [i.score for i in context.items],
                "Disputed": ["◀ disputed" if i.disputed else "" for i in context.items],
                "Scorer's note": [i.note for i in context.items],
            }
        ),
        hide_index=True,
        width="stretch",
        key=f"{prefix}_items",
    )
    if context.comments:
        st.markdown("**The scorer's comments**")
        titles = {i.key: i.title for i in context.items}
        for comment in context.comments:
            comment_row(comment, prefix, titles.get(comment.item_key or ""))


# A notification's link names the dispute: its card opens in context.
asked_for = parse_id(st.query_params.get("dispute", ""))
try:
    open_rows = list_disputes(actor, status="open")
except AccessDenied as exc:
    show_denied(exc)
st.subheader(f"Open ({len(open_rows)})")
if not open_rows:
    st.info("No open disputes. Nothing is waiting for a decision.")
for row in open_rows:
    decision_form(row)

st.subheader("Decided")
decided = [r for r in list_disputes(actor) if not r.is_open]
if not decided:
    st.caption("No decided disputes yet.")
else:
    st.dataframe(
        [
            {
                "Decided": local_date(r.resolved_at),  # the reader's zone, not UTC
                "Agent": r.agent,
                "Call": r.call_external_id,
                "Item": r.item_title,
                "Outcome": r.status_label,
                "Score now": r.current_score,
                "Resolution": r.resolution,
                "Agent's reason": r.reason,
                "Moments cited": ", ".join(mmss(t) for t in r.moments),
                "By": r.resolver,
            }
            for r in decided
        ],
        hide_index=True,
    )
