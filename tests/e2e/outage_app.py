"""A page behind the shell's outage guard (ui/outage.py), for
tests/e2e/test_outage_recovery.py. Each run reads PostgreSQL's port from the file
``OUTAGE_PORT_FILE`` names and asks the server a sum: the test writes a closed port there
to take the database away (every connection is refused) and the real port to bring it
back, and watches the page recover by itself. ``OUTAGE_PG_URL`` is the server's URL."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # for a manual `streamlit run` without PYTHONPATH
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from db.engine import make_engine  # noqa: E402
from ui.outage import database_outage_shown, outage_in_fragment  # noqa: E402


@st.cache_resource
def engine_for(url: str) -> Engine:
    return make_engine(url)


def ask_the_database() -> int:
    port = int(Path(os.environ["OUTAGE_PORT_FILE"]).read_text())
    url = make_url(os.environ["OUTAGE_PG_URL"]).set(port=port)
    with engine_for(url.render_as_string(hide_password=False)).connect() as conn:
        return int(conn.execute(text("SELECT 41 + 1")).scalar_one())


def count_panel() -> None:
    """A fragment: its button reruns only it (the shell's guard does not run then)."""
    st.button("Ask again", key="ask_again")
    st.text(f"The panel's answer: {ask_the_database()}.")


def page() -> None:
    st.text_input("Note", key="note")
    st.text(f"The database answered {ask_the_database()}.")
    st.fragment(count_panel)()


if __name__ == "__main__":
    with database_outage_shown():
        page()
else:
    app = st.App(__file__, on_script_error=outage_in_fragment)
