"""The whole app while PostgreSQL stays down (issue 13, item 20): every script run that
finds the database unreachable (the session check in workbench.py, a page's reads, a
save's retries running out) shows one clear state instead of the generic error page,
keeps what the user had in the session, and the page comes back, still signed in, once
the server answers again. The outage is real (tests/support/db_outage.py)."""

from __future__ import annotations

import pytest

from tests.app.conftest import open_page
from tests.factories import make_call, make_world
from tests.support.db_outage import database_down
from ui import retry
from ui.outage import OUTAGE

pytestmark = pytest.mark.postgres


def _shown(at) -> list[str]:
    """Every text the run put on screen (alerts, markdown, captions, titles, exceptions)."""
    texts: list[str] = []
    for kind in ("warning", "error", "info", "markdown", "caption", "title", "exception"):
        texts += [str(e.value) for e in getattr(at, kind)]
    return texts


def _no_crash_page(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(_shown(at))
    for leak in ("Traceback", "OperationalError", "psycopg", "Connection refused"):
        assert leak not in shown


@pytest.mark.parametrize(
    "page", ["pages/home.py", "pages/queue.py", "pages/evaluations.py", "pages/trends.py"]
)
def test_a_run_while_the_database_is_down_says_so_and_the_page_comes_back(postgres_database, page):
    world = make_world()
    at = open_page(world.sup_north, page)
    title = [t.value for t in at.title]
    with database_down(postgres_database):
        at.run()
    _no_crash_page(at)
    assert [w.value for w in at.warning] == [OUTAGE]
    assert at.session_state["actor"].username == "sup.north"  # still signed in
    at.run()  # the retry, with the server answering again
    assert not at.exception
    assert OUTAGE not in [w.value for w in at.warning]
    assert [t.value for t in at.title] == title  # the same page, no login form
    assert not [t for t in at.text_input if t.key == "login_username"]


def test_a_note_typed_during_a_long_outage_is_kept_and_saved_after_it(
    postgres_database, tmp_path, monkeypatch
):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    at = open_page(world.sup_north, "pages/score.py", {"call": str(call.id)})
    monkeypatch.setitem(retry.save_with_retry.__kwdefaults__, "sleep", lambda _s: None)
    note = next(t for t in at.text_area if t.key.endswith("_be_patient_n"))
    with database_down(postgres_database):
        note.input("Let the customer finish twice").run()
        _no_crash_page(at)
        assert OUTAGE in [w.value for w in at.warning]
        at.run()  # the shell's retry while the server is still down
        _no_crash_page(at)
        assert OUTAGE in [w.value for w in at.warning]
    assert at.session_state[note.key] == "Let the customer finish twice"
    at.run()  # the server answers: the page is back with the typed note, marked not saved
    assert not at.exception
    note = at.text_area(key=note.key)
    assert note.value == "Let the customer finish twice"
    assert any(w.value.startswith("Not saved: the note") for w in at.warning)
