"""Disputes: the queue of items agents disputed, for their team supervisor or an admin to
accept (the score is amended through the audited amend path), partly accept with a new
score, or reject with a reason. Text people typed is drawn with st.text or in tables."""

import streamlit as st

from db.access import AccessDenied
from db.disputes import (
    ACCEPTED,
    PARTLY_ACCEPTED,
    REJECTED,
    STATUS_LABELS,
    DisputeRow,
    list_disputes,
)
from db.disputes import resolve_dispute as decide
from scoring.errors import EarshotError
from ui.format import local_date, plain
from ui.session import require_actor, show_denied

NA = "N/A"
DECISION_LABELS = {ACCEPTED: "Accept", PARTLY_ACCEPTED: "Partly accept", REJECTED: "Reject"}
ERRORS = EarshotError

actor = require_actor("admin", "supervisor")
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
                "Decided": r.resolved_at,
                "Agent": r.agent,
                "Call": r.call_external_id,
                "Item": r.item_title,
                "Outcome": r.status_label,
                "Score now": r.current_score,
                "Resolution": r.resolution,
                "Agent's reason": r.reason,
                "By": r.resolver,
            }
            for r in decided
        ],
        hide_index=True,
        column_config={"Decided": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )
