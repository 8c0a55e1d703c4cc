"""PostgreSQL briefly down while a scorer clicks, or down for longer (issue 13, item 20).

The Score page's saves go through ``ui.retry.save_with_retry``: a real PostgreSQL made
unreachable (the engine pointed at a closed port, then back) is retried with a growing
pause and reported each time; when it stays down the save ends in ``NotSaved`` with a
clear message and nothing is stored, never a raw OperationalError (the generic error
page). When it stays down, every script run of every page (the session check in
workbench.py, the page's reads) shows the shell's one outage notice, keeps the session,
and the page comes back signed in once the server answers. No mock of the database: the
failures are real connection refusals.
"""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db.engine import make_engine, use_engine
from db.services.evaluations import StaleEvaluation, get_evaluation, open_draft, save_item
from tests.app.conftest import open_page
from tests.factories import make_call, make_world
from tests.support.apptest import server_like_script_cache
from tests.support.db_outage import database_down
from ui.outage import OUTAGE
from ui.retry import RETRYING, NotSaved, is_unreachable, save_with_retry

pytestmark = pytest.mark.postgres


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nobody listens


@pytest.fixture
def outage(postgres_database):
    """An engine for the same database at a port where nothing answers."""
    url = postgres_database.url.set(host="127.0.0.1", port=_closed_port())
    down = make_engine(url.render_as_string(hide_password=False))
    yield down
    down.dispose()


@pytest.fixture
def draft(postgres_database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=4)
    return world, open_draft(world.sup_north, call.id)


def test_unreachable_postgres_really_fails_without_the_retry(draft, outage, postgres_database):
    world, ev = draft
    use_engine(outage)
    with pytest.raises(OperationalError):
        save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=4)
    use_engine(postgres_database)


def test_a_save_during_a_brief_outage_is_retried_reported_and_lands(
    draft, outage, postgres_database, hostile
):
    world, ev = draft
    reports: list[tuple[int, str]] = []
    pauses: list[float] = []

    def on_retry(attempt: int, error: Exception) -> None:
        reports.append((attempt, type(error).__name__))
        if attempt == 2:
            use_engine(postgres_database)  # the server answers again

    use_engine(outage)
    view = hostile.attempt(
        lambda: save_with_retry(
            lambda: save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=4),
            on_retry=on_retry,
            sleep=pauses.append,
        ),
        NotSaved,
        "save while PostgreSQL is down for two attempts",
    )
    assert reports == [(1, "OperationalError"), (2, "OperationalError")]
    assert pauses == [0.25, 0.5]  # the pause doubles
    assert view.values["be_patient"] == 4
    assert get_evaluation(world.sup_north, ev.id).values["be_patient"] == 4
    assert RETRYING == "Not saved: the database is not answering. Retrying…"


def test_a_save_during_a_long_outage_says_not_saved_and_stores_nothing(
    draft, outage, postgres_database, hostile
):
    world, ev = draft
    reports: list[int] = []
    use_engine(outage)
    try:
        refusal = hostile.attempt(
            lambda: save_with_retry(
                lambda: save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=2),
                on_retry=lambda attempt, _error: reports.append(attempt),
                sleep=lambda _s: None,
            ),
            NotSaved,
            "save while PostgreSQL stays down",
        )
    finally:
        use_engine(postgres_database)
    assert isinstance(refusal, NotSaved)
    assert str(refusal).startswith("Not saved: the database did not answer (4 tries).")
    assert reports == [1, 2, 3]
    after = get_evaluation(world.sup_north, ev.id)
    assert "be_patient" not in after.values or after.values["be_patient"] is None
    assert after.row_version == ev.row_version


def test_a_conflict_is_not_an_outage_and_is_not_retried(draft, hostile):
    world, ev = draft
    save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=3)
    reports: list[int] = []
    refusal = hostile.attempt(
        lambda: save_with_retry(
            lambda: save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=5),
            on_retry=lambda attempt, _error: reports.append(attempt),
            sleep=lambda _s: None,
        ),
        StaleEvaluation,
        "save on a stale row version",
    )
    assert isinstance(refusal, StaleEvaluation) and reports == []


class OutageShown(Exception):
    """The run ended in the shell's outage notice (a clear answer, counted as refused)."""


def _run_during_outage(at) -> None:
    at.run()
    if at.exception:
        raise RuntimeError(f"generic error page: {at.exception[0].value}"[:200])
    shown = [
        str(e.value)
        for kind in ("warning", "error", "info", "markdown", "caption")
        for e in getattr(at, kind)
    ]
    leaks = [t for t in shown if "OperationalError" in t or "Traceback" in t or "psycopg" in t]
    if leaks:
        raise RuntimeError(f"raw error text on screen: {leaks[0]}"[:200])
    if OUTAGE in shown:
        raise OutageShown(OUTAGE)


ROLE_PAGES = {
    "admin": ["pages/home.py", "pages/users.py", "pages/sampling.py", "pages/rubrics.py"],
    "sup_north": [
        "pages/home.py",
        "pages/notifications.py",
        "pages/queue.py",
        "pages/score.py",
        "pages/calibration.py",
        "pages/disputes.py",
        "pages/trends.py",
        "pages/evaluations.py",
        "pages/calls.py",
        "pages/account.py",
    ],
    "agent_north": ["pages/home.py", "pages/my_feedback.py", "pages/account.py"],
}


def test_every_page_run_while_postgres_stays_down_shows_the_outage_and_comes_back(
    postgres_database, tmp_path, hostile
):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=4)
    with server_like_script_cache():
        for who, pages in ROLE_PAGES.items():
            actor = getattr(world, who)
            for page in pages:
                query = {"call": str(call.id)} if page == "pages/score.py" else None
                at = open_page(actor, page, query)
                drawn = [t.value for t in at.title]
                with database_down(postgres_database):
                    refusal = hostile.attempt(
                        lambda at=at: _run_during_outage(at),
                        OutageShown,
                        f"{page} as {who} while PostgreSQL is down",
                    )
                assert isinstance(refusal, OutageShown), (
                    f"{page} as {who} drew without the database"
                )
                assert at.session_state["actor"].username == actor.username
                at.run()  # the server answers: the same page, no login round trip
                assert not at.exception, (who, page)
                assert [t.value for t in at.title] == drawn, (who, page)
                assert OUTAGE not in [w.value for w in at.warning]


def test_the_login_form_while_postgres_is_down_keeps_the_username(postgres_database, hostile):
    make_world()
    with server_like_script_cache():
        at = open_page(None)
        at.text_input(key="login_username").input("sup.north")
        at.text_input(key="login_password").input("whatever it is")
        at.button[0].click()
        with database_down(postgres_database):
            hostile.attempt(lambda: _run_during_outage(at), OutageShown, "log in while down")
        at.run()
        assert at.text_input(key="login_username").value == "sup.north"


def test_a_statement_bug_is_not_an_outage(sqlite_database, hostile):
    """SQLite answers a missing table with OperationalError too: that is a bug, shown as
    one, never retried nor hidden behind the outage notice."""
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        with sqlite_database.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    error = hostile.attempt(
        lambda: save_with_retry(broken, sleep=lambda _s: None),
        OperationalError,
        "a statement on a missing table",
    )
    assert isinstance(error, OperationalError) and not is_unreachable(error)
    assert calls == [1]
