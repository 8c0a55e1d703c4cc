"""Rubric versions and their items, as scorers see them."""

import streamlit as st

from db.rubrics import list_rubric_versions, load_rubric_version
from ui.format import plain
from ui.session import require_actor

actor = require_actor("admin", "supervisor")
st.title("Rubrics")
versions = list_rubric_versions()
if not versions:
    st.info("No rubric is stored yet.")
    st.stop()
labels = {f"{v['title']} — {v['key']} v{v['version']}": v["id"] for v in versions}
chosen = st.selectbox("Rubric version", list(labels), index=len(labels) - 1)
rubric = load_rubric_version(labels[chosen])
st.caption(plain(rubric.description))
for n, item in enumerate(rubric.items, start=1):
    flags = []
    if item.na_allowed:
        flags.append("N/A allowed")
    if item.critical:
        flags.append("critical: lowest level fails the call")
    with st.expander(f"{n}. {plain(item.title)}  ·  weight {item.weight:g}"):
        st.text(item.listen_for)
        if flags:
            st.caption(" · ".join(flags))
        for level in rubric.levels:
            st.text(f"{level} {rubric.scale_labels.get(level, '')}: {item.anchors[level]}")
        if item.evidence:
            st.caption("Evidence shown beside it: " + ", ".join(item.evidence))
