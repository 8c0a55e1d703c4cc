"""Score a call: the player, comments pinned to moments, the rubric form with autosave,
submit, and amend with a reason."""

import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import streamlit as st

from db.services.calls import audio_url_for, get_call
from db.services.evaluations import (
    NewDraft,
    add_comment,
    amend,
    delete_comment,
    discard_draft,
    edit_comment,
    open_evaluation,
    record_review_time,
    rubric_for,
    save_item,
    submit,
)
from db.services.listening import listening_report_for, recompute_listening_report
from db.services.overview import next_call_for
from db.services.rubrics import load_rubric_version
from db.services.suggestions import queue_refit_if_due, suggestions_for, take_suggestion
from db.services.text_evidence import text_evidence_for
from db.services.transcripts import transcript_for
from player import call_player
from scoring.errors import EarshotError
from scoring.evidence import evidence_lines, player_timeline
from scoring.ids import parse_id
from scoring.text_moments import (
    MAX_MOMENT_LINKS,
    escape_markdown,
    item_text_evidence,
    moment_label,
    player_utterances,
    text_markers,
)
from ui.comments import comment_page, comment_row, seek_request
from ui.format import local_date, mmss, plain
from ui.retry import RETRYING, NotSaved, save_with_retry
from ui.review_timer import active_seconds, new_seconds
from ui.session import require_actor

NA = "N/A"
SUBMITTED_NO_PIN = "This evaluation is submitted: comments are closed (Amend changes a score)."
RUBRIC_PANE_PX = 640
SAVE_ERRORS = EarshotError
Saved = TypeVar("Saved")

actor = require_actor()
call_id = parse_id(st.query_params.get("call", ""))
if call_id is None:
    st.title("Score a call")
    st.info("Open a call from the queue to score it.")
    st.page_link("pages/queue.py", label="Go to the queue", icon=":material/queue_music:")
    st.stop()
calibration_id = parse_id(st.query_params.get("session"))

try:
    call = get_call(actor, call_id)
    # Opening writes nothing: the draft is created by the first score, note or comment.
    ev = open_evaluation(actor, call_id, calibration_id)
except EarshotError as exc:
    st.title("Score a call")
    st.error(plain(exc))
    st.stop()
rubric = rubric_for(actor, ev.id) if ev.saved else load_rubric_version(ev.rubric_id)
# Keyed by the call, not the draft: the first write creates the draft under the same keys.
prefix = f"c{call_id}" + (f"s{calibration_id}" if calibration_id else "")
state = st.session_state
state.setdefault(f"{prefix}_version", ev.row_version)
# Before the draft exists: whether the scorer chose a second evaluation of a call a
# colleague evaluated, and the active review time not yet stored (per call, this session).
SECOND_KEY, UNSTORED_KEY = f"second{call_id}", f"unstored_review{call_id}s{calibration_id or 0}"
blocked = bool(ev.others) and not ev.saved and not state.get(SECOND_KEY)
# A transcript search hit's link (?t=SECONDS, from the Calls page) opens the player there.
start_param = st.query_params.get("t", "")
start_at = float(start_param) if start_param.replace(".", "", 1).isdigit() else None
state.setdefault(f"{prefix}_seek", (None, 0) if start_at is None else (start_at, 1))


def _remember(view) -> None:
    state[f"{prefix}_version"] = view.row_version
    state[f"{prefix}_view"] = view


def _new_draft() -> NewDraft:
    """What the first write creates its draft with (unused once the draft exists)."""
    return NewDraft(
        ev.call_id,
        calibration_id,
        second=bool(state.get(SECOND_KEY)),
        review_seconds=int(state.get(UNSTORED_KEY, 0)),
    )


def _draft_id() -> int:
    """The draft's id as last saved (0 until the first write creates it). Read from the
    session, not from `ev`: a fragment's rerun keeps the `ev` of the last full run (a
    full run that has not stored its view yet, the review timer's, has the fresh `ev`)."""
    return int(state.get(f"{prefix}_view", ev).id)


def _created_by_this_write(item_key: str) -> None:
    """The first write created the draft: its review time is stored and its suggestions
    are computed now. The total, Discard and the items' levels redraw with them, and the
    note of the item written; not the whole page (the player, transcript, comments and
    other notes show the same call: every widget is keyed by the call, not the draft). A
    second evaluation of a colleague's call redraws the whole page, whose heading then
    says so."""
    state.pop(UNSTORED_KEY, None)
    if ev.others:
        state.pop(f"{prefix}_suggestions", None)  # the full run reads them
        st.rerun()
    state[f"{prefix}_suggestions"] = suggestions_for(actor, _draft_id())
    items = [f"{prefix}_item_{k}" for k in rubric.item_keys]
    st.rerun([f"{prefix}_summary", f"{prefix}_discard_draft", *items, f"{prefix}_note_{item_key}"])


def _report_error(exc: Exception) -> None:
    state[f"{prefix}_error"] = str(exc).strip("'\"")


def _retried(save: Callable[[], Saved], widget_key: str) -> Saved:
    """Save through a brief database outage (saying so, retrying); the widget whose value
    did not reach the database stays marked not saved until a save of it lands."""
    unsaved = state.setdefault(f"{prefix}_unsaved", set())
    try:
        view = save_with_retry(save, on_retry=lambda _n, _e: st.toast(RETRYING, icon="⚠️"))
    except NotSaved:
        unsaved.add(widget_key)
        raise
    unsaved.discard(widget_key)
    return view


def _save_value(item_key: str) -> None:
    """Autosave a level; then only this item and the summary redraw (keyed fragments)."""
    choice = state[f"{prefix}_{item_key}_v"]
    kwargs = {"na": True} if choice == NA else {"value": choice}
    first = not _draft_id()
    try:
        view = _retried(
            lambda: save_item(
                actor,
                _draft_id(),
                state[f"{prefix}_version"],
                item_key,
                stored=state[f"{prefix}_view"],  # spares re-reading the items (a round trip)
                new=_new_draft(),
                **kwargs,
            ),
            f"{prefix}_{item_key}_v",
        )
    except SAVE_ERRORS as exc:
        _report_error(exc)
        st.rerun()  # the whole page, so the message shows at the top
    _remember(view)
    if first:
        _created_by_this_write(item_key)
    st.rerun([f"{prefix}_summary", f"{prefix}_item_{item_key}"])


def _save_note(item_key: str) -> None:
    """Autosave a note; its fragment redraws, and the item's too when it said the note
    was not saved."""
    first = not _draft_id()
    marked = f"{prefix}_{item_key}_n" in state.get(f"{prefix}_unsaved", ())
    try:
        _remember(
            _retried(
                lambda: save_item(
                    actor,
                    _draft_id(),
                    state[f"{prefix}_version"],
                    item_key,
                    note=state[f"{prefix}_{item_key}_n"],
                    stored=state[f"{prefix}_view"],
                    new=_new_draft(),
                ),
                f"{prefix}_{item_key}_n",
            )
        )
    except SAVE_ERRORS as exc:
        _report_error(exc)
        st.rerun()
    if first:
        _created_by_this_write(item_key)
    if marked:
        st.rerun([f"{prefix}_item_{item_key}", f"{prefix}_note_{item_key}"])


def _take(item_key: str) -> None:
    """Take the shown suggestion: an ordinary save of its level, recorded as taken."""
    try:
        view = take_suggestion(
            actor, _draft_id(), state[f"{prefix}_version"], item_key, stored=state[f"{prefix}_view"]
        )
    except SAVE_ERRORS as exc:
        _report_error(exc)
        st.rerun()
    _remember(view)
    state[f"{prefix}_{item_key}_v"] = view.values[item_key]
    shown = state[f"{prefix}_suggestions"]
    shown[item_key] = replace(shown[item_key], taken=True)
    st.rerun([f"{prefix}_summary", f"{prefix}_item_{item_key}"])


def _seek_moment(widget_key: str, times: list[float]) -> None:
    """A moment picked beside an item: seek the player there (its line is outlined)."""
    chosen = state.get(widget_key)
    if chosen is None:
        return
    _, nonce = state[f"{prefix}_seek"]
    state[f"{prefix}_seek"] = (times[chosen], nonce + 1)
    state[widget_key] = None
    state[f"{prefix}_jump"] = True


def _moment_pills(label: str, key: str, times: list[float], labels: list[str]) -> None:
    st.pills(
        label,
        range(len(times)),
        format_func=lambda i: labels[i],
        key=key,
        on_change=_seek_moment,
        args=(key, times),
        label_visibility="visible",
    )


def _reload_latest() -> None:
    """After a refused save: take the stored version, dropping this tab's stale widgets."""
    for key in [k for k in state if str(k).startswith(f"{prefix}_")]:
        del state[key]


# ------------------------------------------------------------------ header
kind = "Calibration" if calibration_id else "Evaluation"
if calibration_id:
    st.page_link(
        "pages/calibration.py",
        label="Back to the calibration session",
        icon=":material/arrow_back:",
        query_params={"session": str(calibration_id)},
    )
st.title(f"{plain(call.external_id)} · {plain(call.agent)}")
st.caption(
    f"{kind} · {local_date(call.started_at)} · {mmss(call.duration_s)} · rubric "
    f"{plain(rubric.title)} v{rubric.version} · {'submitted' if ev.submitted else 'draft'}"
)
if error := state.pop(f"{prefix}_error", None):
    st.error(plain(error))
    if "changed elsewhere" in error:
        st.button("Reload the current version", on_click=_reload_latest)


def _choose_second() -> None:
    state[SECOND_KEY] = True


def draw_others() -> None:
    """Colleagues' regular evaluations of this call (never calibration ones): who and
    when, each with a link to read it; scoring it too is an explicit choice."""
    if ev.saved and any(o.evaluation_id < ev.id for o in ev.others):
        st.caption(":material/filter_2: A second evaluation of this call.")
    with st.container(border=True):
        for other in ev.others:
            what = (
                f"evaluated this call · submitted {local_date(other.submitted_at)}"
                if other.submitted
                else f"is drafting one · since {local_date(other.started_at)}"
            )
            text, link = st.columns([5, 1], vertical_alignment="center")
            text.markdown(f":material/group: **{plain(other.scorer)}** {what}")
            link.page_link(
                "pages/evaluations.py",
                label="Read it",
                query_params={"evaluation": str(other.evaluation_id)},
            )
        if blocked:
            st.caption(
                "Scoring it too makes a second evaluation of this call, shown to the agent as such."
            )
            st.button("Start a second evaluation", on_click=_choose_second)


def track_review_time() -> None:
    """Active review time, as the browser reports it (visible and in use; see
    ui.review_timer): added to the draft, or kept until the first write creates it."""
    key = f"review{call_id}s{calibration_id or 0}"
    fresh = new_seconds(key, active_seconds(f"timer_{key}"))
    if fresh <= 0:
        return
    if not _draft_id():
        state[UNSTORED_KEY] = int(state.get(UNSTORED_KEY, 0)) + fresh
        return
    with contextlib.suppress(EarshotError):  # a measure: never a reason to interrupt
        record_review_time(actor, _draft_id(), fresh)


if ev.others:
    draw_others()
if not ev.submitted:
    st.fragment(track_review_time, key=f"review_timer_{call_id}")()

state[f"{prefix}_view"] = ev  # the fragments below read the latest saved state from here

# ------------------------------------------------------------------ player + comments
listening = listening_report_for(actor, call_id) or {}
report = listening.get("report") or None
# The transcript, its text evidence and the suggestions are read once per call in this
# session (not on every rerun); text evidence is looked for again until its job is done.
words_key = f"{prefix}_words"
if words_key not in state or (state[words_key]["transcript"] and not state[words_key]["text"]):
    try:
        stored_transcript = transcript_for(actor, call_id)
        stored_text = text_evidence_for(actor, call_id) if stored_transcript else None
    except EarshotError as exc:
        st.error(plain(exc))
        st.stop()
    state[words_key] = {
        "transcript": stored_transcript,
        "text": stored_text,
        "utterances": player_utterances(
            stored_transcript.transcript if stored_transcript else None
        ),
        "markers": text_markers(stored_text.evidence if stored_text else None),
    }
words = state[words_key]
text_evidence = words["text"].evidence if words["text"] else None
if f"{prefix}_suggestions" not in state:
    # The model is refitted in the background as evaluations accumulate.
    queue_refit_if_due()
    # A draft not yet stored has none: they are computed once its first write creates it.
    state[f"{prefix}_suggestions"] = (
        {} if ev.submitted or not ev.saved else suggestions_for(actor, ev.id)
    )
lanes, markers = player_timeline(
    report,
    listening.get("peaks"),
    call.channels,
    call.agent_channel,
    [(c.t_s, c.text) for c in ev.comments],
)
markers = sorted(markers + words["markers"], key=lambda m: float(m["t_s"]))
left, right = st.columns([5, 4], gap="large")
with left:
    seek_to, seek_nonce, seek_play = seek_request(prefix)
    player = call_player(
        audio_url=audio_url_for(actor, call_id),
        duration_s=call.duration_s,
        lanes=lanes,
        markers=markers,
        seek_to=seek_to,
        seek_nonce=seek_nonce,
        seek_play=seek_play,
        # A submitted evaluation takes no comments: no pinning, and C says why.
        allow_pin=not ev.submitted,
        no_pin_reason=SUBMITTED_NO_PIN,
        pause_while_typing_in=f".st-key-{prefix}_comment_text textarea",
        utterances=words["utterances"],
        key=f"player_{call_id}",
    )
    if words["transcript"] is None:
        st.caption("No transcript for this call: attach one on the Calls page.")
    elif words["text"] is None:
        st.caption("Text evidence is being computed from the transcript.")
    if listening.get("error"):
        st.caption(f"No listening evidence for this call: {plain(listening['error'])}")
    if st.button("Recompute listening evidence", icon=":material/refresh:", type="tertiary"):
        recompute_listening_report(actor, call_id)
        st.rerun()

    pin = player.pin if player and not ev.submitted else None
    if pin is not None and pin.nonce != state.get(f"{prefix}_pin_seen"):
        state[f"{prefix}_pin_seen"] = pin.nonce
        state[f"{prefix}_pending_t"] = pin.t_s
        state[f"{prefix}_comment_t"] = min(pin.t_s, float(call.duration_s or 0.0))

    st.subheader("Comments")
    if not ev.submitted:
        pending = state.get(f"{prefix}_pending_t")
        if pending is not None:
            # Keyed and not cleared on submit: a refused save keeps what was typed; the
            # fields are emptied only once the comment is stored.
            form_keys = [f"{prefix}_comment_{k}" for k in ("t", "text", "item")]
            end_s = max(0.0, float(call.duration_s or 0.0))
            state.setdefault(form_keys[0], min(float(pending), end_s))
            with st.form(f"{prefix}_comment_form"):
                t_s = st.number_input(
                    "At (seconds)",
                    min_value=0.0,
                    max_value=end_s,
                    step=0.5,
                    key=form_keys[0],
                    help=f"From 0 to {mmss(end_s)}, the end of the call",
                )
                text = st.text_area("Comment", max_chars=5000, key=form_keys[1])
                item_options = [None, *rubric.item_keys]
                item = st.selectbox(
                    "About item (optional)",
                    item_options,
                    format_func=lambda k: "—" if k is None else rubric.item(k).title,
                    key=form_keys[2],
                )
                save_col, cancel_col = st.columns(2)
                saved = save_col.form_submit_button("Save comment", type="primary")
                cancelled = cancel_col.form_submit_button("Cancel")
            if saved:
                try:
                    _remember(
                        add_comment(
                            actor,
                            ev.id,
                            state[f"{prefix}_version"],
                            t_s,
                            text,
                            item,
                            new=_new_draft(),
                        )
                    )
                except SAVE_ERRORS as exc:
                    st.error(f"The comment was not saved: {plain(exc)} What you typed is kept.")
                else:
                    for key in [f"{prefix}_pending_t", *form_keys]:
                        state.pop(key, None)
                    st.rerun()
            if cancelled:
                for key in [f"{prefix}_pending_t", *form_keys]:
                    state.pop(key, None)
                st.rerun()
    if not ev.comments:
        st.caption(
            "No comments yet. Press C while listening (or use Comment here) to pin "
            "one at the playhead."
        )
    shown_comments, show_more_comments = comment_page(ev.comments, prefix)
    for comment in shown_comments:
        title = rubric.item(comment.item_key).title if comment.item_key else None
        c2 = comment_row(comment, prefix, title)
        if comment.author_id == actor.id and not ev.submitted:
            with c2.popover("Edit", icon=":material/edit:"):
                new_text = st.text_area("Text", comment.text, key=f"{prefix}_ct_{comment.id}")
                e1, e2 = st.columns(2)
                try:
                    if e1.button("Save", key=f"{prefix}_cs_{comment.id}"):
                        _remember(
                            edit_comment(actor, comment.id, state[f"{prefix}_version"], new_text)
                        )
                        st.rerun()
                    if e2.button("Delete", key=f"{prefix}_cd_{comment.id}"):
                        _remember(delete_comment(actor, comment.id, state[f"{prefix}_version"]))
                        st.rerun()
                except SAVE_ERRORS as exc:
                    st.error(plain(exc))
    show_more_comments()

# ------------------------------------------------------------------ rubric form
summary = listening.get("summary")


def draw_summary() -> None:
    """Live total, what is still open, and Submit. Reruns alone after each saved score."""
    view = state[f"{prefix}_view"]  # its total is the one stored with its items
    open_numbers = [str(n) for n, k in enumerate(rubric.item_keys, 1) if k not in view.values]
    # Few elements on purpose: this fragment redraws after every click.
    st.metric(
        "Total",
        "–" if view.total is None else f"{view.total:.1f}",
        help="0–100 from the weighted items answered so far; N/A items drop out.",
    )
    if view.failed_critical:
        st.error("A critical item is at the lowest level: the call fails.")
    if not view.submitted:
        # Numbers, as the items are headed: one short line, so the pane below stays tall.
        still = f"({', '.join(open_numbers)})" if open_numbers else "— every item is answered"
        st.caption(f"Items still open: {len(open_numbers)} {still}")
    if not view.submitted and st.button(
        "Submit evaluation", type="primary", disabled=bool(open_numbers)
    ):
        try:
            # The review time is on the draft already, added as the browser reports it.
            submit(actor, view.id, state[f"{prefix}_version"])
        except SAVE_ERRORS as exc:
            st.error(plain(exc))
        else:
            _reload_latest()
            st.rerun(scope="app")  # lock every item, not just this fragment


def draw_discard() -> None:
    """Discard the draft, after a confirmation. A fragment of its own beside the total, so
    a click does not redraw it (the first write, which creates the draft, does)."""
    view = state[f"{prefix}_view"]
    if view.id and not view.submitted:
        with st.popover("Discard draft", icon=":material/delete:"):
            st.write("Remove your scores, notes and comments on this call? This cannot be undone.")
            if st.button("Yes, discard this draft", key=f"{prefix}_discard"):
                try:
                    discard_draft(actor, view.id, state[f"{prefix}_version"])
                except SAVE_ERRORS as exc:
                    st.error(plain(exc))
                else:
                    _reload_latest()
                    st.rerun(scope="app")


def draw_item(number: int, item_key: str) -> None:
    """One rubric item: level or N/A, the chosen anchor, evidence and the suggestion (its
    note is a fragment of its own, so a click does not redraw it). Takes the key, not the
    item: Streamlit deep-copies a fragment's arguments on every rerun."""
    if state.pop(f"{prefix}_jump", False):
        st.rerun(scope="app")  # a moment was picked: the player (outside this fragment) seeks
    item = rubric.item(item_key)
    stored = state[f"{prefix}_view"].items.get(item.key)
    value_key, note_key = f"{prefix}_{item.key}_v", f"{prefix}_{item.key}_n"
    if value_key not in state:
        state[value_key] = NA if stored and stored.na else stored.value if stored else None
    options = [*rubric.levels, *([NA] if item.na_allowed else [])]
    evidence = evidence_lines(summary, item.evidence)
    st.radio(  # a plain label: it is also the group's accessible name (aria-label)
        f"{number}. {plain(item.title)}" + ("" if stored and stored.answered else " · open"),
        options,
        key=value_key,
        horizontal=True,
        disabled=ev.submitted or blocked,
        on_change=_save_value,
        args=(item.key,),
        help=item.listen_for
        + "\n\n"
        + "\n\n".join(f"**{lvl}** – {item.anchors[lvl]}" for lvl in rubric.levels),
    )
    not_saved = [k for k in (value_key, note_key) if k in state.get(f"{prefix}_unsaved", ())]
    if not_saved:
        st.warning(
            "Not saved: the "
            + " and the ".join("level" if k == value_key else "note" for k in not_saved)
            + " shown here did not reach the database.",
            icon=":material/cloud_off:",
        )
    chosen = state[value_key]
    detail = [
        item.listen_for
        if chosen in (None, NA)
        else f"{chosen} {rubric.scale_labels.get(chosen, '')}: {item.anchors[chosen]}"
    ]
    text_lines = item_text_evidence(text_evidence, item.evidence)
    st.caption(
        "  \n".join(
            detail
            + [f":material/graphic_eq: {line}" for line in evidence]
            + [f":material/forum: {m.line}" for m in text_lines if not m.moments]
        )
    )
    for m in text_lines:
        if m.moments:
            listed = m.moments[:MAX_MOMENT_LINKS]
            more = len(m.moments) - len(listed)
            _moment_pills(
                m.line + (f" (first {len(listed)}; all on the timeline)" if more else ""),
                f"{prefix}_{item.key}_{m.metric}_m",
                [x.t_s for x in listed],
                [escape_markdown(moment_label(x)) for x in listed],
            )
    suggestion = state.get(f"{prefix}_suggestions", {}).get(item.key)
    if suggestion is not None and not ev.submitted:
        reasons = [r["text"] for r in suggestion.reasons]
        taken = " · taken" if suggestion.taken else ""
        s1, s2 = st.columns([4, 1], vertical_alignment="center")
        s1.caption(
            f":material/lightbulb: Suggested: **{suggestion.level}** · "
            f"{suggestion.confidence:.0%} confident{taken}  \n" + "  \n".join(reasons)
        )
        s2.button(
            f"Take {suggestion.level}",
            key=f"{prefix}_{item.key}_take",
            on_click=_take,
            args=(item.key,),
            disabled=chosen == suggestion.level,
            help="Score this item at the suggested level (you can change it after).",
        )
        times = sorted({t for r in suggestion.reasons for t in r.get("moments", [])})
        if times:
            _moment_pills(
                "Moments behind the suggestion",
                f"{prefix}_{item.key}_why",
                times,
                [mmss(t) for t in times],
            )


def draw_note(item_key: str) -> None:
    """One rubric item's note: saved as it changes, redrawn alone (a click on the item's
    level leaves it as typed)."""
    item = rubric.item(item_key)
    note_key = f"{prefix}_{item.key}_n"
    if note_key not in state:
        stored = state[f"{prefix}_view"].items.get(item.key)
        state[note_key] = stored.note if stored else ""
    st.text_area(
        f"Note on {plain(item.title)}",
        key=note_key,
        height=68,
        label_visibility="collapsed",
        placeholder="Note (optional)",
        disabled=ev.submitted or blocked,
        on_change=_save_note,
        args=(item.key,),
        max_chars=5000,
    )


with right:
    st.subheader("Rubric")
    st.fragment(draw_summary, key=f"{prefix}_summary")()
    st.fragment(draw_discard, key=f"{prefix}_discard_draft")()
    # The items scroll in a pane of their own, so the player, the comments and the total
    # stay in view while the scorer works down the rubric and listens.
    with st.container(height=RUBRIC_PANE_PX, border=False, key=f"{prefix}_items"):
        for n, key in enumerate(rubric.item_keys, start=1):
            with st.container(border=True):
                st.fragment(draw_item, key=f"{prefix}_item_{key}")(n, key)
                st.fragment(draw_note, key=f"{prefix}_note_{key}")(key)

    if ev.submitted:
        st.success(
            f"Submitted {local_date(ev.submitted_at)} · total {ev.total:.1f} · "
            f"{mmss(ev.review_seconds)} reviewing"
        )
        upcoming = None if calibration_id else next_call_for(actor, call_id)
        if upcoming is not None and st.button(
            "Next call", type="primary", icon=":material/skip_next:"
        ):
            st.switch_page("pages/score.py", query_params={"call": str(upcoming)})
        with st.expander("Amend this evaluation", icon=":material/edit_note:"):
            # The item is chosen outside the form, so the scores offered follow it: N/A
            # only where the item allows it.
            item_key = st.selectbox(
                "Item",
                rubric.item_keys,
                format_func=lambda k: rubric.item(k).title,
                key=f"{prefix}_amend_item",
            )
            with st.form(f"{prefix}_amend"):
                options = [*rubric.levels, *([NA] if rubric.item(item_key).na_allowed else [])]
                new_value = st.selectbox("New score", options, key=f"{prefix}_amend_value")
                reason = st.text_area("Reason (kept in the audit trail)", max_chars=2000)
                if st.form_submit_button("Amend", type="primary"):
                    change = {"na": True} if new_value == NA else {"value": new_value}
                    try:
                        amend(actor, ev.id, ev.row_version, {item_key: change}, reason)
                    except SAVE_ERRORS as exc:
                        st.error(plain(exc))
                    else:
                        _reload_latest()
                        st.rerun()
