"""The overview page: what waits for each user, each count linking to where it is done."""

from db.services.disputes import open_dispute
from tests.app.conftest import open_page
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

HOME = "pages/home.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _links(at) -> dict[str, str]:
    return {e.proto.label: e.proto.page for e in at.get("page_link")}


def test_the_agent_sees_what_waits_and_where_to_act(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id, value=4)
    open_dispute(world.agent_north, ev.id, "be_patient", "I let the customer finish.")
    at = open_page(world.agent_north, HOME)
    assert _metrics(at) == {
        "New feedback": "1",
        "Not yet acknowledged": "1",
        "Your open disputes": "1",
        "Your average": "75.0",
    }
    links = _links(at)
    assert links["Read your feedback"].endswith("my_feedback")
    assert links["Your evaluations (1)"].endswith("my_feedback")
    # Another agent of the same team sees none of it.
    assert _metrics(open_page(world.agent_north2, HOME))["New feedback"] == "0"


def test_a_supervisor_sees_the_disputes_and_drafts_waiting(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    ev = scored(world.sup_north, call.id)
    open_dispute(world.agent_north, ev.id, "be_patient", "I let the customer finish.")
    at = open_page(world.sup_north, HOME)
    metrics = _metrics(at)
    assert (metrics["Disputes waiting"], metrics["Your drafts"]) == ("1", "0")
    assert _links(at)["Decide"].endswith("disputes")
    assert "Continue scoring" not in _links(at)  # no drafts: nothing to continue
    south = open_page(world.sup_south, HOME)
    assert _metrics(south)["Disputes waiting"] == "0" and "Decide" not in _links(south)
