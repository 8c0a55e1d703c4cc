"""The call player's transcript data: utterances checked and cut to what the browser needs."""

from __future__ import annotations

import math

import pytest

from player.component import MARKER_KINDS, TEXT_MARKER_KINDS, _marker, _utterance


def test_an_utterance_keeps_its_party_text_and_word_timings():
    u = {
        "start_s": 1.234,
        "end_s": 2.5,
        "speaker": "agent",
        "label": "AGENT",
        "text": "<b>Hello</b>",
        "words": [["<b>Hello</b>", 1.234, 2.5]],
    }
    assert _utterance(u, 0) == {
        "start_s": 1.23,
        "end_s": 2.5,
        "speaker": "agent",
        "label": "AGENT",
        "text": "<b>Hello</b>",  # kept as text: the browser sets textContent
        "words": [["<b>Hello</b>", 1.23, 2.5]],
    }
    no_words = _utterance({**u, "words": []}, 0)
    assert "words" not in no_words


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"speaker": "robot"}, "speaker must be one of"),
        ({"start_s": math.nan}, "must be finite"),
        ({"end_s": "3"}, "must be a number"),
        ({"words": [["hi", math.inf, 2.0]]}, "must be finite"),
    ],
)
def test_bad_utterances_are_refused_naming_the_field(change, message):
    u = {"start_s": 1.0, "end_s": 2.0, "speaker": "customer", "text": "hi", **change}
    with pytest.raises((ValueError, TypeError), match=message):
        _utterance(u, 3)


def test_text_evidence_markers_are_marker_kinds():
    assert TEXT_MARKER_KINDS <= MARKER_KINDS
    assert _marker({"t_s": 4.0, "kind": "paraphrase", "label": "x"})["kind"] == "paraphrase"
    with pytest.raises(ValueError, match="marker kind"):
        _marker({"t_s": 4.0, "kind": "search"})  # search matches are the browser's own


def test_hold_spans_from_a_listening_report_reach_the_player_as_bands():
    """A report with a hold (issue 19) gives the Score page a marker the player takes:
    before, its kind was refused and the page failed on such calls."""
    from scoring.evidence import player_timeline

    report = {"turns": [], "holds": [{"start_s": 30.0, "end_s": 95.5}], "long_silences": []}
    _, markers = player_timeline(report, None, channels=2, agent_channel=0)
    (hold,) = [m for m in markers if m["kind"] == "hold"]
    drawn = _marker(hold)
    assert (drawn["kind"], drawn["t_s"], drawn["end_s"]) == ("hold", 30.0, 95.5)
    assert _marker({"t_s": 5.0, "end_s": 2.0, "kind": "hold"})["end_s"] == 5.0  # never reversed
