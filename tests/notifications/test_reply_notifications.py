"""A reply on an evaluation tells the other party through the notifications, on both
databases: the agent's reply goes to the scorer, the scorer's to the agent, a team
supervisor's or an admin's to both; nobody else hears of it."""

import pytest

from db.services.notifications import KINDS_FOR_ROLE, list_notifications, mark_read
from db.services.replies import post_reply
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world


@pytest.fixture
def setup(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)
    ev = scored(world.admin, call.id, value=2)  # scored by the admin; North's team supervises
    for who in (world.admin, world.sup_north, world.agent_north):
        mark_read(who)
    return world, ev, call


def _new(actor):
    return [n for n in list_notifications(actor) if not n.read and n.kind == "reply"]


def test_each_reply_tells_the_other_party_with_a_link_to_the_evaluation(setup):
    world, ev, call = setup
    post_reply(world.agent_north, ev.id, "Could you listen again at 0:12?")
    (to_scorer,) = _new(world.admin)
    assert to_scorer.page == "evaluations" and to_scorer.params == {"evaluation": str(ev.id)}
    assert "Agent.North" in to_scorer.title and call.external_id in to_scorer.title
    assert to_scorer.body == "Could you listen again at 0:12?"
    assert _new(world.agent_north) == [] and _new(world.sup_north) == []

    post_reply(world.admin, ev.id, "I did: you spoke over them.")
    (to_agent,) = _new(world.agent_north)
    assert to_agent.page == "my_feedback" and to_agent.params == {"evaluation": str(ev.id)}
    assert "Admin" in to_agent.title
    assert len(_new(world.admin)) == 1  # nothing new for the author

    post_reply(world.sup_north, ev.id, "Let's talk on Friday.")
    assert len(_new(world.agent_north)) == 2 and len(_new(world.admin)) == 2
    for outsider in (world.agent_north2, world.agent_south, world.sup_south):
        assert _new(outsider) == []


def test_replies_are_a_kind_every_role_can_choose():
    assert all("reply" in kinds for kinds in KINDS_FOR_ROLE.values())
