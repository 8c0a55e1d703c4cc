"""My feedback: an agent's own evaluations. Scores with their anchors and notes, the call
with the supervisor's comments on the timeline, acknowledge, dispute an item, and the
agent's trend beside their team's.

Which evaluation is open comes from the `evaluation` query parameter; the services refuse
any id that is not the agent's own, so a changed URL or session state shows a refusal,
never someone else's data. Text people typed is drawn with st.text or in tables.
"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pyarrow as pa
import streamlit as st

from charts import memo_figure
from charts.trends import agent_items_chart, agent_trend_chart
from db.access import AccessDenied
from db.services.browse import evaluation_history
from db.services.disputes import open_dispute
from db.services.evaluations import earlier_evaluation, rubric_for
from db.services.feedback import (
    FeedbackDetail,
    FeedbackRow,
    acknowledge,
    acknowledge_many,
    feedback_detail,
    mark_viewed,
    my_evaluations,
)
from db.services.intervals import agent_intervals
from db.services.text_evidence import text_evidence_for
from db.services.transcripts import transcript_for
from db.services.trends import agent_trend
from scoring.cited_moments import parse_moments
from scoring.errors import EarshotError
from scoring.evidence import METRIC_LABELS, evidence_lines
from scoring.ids import parse_id
from scoring.text_moments import (
    MAX_MOMENT_LINKS,
    TEXT_METRIC_LABELS,
    escape_markdown,
    item_text_evidence,
    moment_label,
    player_utterances,
    text_markers,
)
from ui.comments import comment_page, comment_row
from ui.format import local_date, mmss, plain
from ui.intervals import show_intervals
from ui.pdf import pdf_download_button
from ui.player import read_only_player
from ui.replies import reply_thread
from ui.session import require_actor, show_denied
from ui.times import day_label, reader_today, reader_zone, zone_id

PERIODS = {
    "Last 4 weeks": 28,
    "Last 12 weeks": 84,
    "Last 6 months": 182,
    "Last year": 365,
    "All time": None,
}

LIST_PAGE = 50  # newest first; older ones one click away


def evaluations_table(rows: Sequence[FeedbackRow], selected: int | None) -> pa.Table:
    """The list as an Arrow table: st.dataframe sends Arrow, and building it from columns
    skips a pandas conversion of row dicts that cost more than the rest of the page."""
    return pa.table(
        {
            "New": ["●" if r.unread and r.evaluation_id != selected else "" for r in rows],
            # An instant, shown in the reader's time zone (ui/times.py), not UTC.
            "Submitted": pa.array(
                [r.submitted_at for r in rows], pa.timestamp("us", zone_id(reader_zone()))
            ),
            "Call": [r.call_external_id for r in rows],
            "Scored by": [r.scorer for r in rows],
            "Total": pa.array([r.total for r in rows], pa.float64()),
            # Text, so a pending one reads "Not yet" rather than a grey "None".
            "Acknowledged": [
                local_date(r.acknowledged_at) if r.acknowledged_at else "Not yet" for r in rows
            ],
            "Open disputes": pa.array([r.open_disputes for r in rows], pa.int64()),
        }
    )


actor = require_actor()
state = st.session_state
st.title("My feedback")
if flash := state.pop("feedback_flash", None):
    st.success(plain(flash))


def show_evaluation(detail: FeedbackDetail) -> None:
    """One evaluation: header, the player with comments and evidence, scores with their
    history, and the dispute form."""
    prefix = f"fb{detail.evaluation_id}"
    state.setdefault(f"{prefix}_seek", (None, 0))
    words = words_of(detail)
    draw_header(detail)
    left, right = st.columns([5, 4], gap="large")
    with left:
        draw_player_and_evidence(detail, prefix, words)
    with right:
        draw_scores(detail, words)
        draw_history(detail)
        draw_dispute_form(detail, prefix)
        reply_thread(
            actor,
            detail.evaluation_id,
            f"{prefix}_reply",
            intro=f"A question or a thank-you for {detail.scorer}: they read it here.",
        )


def draw_header(detail: FeedbackDetail) -> None:
    st.divider()
    st.subheader(f"Call {plain(detail.call.external_id)}")
    st.text(
        f"Call of {local_date(detail.call.started_at)} ({mmss(detail.call.duration_s)}) · "
        f"scored by {detail.scorer} · submitted {local_date(detail.submitted_at)} · "
        f"{detail.rubric_title} v{detail.rubric_version}"
    )
    if (first := earlier_evaluation(actor, detail.evaluation_id)) is not None:
        st.info(
            f"A second evaluation of this call: {plain(first.scorer)} evaluated it first, "
            f"on {local_date(first.submitted_at)}.",
            icon=":material/filter_2:",
        )
    m1, m2, m3 = st.columns(3)
    m1.metric("Total", "–" if detail.total is None else f"{detail.total:.1f}")
    m2.metric("Items scored", sum(not i.na for i in detail.items))
    with m3:
        if detail.acknowledged_at:
            st.success(f"Acknowledged {local_date(detail.acknowledged_at)}")
        elif st.button(
            "Acknowledge",
            type="primary",
            icon=":material/task_alt:",
            help="Tell your supervisor you have read this evaluation",
        ):
            acknowledge(actor, detail.evaluation_id)
            st.rerun()
    # The agent's own copy for their coaching file: made when clicked, through the policy.
    pdf_download_button(actor, detail.evaluation_id, key=f"fb{detail.evaluation_id}_pdf")
    if detail.failed_critical:
        st.error("A critical item is at the lowest level, so this call is marked as failed.")


def draw_player_and_evidence(detail: FeedbackDetail, prefix: str, words: dict) -> None:
    listening = detail.listening or {}
    if detail.audio_url:
        read_only_player(
            detail.call,
            detail.listening,
            [(c.t_s, c.text) for c in detail.comments],
            audio_url=detail.audio_url,
            prefix=prefix,
            key=f"player_{detail.call.id}",
            extra_markers=words["markers"],
            utterances=words["utterances"],
        )
    st.subheader("Comments")
    if not detail.comments:
        st.caption("Your supervisor pinned no comments on this call.")
    titles = {i.key: i.title for i in detail.items}
    shown_comments, show_more_comments = comment_page(detail.comments, prefix)
    for comment in shown_comments:
        comment_row(comment, prefix, titles.get(comment.item_key))
    show_more_comments()
    st.subheader("Listening evidence")
    if detail.summary:
        st.caption("Measured from the recording: evidence for the conversation, not a verdict.")
        st.text("\n".join(evidence_lines(detail.summary, list(METRIC_LABELS))))
    elif listening.get("error"):
        st.caption("No listening evidence: the recording could not be analysed.")
    else:
        st.caption("No listening evidence for this call.")
    show_text_evidence(prefix, words)


def draw_scores(detail: FeedbackDetail, words: dict) -> None:
    st.subheader("Scores")
    for n, item in enumerate(detail.items, start=1):
        with st.container(border=True):
            score = item.score if item.na else f"{item.score} / {detail.scale_max}"
            # Rubric text and measured evidence as markdown, the title escaped (admins
            # write it). One element per item (this page draws eleven on every run).
            label = f" · {item.level_label}" if item.level_label else ""
            lines = [f"**{n}. {plain(item.title)}**", f"Score: **{score}**{label}"]
            lines += [item.anchor] if item.anchor else []
            lines += [f":material/graphic_eq: {line}" for line in item.evidence]
            lines += item_text_lines(words, item.key)
            st.markdown("  \n".join(lines))
            # What people typed goes out as plain text.
            typed = [f"Note: {item.note}"] if item.note else []
            if item.dispute is not None:
                d = item.dispute
                typed.append(
                    f"Your dispute: {d.status_label.lower()} · opened {local_date(d.created_at)}"
                )
                if d.moments:
                    typed.append("Moments you cite: " + ", ".join(mmss(t) for t in d.moments))
                if d.resolution:
                    typed.append(f"Outcome: {d.resolution}")
            if typed:
                st.text("\n".join(typed))


def draw_history(detail: FeedbackDetail) -> None:
    """What changed since it was submitted: amendments and dispute decisions."""
    history = evaluation_history(actor, detail.evaluation_id)
    if not history:
        return
    st.subheader("History")
    for entry in history:
        changes = "; ".join(entry.changes)
        st.text(
            f"{local_date(entry.at)} · {entry.who} · {entry.what}"
            + (f": {changes}" if changes else "")
        )


def draw_dispute_form(detail: FeedbackDetail, prefix: str) -> None:
    st.subheader("Dispute a score")
    if not detail.can_dispute:
        st.caption(f"Disputes closed on {local_date(detail.dispute_deadline)}.")
    elif not detail.disputable_items:
        st.caption("Every item already has an open dispute.")
    else:
        st.caption(
            f"You can dispute until {local_date(detail.dispute_deadline)}. "
            "Your supervisor reads your reason and decides."
        )
        choices = {i.key: i.title for i in detail.disputable_items}
        # A refused dispute keeps what was typed (issue 14, bug 8); a sent one empties the
        # form, before its widgets are drawn on the next run.
        fields = (f"{prefix}_dispute_reason", f"{prefix}_dispute_moments")
        if state.pop(f"{prefix}_dispute_sent", False):
            for field in fields:
                state.pop(field, None)
        with st.form(f"{prefix}_dispute", clear_on_submit=False):
            item_key = st.selectbox("Item", list(choices), format_func=choices.get)
            reason = st.text_area("Why is this score wrong?", max_chars=2000, key=fields[0])
            cited = st.text_input(
                "Moments you cite (optional)",
                max_chars=200,
                placeholder="e.g. 0:12, 1:05",
                help="Times in the call, as minutes:seconds, separated by commas. Your "
                "supervisor can play each one.",
                key=fields[1],
            )
            sent = st.form_submit_button("Send dispute", icon=":material/gavel:")
        if sent:
            try:
                moments = parse_moments(cited, detail.call.duration_s)
                open_dispute(actor, detail.evaluation_id, item_key, reason, moments)
            except EarshotError as exc:
                st.error(plain(exc))
            else:
                state[f"{prefix}_dispute_sent"] = True
                state["feedback_flash"] = "Dispute sent. You will see the outcome here."
                st.rerun()


def draw_bulk_acknowledge(rows: Sequence[FeedbackRow]) -> None:
    """Acknowledge several listed evaluations at once, after a confirmation."""
    pending = [r for r in rows if r.acknowledged_at is None]
    if not pending:
        return
    labels = {
        r.evaluation_id: f"{day_label(r.submitted_at)} · {r.call_external_id} · {r.scorer}"
        for r in pending
    }
    with st.expander(f"Acknowledge several ({len(pending)} not yet acknowledged)"):
        chosen = st.multiselect(
            "Evaluations to acknowledge",
            list(labels),
            format_func=labels.__getitem__,
            key="feedback_bulk_pick",
            placeholder="Choose evaluations you have read",
        )
        st.button(
            "Select all not yet acknowledged",
            key="feedback_bulk_all",
            on_click=state.__setitem__,
            args=("feedback_bulk_pick", list(labels)),
        )
        confirming = state.get("feedback_bulk_confirm")
        if confirming and confirming != chosen:
            state.pop("feedback_bulk_confirm", None)  # the choice changed: ask again
            confirming = None
        if not confirming:
            if st.button(
                f"Acknowledge {len(chosen)} selected",
                disabled=not chosen,
                icon=":material/done_all:",
                key="feedback_bulk_ask",
            ):
                state["feedback_bulk_confirm"] = list(chosen)
                st.rerun()
            return
        st.warning(
            f"Acknowledge {len(confirming)} evaluation(s)? This tells your supervisor you "
            "have read them; it cannot be undone."
        )
        yes, no = st.columns(2)
        if yes.button(
            f"Yes, acknowledge {len(confirming)}", type="primary", key="feedback_bulk_yes"
        ):
            state.pop("feedback_bulk_confirm", None)
            try:
                done = acknowledge_many(actor, confirming)
            except EarshotError as exc:
                st.error(plain(exc))
                return
            state.pop("feedback_bulk_pick", None)
            state["feedback_flash"] = f"Acknowledged {done} evaluation(s)."
            st.rerun()
        if no.button("Cancel", key="feedback_bulk_no"):
            state.pop("feedback_bulk_confirm", None)
            st.rerun()


VIEWS = ["My evaluations", "My trend"]
view = (
    st.segmented_control(
        "View", VIEWS, default=VIEWS[0], key="feedback_view", label_visibility="collapsed"
    )
    or VIEWS[0]
)

if view == VIEWS[0]:
    # ------------------------------------------------------------------ which evaluation
    param = st.query_params.get("evaluation", "")
    selected = parse_id(param)
    detail: FeedbackDetail | None = None
    refusal = None
    if param and selected is None:
        refusal = "That link does not point to an evaluation."
    elif selected is not None:
        try:
            detail = feedback_detail(actor, selected)
            if detail.viewed_at is None:  # the first open only: no write on every rerun
                mark_viewed(actor, selected)
        except EarshotError as exc:
            refusal = str(exc)

    def _back_to_list() -> None:
        st.query_params.pop("evaluation", None)
        state.pop("feedback_pick", None)

    if detail is not None:
        # One evaluation open: the list (and its query) waits behind one click.
        st.button("All my evaluations", icon=":material/arrow_back:", on_click=_back_to_list)
    else:
        limit = state.setdefault("feedback_limit", LIST_PAGE)
        try:
            rows = my_evaluations(actor, limit=limit)
        except AccessDenied as exc:
            show_denied(exc)
        ids = [r.evaluation_id for r in rows]
        labels = {
            r.evaluation_id: f"{'● ' if r.unread and r.evaluation_id != selected else ''}"
            f"{day_label(r.submitted_at)} · {r.call_external_id} · "
            f"{'–' if r.total is None else f'{r.total:.1f}'}"
            for r in rows
        }

        def _open_selected() -> None:
            chosen = state.get("feedback_pick")
            if chosen is None:
                st.query_params.pop("evaluation", None)
            else:
                st.query_params["evaluation"] = str(chosen)

        if not rows:
            st.info(
                "No evaluations of your calls yet. They appear here once your supervisor submits."
            )
        else:
            unread = sum(r.unread and r.evaluation_id != selected for r in rows)
            shown = f"Your newest {len(rows)}" if len(rows) >= limit else f"{len(rows)}"
            st.caption(f"{shown} evaluations, {unread} new. New ones are marked ●.")
            if state.get("feedback_pick") not in ids:
                state.pop("feedback_pick", None)  # only the agent's own evaluations are choices
            st.selectbox(
                "Open an evaluation",
                ids,
                index=ids.index(selected) if selected in ids else None,
                format_func=lambda i: labels.get(i, str(i)),
                placeholder="Choose an evaluation",
                key="feedback_pick",
                on_change=_open_selected,
            )
            if detail is None:  # the full table while browsing; the picker once one is open
                st.dataframe(
                    evaluations_table(rows, selected),
                    hide_index=True,
                    column_config={
                        "Total": st.column_config.NumberColumn(format="%.1f"),
                        "Submitted": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                    },
                )
                if len(rows) >= limit and st.button("Show older evaluations"):
                    state["feedback_limit"] = limit + LIST_PAGE
                    st.rerun()
                draw_bulk_acknowledge(rows)

    if refusal:
        st.error(plain(refusal))

    # ------------------------------------------------------------------ one evaluation
    def seek_moment(widget_key: str, seek_key: str, times: list[float]) -> None:
        chosen = state.get(widget_key)
        if chosen is not None:
            _, nonce = state.get(seek_key, (None, 0))
            state[seek_key] = (times[chosen], nonce + 1)
            state[widget_key] = None

    def words_of(detail: FeedbackDetail) -> dict[str, Any]:
        """Transcript, text evidence and the rubric's metrics per item: read once per
        evaluation in this session (again while the text evidence is still being made)."""
        key = f"fb{detail.evaluation_id}_words"
        cached = state.get(key)
        if cached is None or (cached["transcript"] and not cached["text"]):
            try:
                stored = transcript_for(actor, detail.call.id)
                text = text_evidence_for(actor, detail.call.id) if stored else None
                metrics = {i.key: i.evidence for i in rubric_for(actor, detail.evaluation_id).items}
            except EarshotError:
                stored, text, metrics = None, None, {}
            state[key] = cached = {
                "transcript": stored,
                "text": text,
                "metrics": metrics,
                "utterances": player_utterances(stored.transcript if stored else None),
                "markers": text_markers(text.evidence if text else None),
            }
        return cached

    def item_text_lines(words: dict[str, Any], item_key: str) -> list[str]:
        """The counts of the text metrics the rubric shows beside this item."""
        evidence = words["text"].evidence if words["text"] else None
        metrics = words["metrics"].get(item_key, ())
        return [f":material/forum: {m.line}" for m in item_text_evidence(evidence, metrics)]

    def show_text_evidence(prefix: str, words: dict[str, Any]) -> None:
        """Moments found in the transcript, by kind; picking one plays it."""
        st.subheader("What was said")
        evidence = words["text"].evidence if words["text"] else None
        if evidence is None:
            st.caption("No transcript evidence for this call.")
            return
        st.caption(
            "Found in the transcript: moments to listen to again, not a verdict. "
            "Pick one to play it."
        )
        moments = evidence.moments_by_metric()
        summary = words["text"].summary
        for metric in ("paraphrases", "questions", "empathy", "defensive", "repeats"):
            found = moments.get(metric, ())[:MAX_MOMENT_LINKS]  # all are on the timeline
            label = f"{TEXT_METRIC_LABELS[metric]}: {summary.get(metric) or 0}"
            if not found:
                st.caption(label)
                continue
            pick = f"{prefix}_{metric}_moments"
            labels = [escape_markdown(moment_label(m)) for m in found]  # pills render Markdown
            st.pills(
                label,
                range(len(found)),
                format_func=labels.__getitem__,
                key=pick,
                on_change=seek_moment,
                args=(pick, f"{prefix}_seek", [m.t_s for m in found]),
            )

    if detail is not None:
        show_evaluation(detail)

else:
    # ------------------------------------------------------------------ my trend
    st.divider()
    st.subheader("My trend")
    period = st.selectbox("Period", list(PERIODS), index=1, key="feedback_period")
    days = PERIODS[period]
    # The agent's days, not UTC's: today where they are, and the period's bounds there.
    zone = reader_zone()
    today = reader_today(zone)
    since = None if days is None else today - timedelta(days=days)
    trend = agent_trend(actor, since=since, until=today, zone=zone_id(zone))
    st.caption("Your weekly average total against your team's average (the team includes you).")
    st.plotly_chart(memo_figure(agent_trend_chart, trend.weekly), key="feedback_trend")
    st.caption("Your average level per item against your team's.")
    st.plotly_chart(memo_figure(agent_items_chart, trend.items), key="feedback_items")
    show_intervals(
        agent_intervals(actor, since=since, until=today, zone=zone_id(zone)),
        key="feedback_intervals",
    )
