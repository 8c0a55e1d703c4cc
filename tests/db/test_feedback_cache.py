"""The agent's feedback is cached per process, keyed on versions every relevant write
moves: a repeat call is one primary-key query, and no answer is ever stale or another
agent's."""

from contextlib import contextmanager
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import event, update
from sqlmodel import Session

import db.services.disputes
import db.services.feedback
from db.access import AccessDenied, NotFound
from db.engine import get_engine
from db.models import DataVersion, Evaluation, EvaluationView, User
from db.operations.config import settings
from db.services.disputes import open_dispute, resolve_dispute
from db.services.evaluations import StaleEvaluation, amend
from db.services.feedback import (
    acknowledge,
    feedback_detail,
    mark_viewed,
    my_evaluations,
    unread_count,
)
from db.services.listening import store_listening_report
from db.services.users import set_active, set_role
from media.signing import verify_media_token
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

REASON = "The customer had finished; I waited before answering."


@dataclass
class Seen:
    """Everything the My feedback page reads about one evaluation."""

    unread: int
    row: db.services.feedback.FeedbackRow
    detail: db.services.feedback.FeedbackDetail

    def item(self, key: str) -> db.services.feedback.ItemFeedback:
        return next(i for i in self.detail.items if i.key == key)


def seen(agent, evaluation_id: int) -> Seen:
    """What the page reads, with the audio link checked and then set aside.

    The link is signed afresh on every read and its expiry moves with the clock, so two
    reads a second apart differ there by design; everything else must not.
    """
    rows = {r.evaluation_id: r for r in my_evaluations(agent, limit=50)}
    detail = feedback_detail(agent, evaluation_id)
    grant = verify_media_token(detail.audio_url.removeprefix("/audio/"), settings().secret_key)
    assert (grant.call_id, grant.user_id) == (detail.call.id, agent.id)
    return Seen(unread_count(agent), rows[evaluation_id], without_link(detail))


def without_link(
    detail: db.services.feedback.FeedbackDetail,
) -> db.services.feedback.FeedbackDetail:
    """The detail with its freshly signed audio link blanked, for comparing two reads."""
    return replace(detail, audio_url="<signed>")


@contextmanager
def statements(engine):
    """The SQL statements the engine runs inside the block, as a list."""
    run: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        run.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield run
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def setup(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30)
    store_listening_report(call.id)
    ev = scored(world.sup_north, call.id, value=2, comments=[(3.0, "Here", "be_patient")])
    return world, ev


def test_a_repeat_call_is_one_statement(setup, database):
    world, ev = setup
    agent = world.agent_north
    for service in (
        lambda: unread_count(agent),
        lambda: my_evaluations(agent, limit=50),
        lambda: feedback_detail(agent, ev.id),
    ):
        with statements(database) as first:
            answer = service()
        with statements(database) as repeat:
            assert service() == answer
        assert len(first) > 1 and len(repeat) == 1, (first, repeat)


def row_version(evaluation_id: int) -> int:
    """The evaluation's current optimistic-lock version (an amend must name it)."""
    with Session(get_engine()) as s:
        return s.get(Evaluation, evaluation_id).row_version


def test_each_write_shows_in_the_next_read(setup, tmp_path):
    world, ev = setup
    agent = world.agent_north
    before = seen(agent, ev.id)
    assert before.unread == 1 and before.row.unread and before.detail.viewed_at is None

    mark_viewed(agent, ev.id)
    now = seen(agent, ev.id)
    assert now.unread == 0 and not now.row.unread and now.detail.viewed_at is not None

    at = acknowledge(agent, ev.id)
    now = seen(agent, ev.id)
    assert now.row.acknowledged_at == at == now.detail.acknowledged_at

    rejected = open_dispute(agent, ev.id, "be_patient", REASON)
    now = seen(agent, ev.id)
    assert now.row.open_disputes == 1 and now.item("be_patient").open_dispute

    resolve_dispute(world.sup_north, rejected.id, "rejected", "The pause was too short.")
    now = seen(agent, ev.id)
    assert now.row.open_disputes == 0 and now.item("be_patient").dispute.status == "rejected"

    accepted = open_dispute(agent, ev.id, "paraphrase", REASON)
    seen(agent, ev.id)  # cache the open dispute
    resolve_dispute(world.sup_north, accepted.id, "accepted", "", new_value=5)
    now = seen(agent, ev.id)
    paraphrase = now.item("paraphrase")
    assert (paraphrase.value, paraphrase.dispute.status) == (5, "accepted")
    assert now.row.total == now.detail.total > before.detail.total

    amend(
        world.sup_north,
        ev.id,
        row_version(ev.id),
        {"stop_talking": {"value": 4}},
        "Heard it again.",
    )
    after_amend = seen(agent, ev.id)
    assert after_amend.item("stop_talking").value == 4
    assert after_amend.row.total == after_amend.detail.total > now.detail.total

    second = make_call(world.admin, agent, tmp_path, seed=2)
    new = scored(world.sup_north, second.id)
    assert unread_count(agent) == 1
    assert [r.evaluation_id for r in my_evaluations(agent, limit=50)] == [new.id, ev.id]


def test_a_decision_whose_amend_fails_shows_the_dispute_open_again(setup, monkeypatch):
    world, ev = setup
    agent = world.agent_north
    dispute = open_dispute(agent, ev.id, "be_patient", REASON)
    decided_meanwhile = []

    def failing_amend(*_args, **_kwargs):
        # The decision and the score change are one transaction: while it runs, the
        # agent's page (and its cache) still shows the dispute open, never "accepted"
        # beside the old score.
        decided_meanwhile.append(seen(agent, ev.id).item("be_patient").dispute.status)
        raise StaleEvaluation("changed elsewhere")

    monkeypatch.setattr(db.services.disputes, "amend", failing_amend)
    with pytest.raises(StaleEvaluation):
        resolve_dispute(world.sup_north, dispute.id, "accepted", "", new_value=5)
    assert decided_meanwhile == ["open"]
    now = seen(agent, ev.id)
    assert now.item("be_patient").open_dispute and now.row.open_disputes == 1
    assert now.item("be_patient").value == 2


def test_another_process_change_shows_at_once(setup, database):
    """A write from another process moves the versions in the database; this process has
    no other way to know, and must not wait for any time-to-live."""
    world, ev = setup
    agent = world.agent_north
    seen(agent, ev.id)
    with Session(database) as s:  # what another process's amend commits
        s.exec(update(Evaluation).where(Evaluation.id == ev.id).values(total=12.5))
        s.exec(update(DataVersion).values(version=DataVersion.version + 1))
        s.commit()
    now = seen(agent, ev.id)
    assert now.row.total == now.detail.total == 12.5
    with Session(database) as s:  # another process's mark_viewed
        s.add(EvaluationView(evaluation_id=ev.id, agent_id=agent.id))
        s.exec(
            update(User)
            .where(User.id == agent.id)
            .values(feedback_version=User.feedback_version + 1)
        )
        s.commit()
    now = seen(agent, ev.id)
    assert now.unread == 0 and not now.row.unread and now.detail.viewed_at is not None


def test_one_agents_cache_is_never_anothers(setup, tmp_path):
    """Both agents at the same versions (nothing read or marked yet): only the scope
    keeps them apart."""
    world, ev = setup
    also_mine = scored(
        world.sup_north, make_call(world.admin, world.agent_north, tmp_path, seed=9).id
    )
    theirs = scored(
        world.sup_north, make_call(world.admin, world.agent_north2, tmp_path, seed=3).id
    )
    mine = seen(world.agent_north, ev.id)
    assert mine.unread == 2
    assert unread_count(world.agent_north2) == 1
    assert [r.evaluation_id for r in my_evaluations(world.agent_north2, limit=50)] == [theirs.id]
    with pytest.raises(NotFound, match="not found or is not yours"):
        feedback_detail(world.agent_north2, ev.id)  # cached for agent_north, not theirs
    with pytest.raises(NotFound, match="not found or is not yours"):
        feedback_detail(world.sup_north, ev.id)
    assert feedback_detail(world.agent_north2, theirs.id).call.agent == "Agent.North2"
    assert seen(world.agent_north, ev.id) == mine  # and theirs never leaks back
    assert also_mine.id in {r.evaluation_id for r in my_evaluations(world.agent_north, 50)}


def test_a_deactivated_agent_is_refused_despite_a_cached_answer(setup, database):
    world, ev = setup
    agent = world.agent_north
    seen(agent, ev.id)
    with Session(database) as s:  # no version moves: only the per-call check can refuse
        s.exec(update(User).where(User.id == agent.id).values(active=False))
        s.commit()
    for service in (lambda: my_evaluations(agent, limit=50), lambda: feedback_detail(agent, ev.id)):
        with pytest.raises(AccessDenied, match="not active"):
            service()
    assert unread_count(agent) == 0  # a navigation badge: nothing to show, no error
    for service in (mark_viewed, acknowledge):
        with pytest.raises(AccessDenied, match="not active"):
            service(agent, ev.id)
    set_active(world.admin, agent.id, True)
    assert seen(agent, ev.id).unread == 1


def test_an_agent_who_is_no_longer_one_is_refused(setup):
    world, ev = setup
    agent = world.agent_north
    seen(agent, ev.id)
    set_role(world.admin, agent.id, "supervisor", "North")
    with pytest.raises(AccessDenied):
        my_evaluations(agent, limit=50)
    with pytest.raises(NotFound):
        feedback_detail(agent, ev.id)
    assert unread_count(agent) == 0


def test_odd_ids_are_not_found_and_never_share_an_entry(setup):
    world, ev = setup
    assert ev.id == 1
    feedback_detail(world.agent_north, ev.id)
    for odd in (True, 1.0, "1", None, 0, -1, 2**31, 2**40):
        with pytest.raises(NotFound, match="not found or is not yours"):
            feedback_detail(world.agent_north, odd)


def test_callers_cannot_change_the_cache(setup):
    world, ev = setup
    agent = world.agent_north
    rows = my_evaluations(agent, limit=50)
    with pytest.raises(AttributeError):  # frozen: one shared answer, nothing copied out
        rows.clear()
    assert len(my_evaluations(agent, limit=50)) == 1
    detail = feedback_detail(agent, ev.id)
    pristine = feedback_detail(agent, ev.id)
    changes = [
        lambda: detail.items.clear(),
        lambda: detail.comments.clear(),
        lambda: detail.disputes.append(None),
        lambda: detail.listening["peaks"][0].__setitem__(0, -1.0),
        lambda: detail.listening["report"]["turns"].clear(),
        lambda: detail.summary.__setitem__("talk_share", -1.0),
    ]
    for change in changes:
        with pytest.raises((AttributeError, TypeError)):
            change()
    again = feedback_detail(agent, ev.id)
    assert without_link(again) == without_link(pristine) and again.listening["report"]["turns"]


def test_the_audio_link_is_signed_on_every_call(setup, monkeypatch):
    world, ev = setup
    signed = []

    def sign(call_id: int, user_id: int) -> str:
        signed.append((call_id, user_id))
        return f"/audio/token-{len(signed)}"

    monkeypatch.setattr(db.services.feedback, "signed_audio_url", sign)
    first = feedback_detail(world.agent_north, ev.id)
    second = feedback_detail(world.agent_north, ev.id)
    assert (first.audio_url, second.audio_url) == ("/audio/token-1", "/audio/token-2")
    assert signed == [(first.call.id, world.agent_north.id)] * 2
