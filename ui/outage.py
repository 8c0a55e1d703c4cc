"""What the app shows while the database cannot be reached (issue 13, item 20).

workbench.py runs each script run inside `database_outage_shown`: when the run finds the
database unreachable anywhere (the session check, a page's reads, a save whose retries
ran out), the page says so in one sentence instead of Streamlit's error page, and the run
stops early, so Streamlit keeps every widget value in the session (what the user typed,
chosen or filtered). A fragment then reruns the whole app every few seconds; the first
run that reaches the database draws the page again, still signed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from ui.retry import is_unreachable

OUTAGE = "The database cannot be reached; nothing you saved is lost; retrying…"
RETRY_EVERY_S = 5.0
_DRAWN_KEY = "_outage_drawn"  # set by the full run that drew the notice, popped by the timer


@contextmanager
def database_outage_shown() -> Iterator[None]:
    """Turn a database outage raised inside the block into the outage notice."""
    try:
        yield
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        show_outage()


def show_outage(retry_every_s: float = RETRY_EVERY_S) -> None:
    """Say the database cannot be reached, retry on a timer, and stop this run early
    (st.stop keeps the session's widget values: a run that ends early drops none)."""
    st.warning(OUTAGE, icon=":material/cloud_off:")
    st.caption(
        f"Earshot tries again every {retry_every_s:g} seconds and brings this page back by "
        "itself; what you typed stays here."
    )
    st.session_state[_DRAWN_KEY] = True
    _retry_timer(retry_every_s)()
    st.stop()


def outage_in_fragment(exc: Exception) -> bool:
    """``st.App(on_script_error=...)`` (server.py): an outage that escapes a fragment's
    own run (a polling table, a timer; full runs are guarded by workbench.py) shows the
    same notice in the fragment's place, with the same timer, instead of Streamlit's error
    box. Returns True when it drew the notice (Streamlit then draws nothing else)."""
    if not is_unreachable(exc):
        return False
    st.warning(OUTAGE, icon=":material/cloud_off:")
    st.session_state[_DRAWN_KEY] = True
    _retry_timer(RETRY_EVERY_S)()
    return True


def _retry_timer(every_s: float) -> Callable[[], None]:
    def retry() -> None:
        # Drawn with the notice in the full run: wait for the timer. From the timer: run
        # the whole app again, which either draws the page or this notice once more.
        if not st.session_state.pop(_DRAWN_KEY, False):
            st.rerun(scope="app")

    return st.fragment(retry, run_every=every_s)
