"""My assignments: the calls sampling plans gave this scorer (overdue, due today,
upcoming) with replace and hand over, their drafts, and every other waiting team call,
still open for an ad-hoc review."""

from datetime import timedelta

import pyarrow as pa
import streamlit as st

from db.services.queue import Drafting, scoring_queue
from db.services.sampling import AssignmentView, hand_over, my_assignments, replace_assignment
from db.services.users import list_agents
from scoring.errors import EarshotError
from ui.format import mmss, plain
from ui.session import require_actor
from ui.times import local_time, reader_day_bounds, reader_today, reader_zone

actor = require_actor()
st.title("My assignments")
zone = reader_zone()  # once per run, not once per cell; days are the reader's days


def drafting(others: tuple[Drafting, ...]) -> str:
    """Who else is drafting a call, and since when: "Sup North since 2026-11-25 09:12 UTC"."""
    return "; ".join(f"{d.scorer} since {local_time(d.since, zone)}" for d in others)


if notice := st.session_state.pop("assignment_notice", None):
    st.success(plain(notice))

mine = my_assignments(actor, zone=zone)  # with the hand-over choices, in one read
columns = st.columns(len(mine.counts))
for column, (label, count) in zip(columns, mine.counts.items(), strict=True):
    column.metric(label, count)

groups = [("Overdue", mine.overdue), ("Due today", mine.due_today), ("Upcoming", mine.upcoming)]
assigned: list[AssignmentView] = [a for _, group in groups for a in group]
if assigned:
    when = {a.id: label for label, group in groups for a in group}
    # One table, not a widget per row: quick with hundreds of assignments. An Arrow table
    # goes to the browser as it is (a pandas frame would be built, then converted).
    picked = st.dataframe(
        pa.table(
            {
                "When": [when[a.id] for a in assigned],
                "Call": [a.external_id for a in assigned],
                "Agent": [a.agent for a in assigned],
                "Started": [local_time(a.started_at, zone) for a in assigned],
                "Length": [mmss(a.duration_s) for a in assigned],
                "Due": [local_time(a.due_at, zone) for a in assigned],
                "Why": [a.reason for a in assigned],
                "Plan": [a.plan_title for a in assigned],
                "Your draft": ["draft" if a.draft_id else "" for a in assigned],
                "Others drafting": [drafting(a.others) for a in assigned],
            }
        ),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="assignments_table",
    )
    if picked.selection.rows:
        chosen = assigned[picked.selection.rows[0]]
        st.switch_page("pages/score.py", query_params={"call": str(chosen.call_id)})

    with st.expander("Replace or hand over an assignment", icon=":material/swap_horiz:"):
        labels = {f"{a.external_id} · {a.agent} · {a.reason}": a.id for a in assigned}
        target = st.selectbox("Assignment", list(labels), key="assignment_pick")
        reason = st.text_input(
            "Why (kept with the assignment)",
            key="assignment_reason",
            placeholder="e.g. the audio is silent after a minute; wrong queue",
        )
        c1, c2 = st.columns(2)
        if c1.button("Replace with another call", key="assignment_replace"):
            try:
                _, message = replace_assignment(actor, labels[target], reason)
            except EarshotError as exc:
                st.error(plain(exc))
            else:
                st.session_state["assignment_notice"] = message
                st.rerun()
        others = {name: uid for uid, name in mine.scorers if uid != actor.id}
        to = c2.selectbox("Hand to", list(others), key="assignment_to")
        if c2.button("Hand over", key="assignment_hand_over", disabled=not others):
            try:
                moved = hand_over(actor, labels[target], others[to], reason)
            except EarshotError as exc:
                st.error(plain(exc))
            else:
                st.session_state["assignment_notice"] = (
                    f"Call {moved.external_id} handed to {moved.scorer}."
                )
                st.rerun()
else:
    st.info("No open assignments. Calls below can still be reviewed ad hoc.")

st.subheader("Other calls waiting (ad-hoc reviews)")
# With assignments open the rest of the queue is one click away: it is the costly part.
if assigned and not st.toggle("Show them", key="queue_show_ad_hoc"):
    st.caption("Calls nobody assigned can still be reviewed; a review is recorded as ad hoc.")
    st.stop()
agents = {a.display_name: a.id for a in list_agents(actor)}
c1, c2, c3 = st.columns([2, 1, 1])
agent_name = c1.selectbox("Agent", ["Everyone", *agents], key="queue_agent")
today = reader_today(zone)
since = c2.date_input("From", value=today - timedelta(days=90), key="queue_since")
until = c3.date_input("To", value=today, key="queue_until")
start, end = reader_day_bounds(since, until, zone)  # the reader's days, as UTC instants

assigned_calls = {a.call_id for a in assigned}
rows = [
    r
    for r in scoring_queue(
        actor,
        agent_id=agents.get(agent_name),
        since=start,
        until=end,
    )
    if r.call_id not in assigned_calls
]
if not rows:
    st.info("Nothing waiting: every call in this range has an evaluation.")
    st.stop()

st.caption(
    f"{len(rows)} call(s) waiting; your drafts come first, and 'Others drafting' names "
    "anyone else reviewing a call. A review of a call nobody assigned is recorded as ad "
    "hoc. Pick a row to open it."
)
picked = st.dataframe(
    pa.table(
        {
            "Call": [r.external_id for r in rows],
            "Agent": [r.agent for r in rows],
            "Started": [local_time(r.started_at, zone) for r in rows],
            "Length": [mmss(r.duration_s) for r in rows],
            "Your draft": [
                ("draft" if r.draft_total is None else f"draft · {r.draft_total:.0f}")
                if r.draft_id
                else ""
                for r in rows
            ],
            "Others drafting": [drafting(r.others) for r in rows],
        }
    ),
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="queue_table",
)
if picked.selection.rows:
    waiting = rows[picked.selection.rows[0]]
    st.switch_page("pages/score.py", query_params={"call": str(waiting.call_id)})
