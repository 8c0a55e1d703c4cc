"""Forms keep what was typed when an action is refused, and say what is wrong (issue 14,
bug 8): the upload and attach forms on Calls and the API-token form on Account. Once the
action is done they are emptied."""

from __future__ import annotations

from datetime import date

from db.services.tokens import list_tokens
from tests.app.conftest import open_page
from tests.factories import make_call, make_world, write_speechlike_wav

CALLS = "pages/calls.py"
ACCOUNT = "pages/account.py"
VTT = b"WEBVTT\n\n00:00.500 --> 00:03.000\n<v Agent>Service desk, how can I help?\n"


def _names(at, key: str) -> list[str]:
    try:
        value = at.session_state[key]
    except KeyError:  # a picker not drawn yet
        value = None
    files = value if isinstance(value, list) else [value] if value is not None else []
    return [f.name for f in files]


def _uploader(at, label: str):
    (picker,) = [u for u in at.file_uploader if u.label.startswith(label)]
    return picker


def _submit(at, label: str):
    (button,) = [b for b in at.button if b.label == label]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_refused_upload_keeps_the_files_and_choices(app_db, tmp_path):
    world = make_world()
    at = open_page(world.sup_north, CALLS)
    agent = next(a for a in at.selectbox(key="upload_agent").options if "agent.north2" in a)
    at.selectbox(key="upload_agent").set_value(agent)
    at.date_input(key="upload_day").set_value(date(2026, 11, 2))
    at.selectbox(key="upload_channel").set_value(1)
    _uploader(at, "Audio files").set_value(("broken.wav", b"not a recording", "audio/wav"))
    _submit(at, "Import")
    (error,) = at.error
    assert error.value.startswith("broken.wav: ")  # names the file and what is wrong
    assert not at.success
    # Everything chosen is still there, the file too.
    assert at.selectbox(key="upload_agent").value == agent
    assert at.date_input(key="upload_day").value == date(2026, 11, 2)
    assert at.selectbox(key="upload_channel").value == 1
    assert _names(at, "upload_files_0") == ["broken.wav"]

    # A good recording instead: imported, and the form is emptied.
    good = write_speechlike_wav(tmp_path / "good.wav", 10, seed=3).read_bytes()
    _uploader(at, "Audio files").set_value(("good.wav", good, "audio/wav"))
    _submit(at, "Import")
    assert not at.error
    (done,) = at.success
    assert done.value.startswith("Imported good.wav as good")
    assert _names(at, "upload_files_1") == []
    assert at.selectbox(key="upload_channel").value == 0
    assert at.date_input(key="upload_day").value != date(2026, 11, 2)
    (table,) = at.dataframe
    assert list(table.value["Agent"]) == ["Agent.North2"]


def test_import_without_a_file_says_so(app_db):
    world = make_world()
    at = _submit(open_page(world.sup_north, CALLS), "Import")
    assert [e.value for e in at.error] == ["Choose at least one audio file to import."]


def test_a_refused_transcript_keeps_the_call_file_and_choice(app_db, tmp_path):
    world = make_world()
    first = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="K-1")
    make_call(world.admin, world.agent_north, tmp_path, seed=2, external_id="K-2")
    at = open_page(world.sup_north, CALLS)
    at.selectbox(key="attach_call").set_value(first.id)
    at.checkbox(key="attach_replace").check()
    _uploader(at, "Transcript file").set_value(("k1.vtt", b"WEBVTT\n\nnonsense", "text/vtt"))
    _submit(at, "Attach")
    (error,) = at.error
    assert "k1.vtt" in error.value
    assert at.selectbox(key="attach_call").value == first.id
    assert at.checkbox(key="attach_replace").value is True
    assert _names(at, "attach_file") == ["k1.vtt"]
    # A good one: attached, and the file and the choice are emptied.
    _uploader(at, "Transcript file").set_value(("k1.vtt", VTT, "text/vtt"))
    _submit(at, "Attach")
    assert not at.error and "Attached to K-1" in at.success[0].value
    assert _names(at, "attach_file_1") == []
    assert at.checkbox(key="attach_replace").value is False
    # Nothing chosen: said, nothing done.
    _submit(at, "Attach")
    assert [e.value for e in at.error] == [
        "Choose a transcript file to attach (WebVTT, SRT or JSON)."
    ]


def test_a_refused_token_keeps_its_name_and_expiry(app_db):
    world = make_world()
    at = open_page(world.agent_north, ACCOUNT)
    blank = "   "  # only spaces: no name (longer names are cut at 100 as typed)
    at.text_input(key="token_name").set_value(blank)
    at.number_input(key="token_days").set_value(30)
    _submit(at, "Create token")
    (error,) = at.error
    assert error.value.startswith("Token name:")  # says what is wrong
    assert at.text_input(key="token_name").value == blank
    assert at.number_input(key="token_days").value == 30
    assert list_tokens(world.agent_north) == []
    # A good name: made and shown once, the form emptied.
    at.text_input(key="token_name").set_value("Power BI refresh")
    _submit(at, "Create token")
    assert not at.error
    assert "Token “Power BI refresh” created" in at.success[0].value
    assert at.text_input(key="token_name").value == ""
    assert [t.name for t in list_tokens(world.agent_north)] == ["Power BI refresh"]
    # The token is shown once: not again on the next run.
    at.run()
    assert not at.success and not at.code
