"""The breaks the security probe found in who may see and change what (issue "Security",
items 2, 3, 4, 5, 8, 9, 10, 11 and 18), each shown closed, on SQLite and PostgreSQL.
Every test here failed on the code before the one access policy."""

from __future__ import annotations

import pytest

from db.access import AccessDenied, NotFound
from db.services.audit import audit_trail
from db.services.auth import authenticate
from db.services.calibration import create_session, reveal
from db.services.disputes import get_dispute, open_dispute, resolve_dispute
from db.services.evaluations import (
    EvaluationLocked,
    add_comment,
    amend,
    edit_comment,
    get_evaluation,
    open_draft,
    save_item,
    submit,
)
from db.services.feedback import feedback_detail
from db.services.users import create_user, set_active, set_role
from scoring.errors import EarshotError, Invalid
from tests.factories import PASSWORD, SCORED_ITEMS, make_call, make_world, submit_evaluation


@pytest.fixture
def world(database):
    return make_world()


@pytest.fixture
def north_call(world, tmp_path):
    return make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)


def _blind_session(world, call):
    """North facilitates a calibration on North's call; South's supervisor holds a seat."""
    return create_session(
        world.sup_north, "Blind", [call.id], [world.sup_north.id, world.sup_south.id]
    )


def _score_all(actor, ev, level=3):
    for key in SCORED_ITEMS:
        ev = save_item(actor, ev.id, ev.row_version, key, value=level)
    return ev


# ---------------------------------------------------------------- 2. deactivation


def test_a_deactivated_scorer_cannot_save_comment_or_submit_from_an_open_page(world, north_call):
    ev = open_draft(world.sup_north, north_call.id)
    ev = save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=4)
    set_active(world.admin, world.sup_north.id, False)
    stale_actor = world.sup_north  # what the open page still holds
    with pytest.raises(AccessDenied):
        save_item(stale_actor, ev.id, ev.row_version, "be_patient", value=2)
    with pytest.raises(AccessDenied):
        save_item(stale_actor, ev.id, ev.row_version, "be_patient", value=2, stored=ev)
    with pytest.raises(AccessDenied):
        add_comment(stale_actor, ev.id, ev.row_version, 3.0, "still here?")
    with pytest.raises(AccessDenied):
        submit(stale_actor, ev.id, ev.row_version)
    with pytest.raises(AccessDenied):
        open_draft(stale_actor, north_call.id)
    assert get_evaluation(world.admin, ev.id).items["be_patient"].value == 4


def test_logging_out_everywhere_stops_an_open_page_at_its_next_action(world, north_call):
    """Fragment reruns skip workbench.py's session check: the services refuse instead."""
    from db.services.auth import end_sessions

    ev = open_draft(world.sup_north, north_call.id)
    ev = save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=4)
    end_sessions(world.sup_north)  # "Log out" in another browser
    with pytest.raises(AccessDenied, match="logged out"):
        save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=1, stored=ev)
    with pytest.raises(AccessDenied, match="logged out"):
        add_comment(world.sup_north, ev.id, ev.row_version, 1.0, "after logout")
    again = authenticate("sup.north", PASSWORD)  # a new sign-in carries the new epoch
    assert get_evaluation(again, ev.id).items["be_patient"].value == 4
    save_item(again, ev.id, ev.row_version, "be_patient", value=5, stored=ev)


# ---------------------------------------------------------------- 18. team moves


def test_a_supervisor_moved_to_another_team_loses_write_access_to_the_old_one(world, north_call):
    ev = open_draft(world.sup_north, north_call.id)
    ev = _score_all(world.sup_north, ev)
    draft_version = ev.row_version
    set_role(world.admin, world.sup_north.id, "supervisor", "South")
    with pytest.raises(AccessDenied):
        save_item(world.sup_north, ev.id, draft_version, "be_patient", value=1, stored=ev)
    with pytest.raises(AccessDenied):
        add_comment(world.sup_north, ev.id, draft_version, 2.0, "old team")


def test_a_moved_supervisor_cannot_amend_the_old_teams_evaluation(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=2)
    done = submit_evaluation(world.sup_north, call.id, level=3)
    set_role(world.admin, world.sup_north.id, "supervisor", "South")
    with pytest.raises((AccessDenied, NotFound)):
        amend(world.sup_north, done.id, done.row_version, {"be_patient": {"value": 5}}, "later")
    assert get_evaluation(world.admin, done.id).items["be_patient"].value == 3


# ---------------------------------------------------------------- 3. audit trail scope


def test_the_audit_trail_keeps_to_team_scope_and_the_blind_rule(world, north_call, tmp_path):
    done = submit_evaluation(world.sup_north, north_call.id, level=3)
    amend(world.sup_north, done.id, done.row_version, {"be_patient": {"value": 4}}, "re-listened")
    assert audit_trail(world.sup_north, "evaluation", done.id)[-1]["action"] == "amend"
    with pytest.raises(NotFound):
        audit_trail(world.sup_south, "evaluation", done.id)
    with pytest.raises(NotFound):
        audit_trail(world.sup_south, "user", world.agent_north.id)
    cal_call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=3)
    session_id = _blind_session(world, cal_call)
    blind = submit(
        world.sup_south,
        (
            ev := _score_all(world.sup_south, open_draft(world.sup_south, cal_call.id, session_id))
        ).id,
        ev.row_version,
    )
    amend(
        world.sup_south, blind.id, blind.row_version, {"be_patient": {"value": 5}}, "oops, a slip"
    )
    for peer in (world.sup_north, world.admin):  # the facilitator and an admin: blind too
        with pytest.raises(NotFound):
            audit_trail(peer, "evaluation", blind.id)
    reveal(world.sup_north, session_id)
    assert audit_trail(world.sup_north, "evaluation", blind.id)[-1]["action"] == "amend"


# ---------------------------------------------------------------- 4. admin amend while blind


def test_an_admin_cannot_amend_or_read_an_unrevealed_calibration_evaluation(world, north_call):
    session_id = _blind_session(world, north_call)
    ev = _score_all(world.sup_south, open_draft(world.sup_south, north_call.id, session_id))
    blind = submit(world.sup_south, ev.id, ev.row_version)
    with pytest.raises(AccessDenied):
        amend(
            world.admin, blind.id, blind.row_version, {"be_patient": {"value": 1}}, "a peek at it"
        )
    with pytest.raises(NotFound):
        get_evaluation(world.admin, blind.id)
    assert get_evaluation(world.sup_south, blind.id).items["be_patient"].value == 3


# ---------------------------------------------------------------- 5. a seat is not a team


def test_a_calibration_seat_does_not_grant_regular_scoring(world, north_call):
    _blind_session(world, north_call)
    with pytest.raises(AccessDenied, match="calibration session"):
        open_draft(world.sup_south, north_call.id)  # regular: South may not score North


# ---------------------------------------------------------------- 8. long dispute reasons


def test_a_dispute_with_a_reason_of_2000_characters_can_be_accepted(world, north_call):
    """The amend reason built from the agent's reason used to exceed the audit limit."""
    done = submit_evaluation(world.sup_north, north_call.id, level=2)
    reason = ("I waited for the customer to finish every time. " * 50)[:1999] + "."
    assert len(reason) == 2000  # the most a dispute reason may hold
    dispute = open_dispute(world.agent_north, done.id, "be_patient", reason)
    decided = resolve_dispute(world.sup_north, dispute.id, "accepted", "", new_value=4)
    assert (decided.status, decided.current_value) == ("accepted", 4)
    assert get_dispute(world.agent_north, dispute.id).reason == reason  # kept whole
    amend_event = audit_trail(world.sup_north, "evaluation", done.id)[-1]
    assert amend_event["action"] == "amend" and len(amend_event["reason"]) <= 2000


# ---------------------------------------------------------------- 9. comments per evaluation


def test_comments_per_evaluation_are_capped_with_a_clear_message(world, north_call, monkeypatch):
    import db.services.evaluations

    real = db.services.evaluations.settings()
    monkeypatch.setattr(
        db.services.evaluations,
        "settings",
        lambda: type(real)(**{**real.__dict__, "max_comments_per_evaluation": 3}),
    )
    ev = open_draft(world.sup_north, north_call.id)
    for i in range(3):
        ev = add_comment(world.sup_north, ev.id, ev.row_version, float(i), f"comment {i}")
    with pytest.raises(Invalid, match="3 comments, the most one may hold"):
        add_comment(world.sup_north, ev.id, ev.row_version, 4.0, "one too many")
    assert len(get_evaluation(world.sup_north, ev.id).comments) == 3


# ---------------------------------------------------------------- 10. crafted ids


@pytest.mark.parametrize("bad_id", [2**31, 2**63, 2**70, -1, 0])
def test_ids_that_cannot_exist_are_not_found_everywhere(world, bad_id):
    for call in (
        lambda: open_dispute(world.agent_north, bad_id, "be_patient", "a real reason here"),
        lambda: get_dispute(world.admin, bad_id),
        lambda: resolve_dispute(world.admin, bad_id, "rejected", "no such dispute"),
        lambda: feedback_detail(world.agent_north, bad_id),
        lambda: get_evaluation(world.admin, bad_id),
        lambda: audit_trail(world.admin, "evaluation", bad_id),
    ):
        with pytest.raises(NotFound):
            call()


# ---------------------------------------------------------------- 11. comment items


def test_edit_comment_refuses_an_item_the_rubric_does_not_have(world, north_call):
    ev = open_draft(world.sup_north, north_call.id)
    ev = add_comment(world.sup_north, ev.id, ev.row_version, 2.0, "a moment", "be_patient")
    comment = ev.comments[0]
    with pytest.raises(Invalid, match="no_such_item"):
        edit_comment(world.sup_north, comment.id, ev.row_version, "moved", item_key="no_such_item")
    with pytest.raises(Invalid, match="no_such_item"):
        add_comment(world.sup_north, ev.id, ev.row_version, 3.0, "x", item_key="no_such_item")
    assert get_evaluation(world.sup_north, ev.id).comments[0].item_key == "be_patient"


def test_every_refusal_here_is_an_earshot_error_with_a_message_safe_to_show(world, north_call):
    """Pages catch EarshotError only: these must all be one."""
    for error in (AccessDenied, NotFound, EvaluationLocked, Invalid):
        assert issubclass(error, EarshotError)
    create_user(world.admin, "late", "Late Joiner", "supervisor", PASSWORD, team="North")
    late = authenticate("late", PASSWORD)
    assert open_draft(late, north_call.id).call_id == north_call.id


def test_no_team_means_no_team_members_not_everyone_without_a_team(world):
    """Without a team, nobody's team members: not everyone whose team is NULL (the
    admins), which is what `team_id == None` would select."""
    from db.access import team_members
    from db.engine import read_scope

    with read_scope() as session:
        assert world.admin.team_id is None
        assert session.exec(team_members(None)).all() == []
        assert world.sup_north.id in session.exec(team_members(world.sup_north.team_id)).all()
