"""The scoring queue: team calls still waiting for an evaluation, own drafts first."""

from datetime import UTC, datetime, time, timedelta

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

st.caption(f"{len(rows)} call(s) waiting; your drafts come first.")
for row in rows:
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
        c1.text(f"{row.external_id} · {row.agent}")
        c2.text(local_date(row.started_at))
        if row.draft_id:
            total = "–" if row.draft_total is None else f"{row.draft_total:.0f}"
            c3.text(f"{mmss(row.duration_s)} · your draft ({total})")
        else:
            c3.text(mmss(row.duration_s))
        if c4.button(
            "Resume" if row.draft_id else "Score",
            key=f"open_{row.call_id}",
            type="primary" if row.draft_id else "secondary",
        ):
            st.switch_page("pages/score.py", query_params={"call": str(row.call_id)})
