"""An agent downloads their own evaluation as a PDF from My feedback (issue 14): the
button's file, made when clicked, holds their scores and notes; another agent gets
neither the button nor the record (the read policy)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager

from db.access import NotFound
from db.services.browse import evaluation_record
from tests.app.conftest import open_page
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

FEEDBACK = "pages/my_feedback.py"
EVALUATIONS = "pages/evaluations.py"


@pytest.fixture
def deferred(monkeypatch):
    """The callables download buttons register, by file name. AppTest keeps no runtime to
    run them after the script, so the test runs them as the click would."""
    made = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return made


@pytest.fixture
def scene(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)
    ev = scored(
        world.sup_north,
        call.id,
        2,
        note="Cut in twice — Łódź",
        comments=[(12.5, "Listen: the customer is still talking", "be_patient")],
    )
    return world, ev


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_agent_downloads_their_evaluation_with_its_scores(scene, deferred):
    world, ev = scene
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    assert not at.exception
    (button,) = [b for b in at.get("download_button") if b.proto.label == "Download as PDF"]
    assert button.proto.HasField("deferred_file_id")  # made when clicked, not every rerun
    text = _text(deferred[f"evaluation-{ev.id}.pdf"]())
    record = evaluation_record(world.agent_north, ev.id)
    assert "Evaluation of call" in text and "Agent: Agent.North" in text
    for number, item in enumerate(record.items, start=1):
        assert f"{number}. {item.title}" in text and f"{item.title}: {item.score}" in text
    assert "Note: Cut in twice — Łódź" in text
    assert "0:12  Sup.North" in text and "Listen: the customer is still talking" in text


def test_another_agent_gets_neither_the_button_nor_the_record(scene, deferred):
    world, ev = scene
    at = open_page(world.agent_north2, FEEDBACK, {"evaluation": str(ev.id)})
    assert not at.exception
    assert not at.get("download_button")
    assert f"evaluation-{ev.id}.pdf" not in deferred
    assert "Cut in twice" not in "\n".join(t.value for t in at.text)
    with pytest.raises(NotFound):
        evaluation_record(world.agent_north2, ev.id)
    with pytest.raises(NotFound):
        evaluation_record(world.agent_south, ev.id)


def test_the_evaluations_page_button_makes_the_same_pdf(scene, deferred):
    world, ev = scene
    at = open_page(world.sup_north, EVALUATIONS, {"evaluation": str(ev.id)})
    assert not at.exception
    text = _text(deferred[f"evaluation-{ev.id}.pdf"]())
    assert "Note: Cut in twice — Łódź" in text and "Scored by: Sup.North" in text
