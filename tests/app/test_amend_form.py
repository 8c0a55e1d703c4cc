"""The amend form on the Score page offers N/A only on items that allow it, and a refusal
names the item by its title (issue 14, bug 6)."""

import pytest

from db.services.evaluations import get_evaluation, rubric_for
from tests.app.conftest import open_page
from tests.factories import submitted_call

SCORE = "pages/score.py"


@pytest.fixture
def submitted(app_db, tmp_path):
    return submitted_call(tmp_path)


def _amend_item(at):
    return next(s for s in at.selectbox if s.label == "Item")


def _new_score(at):
    return next(s for s in at.selectbox if s.label == "New score")


def test_na_is_offered_only_where_the_item_allows_it(submitted):
    world, call, ev = submitted
    at = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    _amend_item(at).set_value("be_patient").run()
    assert not at.exception
    assert "N/A" not in _new_score(at).options
    assert _new_score(at).options == ["1", "2", "3", "4", "5"]
    _amend_item(at).set_value("eye_contact").run()
    assert "N/A" in _new_score(at).options


def test_a_refused_amend_keeps_what_was_typed_and_items_show_titles(submitted):
    world, call, ev = submitted
    title = rubric_for(world.sup_north, ev.id).item("paraphrase").title
    at = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    _amend_item(at).set_value("paraphrase").run()
    _new_score(at).set_value(2)
    next(t for t in at.text_area if t.label.startswith("Reason")).input("no")
    next(b for b in at.button if b.label == "Amend").click().run()
    assert any("reason" in e.value for e in at.error)
    assert get_evaluation(world.sup_north, ev.id).items["paraphrase"].value == 4
    # What was typed survives the refusal.
    assert _amend_item(at).value == "paraphrase" and _new_score(at).value == 2
    assert _amend_item(at).format_func("paraphrase") == title  # titles, never keys
