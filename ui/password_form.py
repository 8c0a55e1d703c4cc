"""The change-your-password form: on the Account page, and the only page a user with a
temporary password sees until they have chosen their own."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from db.access import Actor
from db.operations.config import settings
from db.services.auth import issue_session_token
from db.services.users import change_password
from scoring.errors import EarshotError
from ui.session import ACTOR_KEY, SESSION_KEY, current_session

DONE_KEY = "password_changed_notice"


def change_password_form(actor: Actor, *, key: str = "change_password") -> bool:
    """Draws the form; True once the password was changed (this browser session carries
    on with the new session epoch, every other one has ended). What was typed stays in the
    boxes when the change is refused."""
    if notice := st.session_state.pop(DONE_KEY, None):
        st.success(notice)
    cfg = settings()
    with st.form(key, clear_on_submit=False, border=True):
        current = st.text_input("Current password", type="password", key=f"{key}_current")
        new = st.text_input(
            "New password",
            type="password",
            key=f"{key}_new",
            help=f"At least {cfg.password_min_length} characters; not a common password, "
            "a run of keys, or your username.",
        )
        repeated = st.text_input("New password again", type="password", key=f"{key}_repeat")
        submitted = st.form_submit_button("Change password", type="primary")
    if not submitted:
        return False
    try:
        changed = change_password(actor, current, new, repeated)
    except EarshotError as exc:
        st.error(str(exc))
        return False
    info = current_session()
    st.session_state[ACTOR_KEY] = changed.actor
    if info is not None:
        info = replace(info, epoch=changed.session_epoch, password_change_due=False)
        st.session_state[SESSION_KEY] = info
        # A remembered login of the old epoch no longer works: issue one for the new.
        st.session_state["issue_cookie"] = issue_session_token(changed.actor, info)
        st.session_state["cookie_issued_at"] = info.seen_at
    for suffix in ("current", "new", "repeat"):
        st.session_state.pop(f"{key}_{suffix}", None)
    st.session_state[DONE_KEY] = (
        "Password changed. Your other sessions have been signed out; this one continues."
    )
    st.rerun()
    return True  # not reached: st.rerun stops the run
