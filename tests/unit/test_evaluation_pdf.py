"""The evaluation PDF, read back as text: what a coaching file needs is in it, and text
outside the core font's characters neither crashes it nor passes silently."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from db.services.browse import EvaluationRecord, HistoryEntry, RecordComment, RecordItem
from ui.pdf import REPLACED_NOTE, evaluation_pdf, printable

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _record(**changes) -> EvaluationRecord:
    fields = {
        "evaluation_id": 7,
        "call": "T-1001",
        "call_started_at": AT,
        "agent": "Agent North",
        "scorer": "Sup North",
        "purpose": "regular",
        "status": "submitted",
        "rubric": "Listening on support calls v3",
        "scale": "1–5",
        "started_at": AT,
        "submitted_at": datetime(2026, 11, 3, 14, 5, tzinfo=UTC),
        "total": 62.5,
        "failed_critical": False,
        "items": (
            RecordItem("Gives the customer the floor", "4", "Let her finish twice", False, ()),
            RecordItem(
                "Gives the customer time",
                "2",
                "Rushed the refund",
                True,
                ("Longest agent turn: 41 s",),
            ),
            RecordItem("Uses eye contact considerately", "N/A", "", False, ()),
        ),
        "comments": (
            RecordComment(4.0, "Sup North", "", "Warm greeting"),
            RecordComment(75.0, "Sup North", "Gives the customer time", "Talked over the refund"),
            RecordComment(3725.0, "Sup North", "", "Long hold ends"),
        ),
        "evidence": ("Agent talk share: 64 %",),
        "history": (
            HistoryEntry(
                datetime(2026, 11, 4, 8, 0, tzinfo=UTC),
                "Sup North",
                "Amended",
                ("Gives the customer time: 3 → 2",),
                "Second listen",
            ),
        ),
    }
    fields.update(changes)
    return EvaluationRecord(**fields)


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_holds_scores_notes_comment_times_evidence_and_history():
    data = evaluation_pdf(_record())
    assert data.startswith(b"%PDF-")
    text = _text(data)
    for expected in (
        "Evaluation of call T-1001",
        "Agent North",
        "Scored by: Sup North",
        "62.5 of 100",
        "1. Gives the customer the floor: 4",
        "Note: Let her finish twice",
        "2. Gives the customer time (critical): 2",
        "Note: Rushed the refund",
        "3. Uses eye contact considerately: N/A",
        "Evidence: Longest agent turn: 41 s",
        "0:04",
        "Warm greeting",
        "1:15",
        "[Gives the customer time]: Talked over the refund",
        "1:02:05",
        "Agent talk share: 64 %",
        "Gives the customer time: 3 → 2",
        "Reason: Second listen",
    ):
        assert expected in text, expected
    assert REPLACED_NOTE.split(";")[0] not in text  # nothing was replaced


def test_text_outside_the_font_is_replaced_visibly_and_said():
    note = "Polish Łódź ś, Chinese 你好, emoji 🎧, quotes “ok” – fine…"
    record = _record(
        items=(RecordItem("Gives the customer the floor", "4", note, False, ()),),
        comments=(RecordComment(1.0, "Zoë", "", "Merci, ça va\x00\x07"),),
    )
    text = _text(evaluation_pdf(record))
    assert "Polish Łódź ś" in text  # the shipped font has every Latin accent
    assert "“ok” – fine…" in text
    assert "Zoë" in text and "Merci, ça va" in text
    assert "Chinese ??, emoji ?" in text
    assert "not in this PDF's font" in text


def test_printable_keeps_line_breaks_and_drops_controls():
    assert printable("a\r\nb\tc\x00d") == ("a\nb cd", False)
    assert printable("ﬁne") == ("ﬁne", False)  # the font has the ligature
    assert printable("ｈｉ") == ("hi", False)  # fullwidth forms: their base letters
    assert printable("🎧") == ("?", True)
    assert printable("2 → 3") == ("2 → 3", False)
    assert printable("Łódź 你") == ("Łódź ?", True)


def test_a_draft_without_comments_or_evidence_says_so():
    record = _record(
        status="draft",
        submitted_at=None,
        total=None,
        comments=(),
        evidence=(),
        history=(),
    )
    text = _text(evaluation_pdf(record))
    assert "(not submitted)" in text and "no total yet" in text
    assert "No comments pinned on this call." in text
    assert "No listening evidence for this call." in text
    assert "Not changed since it was submitted." in text


def test_a_long_evaluation_runs_onto_more_pages_with_numbers():
    items = tuple(RecordItem(f"Item {n}", "3", "A long note. " * 40, False, ()) for n in range(30))
    data = evaluation_pdf(_record(items=items))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 1
    last = reader.pages[-1].extract_text()
    assert f"page {len(reader.pages)} of {len(reader.pages)}" in last
