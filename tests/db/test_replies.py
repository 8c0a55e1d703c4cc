"""Replies on an evaluation, on both databases: a short thread between the agent and the
scorer that the team's supervisors and admins may join, nobody else; never on a draft or
a calibration evaluation; text limits from scoring/text.py."""

import pytest

from db.access import NotFound
from db.services.calibration import create_session, reveal
from db.services.evaluations import open_draft
from db.services.replies import MAX_REPLIES, ReplyProblem, list_replies, post_reply
from db.services.users import set_active
from scoring.errors import Denied
from scoring.text import REPLY_MAX
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world


@pytest.fixture
def setup(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)
    return world, scored(world.sup_north, call.id, value=2), tmp_path


def test_the_agent_and_the_scorer_talk_in_order_and_the_team_may_join(setup):
    world, ev, _ = setup
    post_reply(world.agent_north, ev.id, "  Could you listen again at 0:12?  ")
    post_reply(world.sup_north, ev.id, "I did: you spoke over them.")
    post_reply(world.admin, ev.id, "Let's go through it on Friday.")
    thread = list_replies(world.agent_north, ev.id)
    assert [(r.author, r.author_role, r.text) for r in thread] == [
        ("Agent.North", "agent", "Could you listen again at 0:12?"),
        ("Sup.North", "supervisor", "I did: you spoke over them."),
        ("Admin", "admin", "Let's go through it on Friday."),
    ]
    assert [r.id for r in list_replies(world.sup_north, ev.id)] == [r.id for r in thread]
    assert [r.id for r in list_replies(world.admin, ev.id)] == [r.id for r in thread]


@pytest.mark.parametrize("who", ["agent_north2", "agent_south", "sup_south"])
def test_nobody_else_reads_or_posts(setup, who):
    world, ev, _ = setup
    post_reply(world.agent_north, ev.id, "Only for us.")
    outsider = getattr(world, who)
    with pytest.raises(NotFound, match="not found or is not yours"):
        list_replies(outsider, ev.id)
    with pytest.raises(NotFound, match="not found or is not yours"):
        post_reply(outsider, ev.id, "Let me in.")
    assert len(list_replies(world.agent_north, ev.id)) == 1


def test_a_deactivated_scorer_can_no_longer_post(setup):
    world, ev, _ = setup
    set_active(world.admin, world.sup_north.id, False)
    with pytest.raises(Denied):
        post_reply(world.sup_north, ev.id, "Still here?")
    assert list_replies(world.agent_north, ev.id) == []


def test_drafts_and_calibration_evaluations_have_no_thread(setup):
    world, ev, tmp_path = setup
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=2)
    draft = open_draft(world.sup_north, call.id)
    session_id = create_session(
        world.admin, "Blind", [call.id], [world.sup_north.id, world.sup_south.id]
    )
    blind = scored(world.sup_south, call.id, value=3, calibration_id=session_id)
    for who, evaluation_id in [
        (world.sup_north, draft.id),
        (world.agent_north, draft.id),
        (world.sup_south, blind.id),  # its own scorer: blind scores are talked about nowhere
        (world.admin, blind.id),
        (world.agent_north, blind.id),
    ]:
        with pytest.raises(NotFound):
            post_reply(who, evaluation_id, "About this score")
        with pytest.raises(NotFound):
            list_replies(who, evaluation_id)
    reveal(world.admin, session_id)
    with pytest.raises(NotFound):  # after the reveal it is the record, not a conversation
        post_reply(world.admin, blind.id, "About this score")


@pytest.mark.parametrize("bad", ["0", "-1", "abc", 2**31, True, None])
def test_ids_that_name_no_evaluation_read_as_not_found(setup, bad):
    world, _, _ = setup
    with pytest.raises(NotFound):
        list_replies(world.admin, bad)
    with pytest.raises(NotFound):
        post_reply(world.admin, bad, "Hello")


def test_empty_and_overlong_replies_are_refused_with_their_length(setup):
    world, ev, _ = setup
    with pytest.raises(ReplyProblem, match="empty"):
        post_reply(world.agent_north, ev.id, " \n\x00 ")
    long = "x" * (REPLY_MAX + 1)
    with pytest.raises(ReplyProblem, match=f"{REPLY_MAX + 1} characters; the limit is {REPLY_MAX}"):
        post_reply(world.agent_north, ev.id, long)
    assert post_reply(world.agent_north, ev.id, long[:REPLY_MAX]).text == long[:REPLY_MAX]


def test_a_thread_stays_short(setup):
    world, ev, _ = setup
    for n in range(MAX_REPLIES):
        post_reply(world.agent_north if n % 2 else world.sup_north, ev.id, f"message {n}")
    with pytest.raises(ReplyProblem, match=f"{MAX_REPLIES} replies"):
        post_reply(world.agent_north, ev.id, "one more")
    assert len(list_replies(world.agent_north, ev.id)) == MAX_REPLIES
