"""Rubric versions and their items, as scorers see them; admins edit a rubric in a form and
save it as a new version (stored versions never change), validated exactly as a rubric
file is, with a preview of what scorers will see."""

import re

import streamlit as st

from db.access import can_edit_rubric
from db.services.rubrics import (
    RubricDraftError,
    check_rubric_draft,
    list_rubric_versions,
    load_rubric_version,
    save_rubric_version,
)
from scoring.errors import EarshotError
from scoring.rubric import EVIDENCE_NAMES, Rubric
from ui.format import plain
from ui.session import require_actor

NA = "N/A"
ED = "rx"  # prefix of the editor's widget keys

actor = require_actor()
st.title("Rubrics")
if notice := st.session_state.pop(f"{ED}_notice", None):
    st.success(plain(notice))
versions = list_rubric_versions()
if not versions:
    st.info("No rubric is stored yet.")
    st.stop()
labels = {f"{v['title']} — {v['key']} v{v['version']}": v["id"] for v in versions}
chosen = st.selectbox("Rubric version", list(labels), index=len(labels) - 1)
rubric = load_rubric_version(labels[chosen])


def preview(rubric: Rubric) -> None:
    """The items as the Score page shows them: numbered titles, the levels (and N/A where
    allowed, already chosen where it is the audio-only default), what to listen for and
    each level's anchor. Nothing here is saved."""
    st.caption(plain(rubric.description))
    for n, item in enumerate(rubric.items, start=1):
        options: list[object] = [*rubric.levels, *([NA] if item.na_allowed else [])]
        with st.container(border=True):
            st.radio(
                f"{n}. {plain(item.title)}",
                options,
                index=options.index(NA) if item.na_default_audio_only else None,
                horizontal=True,
                disabled=True,
                key=f"preview_{rubric.key}_{rubric.version}_{n}",
            )
            flags = [f"weight {item.weight:g}"]
            if item.na_allowed:
                flags.append(
                    "N/A allowed"
                    + (", N/A on audio-only calls" if item.na_default_audio_only else "")
                )
            if item.critical:
                flags.append("critical: the lowest level fails the call")
            st.caption(plain(item.listen_for) + "  \n" + plain(" · ".join(flags)))
            for level in rubric.levels:
                st.text(f"{level} {rubric.scale_labels.get(level, '')}: {item.anchors[level]}")
            if item.evidence:
                st.caption(plain("Evidence shown beside it: " + ", ".join(item.evidence)))


preview(rubric)

if not can_edit_rubric(actor):
    st.stop()

# ------------------------------------------------------------------ the editor (admins)

st.divider()
st.subheader("Edit as a new version")
st.caption(
    "Saving makes the next version of this rubric; the versions already stored never "
    "change, so every evaluation keeps the wording it was scored with, and new evaluations "
    "use the newest version."
)
state = st.session_state


def _seed(base_id: int, base: Rubric) -> None:
    """Fill the editor's fields from a stored version (once per chosen version)."""
    for name in [k for k in state if str(k).startswith(f"{ED}_")]:
        del state[name]
    state[f"{ED}_base"] = base_id
    state[f"{ED}_title"] = base.title
    state[f"{ED}_description"] = base.description
    for level in base.levels:
        state[f"{ED}_label_{level}"] = base.scale_labels.get(level, str(level))
    uids = []
    for n, item in enumerate(base.items):
        uid = f"i{n}"
        uids.append(uid)
        state[f"{ED}_{uid}_key"] = item.key
        state[f"{ED}_{uid}_title"] = item.title
        state[f"{ED}_{uid}_listen"] = item.listen_for
        state[f"{ED}_{uid}_weight"] = float(item.weight)
        state[f"{ED}_{uid}_na"] = item.na_allowed
        state[f"{ED}_{uid}_nadef"] = item.na_default_audio_only
        state[f"{ED}_{uid}_crit"] = item.critical
        state[f"{ED}_{uid}_evidence"] = list(item.evidence)
        state[f"{ED}_{uid}_remove"] = False
        for level in base.levels:
            state[f"{ED}_{uid}_a{level}"] = item.anchors[level]
    state[f"{ED}_items"] = uids
    state[f"{ED}_new"] = []


def _add_item() -> None:
    uid = f"n{len(state[f'{ED}_items'])}"
    state[f"{ED}_items"] = [*state[f"{ED}_items"], uid]
    state[f"{ED}_new"] = [*state[f"{ED}_new"], uid]
    state[f"{ED}_{uid}_weight"] = 1.0


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:64]


def _draft() -> dict:
    """The definition the fields describe, shaped like a rubric file."""
    items = []
    for uid in state[f"{ED}_items"]:
        if state.get(f"{ED}_{uid}_remove"):
            continue
        title = state.get(f"{ED}_{uid}_title", "")
        key = state.get(f"{ED}_{uid}_key", "").strip() or _slug(title)
        items.append(
            {
                "key": key,
                "title": title,
                "listen_for": state.get(f"{ED}_{uid}_listen", ""),
                "weight": float(state.get(f"{ED}_{uid}_weight", 1.0)),
                "na_allowed": bool(state.get(f"{ED}_{uid}_na")),
                "na_default_audio_only": bool(state.get(f"{ED}_{uid}_nadef")),
                "critical": bool(state.get(f"{ED}_{uid}_crit")),
                "evidence": list(state.get(f"{ED}_{uid}_evidence", [])),
                "anchors": {
                    str(level): state.get(f"{ED}_{uid}_a{level}", "") for level in rubric.levels
                },
            }
        )
    return {
        "key": rubric.key,
        "version": rubric.version + 1,
        "title": state.get(f"{ED}_title", ""),
        "description": state.get(f"{ED}_description", ""),
        "scale": {
            "min": rubric.scale_min,
            "max": rubric.scale_max,
            "labels": {str(lv): state.get(f"{ED}_label_{lv}", "") for lv in rubric.levels},
        },
        "items": items,
    }


if state.get(f"{ED}_base") != labels[chosen]:
    _seed(labels[chosen], rubric)

st.button("Add an item", icon=":material/add:", on_click=_add_item, key=f"{ED}_add")
with st.form(f"{ED}_form", border=False):
    st.text_input("Rubric title", key=f"{ED}_title", max_chars=200)
    st.text_area("Description", key=f"{ED}_description", max_chars=2000)
    label_cols = st.columns(len(rubric.levels))
    for col, level in zip(label_cols, rubric.levels, strict=True):
        col.text_input(f"Label of level {level}", key=f"{ED}_label_{level}", max_chars=40)
    for n, uid in enumerate(state[f"{ED}_items"], start=1):
        is_new = uid in state[f"{ED}_new"]
        heading = state.get(f"{ED}_{uid}_title") or "new item"
        with st.expander(f"Item {n}: {plain(heading)}", expanded=is_new):
            st.text_input(
                "Title", key=f"{ED}_{uid}_title", max_chars=200, help="Short name of the practice."
            )
            st.text_input(
                "Key",
                key=f"{ED}_{uid}_key",
                disabled=not is_new,
                help="Scores are stored under it, so an item keeps its key in every version. "
                "Lower-case letters and digits joined by '_' (made from the title if empty).",
            )
            st.text_area("Listen for", key=f"{ED}_{uid}_listen", max_chars=1000)
            c1, c2, c3, c4 = st.columns(4)
            c1.number_input(
                "Weight", key=f"{ED}_{uid}_weight", min_value=0.0, max_value=1000.0, step=0.25
            )
            c2.checkbox("N/A allowed", key=f"{ED}_{uid}_na")
            c3.checkbox("N/A by default on audio-only calls", key=f"{ED}_{uid}_nadef")
            c4.checkbox("Critical (lowest level fails the call)", key=f"{ED}_{uid}_crit")
            st.multiselect(
                "Evidence shown beside it",
                EVIDENCE_NAMES,
                key=f"{ED}_{uid}_evidence",
                format_func=lambda name: name.replace("_", " "),
            )
            for level in rubric.levels:
                st.text_area(
                    f"Anchor for level {level} ({rubric.scale_labels.get(level, level)})",
                    key=f"{ED}_{uid}_a{level}",
                    max_chars=1000,
                    height=68,
                )
            st.checkbox("Remove this item from the new version", key=f"{ED}_{uid}_remove")
    b1, b2 = st.columns(2)
    show_preview = b1.form_submit_button("Preview")
    save = b2.form_submit_button("Save as a new version", type="primary")

if show_preview or save:
    draft = _draft()
    try:
        if save:
            saved = save_rubric_version(actor, labels[chosen], draft)
        else:
            checked = check_rubric_draft(draft)
    except RubricDraftError as exc:
        st.error(
            f"{len(exc.lines)} problem{'s' if len(exc.lines) != 1 else ''} to fix first:  \n"
            + "  \n".join(plain(line) for line in exc.lines)
        )
    except EarshotError as exc:
        st.error(plain(exc))
    else:
        if save:
            state.pop(f"{ED}_base", None)  # reseed from the new version
            state[f"{ED}_notice"] = (
                f"Saved {saved.key} version {saved.version}; new evaluations use it."
            )
            st.rerun()
        st.subheader("Preview: as scorers will see it")
        preview(checked)
