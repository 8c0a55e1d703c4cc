"""The Score page with a transcript: text evidence beside the items it maps to (a count
and each moment; picking a moment seeks the player), and a suggested level taken with one
click (an ordinary save, recorded as taken), never filled by itself."""

from __future__ import annotations

import pytest

from db.services.evaluations import get_evaluation, open_draft, save_item, submit
from db.services.suggestions import refit_model, suggestion_records
from db.services.transcripts import attach_transcript
from tests.app.conftest import open_page
from tests.factories import SCORED_ITEMS, make_call, make_world

SCORE = "pages/score.py"
DEFENSIVE = (
    "That's not our fault.",
    "There's nothing I can do about it.",
    "As I already told you, that's the policy.",
)


def _vtt(defensive: int) -> str:
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


@pytest.fixture
def trained(app_db, tmp_path):
    """A model fitted on sixteen evaluations where 'not defensive' = 5 - defensive turns."""
    world = make_world()
    for seed in range(16):
        k = seed % 4
        ev = open_draft(world.sup_north, _call(world, tmp_path, seed, k))
        for key in SCORED_ITEMS:
            value = 5 - k if key == "not_defensive" else 3
            ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=value)
        submit(world.sup_north, ev.id, ev.row_version)
    refit_model(min_evaluations=10, folds=5)
    return world


def _pills(at, key_end: str):
    return next(p for p in at.button_group if p.key and p.key.endswith(key_end))


def _radio(at, item_key):
    return next(r for r in at.radio if r.key.endswith(f"_{item_key}_v"))


def test_text_evidence_moments_beside_items_seek_the_player(trained, tmp_path):
    world = trained
    call_id = _call(world, tmp_path, 100, defensive=3)
    at = open_page(world.sup_north, SCORE, {"call": str(call_id)})
    assert not at.exception
    moments = _pills(at, "_not_defensive_defensive_m")
    assert moments.label == "Defensive turns: 3"
    assert len(moments.options) == 3
    # Labels are Markdown-escaped (a transcript's text never styles or links).
    assert moments.options[0].startswith("0\\:06 · ") and "not our fault" in moments.options[0]
    # Items whose metric found nothing show the count without moments.
    captions = " ".join(c.value for c in at.caption)
    assert "Paraphrases: 0" in captions
    before = at.session_state[f"c{call_id}_seek"]  # the page's keys are the call's
    moments.set_value(1).run()
    assert not at.exception
    t_s, nonce = at.session_state[f"c{call_id}_seek"]
    assert t_s == 9.0 and nonce == before[1] + 1  # the second defensive turn's start
    assert _pills(at, "_not_defensive_defensive_m").value is None  # ready for another pick


def test_a_suggestion_is_taken_with_one_click_and_recorded(trained, tmp_path):
    world = trained
    call_id = _call(world, tmp_path, 101, defensive=3)
    at = open_page(world.sup_north, SCORE, {"call": str(call_id)})
    # Suggestions are stored with the draft, which the first score creates.
    assert not any("Suggested:" in c.value for c in at.caption)
    _radio(at, "be_patient").set_value(3).run()
    suggested = [c.value for c in at.caption if "Suggested:" in c.value]
    assert any("Suggested: **2**" in text and "defensive turns: 3" in text for text in suggested)
    assert _radio(at, "not_defensive").value is None  # never filled by itself
    take = next(b for b in at.button if b.key and b.key.endswith("_not_defensive_take"))
    assert take.label == "Take 2"
    take.click().run()
    assert not at.exception
    assert _radio(at, "not_defensive").value == 2
    ev_id = open_draft(world.sup_north, call_id).id
    assert get_evaluation(world.sup_north, ev_id).values["not_defensive"] == 2
    assert not get_evaluation(world.sup_north, ev_id).submitted
    (record,) = [
        r for r in suggestion_records(world.sup_north, ev_id) if r["item_key"] == "not_defensive"
    ]
    assert record["taken"] is True and record["shown"] is True


def test_without_a_transcript_the_page_says_so(trained, tmp_path):
    world = trained
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=200)
    at = open_page(world.sup_north, SCORE, {"call": str(call.id)})
    assert not at.exception
    assert any("No transcript for this call" in c.value for c in at.caption)
    assert not any("Suggested:" in c.value for c in at.caption)  # nothing measured


def test_the_agent_sees_the_same_text_evidence_on_their_feedback(app_db, tmp_path):
    world = make_world()
    call_id = _call(world, tmp_path, 300, defensive=2)
    ev = open_draft(world.sup_north, call_id)
    for key in SCORED_ITEMS:
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=3)
    submit(world.sup_north, ev.id, ev.row_version)
    at = open_page(world.agent_north, "pages/my_feedback.py", {"evaluation": str(ev.id)})
    assert not at.exception
    assert "What was said" in [h.value for h in at.subheader]
    moments = _pills(at, "_defensive_moments")
    assert moments.label == "Defensive turns: 2" and len(moments.options) == 2
    moments.set_value(1).run()
    assert not at.exception
    assert at.session_state[f"fb{ev.id}_seek"][0] == 9.0
    # Beside the item the rubric maps it to: the count.
    assert any("Defensive turns: 2" in m.value for m in at.markdown)


def test_a_taken_suggestion_appears_in_the_agreement_view(trained, tmp_path):
    world = trained
    call_id = _call(world, tmp_path, 400, defensive=3)
    at = open_page(world.sup_north, SCORE, {"call": str(call_id)})
    _radio(at, "be_patient").set_value(3).run()  # the draft, and its suggestions
    next(b for b in at.button if b.key and b.key.endswith("_not_defensive_take")).click().run()
    at.run()  # the whole page again (the take reran only its item and the summary)
    for radio in list(at.radio):
        if radio.value is None:
            radio.set_value(3).run()
    at.run()
    next(b for b in at.button if b.label == "Submit evaluation").click().run()
    assert not at.exception

    cal = open_page(world.sup_north, "pages/calibration.py")
    assert not cal.exception
    table = next(d for d in cal.dataframe if "Taken" in d.value.columns).value
    row = table[table["Item"] == "Stays calm when challenged"].iloc[0]
    assert (row["Calls"], row["Shown"], row["Taken"]) == (1, 1, 1.0)
    assert row["Deviation"] == 0.0  # suggested 2, submitted 2
    assert row["Reading"] == "not measured"  # one call is too few to judge


def test_trends_show_the_text_metrics(app_db, tmp_path):
    world = make_world()
    ev = open_draft(world.sup_north, _call(world, tmp_path, 500, defensive=2))
    for key in SCORED_ITEMS:
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=3)
    submit(world.sup_north, ev.id, ev.row_version)
    at = open_page(world.sup_north, "pages/trends.py")
    at.button_group(key="trends_view").set_value("Listening").run()
    assert not at.exception
    assert "From the transcripts" in [h.value for h in at.subheader]
    at.selectbox(key="trends_text_metric").set_value("defensive").run()
    assert not at.exception
    (team_table,) = [d.value for d in at.dataframe]
    assert team_table["North"].tolist() == [2.0]
