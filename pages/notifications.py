"""Notifications: what waits for this user (each opens the exact page), and what they want
to hear about, in the app and by e-mail."""

import streamlit as st

from db.services.notifications import (
    EMAIL_MODES,
    KIND_LABELS,
    KINDS_FOR_ROLE,
    list_notifications,
    mark_read,
    open_notification,
    preferences,
    save_preferences,
)
from scoring.errors import NotFound
from ui.format import local_date, plain
from ui.session import require_actor

actor = require_actor()
st.title("Notifications")

notes = list_notifications(actor)
unread = [n for n in notes if not n.read]
st.caption(f"{len(unread)} unread" if unread else "Nothing unread.")
if unread and st.button("Mark all read", icon=":material/done_all:"):
    mark_read(actor)
    st.rerun()
for note in notes:
    with st.container(border=True, key=f"note_{note.id}"):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(f"{'**New** · ' if not note.read else ''}{local_date(note.created_at)}")
        left.text(note.title)
        if right.button("Open", key=f"open_{note.id}", icon=":material/arrow_forward:"):
            try:
                opened = open_notification(actor, note.id)
            except NotFound as exc:
                st.error(plain(exc))
            else:
                st.switch_page(opened.page_file, query_params=opened.params or None)

st.subheader("What I hear about")
prefs = preferences(actor)
kinds = KINDS_FOR_ROLE.get(actor.role, ())
with st.form("notification_preferences"):
    shown, emailed = [], []
    for kind in kinds:
        c1, c2, c3 = st.columns([4, 1, 1])
        c1.text(KIND_LABELS[kind])
        if c2.checkbox("In the app", value=kind in prefs.in_app, key=f"app_{kind}"):
            shown.append(kind)
        if c3.checkbox("By e-mail", value=kind in prefs.emailed, key=f"mail_{kind}"):
            emailed.append(kind)
    mode = st.radio(
        "E-mail",
        list(EMAIL_MODES),
        index=list(EMAIL_MODES).index(prefs.email_mode),
        format_func=EMAIL_MODES.get,
        horizontal=True,
    )
    st.caption(
        f"E-mail goes to {plain(prefs.email)}."
        if prefs.email
        else "You have no e-mail address yet: an administrator sets it (Single sign-on page)."
    )
    if st.form_submit_button("Save", type="primary"):
        # Kinds this role never receives keep their stored choice.
        others_app = [k for k in prefs.in_app if k not in kinds]
        others_mail = [k for k in prefs.emailed if k not in kinds]
        save_preferences(actor, [*shown, *others_app], [*emailed, *others_mail], mode)
        st.success("Saved.")
