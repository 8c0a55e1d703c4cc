"""The metrics registry: every metric a report or a text analysis produces is in it once,
every stored column exists, and each unit formats as people read it."""

from __future__ import annotations

import numpy as np
import pytest

from db.models import ListeningReportRow, TextEvidenceRow
from scoring.evidence import METRIC_LABELS, format_metric
from scoring.listening import analyze
from scoring.metrics import BY_NAME, LISTENING, METRICS, TEXT
from scoring.text_evidence import TEXT_METRICS
from scoring.text_moments import format_text_metric


def test_names_are_unique_and_cover_both_analyses():
    assert len(BY_NAME) == len(METRICS)
    assert {m.name for m in TEXT} == set(TEXT_METRICS)
    quiet = np.zeros((8000 * 4, 2), dtype=np.float32)  # (frames, channels)
    summary = analyze(quiet, 8000).summary()
    assert {m.name for m in LISTENING} <= set(summary)


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_every_trended_metric_has_its_stored_column(metric):
    table = ListeningReportRow if metric.source == "listening" else TextEvidenceRow
    assert hasattr(table, metric.stored_as)


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("talk_share", 0.624, "Agent talk share: 62%"),
        ("longest_agent_turn", 65.4, "Longest agent turn: 1:05"),
        ("response_gaps", 0.42, "Median response gap: +0.4 s"),
        ("backchannels", 7.0, "Agent backchannels (mm-hmm, okay): 7"),
        ("long_silences", None, "Long silences (≥ 3 s): not measured"),
        ("made_up", 3, "made_up: 3"),
    ],
)
def test_listening_lines(name, value, line):
    assert format_metric(name, value) == line


def test_text_lines_read_zero_for_a_count_and_no_questions_for_a_share():
    assert format_text_metric("repeats", None) == "Customer repeats themselves: 0"
    assert format_text_metric("open_question_share", None) == "Open-question share: no questions"
    assert format_text_metric("open_question_share", 0.5) == "Open-question share: 50%"


def test_labels_for_charts_and_sentences_carry_the_unit():
    assert BY_NAME["interruptions"].axis_label == "Agent interruptions per call"
    assert BY_NAME["overtalk"].axis_label == "Both talking (s)"
    assert BY_NAME["talk_share"].axis_label == "Agent talk share"
    assert BY_NAME["longest_agent_turn"].feature_label == "longest agent turn (s)"
    assert METRIC_LABELS["backchannels"] == "Agent backchannels (mm-hmm, okay)"
