"""A call's row on Calls opens its evaluations (issue 14: "Calls rows open theirs"): pick
the row, and each evaluation of that call the reader may read is a link (scorer, when in
the reader's zone, status) to it read-only on Evaluations; nothing the policy hides."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from db.engine import get_engine
from db.models import Evaluation
from db.services.calibration import create_session
from db.services.evaluations import open_draft
from db.services.users import set_time_zone
from tests.app.conftest import open_page
from tests.factories import make_call, make_world, submit_evaluation

CALLS = "pages/calls.py"
EVALUATIONS = "pages/evaluations.py"
SUBMITTED = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 25 Nov 12:30 in Auckland


@pytest.fixture
def scene(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="E-1")
    make_call(world.admin, world.agent_north, tmp_path, seed=2, external_id="E-2")
    ev = submit_evaluation(world.sup_north, call.id, level=3)
    with Session(get_engine()) as s:
        row = s.get(Evaluation, ev.id)
        assert row is not None
        row.submitted_at = SUBMITTED
        s.add(row)
        s.commit()
    draft = open_draft(world.admin, call.id)
    # A blind calibration draft of the same call: not the North supervisor's to read.
    session_id = create_session(
        world.admin, "Blind", [call.id], [world.admin.id, world.sup_south.id]
    )
    blind = open_draft(world.sup_south, call.id, session_id)
    return world, call, ev, draft, blind


def _pick(at, row: int):
    at.session_state["calls_table"] = {"selection": {"rows": [row], "columns": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return [x for x in at.get("page_link") if x.proto.page.endswith("evaluations")]


def _row_of(at, external_id: str) -> int:
    (table,) = at.dataframe
    return list(table.value["Call"]).index(external_id)


def test_a_calls_row_links_each_evaluation_the_reader_may_read(scene):
    world, call, ev, draft, blind = scene
    set_time_zone(world.sup_north, "Pacific/Auckland")
    at = open_page(world.sup_north, CALLS)
    assert not [x for x in at.get("page_link") if x.proto.page.endswith("evaluations")]
    assert any("Pick a call's row" in c.value for c in at.caption)
    links = _pick(at, _row_of(at, "E-1"))
    by_id = {int(x.proto.query_string.split("evaluation=")[1]): x.proto.label for x in links}
    assert set(by_id) == {ev.id, draft.id}  # not the blind calibration draft
    assert blind.id not in by_id
    # Scorer, when in the reader's zone (submitted 24 Nov 23:30 UTC), status.
    assert by_id[ev.id] == "Sup.North · 2026-11-25 12:30 NZDT · submitted"
    assert by_id[draft.id].startswith("Admin · ") and by_id[draft.id].endswith(" · draft")
    # The other call has none: said, no link.
    assert _pick(at, _row_of(at, "E-2")) == []
    assert any("E-2" in c.value and "no evaluation you may read" in c.value for c in at.caption)


def test_following_a_calls_link_opens_it_read_only(scene):
    world, call, ev, draft, blind = scene
    at = open_page(world.sup_north, CALLS)
    (link,) = [x for x in _pick(at, _row_of(at, "E-1")) if "submitted" in x.proto.label]
    assert f"evaluation={ev.id}" in link.proto.query_string
    opened = open_page(world.sup_north, EVALUATIONS, {"evaluation": str(ev.id)})
    assert any(b.proto.label == "Download as PDF" for b in opened.get("download_button"))
    assert not opened.warning


def test_the_admin_sees_every_evaluation_of_the_call(scene):
    world, call, ev, draft, blind = scene
    at = open_page(world.admin, CALLS)
    links = _pick(at, _row_of(at, "E-1"))
    ids = {int(x.proto.query_string.split("evaluation=")[1]) for x in links}
    # The admin scores in the blind session too, but sup.south's draft is not revealed.
    assert ids == {ev.id, draft.id}
