"""Evaluations: every evaluation this user may see, filtered and searched; one opens
read-only below the list with its scores, notes, comments and history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from db.services.browse import (
    BrowseFilters,
    BrowseRow,
    browse_evaluations,
    evaluation_history,
)
from db.services.evaluations import get_evaluation, rubric_for
from db.services.sampling import scorer_choices
from db.services.users import list_agents
from scoring.errors import EarshotError
from scoring.ids import parse_id
from ui.format import local_date, mmss, plain
from ui.pdf import pdf_download_button
from ui.replies import reply_thread
from ui.session import require_actor
from ui.times import reader_today, reader_zone, zone_id

ANY = "Any"
actor = require_actor()
linked = st.query_params.get("evaluation", "")
st.title("Evaluations")
st.caption("Every evaluation you may read: your own, and your team's colleagues'.")


def read_filters() -> BrowseFilters:
    """The filter row, as BrowseFilters."""
    agents = {a.id: a.display_name for a in list_agents(actor)}
    scorers = dict(scorer_choices(actor))
    top = st.columns([2, 2, 2, 2])
    agent = top[0].selectbox("Agent", [None, *agents], format_func=lambda i: agents.get(i, ANY))
    scorer = top[1].selectbox("Scorer", [None, *scorers], format_func=lambda i: scorers.get(i, ANY))
    zone = reader_zone()  # the days are the reader's, not UTC's
    period = top[2].date_input(
        "Between",
        value=(),
        max_value=reader_today(zone),
        help=f"Both days included, in your time zone ({zone_id(zone)}).",
    )
    status = top[3].selectbox("Status", [ANY, "submitted", "draft"])
    low, high = st.columns([3, 5])[0].slider("Total", 0, 100, (0, 100))
    rest = st.columns([2, 2, 4])
    disputed = rest[0].selectbox("Disputed", [ANY, "yes", "no"])
    amended = rest[1].selectbox("Amended", [ANY, "yes", "no"])
    text = rest[2].text_input("Search notes and comments", max_chars=200)
    yes_no = {ANY: None, "yes": True, "no": False}
    since, until = (period[0], period[-1]) if period else (None, None)
    return BrowseFilters(
        agent_id=agent,
        scorer_id=scorer,
        since=since,
        until=until,
        min_total=None if low == 0 else float(low),
        max_total=None if high == 100 else float(high),
        status=None if status == ANY else status,
        disputed=yes_no[disputed],
        amended=yes_no[amended],
        text=text,
        zone=zone_id(zone),
    )


def _status(row: BrowseRow) -> str:
    return row.status + (" (calibration)" if row.purpose != "regular" else "")


def draw_table(rows: list[BrowseRow]) -> BrowseRow | None:
    """The list; returns the row picked, if any."""
    frame = pd.DataFrame(
        {
            "When": [local_date(r.when) for r in rows],
            "Call": [r.call for r in rows],
            "Agent": [r.agent for r in rows],
            "Scorer": [r.scorer for r in rows],
            "Total": [None if r.total is None else round(r.total, 1) for r in rows],
            "Status": [
                r.status + (" (calibration)" if r.purpose != "regular" else "") for r in rows
            ],
            "Disputes": [r.disputes for r in rows],
            "Amended": ["yes" if r.amended else "" for r in rows],
        }
    )
    picked = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="evaluations_table",
    )
    return rows[picked.selection.rows[0]] if picked.selection.rows else None


def draw_evaluation(row: BrowseRow) -> None:
    """One evaluation, read-only: items with notes, comments, history."""
    ev = get_evaluation(actor, row.evaluation_id)
    rubric = rubric_for(actor, row.evaluation_id)
    st.subheader(f"Call {plain(row.call)} · {plain(row.agent)}")
    total = "–" if ev.total is None else f"{ev.total:.0f}"
    st.caption(f"Scored by {plain(row.scorer)} · {ev.status} · total {total}")
    evaluation_id = row.evaluation_id
    # Made when clicked, through the policy again (evaluation_record), never before.
    pdf_download_button(actor, evaluation_id, key=f"evaluation_pdf_{evaluation_id}")
    items = []
    for item in rubric.items:
        state = ev.items.get(item.key)
        score = (
            "N/A"
            if state and state.na
            else "–"
            if not state or state.value is None
            else state.value
        )
        items.append({"Item": item.title, "Score": str(score), "Note": state.note if state else ""})
    st.dataframe(pd.DataFrame(items), hide_index=True, width="stretch")
    if ev.comments:
        st.markdown("**Comments**")
        for c in ev.comments:
            st.text(f"{mmss(c.t_s)}  {c.author}: {c.text}")
    history = evaluation_history(actor, row.evaluation_id)
    st.markdown("**History**")
    if not history:
        st.caption("Not changed since it was submitted.")
    for entry in history:
        st.text(f"{local_date(entry.at)} · {entry.who} · {entry.what}")
        for change in entry.changes:
            st.text(f"    {change}")
        if entry.reason:
            st.text(f"    Reason: {entry.reason}")
    reply_thread(actor, row.evaluation_id, f"evaluation{row.evaluation_id}_reply")
    if row.scorer_id == actor.id:
        st.page_link(
            "pages/score.py",
            label="Open in Score a call",
            query_params={"call": str(row.call_id)},
            icon=":material/rate_review:",
        )


def linked_row(rows: list[BrowseRow]) -> BrowseRow | None:
    """The evaluation the link names: from the list, else looked up alone (through the
    same policy); None when it is not one this user may read."""
    wanted = parse_id(linked)
    if wanted is None:
        return None
    listed = next((r for r in rows if r.evaluation_id == wanted), None)
    if listed is not None:
        return listed
    found = browse_evaluations(actor, BrowseFilters(evaluation_id=wanted))
    return found[0] if found else None


try:
    filters = read_filters()
    rows = browse_evaluations(actor, filters)
except EarshotError as exc:
    st.error(plain(exc))
    st.stop()
st.caption(f"{len(rows)} evaluation(s), newest first.")
if not rows:
    st.info("No evaluation you may read matches these filters.")
chosen = draw_table(rows) if rows else None
# "Read it" on the Score page and the Trends drill-down link here with ?evaluation=ID:
# that one opens below, even when the filters (or the newest-first limit) leave it out.
if chosen is None and linked:
    try:
        chosen = linked_row(rows)
    except EarshotError as exc:
        st.error(plain(exc))
    if chosen is None:
        st.warning(f"Evaluation {plain(linked)} was not found or is not yours to open.")
if chosen is not None:
    with st.container(border=True):
        try:
            draw_evaluation(chosen)
        except EarshotError as exc:
            st.error(plain(exc))
