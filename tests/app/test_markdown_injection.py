"""User-controlled text shown as text on every page (issue 13, item 12).

Display names, call ids (manifest external ids), rubric item titles and upload names go
into titles, captions, alerts, radio and expander labels, which Streamlit renders as
Markdown: an image there is fetched from an outside host, a link or a colour directive
is drawn. Each page here is opened with such text in every one of those places and the
values of its Markdown elements are checked: the text arrives escaped (``ui.format.plain``)
and no image, link, autolink or directive syntax survives.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from db.services.auth import authenticate
from db.services.calls import import_call
from db.services.rubrics import sync_rubrics
from db.services.users import create_user
from tests.app.conftest import open_page
from tests.factories import PASSWORD, submit_evaluation, write_speechlike_wav
from ui.format import plain

HOSTILE = "![x](http://example.invalid/a.png) [link](http://example.invalid) :red[boom] **bold**"
HOSTILE_ID = "http://example.invalid/call.png"  # what the call id rule lets through
RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
RAW = ("![x](", "[link](", ":red[boom]", "http://example.invalid", "**bold**")


@pytest.fixture
def hostile_world(app_db, tmp_path):
    """A rubric version whose first item's title is hostile, a supervisor and an agent
    whose display names are, and a call whose id is a URL, scored and submitted."""
    folder = tmp_path / "rubrics"
    folder.mkdir()
    text = (RUBRICS / "listening.v2.toml").read_text()
    text = re.sub(r"(?m)^version = 2$", "version = 99", text, count=1)
    text = text.replace('"Gives the customer the floor"', repr(HOSTILE).replace("'", '"'), 1)
    (folder / "listening.v99.toml").write_text(text)
    sync_rubrics(directory=RUBRICS)
    sync_rubrics(directory=folder)
    create_user(None, "admin", "Admin", "admin", PASSWORD)
    admin = authenticate("admin", PASSWORD)
    create_user(admin, "sup", HOSTILE, "supervisor", PASSWORD, team="North")
    create_user(admin, "agent", HOSTILE, "agent", PASSWORD, team="North")
    sup, agent = authenticate("sup", PASSWORD), authenticate("agent", PASSWORD)
    wav = write_speechlike_wav(tmp_path / "call.wav", 20)
    call = import_call(
        admin,
        wav,
        original_name="call.wav",
        agent_username="agent",
        started_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        external_id=HOSTILE_ID,
        analyse=False,
    )
    return admin, sup, agent, call


def _markdown_values(at) -> list[str]:
    """Every value Streamlit renders as Markdown on this run."""
    values: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption"):
        values += [e.value for e in getattr(at, kind)]
    for kind in ("info", "success", "warning", "error"):
        values += [e.value for e in getattr(at, kind)]
    for kind in ("radio", "expander", "metric", "checkbox", "button", "text_area", "toggle"):
        values += [e.label for e in getattr(at, kind)]
    values += [str(o) for r in at.radio for o in r.options]
    return values


def _assert_shown_as_text(at, *shown: str) -> None:
    assert not at.exception, at.exception
    values = _markdown_values(at)
    for raw in RAW:
        leaked = [v for v in values if raw in v]
        assert not leaked, f"{raw!r} reaches Markdown unescaped in {leaked}"
    for text in shown:
        assert any(plain(text) in v for v in values), f"{plain(text)!r} not shown in {values}"


def test_home_shows_a_hostile_display_name_as_text(hostile_world):
    _, sup, _, _ = hostile_world
    _assert_shown_as_text(open_page(sup, "pages/home.py"), HOSTILE)


def test_score_page_shows_call_id_agent_and_item_title_as_text(hostile_world):
    _, sup, _, call = hostile_world
    at = open_page(sup, "pages/score.py", {"call": str(call.id)})
    _assert_shown_as_text(at, HOSTILE_ID, HOSTILE)
    assert any(plain(HOSTILE) in r.label for r in at.radio)  # the item title


def test_my_feedback_shows_call_id_and_item_title_as_text(hostile_world):
    _, sup, agent, call = hostile_world
    ev = submit_evaluation(sup, call.id)
    at = open_page(agent, "pages/my_feedback.py", {"evaluation": str(ev.id)})
    _assert_shown_as_text(at, HOSTILE_ID, HOSTILE)


def test_rubrics_page_shows_a_hostile_item_title_as_text(hostile_world):
    admin, _, _, _ = hostile_world
    at = open_page(admin, "pages/rubrics.py")
    _assert_shown_as_text(at, HOSTILE)


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("![x](http://a.invalid/i.png)", "!\\[x\\](http\\://\u2060a.invalid/i.png)"),
        (":red[boom] :material/home:", "\\:red\\[boom\\] \\:material/home:"),
        (
            "**bold** _it_ `code` ~~s~~ $x$",
            "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\$x\\$",
        ),
        ("# head", "\\# head"),
        ("- item", "\\- item"),
        ("12. item", "12\\. item"),
        ("> quote", "\\> quote"),
        ("two\nlines\r\nhere", "two lines here"),
        ("see www.a.invalid or me@a.invalid", "see www\u2060.a.invalid or me@\u2060a.invalid"),
        ("call.wav: the file is empty", "call.wav: the file is empty"),  # reads unchanged
        ("Müller-3 (North)", "Müller-3 (North)"),
    ],
)
def test_plain_escapes_what_markdown_would_draw_and_nothing_else(typed, escaped):
    assert plain(typed) == escaped


def test_disputes_page_shows_a_hostile_item_title_as_text(hostile_world):
    from db.services.disputes import open_dispute

    _, sup, agent, call = hostile_world
    ev = submit_evaluation(sup, call.id)
    open_dispute(agent, ev.id, "stop_talking", "I had finished speaking.")
    at = open_page(sup, "pages/disputes.py")
    _assert_shown_as_text(at, HOSTILE)
