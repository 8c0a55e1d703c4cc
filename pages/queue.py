"""The scoring queue: team calls still waiting for an evaluation, own drafts first."""

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from db.queue import scoring_queue
from db.users import list_agents
from ui.format import local_date, mmss
from ui.session import require_actor

actor = require_actor("admin", "supervisor")
st.title("Queue")

agents = {a.display_name: a.id for a in list_agents(actor)}
c1, c2, c3 = st.columns([2, 1, 1])
agent_name = c1.selectbox("Agent", ["Everyone", *agents], key="queue_agent")
today = datetime.now(UTC).date()
since = c2.date_input("From", value=today - timedelta(days=90), key="queue_since")
until = c3.date_input("To", value=today, key="queue_until")

rows = scoring_queue(
    actor,
    agent_id=agents.get(agent_name),
    since=datetime.combine(since, time.min, tzinfo=UTC),
    until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC),
)
if not rows:
    st.info("Nothing waiting: every call in this range has an evaluation.")
    st.stop()

st.caption(f"{len(rows)} call(s) waiting; your drafts come first. Pick a row to open it.")
# One table, not a widget per row: the queue stays quick with hundreds of calls.
picked = st.dataframe(
    pd.DataFrame(
        {
            "Call": [r.external_id for r in rows],
            "Agent": [r.agent for r in rows],
            "Started": [local_date(r.started_at) for r in rows],
            "Length": [mmss(r.duration_s) for r in rows],
            "Your draft": [
                ("draft" if r.draft_total is None else f"draft · {r.draft_total:.0f}")
                if r.draft_id
                else ""
                for r in rows
            ],
        }
    ),
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="queue_table",
)
if picked.selection.rows:
    chosen = rows[picked.selection.rows[0]]
    st.switch_page("pages/score.py", query_params={"call": str(chosen.call_id)})
