"""The evaluation PDF prints non-Latin text as typed with the DejaVu Sans shipped in
ui/fonts/ (issue 14: fpdf2's core font turned it into "?"), read back with pypdf; what the
font cannot draw is replaced visibly and said, and nothing is read from outside the
repository."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from db.services.browse import EvaluationRecord, HistoryEntry, RecordComment, RecordItem
from ui.pdf import FONT_DIR, FONT_FILES, REPLACED_NOTE, evaluation_pdf

AT = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
RUSSIAN = "Перебивал клиента дважды; ёлка, щука, Ъ"
GREEK = "Άκουσε υπομονετικά τον πελάτη· ΑΒΓΔ ωψ"
POLISH = "Zażółć gęślą jaźń. Łódź, Źródło, Ćma"


def _record(**changes) -> EvaluationRecord:
    fields = {
        "evaluation_id": 9,
        "call": "T-2001",
        "call_started_at": AT,
        "agent": "Анна Петрова",
        "scorer": "Γιώργος Παπαδόπουλος",
        "purpose": "regular",
        "status": "submitted",
        "rubric": "Listening on support calls v3",
        "scale": "1–5",
        "started_at": AT,
        "submitted_at": AT,
        "total": 75.0,
        "failed_critical": False,
        "items": (
            RecordItem("Gives the customer the floor", "4", RUSSIAN, False, ()),
            RecordItem("Gives the customer time", "3", GREEK, False, ()),
            RecordItem("Checks understanding", "2", POLISH, False, ()),
        ),
        "comments": (RecordComment(12.0, "Łukasz Żuk", "", "Świetnie: «спасибо»"),),
        "evidence": (),
        "history": (
            HistoryEntry(AT, "Łukasz Żuk", "Amended", ("Checks understanding: 3 → 2",), "Ξανά"),
        ),
    }
    fields.update(changes)
    return EvaluationRecord(**fields)


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_russian_greek_and_polish_read_back_exactly():
    data = evaluation_pdf(_record(), ZoneInfo("Europe/Warsaw"))
    text = _text(data)
    for expected in (
        f"Note: {RUSSIAN}",
        f"Note: {GREEK}",
        f"Note: {POLISH}",
        "Agent: Анна Петрова",
        "Scored by: Γιώργος Παπαδόπουλος",
        "0:12  Łukasz Żuk: Świetnie: «спасибо»",
        "Checks understanding: 3 → 2",
        "Reason: Ξανά",
        "1. Gives the customer the floor: 4",
        "3. Checks understanding: 2",
    ):
        assert expected in text, expected
    assert "?" not in text
    assert REPLACED_NOTE.split(";")[0] not in text
    # The shipped font is embedded (a subset), not referenced by name.
    assert b"/FontFile2" in data and b"DejaVuSans" in data


def test_dates_are_in_the_zone_given():
    text = _text(evaluation_pdf(_record(), ZoneInfo("Pacific/Auckland")))
    assert "Submitted: 2026-11-25 12:30 NZDT" in text
    text = _text(evaluation_pdf(_record(), ZoneInfo("America/Los_Angeles")))
    assert "Submitted: 2026-11-24 15:30 PST" in text


def test_hebrew_and_arabic_letters_print():
    hebrew, arabic = "שלום", "مرحبا"
    record = _record(
        items=(
            RecordItem("Gives the customer the floor", "4", hebrew, False, ()),
            RecordItem("Gives the customer time", "4", arabic, False, ()),
        )
    )
    text = _text(evaluation_pdf(record, UTC))
    # Right-to-left runs are reordered for display; the letters are all there, unshaped.
    for word in (hebrew, arabic):
        assert word in text or word[::-1] in text, word
    assert "?" not in text


@pytest.mark.parametrize("missing", ["你好", "こんにちは", "안녕", "🎧"])
def test_what_the_font_cannot_draw_is_a_visible_question_mark_and_said(missing):
    record = _record(comments=(RecordComment(3.0, "Sup", "", f"Said {missing} twice"),))
    text = _text(evaluation_pdf(record, UTC))
    assert f"Said {'?' * len(missing)} twice" in text
    assert "not in this PDF's font" in " ".join(text.split())
    assert RUSSIAN in text  # the rest still prints as typed


def test_the_fonts_and_their_licence_ship_in_the_repository():
    for path in FONT_FILES.values():
        assert path.parent == FONT_DIR and path.is_file() and path.stat().st_size > 100_000
    licence = (FONT_DIR / "LICENSE").read_text()
    assert "Bitstream" in licence and "DejaVu changes are in public domain" in licence
