"""Ids typed into a page's address (issue "Security", item 10): superscript digits,
numbers past 64 bits, past PostgreSQL's 32-bit keys, negatives and words all read as
"not found" with a message, never a crash page."""

from __future__ import annotations

import pytest

from tests.app.conftest import open_page
from tests.factories import make_call, make_world

CRAFTED = ["²", "99999999999999999999", str(2**31), "-3", "0", "1.0", " 1", "x"]


@pytest.fixture
def world(app_db, tmp_path):
    world = make_world()
    make_call(world.admin, world.agent_north, tmp_path, seconds=10, seed=1)
    return world


@pytest.mark.parametrize("value", CRAFTED)
def test_feedback_evaluation_param(world, value):
    at = open_page(world.agent_north, "pages/my_feedback.py", {"evaluation": value})
    assert not at.exception
    assert at.error, "a crafted id must be refused in words"


@pytest.mark.parametrize("value", CRAFTED)
def test_score_call_and_session_params(world, value):
    at = open_page(world.sup_north, "pages/score.py", {"call": value})
    assert not at.exception
    assert any("Open a call from the queue" in i.value for i in at.info)
    at = open_page(world.sup_north, "pages/score.py", {"call": "1", "session": value})
    assert not at.exception


@pytest.mark.parametrize("value", CRAFTED)
def test_calibration_session_param(world, value):
    at = open_page(world.sup_north, "pages/calibration.py", {"session": value})
    assert not at.exception
