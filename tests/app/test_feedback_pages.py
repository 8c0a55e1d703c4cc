"""My feedback, Disputes and Trends through AppTest, per role, including an agent who
edits the query parameter or the session state to reach someone else's evaluation."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from db.services.disputes import list_disputes, open_dispute
from db.services.evaluations import get_evaluation
from db.services.feedback import my_evaluations
from tests.app.conftest import APP, TIMEOUT, open_page
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

FEEDBACK = "pages/my_feedback.py"
DISPUTES = "pages/disputes.py"
TRENDS = "pages/trends.py"
SECRET_NOTE = "Private note for North2 only"


@pytest.fixture
def setup(app_db, tmp_path):
    world = make_world()
    mine = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)
    theirs = make_call(world.admin, world.agent_north2, tmp_path, seconds=30, seed=2)
    south = make_call(world.admin, world.agent_south, tmp_path, seconds=30, seed=3)
    ev = scored(
        world.sup_north,
        mine.id,
        2,
        note="Cut in twice",
        comments=[(12.5, "Listen: the customer is still talking", "be_patient")],
    )
    other = scored(world.sup_north, theirs.id, 5, note=SECRET_NOTE)
    south_ev = scored(world.sup_south, south.id, 3)
    return world, ev, other, south_ev


def _texts(at) -> str:
    parts = [t.value for t in at.text] + [m.value for m in at.markdown]
    parts += [c.value for c in at.caption] + [str(m.value) for m in at.metric]
    return "\n".join(parts)


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_the_list_shows_when_it_was_submitted_in_the_agents_time_zone(setup):
    """Issue 14, bug 10: the list's Submitted column was in UTC, unlabelled."""
    from db.services.users import set_time_zone

    world, *_ = setup
    set_time_zone(world.agent_north, "Asia/Tokyo")
    at = open_page(world.agent_north, FEEDBACK)
    (table,) = [d.value for d in at.dataframe]
    assert str(table["Submitted"].dt.tz) == "Asia/Tokyo"
    (row,) = table.to_dict("records")
    assert row["Submitted"].to_pydatetime() == my_evaluations(world.agent_north)[0].submitted_at


def test_the_agent_sees_their_list_and_opens_one_evaluation(setup):
    world, ev, other, _ = setup
    at = open_page(world.agent_north, FEEDBACK)
    assert at.selectbox(key="feedback_pick").options  # one evaluation listed
    assert "1 new" in _texts(at)
    (table,) = [d.value for d in at.dataframe]
    (row,) = table.to_dict("records")
    listed = my_evaluations(world.agent_north)[0]
    assert row["Submitted"].to_pydatetime() == listed.submitted_at  # aware UTC, to the µs
    assert {k: v for k, v in row.items() if k != "Submitted"} == {
        "New": "●",
        "Call": listed.call_external_id,
        "Scored by": "Sup.North",
        "Total": 25.0,
        "Acknowledged": "Not yet",
        "Open disputes": 0,
    }
    at.selectbox(key="feedback_pick").set_value(ev.id).run()
    assert not at.exception
    assert at.query_params["evaluation"] == str(ev.id)
    shown = _texts(at)
    assert "Cut in twice" in shown and "Listen: the customer is still talking" in shown
    assert any(m.label == "Total" and m.value == "25.0" for m in at.metric)
    assert SECRET_NOTE not in shown
    assert not my_evaluations(world.agent_north)[0].unread  # opening marks it read


def test_acknowledge_and_jump_to_a_comment(setup):
    world, ev, _, _ = setup
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    seek = next(b for b in at.button if (b.key or "").startswith(f"fb{ev.id}_seek_"))
    seek.click().run()
    assert at.session_state[f"fb{ev.id}_seek"] == (12.5, 1)
    next(b for b in at.button if b.label == "Acknowledge").click().run()
    assert not at.exception
    assert any("Acknowledged" in s.value for s in at.success)
    acknowledged_at = my_evaluations(world.agent_north)[0].acknowledged_at
    assert acknowledged_at is not None
    listed = open_page(world.agent_north, FEEDBACK).dataframe[0].value
    assert listed["Acknowledged"].tolist() == [acknowledged_at.strftime("%Y-%m-%d %H:%M UTC")]


def test_the_agent_disputes_an_item_and_later_sees_the_outcome(setup):
    world, ev, _, _ = setup
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    form_select = next(s for s in at.selectbox if s.label == "Item")
    form_select.set_value("be_patient")
    next(t for t in at.text_area if t.label.startswith("Why")).input(
        "The customer had finished speaking."
    )
    next(b for b in at.button if b.label == "Send dispute").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (dispute,) = list_disputes(world.agent_north)
    assert dispute.item_key == "be_patient" and dispute.is_open
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    assert "Your dispute: open" in _texts(at)

    sup = open_page(world.sup_north, DISPUTES)
    assert "The customer had finished speaking." in _texts(sup)
    sup.radio(key=f"dispute_{dispute.id}_decision").set_value("accepted")
    sup.selectbox(key=f"dispute_{dispute.id}_score").set_value(4)
    sup.text_area(key=f"dispute_{dispute.id}_text").input("Fair, re-listened.")
    next(b for b in sup.button if b.label == "Record decision").click().run()
    assert not sup.exception and not sup.error, [e.value for e in sup.error]
    assert get_evaluation(world.sup_north, ev.id).items["be_patient"].value == 4

    at = open_page(world.agent_north, FEEDBACK, {"evaluation": str(ev.id)})
    shown = _texts(at)
    assert "Your dispute: accepted" in shown and "Outcome: Fair, re-listened." in shown
    # The history says what changed and why, in the item's title (issue 14).
    assert "Dispute accepted: Gives the customer time: 2 → 4" in shown


@pytest.mark.parametrize("param", ["other", "south", "draft", "999999", "12abc", "-1"])
def test_an_agent_editing_the_query_param_gets_a_refusal_never_data(setup, tmp_path, param):
    world, ev, other, south_ev = setup
    draft_call = make_call(world.admin, world.agent_north, tmp_path, seed=9)
    from db.services.evaluations import open_draft

    draft = open_draft(world.sup_north, draft_call.id)
    value = {"other": str(other.id), "south": str(south_ev.id), "draft": str(draft.id)}.get(
        param, param
    )
    at = open_page(world.agent_north, FEEDBACK, {"evaluation": value})
    assert at.error, "no refusal shown"
    shown = _texts(at)
    assert SECRET_NOTE not in shown
    assert not any(m.label == "Total" for m in at.metric)
    assert not [b for b in at.button if b.label == "Acknowledge"]


def test_an_agent_editing_session_state_still_gets_only_their_own(setup):
    world, ev, other, _ = setup
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["actor"] = world.agent_north
    at.session_state["feedback_pick"] = other.id  # someone else's evaluation
    at.session_state[f"fb{other.id}_seek"] = (1.0, 1)
    at.run()
    at.switch_page(FEEDBACK).run()
    assert not at.exception
    assert SECRET_NOTE not in _texts(at)
    assert not any(m.label == "Total" for m in at.metric)
    assert at.selectbox(key="feedback_pick").value is None
    names = {trace.get("name") for fig in _figures(at) for trace in fig["data"]}
    assert names <= {"You", "Team average"}


def test_the_agents_trend_against_the_team(setup):
    world, ev, other, _ = setup
    at = open_page(world.agent_north, FEEDBACK)
    assert not _figures(at)  # the list first; the trend is one click away
    at.segmented_control(key="feedback_view").set_value("My trend").run()
    trend, items = _figures(at)[:2]  # then the intervals (tests/app/test_sampling_pages.py)
    you, team = trend["data"]
    assert you["y"] == [25.0] and team["y"] == [62.5]  # team: 25 and 100
    assert [t["name"] for t in items["data"]] == ["You", "Team average"]


def test_supervisors_queue_shows_their_team_only_and_rejection_needs_a_reason(setup):
    world, ev, _, south_ev = setup
    north = open_dispute(world.agent_north, ev.id, "be_patient", "North agent's reason")
    open_dispute(world.agent_south, south_ev.id, "paraphrase", "South agent's reason")
    at = open_page(world.sup_north, DISPUTES)
    shown = _texts(at)
    assert "North agent's reason" in shown and "South agent's reason" not in shown
    at.radio(key=f"dispute_{north.id}_decision").set_value("rejected")
    next(b for b in at.button if b.label == "Record decision").click().run()
    assert any("reason" in e.value for e in at.error)
    assert list_disputes(world.admin, status="open")[0].is_open
    admin = open_page(world.admin, DISPUTES)
    assert "South agent's reason" in _texts(admin) and "North agent's reason" in _texts(admin)


def test_agents_cannot_use_the_disputes_or_trends_pages(setup):
    world, *_ = setup
    for page in (DISPUTES, TRENDS):
        at = open_page(world.agent_north)
        try:
            at.switch_page(page)
            at.run()
        except Exception as exc:
            assert "page" in str(exc).lower() or "not found" in str(exc).lower()
            continue
        assert at.error and not at.dataframe and not at.get("plotly_chart")


def test_supervisors_trends_show_their_team_only(setup):
    world, *_ = setup
    at = open_page(world.sup_north, TRENDS)
    assert not at.exception
    assert at.selectbox(key="trends_team_fixed").disabled
    agent_options = at.selectbox(key="trends_agent").options
    assert "Agent.South" not in agent_options and "Agent.North" in agent_options
    weekly = _figures(at)[0]
    names = {t["name"] for t in weekly["data"]}
    assert names == {"Agent.North", "Agent.North2", "Team average · North"}
    # Filtering by one agent keeps the team average.
    agent_box = at.selectbox(key="trends_agent")
    agent_box.set_value(world.agent_north.id).run()
    names = {t["name"] for t in _figures(at)[0]["data"]}
    assert names == {"Agent.North", "Team average · North"}
    # The evaluations behind a heatmap cell, in the agents × items view.
    at.segmented_control(key="trends_view").set_value("Agents × items").run()
    at.selectbox(key="trends_cell_agent").set_value(world.agent_north.id).run()
    (behind,) = [d.value for d in at.dataframe if "evaluation_id" in d.value.columns]
    assert list(behind["agent"]) == ["Agent.North"]


def test_admins_trends_show_every_team_and_filter_by_team(setup):
    world, *_ = setup
    at = open_page(world.admin, TRENDS)
    names = {t["name"] for t in _figures(at)[0]["data"]}
    # Across all teams the lines are the teams; choosing a team shows its agents.
    assert names == {"Team average · North", "Team average · South"}
    at.selectbox(key="trends_team").set_value(world.sup_south.team_id).run()
    names = {t["name"] for t in _figures(at)[0]["data"]}
    assert names == {"Agent.South", "Team average · South"}
    assert any(b.label.startswith("Download") for b in at.get("download_button"))
