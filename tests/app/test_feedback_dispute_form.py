"""My feedback's dispute form keeps what the agent typed when the dispute is refused, and
empties once it is sent (issue 14, bug 8: forms lost what was typed)."""

from __future__ import annotations

import pytest

from db.services.disputes import list_disputes
from tests.app.conftest import open_page
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

FEEDBACK = "pages/my_feedback.py"
REASON = "I waited until the customer had finished, twice."


@pytest.fixture
def scene(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)
    return world, scored(world.sup_north, call.id, 2)


def test_a_refused_dispute_keeps_the_text_and_a_sent_one_clears_it(scene):
    world, ev = scene
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    prefix = f"fb{ev.id}"
    at.text_area(key=f"{prefix}_dispute_reason").input(REASON)
    at.text_input(key=f"{prefix}_dispute_moments").input("0:12, 9:59")  # past the 30 s call
    next(b for b in at.button if b.label == "Send dispute").click().run()
    assert not at.exception
    assert at.error, "the moment past the end of the call is refused"
    assert list_disputes(world.agent_north) == []
    # Nothing typed is lost: both fields still hold it, ready to correct.
    assert at.text_area(key=f"{prefix}_dispute_reason").value == REASON
    assert at.text_input(key=f"{prefix}_dispute_moments").value == "0:12, 9:59"

    at.text_input(key=f"{prefix}_dispute_moments").input("0:12")
    next(b for b in at.button if b.label == "Send dispute").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (dispute,) = list_disputes(world.agent_north)
    assert dispute.reason == REASON and list(dispute.moments) == [12.0]
    assert any("Dispute sent" in s.value for s in at.success)
    # Sent: the form (for the other items) starts empty.
    assert at.text_area(key=f"{prefix}_dispute_reason").value == ""
    assert at.text_input(key=f"{prefix}_dispute_moments").value == ""
