"""The logged-in user for this browser session, and when that session ends.

A session ends at its next action (the next full run of workbench.py) when the user
logged out anywhere ("Log out" ends every session of the user), was deactivated, sat
idle past EARSHOT_SESSION_IDLE_MINUTES, or signed in more than EARSHOT_SESSION_MAX_HOURS
ago; the login page then says why.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import streamlit as st

from db.access import AccessDenied, Actor
from db.services.auth import (
    SessionEnded,
    SessionInfo,
    continue_session,
    end_sessions,
    start_session,
)
from ui.format import plain
from ui.proxy import client_address
from ui.remembered_login import trusted_proxies

ACTOR_KEY = "actor"
SESSION_KEY = "session_info"
NOTICE_KEY = "login_notice"  # why the last session ended, for the login page
PAGE_KEY = "_admitted_page"  # (title, roles) of the page the shell is running
NOT_FROM_THE_MENU = "This page opens from Earshot's menu."


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def current_session() -> SessionInfo | None:
    return st.session_state.get(SESSION_KEY)


def admit_page(title: str, roles: Collection[str]) -> None:
    """The shell, before it runs a page: the page's title and the roles it is for, from
    workbench.py's page table (the one place a page's roles are set)."""
    st.session_state[PAGE_KEY] = (title, frozenset(roles))


def not_available(title: str, role: str, roles: Collection[str]) -> str:
    """What a page says to a role it is not for."""
    allowed = " and ".join(sorted(roles))
    return f"{title} is not available to {role} users: it is for {allowed} users."


def require_actor() -> Actor:
    """The logged-in actor, for the page the shell admitted (`admit_page`); stops the page
    with a clear message for anyone else, before it reads any data. A page run outside
    workbench.py was admitted by nobody and is refused whatever the role."""
    actor = current_actor()
    if actor is None:
        st.warning("Please log in.")
        st.stop()
    with st.sidebar:
        # Drawn by each page (not by workbench.py) so the button belongs to the page run.
        st.text(f"{actor.display_name} ({actor.role})")
        st.button("Log out", icon=":material/logout:", key="logout", on_click=log_out)
    admitted: tuple[str, frozenset[str]] | None = st.session_state.get(PAGE_KEY)
    if admitted is None:
        st.error(NOT_FROM_THE_MENU)
        st.stop()
    title, roles = admitted
    if actor.role not in roles:
        st.warning(not_available(title, actor.role, roles))
        st.stop()
    return actor


def log_in(actor: Actor, info: SessionInfo | None = None) -> SessionInfo:
    """Start (or, with `info`, resume) this browser session as `actor`."""
    info = info or start_session(actor)
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SESSION_KEY] = info
    return info


def check_session() -> Actor | None:
    """At every full run: the actor as stored now, with the session marked as acting
    now; None (and the state cleared, with a notice saying why) when it has ended."""
    actor = current_actor()
    if actor is None:
        return None
    try:
        # No session record: the actor was placed by trusted code (tests, the bench):
        # it starts now.
        info = current_session() or start_session(actor)
        actor, info = continue_session(actor, info)
    except SessionEnded as ended:
        end_this_session(str(ended))
        return None
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SESSION_KEY] = info
    return actor


def end_this_session(notice: str | None = None) -> None:
    """Forget this browser session's state (the user's other sessions go on)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def log_out() -> None:
    """'Log out': ends every session of the user, here at once and elsewhere at their
    next action, with their remembered logins and audio links."""
    actor = current_actor()
    if actor is not None:
        end_sessions(actor)
    end_this_session()
    from ui.sso import drop_provider_identity

    drop_provider_identity()  # a single sign-on identity must not sign them straight back in


def login_notice() -> str | None:
    """Why the last session ended, once."""
    notice: str | None = st.session_state.pop(NOTICE_KEY, None)
    return notice


def _peer_and_headers() -> tuple[str | None, Mapping[str, str]]:
    """The TCP peer of this browser's connection and its handshake headers; (None, {})
    without a browser (AppTest, bare mode)."""
    try:
        from streamlit.runtime.context import _get_client_context

        context = _get_client_context()
        peer = context.remote_ip if context is not None else None
        return peer, st.context.headers
    except Exception:  # no browser context, or a Streamlit without it
        return None, {}


def browser_address() -> str | None:
    """The browser's address as the per-address sign-in limits count it: the peer, or
    behind a trusted proxy the address it forwards (ui/proxy.py)."""
    peer, headers = _peer_and_headers()
    return client_address(peer, headers.get("X-Forwarded-For"), trusted_proxies())


def show_denied(exc: AccessDenied | LookupError) -> None:
    st.error(plain(exc))
    st.stop()
