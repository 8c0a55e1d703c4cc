"""Text evidence for people (scoring.text_moments) and the rubric's mapping of text metrics
to items (rubrics/listening.v2.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.rubric import EVIDENCE_NAMES, TEXT_METRIC_NAMES, RubricError, load_rubric
from scoring.text_evidence import TEXT_METRICS, analyze_text
from scoring.text_moments import (
    MAX_LABEL_CHARS,
    format_text_metric,
    item_text_evidence,
    moment_label,
    player_utterances,
    text_markers,
)
from scoring.transcripts import Transcript, Utterance, Word

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


def _transcript() -> Transcript:
    return Transcript(
        "test",
        (
            Utterance("agent", "A", 0.5, 2.0, "Service desk, how can I help?", ()),
            Utterance(
                "customer",
                "C",
                2.5,
                6.0,
                "My printer shows a paper jam but the tray is empty.",
                (Word("My", 2.5, 2.8), Word("printer", 2.8, 3.3)),
            ),
            Utterance(
                "agent",
                "A",
                7.0,
                10.0,
                "So what I'm hearing is the printer reports a jam with an empty tray?",
                (),
            ),
            Utterance(
                "agent", "A", 11.0, 13.0, "That's not our fault, you should have called.", ()
            ),
        ),
    )


def test_the_rubric_knows_every_text_metric():
    assert TEXT_METRIC_NAMES == TEXT_METRICS
    assert set(TEXT_METRIC_NAMES) <= set(EVIDENCE_NAMES)


def test_rubric_v2_maps_text_evidence_to_the_practices_it_is_about():
    v1 = load_rubric(RUBRICS / "listening.v1.toml")
    v2 = load_rubric(RUBRICS / "listening.v2.toml")
    assert v2.version == 2 and v2.item_keys == v1.item_keys
    for key in v1.item_keys:  # the same wording: only the evidence changed
        assert (v2.item(key).title, v2.item(key).anchors) == (
            v1.item(key).title,
            v1.item(key).anchors,
        )
    evidence = {key: set(v2.item(key).evidence) for key in v2.item_keys}
    assert "paraphrases" in evidence["paraphrase"]
    assert "questions" in evidence["understand_remember"]
    assert "defensive" in evidence["not_defensive"]
    assert "completions" in evidence["be_patient"]
    assert "repeats" in evidence["stop_talking"] and "repeats" in evidence["be_patient"]
    assert set(v1.item("be_patient").evidence) <= evidence["be_patient"]  # listening kept


def test_an_unknown_metric_is_refused_naming_the_choices(tmp_path):
    text = (RUBRICS / "listening.v2.toml").read_text().replace('"paraphrases"]', '"paraphrazes"]')
    path = tmp_path / "listening.v2.toml"
    path.write_text(text)
    with pytest.raises(RubricError, match="unknown metric 'paraphrazes'.*repeats"):
        load_rubric(path)


def test_item_lines_show_counts_and_moments():
    evidence = analyze_text(_transcript())
    lines = item_text_evidence(evidence, ["talk_share", "paraphrases", "defensive", "empathy"])
    assert [m.metric for m in lines] == ["paraphrases", "defensive", "empathy"]  # text only
    assert [m.line for m in lines] == [
        "Paraphrases: 1",
        "Defensive turns: 1",
        "Empathy: 0",
    ]
    assert [x.t_s for x in lines[0].moments] == [7.0]
    assert [x.t_s for x in lines[1].moments] == [11.0]
    assert lines[2].moments == ()
    assert item_text_evidence(None, ["paraphrases"]) == []
    assert format_text_metric("open_question_share", None) == "Open-question share: no questions"
    assert format_text_metric("open_question_share", 0.25) == "Open-question share: 25%"


def test_moment_labels_and_markers_are_short_plain_text():
    evidence = analyze_text(_transcript())
    label = moment_label(evidence.defensive[0])
    assert label.startswith("0:11 · ") and "not our fault" in label
    assert len(label) <= MAX_LABEL_CHARS
    markers = text_markers(evidence)
    assert [(m["t_s"], m["kind"]) for m in markers if m["kind"] != "question"] == [
        (7.0, "paraphrase"),
        (11.0, "defensive"),
    ]
    assert [m["t_s"] for m in markers] == sorted(m["t_s"] for m in markers)
    assert all(len(m["label"]) <= MAX_LABEL_CHARS for m in markers)
    assert text_markers(None) == []


def test_utterances_in_the_players_shape():
    lines = player_utterances(_transcript())
    assert lines[1] == {
        "start_s": 2.5,
        "end_s": 6.0,
        "speaker": "customer",
        "label": "C",
        "text": "My printer shows a paper jam but the tray is empty.",
        "words": [["My", 2.5, 2.8], ["printer", 2.8, 3.3]],
    }
    assert player_utterances(None) == []


def test_labels_can_be_escaped_for_markdown_widgets():
    from scoring.text_moments import escape_markdown

    said = "[click](http://x) **now** <b>hi</b> :smile:"
    escaped = escape_markdown(said)
    assert "[" not in escaped.replace("\\[", "") and "*" not in escaped.replace("\\*", "")
    assert escaped.replace("\\", "") == said  # only backslashes were added
