"""Suggestions in the product: the model refitted from submitted regular evaluations, a
suggestion computed and stored once per draft, taken with one click (an ordinary save,
recorded in the same transaction), withheld when its item is measured unreliable, hidden
from blind calibration scorers, and measured like another scorer. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.access import AccessDenied, can_see_suggestions
from db.engine import read_scope
from db.models import Evaluation, EvaluationSuggestion, Job, SuggestionModelRow
from db.services import suggestions as suggestions_db
from db.services.calibration import create_session
from db.services.evaluations import StaleEvaluation, get_evaluation, open_draft, save_item, submit
from db.services.suggestions import (
    queue_refit_if_due,
    refit_model,
    suggestion_agreement,
    suggestion_records,
    suggestions_for,
    take_suggestion,
    withheld_items,
)
from db.services.transcripts import attach_transcript
from jobs.text_tasks import FIT_SUGGESTIONS
from tests.factories import SCORED_ITEMS, make_call, make_world

DEFENSIVE = (
    "That's not our fault.",
    "There's nothing I can do about it.",
    "As I already told you, that's the policy.",
)
FIT = {"min_evaluations": 10, "folds": 5}


def _vtt(defensive: int) -> str:
    """A short call whose agent is defensive in `defensive` separate turns (0-3)."""
    cues = [
        ("00:00.500", "00:02.000", "Agent", "Service desk, how can I help?"),
        ("00:02.500", "00:05.000", "Customer", "My invoice is wrong again this month."),
    ]
    for n in range(defensive):
        start = 6 + 3 * n
        cues.append((f"00:{start:02d}.000", f"00:{start + 2:02d}.000", "Agent", DEFENSIVE[n]))
        cues.append(
            (f"00:{start + 2:02d}.200", f"00:{start + 2:02d}.900", "Customer", "Well, okay.")
        )
    body = "\n\n".join(f"{a} --> {b}\n<v {who}>{text}" for a, b, who, text in cues)
    return f"WEBVTT\n\n{body}\n"


def _call(world, tmp_path, seed: int, defensive: int) -> int:
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=seed)
    attach_transcript(world.admin, call.id, _vtt(defensive).encode(), "call.vtt")
    return call.id


def _score(scorer, call_id: int, not_defensive: int, submit_it: bool = True):
    ev = open_draft(scorer, call_id)
    for key in SCORED_ITEMS:
        value = not_defensive if key == "not_defensive" else 3
        ev = save_item(scorer, ev.id, ev.row_version, key, value=value)
    return submit(scorer, ev.id, ev.row_version) if submit_it else ev


@pytest.fixture
def trained(database, tmp_path):
    """Sixteen submitted evaluations where 'not defensive' = 5 - defensive turns; fitted."""
    world = make_world()
    for seed in range(16):
        k = seed % 4
        _score(world.sup_north, _call(world, tmp_path, seed, k), 5 - k)
    refit_model(**FIT)
    return world


def test_the_refit_learns_the_planted_relation_and_stores_the_model(trained):
    with read_scope() as s:
        (row,) = s.exec(select(SuggestionModelRow)).all()
    assert row.n_evaluations == 16 and row.rubric_key == "listening"
    model = row.model["items"]["not_defensive"]
    assert model["features"] == ["defensive", "empathy"]
    assert model["coefficients"][0] < 0  # more defensive turns, lower level
    assert model["cv_alpha"] >= 0.8


def test_a_suggestion_is_shown_once_per_draft_and_taking_it_saves_and_records(trained, tmp_path):
    world = trained
    call_id = _call(world, tmp_path, 100, defensive=3)
    draft = open_draft(world.sup_north, call_id)
    shown = suggestions_for(world.sup_north, draft.id)
    suggestion = shown["not_defensive"]
    assert suggestion.level == 2 and suggestion.confidence >= 0.5 and not suggestion.taken
    reason = suggestion.reasons[0]
    assert reason["feature"] == "defensive" and len(reason["moments"]) == 3
    assert reason["moments"] == [6.0, 9.0, 12.0]  # the defensive turns, to seek to
    # Never filled by itself: the item is still open.
    assert "not_defensive" not in get_evaluation(world.sup_north, draft.id).values
    # Computed once: reading again returns the stored ones, not new rows.
    assert suggestions_for(world.sup_north, draft.id) == shown
    with read_scope() as s:
        stored = s.exec(
            select(EvaluationSuggestion).where(EvaluationSuggestion.evaluation_id == draft.id)
        ).all()
    assert len({r.item_key for r in stored}) == len(stored)

    after = take_suggestion(world.sup_north, draft.id, draft.row_version, "not_defensive")
    assert after.values["not_defensive"] == 2 and after.row_version == draft.row_version + 1
    records = {r["item_key"]: r for r in suggestion_records(world.sup_north, draft.id)}
    assert records["not_defensive"]["taken"] is True
    # A stale take saves nothing and records nothing (one transaction).
    with pytest.raises(StaleEvaluation):
        take_suggestion(world.sup_north, draft.id, draft.row_version, "not_defensive")
    # Only the scorer takes; never submitted by itself.
    with pytest.raises(AccessDenied):
        take_suggestion(world.admin, draft.id, after.row_version, "not_defensive")
    assert not get_evaluation(world.sup_north, draft.id).submitted


def test_a_failed_take_leaves_the_suggestion_untaken(trained, tmp_path):
    world = trained
    draft = open_draft(world.sup_north, _call(world, tmp_path, 101, defensive=0))
    assert suggestions_for(world.sup_north, draft.id)["not_defensive"].level == 5
    with pytest.raises(StaleEvaluation):
        take_suggestion(world.sup_north, draft.id, draft.row_version + 7, "not_defensive")
    (record,) = [
        r for r in suggestion_records(world.sup_north, draft.id) if r["item_key"] == "not_defensive"
    ]
    assert record["taken"] is False


def test_blind_calibration_scorers_see_no_suggestions_before_they_submit(trained, tmp_path):
    world = trained
    call_id = _call(world, tmp_path, 102, defensive=3)
    session_id = create_session(
        world.sup_north, "Blind", [call_id], [world.sup_north.id, world.sup_south.id]
    )
    blind = open_draft(world.sup_south, call_id, session_id)
    assert suggestions_for(world.sup_south, blind.id) == {}
    with pytest.raises(AccessDenied):
        take_suggestion(world.sup_south, blind.id, blind.row_version, "not_defensive")
    with read_scope() as s:
        ev = s.get(Evaluation, blind.id)
        assert not can_see_suggestions(s, world.sup_south, ev)
        assert s.exec(select(EvaluationSuggestion)).all() == []  # nothing computed either
    # The same call scored regularly does get one: the evidence is there.
    regular = open_draft(world.sup_north, call_id)
    assert suggestions_for(world.sup_north, regular.id)["not_defensive"].level == 2
    # Agents never see suggestions, even on their own submitted feedback.
    assert suggestions_for(world.agent_north, regular.id) == {}


def test_taken_suggestions_appear_in_the_agreement_view_and_bad_items_are_withheld(
    trained, tmp_path, monkeypatch
):
    world = trained
    monkeypatch.setattr(suggestions_db, "MIN_PAIRS", 4)
    # Four evaluations where the scorer disagrees with the suggestion every time.
    for seed, k in ((110, 3), (111, 0), (112, 3), (113, 0)):
        draft = open_draft(world.sup_north, _call(world, tmp_path, seed, k))
        assert suggestions_for(world.sup_north, draft.id)["not_defensive"].level == 5 - k
        human = 5 if k == 3 else 2
        if seed == 110:  # taken, then changed back: the take is still recorded
            draft = take_suggestion(world.sup_north, draft.id, draft.row_version, "not_defensive")
        for key in SCORED_ITEMS:
            value = human if key == "not_defensive" else 3
            draft = save_item(world.sup_north, draft.id, draft.row_version, key, value=value)
        submit(world.sup_north, draft.id, draft.row_version)

    agreement = suggestion_agreement(world.sup_north)
    row = agreement.loc["not_defensive"]
    assert row["n"] == 4 and row["n_shown"] == 4
    assert row["take_rate"] == pytest.approx(0.25)
    assert row["mean_signed_deviation"] == pytest.approx(0.0)  # +3, -3, +3, -3 points
    assert row["alpha"] < 0.667
    monthly = suggestion_agreement(world.admin, by_period=True)
    assert ("not_defensive", monthly.index[0][1]) in monthly.index
    with pytest.raises(AccessDenied):
        suggestion_agreement(world.agent_north)
    # The south supervisor reads none of these evaluations: nothing to measure.
    assert suggestion_agreement(world.sup_south).empty

    with read_scope() as s:
        assert "not_defensive" in withheld_items(s)
    draft = open_draft(world.sup_north, _call(world, tmp_path, 114, defensive=3))
    assert "not_defensive" not in suggestions_for(world.sup_north, draft.id)
    withheld = [
        r for r in suggestion_records(world.sup_north, draft.id) if r["item_key"] == "not_defensive"
    ]
    assert withheld and withheld[0]["shown"] is False  # still stored, to be measured


def test_a_refit_is_queued_as_evaluations_accumulate(database, tmp_path, monkeypatch):
    world = make_world()
    monkeypatch.setattr(suggestions_db, "MIN_EVALUATIONS", 4)
    monkeypatch.setattr(suggestions_db, "REFIT_EVERY", 2)
    monkeypatch.setattr(suggestions_db, "fit", lambda rows: suggestions_db.SuggestionModel({}))
    for seed in range(3):
        _score(world.sup_north, _call(world, tmp_path, seed, seed % 4), 4)
    assert queue_refit_if_due() is False  # 3 < 4: too few
    _score(world.sup_north, _call(world, tmp_path, 3, 1), 4)
    assert queue_refit_if_due() is True  # runs at once in tests
    with read_scope() as s:
        (job,) = s.exec(select(Job).where(Job.kind == FIT_SUGGESTIONS)).all()
        assert job.state == "done"
        assert [m.n_evaluations for m in s.exec(select(SuggestionModelRow)).all()] == [4]
    assert queue_refit_if_due() is False  # nothing new since
    _score(world.sup_north, _call(world, tmp_path, 4, 0), 4)
    assert queue_refit_if_due() is False  # 1 new < 2
    _score(world.sup_north, _call(world, tmp_path, 5, 0), 4)
    assert queue_refit_if_due() is True


def test_a_parsed_model_is_forgotten_with_its_database(trained, tmp_path):
    """Model row ids start again in another database or after a restore: the parsed-model
    cache is keyed by the database and emptied by clear_cache (as a restore does), so a
    restored database never gets a model parsed from the one it replaced."""
    from db.cache import clear_cache

    world = trained
    draft = open_draft(world.sup_north, _call(world, tmp_path, 120, defensive=0))
    assert suggestions_for(world.sup_north, draft.id)["not_defensive"].level == 5
    with read_scope() as s:
        (row,) = s.exec(select(SuggestionModelRow)).all()
        url = str(s.get_bind().engine.url)
    assert (url, row.id) in suggestions_db._models
    clear_cache()
    assert suggestions_db._models == {}
