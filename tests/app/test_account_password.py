"""The Account page's password form, and a temporary password that must be replaced
before anything else opens, through the real workbench script."""

from pathlib import Path

import pytest

from db.services.auth import authenticate
from db.services.users import reset_password
from tests.app.conftest import open_page
from tests.factories import PASSWORD, make_world

NEW = "violet-harbour-7"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _fill(at, key: str, current: str, new: str, repeated: str) -> None:
    at.text_input(key=f"{key}_current").input(current)
    at.text_input(key=f"{key}_new").input(new)
    at.text_input(key=f"{key}_repeat").input(repeated)
    at.button(key=f"FormSubmitter:{key}-Change password").click()
    at.run()


def test_every_role_changes_their_password_on_the_account_page(app_db):
    world = make_world()
    for actor in (world.agent_north, world.sup_north, world.admin):
        at = open_page(actor, "pages/account.py")
        _fill(at, "change_password", PASSWORD, NEW, NEW)
        assert not at.exception and not at.error
        assert [s.value for s in at.success][0].startswith("Password changed.")
        assert at.text_input(key="change_password_new").value == ""  # not left on screen
        assert at.session_state["actor"].username == actor.username  # still signed in
        assert authenticate(actor.username, NEW).username == actor.username
        assert "API tokens" in [s.value for s in at.subheader]  # the tokens section stays


def test_a_refused_change_says_why_and_keeps_what_was_typed(app_db):
    world = make_world()
    at = open_page(world.agent_north, "pages/account.py")
    _fill(at, "change_password", PASSWORD, NEW, "something-else-9")
    assert [e.value for e in at.error] == [
        "The new password and its repetition differ; type the same twice."
    ]
    assert at.text_input(key="change_password_new").value == NEW
    assert at.text_input(key="change_password_current").value == PASSWORD
    assert authenticate("agent.north", PASSWORD).username == "agent.north"


def test_a_temporary_password_must_be_changed_before_anything_else(app_db):
    world = make_world()
    temporary = reset_password(world.admin, world.agent_north.id)
    actor = authenticate("agent.north", temporary)
    at = open_page(actor)
    assert [t.value for t in at.title] == ["Choose your password"]
    with pytest.raises(ValueError, match="Known pages: \\['Choose your password'\\]"):
        at.switch_page("pages/my_feedback.py")  # no other page is there to open
    _fill(at, "required_password_change", temporary, NEW, NEW)
    assert not at.exception and not at.error
    assert "Choose your password" not in [t.value for t in at.title]
    assert authenticate("agent.north", NEW).username == "agent.north"


def test_the_tab_icon_is_a_file_of_the_app_not_an_outside_icon(app_db, monkeypatch):
    """Bug 11: a ":material/…" page icon makes the browser fetch the tab icon from an outside
    font server; the icon must be an image file shipped in the repository."""
    import streamlit

    seen: list[object] = []
    real = streamlit.set_page_config

    def spy(*args, **kwargs):
        seen.append(kwargs.get("page_icon"))
        return real(*args, **kwargs)

    monkeypatch.setattr(streamlit, "set_page_config", spy)
    open_page(None)
    assert seen, "workbench.py did not set the page config"
    icon = seen[-1]
    assert isinstance(icon, Path), icon
    assert icon.is_file() and icon.resolve().is_relative_to(REPO_ROOT)
    assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
