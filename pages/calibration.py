"""Calibration: several scorers score the same calls blind, the facilitator reveals, and
everyone compares scores, spreads, deviations and agreement; then a consensus is agreed.

Text people typed (titles, names, notes, comments) is drawn with st.text or in tables,
never as markdown or HTML.
"""

from datetime import datetime, time

import pandas as pd
import streamlit as st

from charts import memo_figure
from charts.calibration import ACCURACY_METRICS, calibration_heatmap, scorer_accuracy_chart
from db.services.calibration import (
    BLIND_MESSAGE,
    CallResults,
    SessionResults,
    SessionSummary,
    create_session,
    list_sessions,
    record_consensus,
    reveal,
    scorer_accuracy,
    scorer_candidates,
    session_results,
    submission_status,
)
from db.services.calls import audio_url_for, get_call, list_calls
from db.services.listening import listening_report_for
from db.services.suggestions import suggestion_agreement
from db.services.trends import item_titles
from player import call_player
from scoring.calibration import (
    CONSENSUS,
    GROUP_MEDIAN,
    StatisticResult,
    consensus_proposals,
)
from scoring.errors import EarshotError
from scoring.evidence import player_timeline
from scoring.ids import parse_id
from scoring.suggestions import MIN_PAIRS
from ui.format import local_date, mmss, plain
from ui.session import require_actor
from ui.times import reader_zone

NA = "N/A"
NOT_SET = "—"
SERVICE_ERRORS = EarshotError

actor = require_actor()
state = st.session_state
st.title("Calibration")
st.caption(
    "Scorers score the same calls blind; the facilitator sees who has submitted and reveals; "
    "then everyone compares and the facilitator records the agreed consensus."
)


# ------------------------------------------------------------------ new session
def new_session_form() -> None:
    calls = list_calls(actor)
    candidates = scorer_candidates(actor)
    if not calls:
        st.info("There are no calls you can see yet: import calls first.")
        return
    call_labels = {c.id: f"{c.external_id} · {c.agent} · {local_date(c.started_at)}" for c in calls}
    scorer_labels = {
        s.id: f"{s.display_name} ({s.role}{', ' + s.team if s.team else ''})" for s in candidates
    }
    with st.form("calibration_new"):
        title = st.text_input("Title", max_chars=200, key="cal_new_title")
        call_ids = st.multiselect(
            "Calls", list(call_labels), format_func=call_labels.get, key="cal_new_calls"
        )
        scorer_ids = st.multiselect(
            "Scorers (two or more; you may take a seat yourself)",
            list(scorer_labels),
            format_func=scorer_labels.get,
            key="cal_new_scorers",
        )
        benchmark = st.selectbox(
            "Benchmark scorer (optional)",
            [None, *scorer_labels],
            format_func=lambda i: (
                "No benchmark: compare with the group median" if i is None else scorer_labels[i]
            ),
            key="cal_new_benchmark",
            help="An expert among the scorers whose evaluation becomes the reference. "
            "Without one, deviations are measured from the group median until a consensus "
            "is recorded.",
        )
        due = st.date_input("Due (optional)", value=None, key="cal_new_due")
        if st.form_submit_button("Create session", type="primary"):
            # The end of that day where the facilitator is (their zone), not in UTC.
            due_at = datetime.combine(due, time(23, 59), tzinfo=reader_zone()) if due else None
            try:
                new_id = create_session(actor, title, call_ids, scorer_ids, benchmark, due_at)
            except SERVICE_ERRORS as exc:
                st.error(plain(exc))
            else:
                state["cal_open_next"] = new_id
                st.rerun()


sessions = list_sessions(actor)
with st.expander("New session", icon=":material/add:", expanded=not sessions):
    new_session_form()

if not sessions:
    st.info("No calibration sessions for you yet.")


# ------------------------------------------------------------------ helpers
def status_text(s: SessionSummary) -> str:
    if s.revealed:
        return f"revealed {local_date(s.revealed_at)}"
    return "blind: scoring"


def progress_text(s: SessionSummary) -> str:
    if s.expected is not None:
        return f"{s.submitted} of {s.expected} submitted"
    return f"you: {s.my_submitted} of {s.my_expected} submitted"


def statistic_value(result: StatisticResult, as_share: bool = False) -> str:
    if result.value is None:
        return "—"
    return f"{result.value:.0%}" if as_share else f"{result.value:.2f}"


def show_statistic(label: str, result: StatisticResult) -> None:
    st.metric(label, statistic_value(result))
    if result.value is not None:
        st.caption(result.reading)
    else:
        st.text(f"Not computed: {result.reason}")
    if result.basis:
        st.text(f"Over {result.basis}")


def explained(result: StatisticResult) -> str:
    return result.reading if result.value is not None else f"Not computed: {result.reason}"


# ------------------------------------------------------------------ session list
def sessions_table(rows: list[SessionSummary]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Session": s.title,
                    "Facilitator": s.facilitator,
                    "Calls": len(s.calls),
                    "Scorers": len(s.scorers),
                    "Due": local_date(s.due_at),
                    "Status": status_text(s),
                    "Progress": progress_text(s),
                }
                for s in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def my_calls(s: SessionSummary) -> None:
    st.subheader("Your calls")
    mine = {r.call_id: r for r in submission_status(actor, s.id) if r.scorer_id == actor.id}
    for call in s.calls:
        row = mine.get(call.call_id)
        status = row.status if row else "not started"
        with st.container(border=True):
            c1, c2, c3 = st.columns([4, 2, 2])
            c1.text(f"{call.external_id} · {call.agent} · {mmss(call.duration_s)}")
            c2.text(f"Your status: {status}")
            label = "Score blind" if status != "submitted" and not s.revealed else "Open yours"
            c3.page_link(
                "pages/score.py",
                label=label,
                icon=":material/rate_review:",
                query_params={"call": str(call.call_id), "session": str(s.id)},
            )


def facilitator_panel(s: SessionSummary) -> None:
    st.subheader("Who has submitted")
    rows = submission_status(actor, s.id)
    table = (
        pd.DataFrame(
            [{"Scorer": r.scorer, "Call": r.external_id, "Status": r.status} for r in rows]
        )
        .pivot(index="Scorer", columns="Call", values="Status")
        .reset_index()
    )
    st.dataframe(table, hide_index=True, width="stretch")
    if s.revealed:
        return
    submitted = sum(r.status == "submitted" for r in rows)
    if submitted < len(rows):
        st.caption(
            f"{len(rows) - submitted} of {len(rows)} still open. Whatever is not submitted "
            "when you reveal stays out of the comparison: it would no longer be blind."
        )
    if st.button(
        "Reveal scores",
        type="primary",
        key=f"cal_reveal_{s.id}",
        icon=":material/visibility:",
        disabled=submitted == 0,
    ):
        try:
            reveal(actor, s.id)
        except SERVICE_ERRORS as exc:
            st.error(plain(exc))
        else:
            st.rerun()


# ------------------------------------------------------------------ results
def agreement_section(results: SessionResults) -> None:
    stats = results.statistics
    st.subheader("Agreement")
    c1, c2 = st.columns(2)
    with c1:
        show_statistic("Krippendorff's α (ordinal), all items of all calls", stats.alpha)
    with c2:
        show_statistic("ICC(2,1) of call totals", stats.totals_icc)
    st.markdown("**Per item: share of scorer pairs within ±1 point**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Item": results.item_titles[key],
                    "Within ±1": statistic_value(result, as_share=True),
                    "Reading": explained(result),
                    "Over": result.basis,
                }
                for key, result in stats.item_agreement.items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if stats.benchmark is not None:
        st.markdown("**Each scorer against the benchmark (quadratic-weighted κ)**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Scorer": scorer,
                        "κ": statistic_value(result),
                        "Reading": explained(result),
                        "Over": result.basis,
                    }
                    for scorer, result in stats.kappa_vs_benchmark.items()
                ],
                columns=["Scorer", "κ", "Reading", "Over"],
            ),
            hide_index=True,
            width="stretch",
        )


def spreads_table(results: SessionResults, call: CallResults) -> pd.DataFrame:
    spreads = call.spreads
    return pd.DataFrame(
        {
            "Item": [results.item_titles[k] for k in spreads.index],
            "Scored by": spreads["n"].to_numpy(),
            "Lowest": spreads["min"].to_numpy(),
            "Highest": spreads["max"].to_numpy(),
            "Range": spreads["range"].to_numpy(),
            "Std dev": spreads["std"].round(2).to_numpy(),
            "Reference": spreads["reference"].to_numpy(),
            "Reference from": [call.reference_source[k] for k in spreads.index],
            "Mean |deviation|": spreads["mean_abs_deviation"].round(2).to_numpy(),
            "Pairs within ±1": spreads["agreement_within_1"].to_numpy(),
        }
    )


def deviation_table(call: CallResults) -> pd.DataFrame:
    deviation = call.deviation
    return pd.DataFrame(
        {
            "Scorer": list(deviation.index),
            "Total": [call.totals.get(s) for s in deviation.index],
            "Mean signed deviation": deviation["mean_signed_deviation"].round(2).to_numpy(),
            "Mean |deviation|": deviation["mean_abs_deviation"].round(2).to_numpy(),
            "Items compared": deviation["n_items"].to_numpy(),
            "Tendency": deviation["label"].to_numpy(),
        }
    )


def timeline(s: SessionSummary, results: SessionResults, call: CallResults) -> None:
    st.markdown("**Everyone's comments, in recording order**")
    if not call.comments:
        st.caption("Nobody pinned a comment on this call.")
    try:
        details = get_call(actor, call.call.call_id)
        listening = listening_report_for(actor, call.call.call_id) or {}
        lanes, _ = player_timeline(
            listening.get("report"),
            listening.get("peaks"),
            details.channels,
            details.agent_channel,
        )
        markers = [
            {"t_s": c.t_s, "kind": "comment", "label": f"{c.scorer}: {c.text}"}
            for c in call.comments
        ]
        call_player(
            audio_url=audio_url_for(actor, call.call.call_id),
            duration_s=call.call.duration_s,
            lanes=lanes,
            markers=markers,
            allow_pin=False,  # the shared timeline is read-only
            key=f"cal_player_{s.id}_{call.call.call_id}",
        )
    except SERVICE_ERRORS as exc:
        st.text(f"The recording cannot be played here: {exc}")
    if call.comments:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "At": mmss(c.t_s),
                        "Scorer": c.scorer,
                        "Item": ""
                        if c.item_key is None
                        else results.item_titles.get(c.item_key, c.item_key),
                        "Comment": c.text,
                    }
                    for c in call.comments
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def consensus_view(results: SessionResults, call: CallResults) -> None:
    st.markdown("**Consensus**")
    if call.consensus:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Item": results.item_titles[key],
                        # Text throughout: a column mixing levels and "N/A" cannot be ints.
                        "Agreed": NA if item.na else str(item.value),
                        "Note": item.note,
                        "Recorded by": item.recorded_by,
                        "When": local_date(item.recorded_at),
                    }
                    for key in results.item_keys
                    if (item := call.consensus.get(key)) is not None
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No consensus recorded yet for this call.")


def _who_scored(call: CallResults, key: str) -> str:
    """'Ann 4, Bob N/A' for one item: each scorer's level, in seat order."""
    return ", ".join(
        f"{scorer} {NA if levels[key] is None else levels[key]}"
        for scorer, levels in call.scores.items()
        if key in levels
    )


def _starts_from(results: SessionResults, call: CallResults, key: str) -> str:
    source = call.reference_source.get(key)
    if source == GROUP_MEDIAN:
        median = call.reference.get(key)
        return "" if median is None else f"median {median:g}"
    return "" if source == CONSENSUS else f"benchmark {results.session.benchmark}"


def consensus_form(results: SessionResults, call: CallResults) -> None:
    prefix = f"cal_cons_{results.session.id}_{call.call.call_id}"
    proposals = consensus_proposals(
        results.item_keys, call.reference, call.reference_source, results.na_allowed
    )
    with st.form(prefix):
        st.caption(
            f"Record the level the group agrees on, item by item ({NOT_SET} leaves an item "
            "as it is). Each item starts from the recorded consensus, else the benchmark's "
            "level, else the group median when it is a whole level. The consensus becomes "
            "this call's reference."
        )
        for key in results.item_keys:
            recorded = call.consensus.get(key)
            options = [NOT_SET, *results.levels, *([NA] if results.na_allowed[key] else [])]
            current = (
                NOT_SET
                if key not in proposals
                else NA
                if proposals[key] is None
                else proposals[key]
            )
            given = _who_scored(call, key)
            origin = _starts_from(results, call, key)
            c1, c2, c3 = st.columns([3, 1, 3])
            c1.text(
                f"{results.item_titles[key]}\nscored: {given or '—'}"
                + (f" · {origin}" if origin else "")
            )
            c2.selectbox(
                f"Consensus level for {results.item_titles[key]}",
                options,
                index=options.index(current) if current in options else 0,
                key=f"{prefix}_{key}_v",
                label_visibility="collapsed",
            )
            c3.text_input(
                f"Consensus note for {results.item_titles[key]}",
                value=recorded.note if recorded else "",
                max_chars=2000,
                key=f"{prefix}_{key}_n",
                label_visibility="collapsed",
                placeholder="Why (optional)",
            )
        if st.form_submit_button("Record consensus", type="primary"):
            items = {
                key: (None if choice == NA else choice, state[f"{prefix}_{key}_n"])
                for key in results.item_keys
                if (choice := state[f"{prefix}_{key}_v"]) != NOT_SET
            }
            try:
                record_consensus(actor, results.session.id, call.call.call_id, items)
            except SERVICE_ERRORS as exc:
                st.error(plain(exc))
            else:
                st.rerun()


def call_section(s: SessionSummary, results: SessionResults, call: CallResults) -> None:
    st.text(f"{call.call.external_id} · {call.call.agent} · {local_date(call.call.started_at)}")
    if call.missing:
        st.text("Not submitted before reveal (left out): " + ", ".join(call.missing))
    if call.grid.empty:
        st.caption("Nobody submitted this call before reveal.")
    else:
        reference = (
            None
            if all(v == "group median" for v in call.reference_source.values())
            else call.reference
        )
        st.plotly_chart(
            memo_figure(calibration_heatmap, call.grid, reference, results.item_titles),
            key=f"cal_heat_{s.id}_{call.call.call_id}",
            width="stretch",
        )
        st.markdown("**Spread per item**")
        st.dataframe(spreads_table(results, call), hide_index=True, width="stretch")
        st.markdown("**Each scorer against the reference** (positive = lenient)")
        st.dataframe(deviation_table(call), hide_index=True, width="stretch")
        st.caption(
            "Tendency: lenient or strict when a scorer is on average half a point or more "
            "above or below the reference; inconsistent when there is no clear direction but "
            "they are a point or more off on average (ups and downs that cancel out); "
            "otherwise in line."
        )
        if call.notes:
            st.markdown("**Notes on items**")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Scorer": n.scorer,
                            "Item": results.item_titles[n.item_key],
                            "Note": n.note,
                        }
                        for n in call.notes
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    timeline(s, results, call)
    consensus_view(results, call)
    if s.i_facilitate:
        consensus_form(results, call)


def results_section(s: SessionSummary) -> None:
    try:
        results = session_results(actor, s.id)
    except SERVICE_ERRORS as exc:
        st.error(plain(exc))
        return
    agreement_section(results)
    st.subheader("Calls")
    tabs = st.tabs([f"Call {n}" for n in range(1, len(results.calls) + 1)])
    for tab, call in zip(tabs, results.calls, strict=True):
        with tab:
            call_section(s, results, call)


# ------------------------------------------------------------------ one session
if sessions:
    sessions_table(sessions)
    by_id = {s.id: s for s in sessions}
    if (wanted := state.pop("cal_open_next", None)) in by_id:
        state["cal_selected"] = wanted
    elif "cal_selected" not in state or state["cal_selected"] not in by_id:
        asked = st.query_params.get("session", "")
        state["cal_selected"] = asked if (asked := parse_id(asked)) in by_id else sessions[0].id
    selected_id = st.selectbox(
        "Open session",
        list(by_id),
        format_func=lambda i: f"{by_id[i].title} · {status_text(by_id[i])}",
        key="cal_selected",
    )
    session = by_id[selected_id]
    with st.container(border=True):
        st.text(session.title)
        st.text(
            f"Facilitator {session.facilitator} · rubric {session.rubric_title} "
            f"v{session.rubric_version} · due {local_date(session.due_at)} · "
            f"{status_text(session)}"
        )
        st.text("Scorers: " + ", ".join(session.scorers))
        if session.benchmark:
            st.text(f"Benchmark: {session.benchmark}")
    if session.my_seat:
        my_calls(session)
    if session.i_facilitate:
        facilitator_panel(session)
    if session.revealed:
        results_section(session)
    else:
        st.info(BLIND_MESSAGE)


# ------------------------------------------------------------------ accuracy over time
st.divider()
st.subheader("Scorer accuracy over time")
st.caption(
    "Each scorer's agreement with the reference (consensus, else benchmark, else group "
    "median) in every revealed session. A falling line is drift worth a conversation."
)
accuracy = scorer_accuracy(actor)
metric = st.selectbox(
    "Measure", list(ACCURACY_METRICS), format_func=ACCURACY_METRICS.get, key="cal_accuracy_metric"
)
st.plotly_chart(
    memo_figure(scorer_accuracy_chart, accuracy, metric),
    key="cal_accuracy_chart",
    width="stretch",
)
if not accuracy.empty:
    st.dataframe(
        accuracy.assign(session_date=accuracy["session_date"].map(local_date)).rename(
            columns={
                "scorer": "Scorer",
                "session_id": "Session",
                "session_date": "Revealed",
                "n_items": "Items compared",
                "exact_agreement": "Exact",
                "within_1": "Within ±1",
                "mean_abs_deviation": "Mean |deviation|",
            }
        ),
        hide_index=True,
        width="stretch",
    )


# ------------------------------------------------------------------ the suggester as a scorer
def suggestions_section() -> None:
    """Suggested levels measured like one more scorer, per item and per month."""
    st.divider()
    st.subheader("How good are the suggestions")
    st.caption(
        "The suggester is treated as one more scorer: its suggested level against the level "
        "submitted, per item, on the regular evaluations you may read. α and weighted κ as "
        "above; deviation is suggested − submitted (positive: more lenient); take-rate is how "
        "often scorers took a suggestion they were shown. An item whose α falls below 0.667 "
        f"on {MIN_PAIRS} or more calls stops being suggested until it improves (its "
        "suggestions are still computed and measured, never shown)."
    )
    agreement = suggestion_agreement(actor)
    if agreement.empty:
        st.info("No submitted evaluation had a suggestion yet.")
        return
    titles = item_titles()
    columns = {
        "n": "Calls",
        "alpha": "α",
        "weighted_kappa": "Weighted κ",
        "mean_signed_deviation": "Deviation",
        "exact_agreement": "Exact",
        "n_shown": "Shown",
        "take_rate": "Taken",
        "status": "Reading",
    }
    table = agreement.reset_index()
    table.insert(0, "Item", table.pop("item").map(lambda k: titles.get(k, k)))
    st.dataframe(
        table.rename(columns=columns),
        hide_index=True,
        width="stretch",
        column_config={
            "α": st.column_config.NumberColumn(format="%.2f"),
            "Weighted κ": st.column_config.NumberColumn(format="%.2f"),
            "Deviation": st.column_config.NumberColumn(format="%+.2f"),
            "Exact": st.column_config.NumberColumn(format="percent"),
            "Taken": st.column_config.NumberColumn(format="percent"),
        },
        key="cal_suggester_table",
    )
    monthly = suggestion_agreement(actor, by_period=True).reset_index()
    if monthly["period"].nunique() > 1:
        st.caption("α per item by month")
        wide = monthly.pivot(index="period", columns="item", values="alpha")
        st.line_chart(wide.rename(columns=lambda k: titles.get(k, k)), height=260)


suggestions_section()
