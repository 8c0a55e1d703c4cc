"""What a role cannot use says so, and labels read as plain text (issue 14, bug 11).

- A page address the user's role may not open (a bookmark, a link from a colleague)
  shows that the page is not available to their role, instead of silently opening the
  Overview. The browser asks for a page by its address; ``_open_address`` does the same.
- A rubric item's radio label is plain text: Streamlit uses the label as the radio
  group's accessible name (``aria-label``), so Markdown in it reached screen readers as
  "**1. Title** · _open_" (checked in Chromium by tests/e2e/test_accessible_names.py).
"""

from __future__ import annotations

import re

import pytest
from streamlit.util import calc_hash

from tests.app.conftest import open_page
from tests.factories import make_call, make_world


def _open_address(at, url_path: str):
    """Run the app at /<url_path>, as a browser opening that address does (a page's
    script hash is the hash of its address)."""
    at._page_hash = calc_hash(url_path)
    return at.run()


@pytest.mark.parametrize(
    ("who", "address", "message"),
    [
        (
            "agent_north",
            "score",
            "Score a call is not available to agent users: it is for admin and supervisor users.",
        ),
        (
            "agent_north",
            "users",
            "Users is not available to agent users: it is for admin users.",
        ),
        (
            "sup_north",
            "users",
            "Users is not available to supervisor users: it is for admin users.",
        ),
        (
            "admin",
            "my_feedback",
            "My feedback is not available to admin users: it is for agent users.",
        ),
    ],
)
def test_a_page_the_role_cannot_use_says_so(app_db, who, address, message):
    world = make_world()
    at = _open_address(open_page(getattr(world, who)), address)
    assert not at.exception
    assert [w.value for w in at.warning] == [message]
    assert not at.dataframe and not at.radio and not at.metric  # nothing of the page


def test_the_blocked_pages_stay_out_of_the_menu(app_db):
    """The notice lives at the page's address only: the agent's menu is unchanged."""
    world = make_world()
    at = open_page(world.agent_north)
    shown = {p["page_name"] for p in at._registered_pages.values() if p.get("script_path")}
    assert "Score a call" not in shown and "Users" not in shown
    assert {"Overview", "My feedback"} <= shown


def test_rubric_radio_labels_are_plain_text(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    at = open_page(world.sup_north, "pages/score.py", {"call": str(call.id)})
    labels = [r.label for r in at.radio if r.key.endswith("_v")]
    assert len(labels) == 10
    for number, label in enumerate(labels, start=1):
        assert re.fullmatch(rf"{number}\. [^*_`\\]+", label), label
    # Eye contact is N/A already on an audio-only call; the nine others are open.
    assert sum(label.endswith(" · open") for label in labels) == 9
    next(r for r in at.radio if r.key.endswith("_be_patient_v")).set_value(4).run()
    answered = next(r for r in at.radio if r.key.endswith("_be_patient_v")).label
    assert re.fullmatch(r"\d+\. [^*_`\\·]+", answered), answered
