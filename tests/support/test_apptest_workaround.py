"""The AppTest workaround in tests/support/apptest.py, checked against the Streamlit that
is installed: it must still be needed (else remove it) and must still work (else the page
tests and the benchmark would measure pages run without workbench.py)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.support.apptest import server_like_script_cache

ENTRY = """
import streamlit as st
st.session_state["entry_runs"] = st.session_state.get("entry_runs", 0) + 1
st.navigation([st.Page("pages/first.py"), st.Page("pages/second.py")]).run()
"""
PAGE = """
import streamlit as st
st.write(f"entry runs: {st.session_state.get('entry_runs', 0)}")
"""


def _entry_runs_seen_by_second_page(tmp_path: Path) -> str:
    (tmp_path / "pages").mkdir()
    (tmp_path / "entry.py").write_text(ENTRY)
    for name in ("first", "second"):
        (tmp_path / "pages" / f"{name}.py").write_text(PAGE)
    at = AppTest.from_file(str(tmp_path / "entry.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/second.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at.markdown[-1].value


def test_without_the_workaround_apptest_runs_a_page_alone(tmp_path):
    """If this fails, Streamlit's AppTest runs the entry script before a page on its own:
    delete tests/support/apptest.py's PagesManager patch."""
    assert _entry_runs_seen_by_second_page(tmp_path) == "entry runs: 1"


def test_with_the_workaround_the_entry_script_runs_before_every_page(tmp_path):
    with server_like_script_cache() as patched:
        assert patched, "this Streamlit moved the internals the workaround patches"
        assert _entry_runs_seen_by_second_page(tmp_path) == "entry runs: 2"
