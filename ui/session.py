"""The logged-in user for this browser session."""

from __future__ import annotations

import streamlit as st

from db.access import AccessDenied, Actor
from db.auth import end_sessions

ACTOR_KEY = "actor"


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def require_actor(*roles: str) -> Actor:
    """The logged-in actor; stops the page with a clear message for anyone else."""
    actor = current_actor()
    if actor is None:
        st.warning("Please log in.")
        st.stop()
    with st.sidebar:
        # Drawn by each page (not by workbench.py) so the button belongs to the page run.
        st.text(f"{actor.display_name} ({actor.role})")
        st.button("Log out", icon=":material/logout:", key="logout", on_click=log_out)
    if roles and actor.role not in roles:
        st.error(f"This page is for {' or '.join(roles)} users; you are logged in as {actor.role}.")
        st.stop()
    return actor


def log_in(actor: Actor) -> None:
    st.session_state[ACTOR_KEY] = actor


def log_out() -> None:
    actor = current_actor()
    if actor is not None:
        end_sessions(actor)  # remembered logins on every device end too
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def show_denied(exc: AccessDenied | LookupError) -> None:
    st.error(str(exc))
    st.stop()
