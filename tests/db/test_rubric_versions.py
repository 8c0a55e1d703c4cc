"""Rubric versions made in the app (issue 14): validated like a file, stored as the next
version, never changing the old ones; admins only. On SQLite and PostgreSQL."""

import pytest
from sqlmodel import select

from db.access import AccessDenied
from db.engine import read_scope, session_scope
from db.models import AuditEvent
from db.queries.rubrics import latest_rubric_row
from db.services.evaluations import open_draft
from db.services.rubrics import (
    RubricDraftError,
    list_rubric_versions,
    load_rubric_version,
    save_rubric_version,
    sync_rubrics,
)
from scoring.errors import Invalid
from tests.factories import make_call, make_world


def _newest():
    return list_rubric_versions()[-1]


def _edited(rubric_id: int, **item0) -> dict:
    data = load_rubric_version(rubric_id).to_dict()
    data["items"][0].update(item0)
    return data


def test_an_admin_saves_the_next_version_and_old_ones_stay(database):
    world = make_world()
    base = _newest()
    saved = save_rubric_version(world.admin, base["id"], _edited(base["id"], weight=2.5))
    assert (saved.key, saved.version) == ("listening", base["version"] + 1)
    assert load_rubric_version(saved.id).items[0].weight == 2.5
    assert load_rubric_version(base["id"]).items[0].weight == 1.5  # unchanged
    with session_scope() as session:
        assert latest_rubric_row(session).id == saved.id  # new evaluations take it
    with read_scope() as session:
        [event] = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "add_rubric_version", AuditEvent.entity_id == saved.id
            )
        ).all()
    assert event.actor_id == world.admin.id and event.after["edited_in_app"] is True
    assert sync_rubrics() == []  # the shipped files do not clash with it


def test_an_evaluation_keeps_its_version_and_new_ones_take_the_newest(database, tmp_path):
    world = make_world()
    base = _newest()
    first = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    second = make_call(world.admin, world.agent_north, tmp_path, seed=2)
    before = open_draft(world.sup_north, first.id)
    saved = save_rubric_version(world.admin, base["id"], _edited(base["id"], title="Renamed"))
    assert open_draft(world.sup_north, first.id).rubric_id == before.rubric_id == base["id"]
    assert open_draft(world.sup_north, second.id).rubric_id == saved.id


def test_an_edit_is_validated_as_a_file_is_with_titles_in_the_messages(database):
    world = make_world()
    base = _newest()
    data = _edited(base["id"], weight=0, listen_for=" ")
    data["items"][4]["na_allowed"] = False  # eye contact stays N/A by default
    del data["items"][1]["anchors"]["3"]
    with pytest.raises(RubricDraftError) as refused:
        save_rubric_version(world.admin, base["id"], data)
    lines = refused.value.lines
    assert "Item 1 “Gives the customer the floor” · Weight: must be greater than 0" in lines
    assert "Item 1 “Gives the customer the floor” · Listen for: must not be empty" in lines
    assert "Item 2 “Keeps assumptions in check” · Anchors: missing level 3" in lines
    assert any(
        line.startswith("Item 5 ") and "N/A by default on audio-only calls: needs" in line
        for line in lines
    )
    assert list_rubric_versions()[-1] == base


def test_unchanged_and_unauthorised_saves_are_refused(database):
    world = make_world()
    base = _newest()
    unchanged = load_rubric_version(base["id"]).to_dict()
    with pytest.raises(Invalid, match="Nothing changed"):
        save_rubric_version(world.admin, base["id"], unchanged)
    with pytest.raises(AccessDenied):
        save_rubric_version(world.sup_north, base["id"], _edited(base["id"], weight=2.0))
    assert _newest() == base
