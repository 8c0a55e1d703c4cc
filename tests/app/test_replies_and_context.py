"""Issue 14, the agents' side, through AppTest: the reply thread on My feedback and on
Evaluations, bulk acknowledge with its confirmation, the moments an agent cites in a
dispute, and the dispute card that opens the evaluation in context."""

import pytest

from db.services.disputes import list_disputes, open_dispute
from db.services.feedback import my_evaluations
from db.services.replies import list_replies, post_reply
from tests.app.conftest import open_page
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

FEEDBACK = "pages/my_feedback.py"
DISPUTES = "pages/disputes.py"
EVALUATIONS = "pages/evaluations.py"


@pytest.fixture
def setup(app_db, tmp_path):
    world = make_world()
    calls = [
        make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=n) for n in (1, 2, 3)
    ]
    evs = [
        scored(
            world.sup_north,
            c.id,
            2,
            note="Cut in twice",
            comments=[(12.5, "Listen: the customer is still talking", "be_patient")],
        )
        for c in calls
    ]
    return world, evs


def _texts(at) -> str:
    parts = [t.value for t in at.text] + [m.value for m in at.markdown]
    parts += [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [s.value for s in at.success] + [e.value for e in at.error]
    return "\n".join(parts)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_the_agent_and_the_scorer_reply_on_the_evaluation(setup):
    world, evs = setup
    ev = evs[0]
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    assert "No replies yet." in _texts(at)
    at.text_area(key=f"fb{ev.id}_reply_text").input("Could you listen again at 0:12?")
    _button(at, "Send reply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Reply sent." in _texts(at)
    assert at.text_area(key=f"fb{ev.id}_reply_text").value == ""
    assert [r.text for r in list_replies(world.sup_north, ev.id)] == [
        "Could you listen again at 0:12?"
    ]

    sup = open_page(world.sup_north, EVALUATIONS)
    row = list(sup.dataframe[0].value["Call"]).index(
        next(
            r.call_external_id
            for r in my_evaluations(world.agent_north)
            if r.evaluation_id == ev.id
        )
    )
    sup.session_state["evaluations_table"] = {"selection": {"rows": [row], "columns": []}}
    sup.run()
    assert "Agent.North (agent)" in _texts(sup)
    assert "Could you listen again at 0:12?" in _texts(sup)
    sup.text_area(key=f"evaluation{ev.id}_reply_text").input("Yes: you spoke over them.")
    _button(sup, "Send reply").click().run()
    assert not sup.exception, [e.value for e in sup.exception]

    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    shown = _texts(at)
    assert "Sup.North (supervisor)" in shown and "Yes: you spoke over them." in shown
    assert shown.index("Could you listen again") < shown.index("Yes: you spoke over them.")


def test_a_refused_reply_keeps_what_was_typed(setup):
    world, evs = setup
    ev = evs[0]
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    at.text_area(key=f"fb{ev.id}_reply_text").input("  \n  ")
    _button(at, "Send reply").click().run()
    assert any("empty" in e.value for e in at.error)
    assert at.text_area(key=f"fb{ev.id}_reply_text").value == "  \n  "
    assert list_replies(world.agent_north, ev.id) == []


def test_another_teams_supervisor_never_sees_the_thread(setup):
    world, evs = setup
    post_reply(world.agent_north, evs[0].id, "Private words for my supervisor")
    at = open_page(world.sup_south, EVALUATIONS)
    assert not len(at.dataframe) or not len(at.dataframe[0].value)
    assert "Private words" not in _texts(at)


def test_bulk_acknowledge_asks_first_and_records_only_the_chosen(setup):
    world, evs = setup
    at = open_page(world.agent_north, FEEDBACK)
    pick = at.multiselect(key="feedback_bulk_pick")
    assert sorted(pick.options) and len(pick.options) == 3
    pick.select(evs[0].id).select(evs[1].id).run()
    _button(at, "Acknowledge 2 selected").click().run()
    assert "Acknowledge 2 evaluation(s)?" in _texts(at)
    assert not any(r.acknowledged_at for r in my_evaluations(world.agent_north))  # not yet
    _button(at, "Cancel").click().run()
    assert not any(r.acknowledged_at for r in my_evaluations(world.agent_north))

    _button(at, "Acknowledge 2 selected").click().run()
    _button(at, "Yes, acknowledge 2").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Acknowledged 2 evaluation(s)." in _texts(at)
    acked = {r.evaluation_id for r in my_evaluations(world.agent_north) if r.acknowledged_at}
    assert acked == {evs[0].id, evs[1].id}
    (left,) = at.multiselect(key="feedback_bulk_pick").options  # the third is still pending
    assert at.multiselect(key="feedback_bulk_pick").value == []


def test_select_all_then_confirm_acknowledges_every_pending_one(setup):
    world, evs = setup
    at = open_page(world.agent_north, FEEDBACK)
    _button(at, "Select all not yet acknowledged").click().run()
    _button(at, "Acknowledge 3 selected").click().run()
    _button(at, "Yes, acknowledge 3").click().run()
    assert all(r.acknowledged_at for r in my_evaluations(world.agent_north))
    assert "Acknowledge several" not in _texts(at)


def _dispute_form(at, reason, moments):
    next(s for s in at.selectbox if s.label == "Item").set_value("be_patient")
    next(t for t in at.text_area if t.label.startswith("Why")).input(reason)
    next(t for t in at.text_input if t.label.startswith("Moments you cite")).input(moments)
    _button(at, "Send dispute").click().run()


def test_the_agent_cites_moments_in_a_dispute(setup):
    world, evs = setup
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(evs[0].id)})
    _dispute_form(at, "I waited for the customer to finish.", "0:20, 0:05")
    assert not at.exception and not at.error, [e.value for e in at.error]
    (dispute,) = list_disputes(world.agent_north)
    assert dispute.moments == (5.0, 20.0)


def test_a_moment_past_the_end_is_refused_by_name_and_the_text_given_back(setup):
    world, evs = setup
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(evs[0].id)})
    _dispute_form(at, "I waited for the customer to finish.", "0:05, 0:45")
    errors = [e.value.replace("\\", "") for e in at.error]  # as shown, without escapes
    assert any("0:45 is after the end of the call (0:30)" in e for e in errors), errors
    # Given back where it was typed: the form keeps the reason and the moments.
    reason = next(t for t in at.text_area if t.label.startswith("Why"))
    moments = next(t for t in at.text_input if t.label.startswith("Moments you cite"))
    assert reason.value == "I waited for the customer to finish."
    assert moments.value == "0:05, 0:45"
    assert list_disputes(world.agent_north) == []


def test_the_dispute_card_opens_the_evaluation_in_context(setup):
    world, evs = setup
    dispute = open_dispute(world.agent_north, evs[0].id, "be_patient", "I waited.", [5, 20])
    at = open_page(world.sup_north, DISPUTES)
    assert "Moments the agent cites: 0:05, 0:20" in _texts(at)
    assert not at.get("iframe") and not at.dataframe  # closed until asked
    at.toggle(key=f"dispute_{dispute.id}_context").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    (items,) = [d.value for d in at.dataframe if "Disputed" in d.value.columns]
    disputed = items[items["Disputed"] != ""]
    assert disputed[["Item", "Score"]].values.tolist() == [["Gives the customer time", "2"]]
    assert len(items) == 10
    assert "Listen: the customer is still talking" in _texts(at)
    # Each cited moment is a button that seeks the player there and plays.
    _button(at, "0:20").click().run()
    assert at.session_state[f"dispute{dispute.id}_seek"] == (20.0, 1)
    assert at.session_state[f"dispute{dispute.id}_seek_play"] == 1
    _button(at, "0:05").click().run()
    assert at.session_state[f"dispute{dispute.id}_seek"] == (5.0, 2)
    assert at.session_state[f"dispute{dispute.id}_seek_play"] == 2


def test_a_notification_link_opens_its_dispute_in_context(setup):
    world, evs = setup
    dispute = open_dispute(world.agent_north, evs[0].id, "be_patient", "I waited.", [5])
    other = open_dispute(world.agent_north, evs[1].id, "be_patient", "Also waited.")
    at = open_page(world.sup_north, DISPUTES, {"dispute": str(dispute.id)})
    assert at.toggle(key=f"dispute_{dispute.id}_context").value
    assert not at.toggle(key=f"dispute_{other.id}_context").value
    assert any("Disputed" in d.value.columns for d in at.dataframe)


def test_the_cited_moments_stay_with_the_dispute_for_both_sides(setup):
    world, evs = setup
    dispute = open_dispute(world.agent_north, evs[0].id, "be_patient", "I waited.", [5, 20])
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(evs[0].id)})
    assert "Moments you cite: 0:05, 0:20" in _texts(at)
    from db.services.disputes import resolve_dispute

    resolve_dispute(world.sup_north, dispute.id, "rejected", "Re-listened: you spoke over them.")
    sup = open_page(world.sup_north, DISPUTES)
    (decided,) = [d.value for d in sup.dataframe if "Outcome" in d.value.columns]
    assert decided["Moments cited"].tolist() == ["0:05, 0:20"]


def test_the_scorers_notification_link_opens_the_thread(setup):
    world, evs = setup
    post_reply(world.agent_north, evs[1].id, "A question about the second call")
    from db.services.notifications import list_notifications

    (note,) = [n for n in list_notifications(world.sup_north) if n.kind == "reply"]
    at = open_page(world.sup_north, f"pages/{note.page}.py", note.params)
    assert not at.exception, [e.value for e in at.exception]
    assert "A question about the second call" in _texts(at)
    assert at.text_area(key=f"evaluation{evs[1].id}_reply_text") is not None
