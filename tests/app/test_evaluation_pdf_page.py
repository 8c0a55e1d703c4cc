"""The read-only evaluation on the Evaluations page offers it as a PDF, made when clicked
through the access policy."""

from __future__ import annotations

import pytest

from tests.app.conftest import open_page
from tests.factories import make_call, make_world, submit_evaluation

PAGE = "pages/evaluations.py"


@pytest.fixture
def scene(app_db, tmp_path):
    world = make_world()
    north = make_call(
        world.admin, world.agent_north, tmp_path, seconds=30, seed=1, external_id="N-1"
    )
    submit_evaluation(world.admin, north.id, level=3, comments=((4.0, "Paused well", None),))
    return world


def test_an_open_evaluation_has_a_pdf_download(scene):
    at = open_page(scene.sup_north, PAGE)
    assert not at.get("download_button")  # nothing open, nothing to download
    at.session_state["evaluations_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    (button,) = at.get("download_button")
    assert button.proto.label == "Download as PDF"
    assert button.proto.HasField("deferred_file_id")  # made when clicked, not every rerun
    # The file itself is fetched in Chromium (tests/e2e/test_evaluation_pdf.py): AppTest
    # keeps no runtime to run a deferred download after the script.
