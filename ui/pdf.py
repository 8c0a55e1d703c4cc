"""An evaluation as a PDF for a coaching file: header, scores with notes and evidence,
comments with their times, history. Built by fpdf2 from plain data (an
`EvaluationRecord`); `evaluation_pdf` reads nothing and fetches nothing.
`pdf_download_button` is the one button pages show for it.

Fonts: DejaVu Sans, regular and bold, shipped in ``ui/fonts/`` (its licence beside it)
and embedded as a subset, so Latin with any accents, Greek, Cyrillic, Hebrew and Arabic
letters print as typed. Arabic is not shaped (fpdf2 shapes only with the optional
uharfbuzz): its letters print in their isolated forms, right to left. A character the font
lacks (Chinese, Japanese, Korean, emoji…) is drawn through its decomposed base letters
where Unicode gives some the font has (a ligature "ﬁ" as "fi"), else as "?", and only
then does the PDF say so: the evaluation in Earshot keeps the full text.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path

import streamlit as st
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from db.access import Actor
from db.services.browse import EvaluationRecord, evaluation_record
from ui.times import call_offset, local_time, reader_zone

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}
FONT = "DejaVuSans"
LINE = 5.0  # mm
REPLACEMENT = "?"
REPLACED_NOTE = (
    "Some characters (for example Chinese, Japanese or Korean, or emoji) are not in this "
    "PDF's font and are shown as '?'; the evaluation in Earshot keeps the full text."
)


def _add_fonts(pdf: FPDF) -> None:
    for style, path in FONT_FILES.items():
        pdf.add_font(FONT, style=style, fname=str(path))


@cache
def drawable() -> frozenset[int]:
    """The code points both shipped weights can draw (read once per process)."""
    probe = FPDF()
    _add_fonts(probe)
    covered: set[int] | None = None
    for font in probe.fonts.values():
        if isinstance(font, TTFFont):
            points = set(font.cmap)
            covered = points if covered is None else covered & points
    return frozenset(covered or ())


def printable(text: str) -> tuple[str, bool]:
    """`text` in characters the shipped font can draw, and whether any had to be replaced.

    Line breaks and tabs stay (as a new line and a space); other control characters go.
    A character the font lacks becomes its decomposed base letters when the font has
    them ("ﬁ" → "fi"), else "?".
    """
    covered = drawable()
    out: list[str] = []
    replaced = False
    for char in text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "):
        if char == "\n":
            out.append(char)
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        if ord(char) in covered:
            out.append(char)
            continue
        base = "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if unicodedata.category(c) != "Mn" and ord(c) in covered
        )
        if base and base.isprintable():
            out.append(base)
        else:
            out.append(REPLACEMENT)
            replaced = True
    return "".join(out), replaced


class _Document(FPDF):
    """A4 portrait with a page-number footer; every text passes through `printable`."""

    replaced = False
    footer_text = ""

    def write_line(self, text: str, size: float = 10, style: str = "", indent: float = 0) -> None:
        safe, replaced = printable(text)
        self.replaced = self.replaced or replaced
        self.set_font(FONT, style=style, size=size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(
            w=self.epw - indent,
            h=LINE * size / 10,
            text=safe,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def heading(self, text: str) -> None:
        self.ln(2)
        self.write_line(text, size=12, style="B")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        safe, _ = printable(f"{self.footer_text} · page {self.page_no()} of {{nb}}")
        self.cell(w=0, h=LINE, text=safe, align="C")


def _total(record: EvaluationRecord) -> str:
    if record.total is None:
        return "no total yet"
    failed = " (a critical item failed)" if record.failed_critical else ""
    return f"{record.total:.1f} of 100{failed}"


def evaluation_pdf(record: EvaluationRecord, zone: tzinfo | None = None) -> bytes:
    """The PDF of one evaluation, as bytes; dates in ``zone`` (default: the reader's,
    :func:`ui.times.reader_zone`)."""
    here = zone or reader_zone()

    def when(value: datetime | None) -> str:
        return local_time(value, here)

    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    _add_fonts(pdf)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(printable(f"Evaluation of call {record.call}")[0])
    pdf.set_creator("Earshot")
    pdf.footer_text = f"Earshot · evaluation {record.evaluation_id} of call {record.call}"
    pdf.add_page()

    pdf.write_line(f"Evaluation of call {record.call}", size=16, style="B")
    purpose = "" if record.purpose == "regular" else f" ({record.purpose})"
    for line in (
        f"Agent: {record.agent} · call of {when(record.call_started_at)}",
        f"Scored by: {record.scorer} · {record.status}{purpose}",
        f"Submitted: {when(record.submitted_at)}"
        if record.submitted_at
        else f"Started: {when(record.started_at)} (not submitted)",
        f"Rubric: {record.rubric} · levels {record.scale}",
        f"Total: {_total(record)}",
    ):
        pdf.write_line(line)

    pdf.heading("Scores")
    for number, item in enumerate(record.items, start=1):
        critical = " (critical)" if item.critical else ""
        pdf.write_line(f"{number}. {item.title}{critical}: {item.score}", style="B")
        if item.note:
            pdf.write_line(f"Note: {item.note}", indent=5)
        for line in item.evidence:
            pdf.write_line(f"Evidence: {line}", size=9, indent=5)

    pdf.heading("Comments")
    if not record.comments:
        pdf.write_line("No comments pinned on this call.")
    for comment in record.comments:
        about = f" [{comment.item}]" if comment.item else ""
        pdf.write_line(f"{call_offset(comment.t_s)}  {comment.author}{about}: {comment.text}")

    pdf.heading("Listening evidence")
    if record.evidence:
        pdf.write_line("Measured from the recording: evidence for the conversation, not a verdict.")
        for line in record.evidence:
            pdf.write_line(line, size=9, indent=5)
    else:
        pdf.write_line("No listening evidence for this call.")

    pdf.heading("History")
    if not record.history:
        pdf.write_line("Not changed since it was submitted.")
    for entry in record.history:
        pdf.write_line(f"{when(entry.at)} · {entry.who} · {entry.what}")
        for change in entry.changes:
            pdf.write_line(change, indent=5)
        if entry.reason:
            pdf.write_line(f"Reason: {entry.reason}", indent=5)

    if pdf.replaced:
        pdf.ln(3)
        pdf.write_line(REPLACED_NOTE, size=8)
    return bytes(pdf.output())


def pdf_download_button(actor: Actor, evaluation_id: int, *, key: str) -> None:
    """ "Download as PDF" for one evaluation. The PDF is made when clicked, through the
    read policy again (`evaluation_record` refuses what ``actor`` may not read), with the
    dates in the zone of whoever drew the button (the click runs outside their script)."""
    zone = reader_zone()
    st.download_button(
        "Download as PDF",
        data=lambda: evaluation_pdf(evaluation_record(actor, evaluation_id), zone),
        file_name=f"evaluation-{evaluation_id}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        key=key,
        help="Scores, notes, comments with times, evidence and history: for a coaching file.",
    )
