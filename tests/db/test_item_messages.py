"""Refusals about an item name it by its title, never by its internal key (issue 14, bug
6), on both databases."""

import pytest

from db.services.calibration import create_session, record_consensus, reveal
from db.services.evaluations import amend, open_draft, rubric_for, save_item, submit
from scoring.errors import Invalid
from scoring.text import NOTE_MAX
from tests.factories import ALL_ITEMS, make_call, make_world, submitted_call


@pytest.fixture
def submitted(database, tmp_path):
    return submitted_call(tmp_path)


def _title(world, ev, key):
    return rubric_for(world.sup_north, ev.id).item(key).title


def test_amending_to_na_where_the_item_forbids_it_names_the_title(submitted):
    world, _, ev = submitted
    with pytest.raises(Invalid) as refused:
        amend(world.sup_north, ev.id, ev.row_version, {"be_patient": {"na": True}}, "Re-heard")
    message = str(refused.value)
    assert _title(world, ev, "be_patient") in message and "cannot be N/A" in message
    assert "be_patient" not in message


def test_an_out_of_range_level_names_the_title(submitted):
    world, _, ev = submitted
    with pytest.raises(Invalid) as refused:
        amend(world.sup_north, ev.id, ev.row_version, {"paraphrase": {"value": 9}}, "Re-heard")
    assert _title(world, ev, "paraphrase") in str(refused.value)
    assert "paraphrase" not in str(refused.value)


def test_a_note_too_long_names_the_title(submitted):
    world, _, ev = submitted
    change = {"paraphrase": {"note": "x" * (NOTE_MAX + 1)}}
    with pytest.raises(Invalid) as refused:
        amend(world.sup_north, ev.id, ev.row_version, change, "Re-heard")
    assert _title(world, ev, "paraphrase") in str(refused.value)
    assert "paraphrase" not in str(refused.value)


def test_a_consensus_refusal_names_the_title(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30)
    session_id = create_session(
        world.sup_north, "Pair", [call.id], [world.sup_north.id, world.sup_south.id]
    )
    for scorer in (world.sup_north, world.sup_south):
        ev = open_draft(scorer, call.id, session_id)
        for key in ALL_ITEMS:
            if key != "eye_contact":
                ev = save_item(scorer, ev.id, ev.row_version, key, value=3)
        submit(scorer, ev.id, ev.row_version)
    reveal(world.sup_north, session_id)
    title = rubric_for(world.sup_north, ev.id).item("be_patient").title
    for items in ({"be_patient": (None, "")}, {"be_patient": (3, "y" * 5000)}):
        with pytest.raises(Invalid) as refused:
            record_consensus(world.sup_north, session_id, call.id, items)
        assert title in str(refused.value) and "be_patient" not in str(refused.value)


def test_taking_a_suggestion_that_was_not_shown_names_the_title(database, tmp_path):
    from db.services.suggestions import take_suggestion
    from scoring.errors import NotFound

    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30)
    ev = open_draft(world.sup_north, call.id)
    title = rubric_for(world.sup_north, ev.id).item("be_patient").title
    with pytest.raises(NotFound) as refused:
        take_suggestion(world.sup_north, ev.id, ev.row_version, "be_patient")
    assert title in str(refused.value) and "be_patient" not in str(refused.value)
