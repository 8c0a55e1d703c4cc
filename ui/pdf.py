"""An evaluation as a PDF for a coaching file: header, scores with notes and evidence,
comments with their times, history. Built by fpdf2 from plain data (an
`EvaluationRecord`); it reads nothing and fetches nothing.

Fonts: fpdf2's core Helvetica, which every PDF reader has, so nothing is embedded or
fetched. Core fonts hold Windows-1252 only: characters outside it are drawn through their
closest Latin form where Unicode gives one ("ł" → "l" is not one, "é" stays, "ś" → "s"),
else as "?", and the page then says so: the evaluation in Earshot keeps the full text.
"""

from __future__ import annotations

import unicodedata

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from db.browse import EvaluationRecord
from ui.format import local_date, mmss

ENCODING = "windows-1252"
FONT = "Helvetica"
LINE = 5.0  # mm
REPLACEMENT = "?"
# Signs our own text uses that Windows-1252 lacks, in plain forms (not counted as lost).
SIGNS = str.maketrans({"→": "->", "←": "<-", "−": "-", "≥": ">=", "≤": "<=", "≠": "!="})
REPLACED_NOTE = (
    "Some characters outside the Western European set are shown as '?'; the evaluation "
    "in Earshot keeps the full text."
)


def printable(text: str) -> tuple[str, bool]:
    """`text` in characters the core font can draw, and whether any had to be replaced.

    Line breaks and tabs stay (as a new line and a space); other control characters go.
    A character outside Windows-1252 becomes its decomposed base letters when those fit
    ("ś" → "s", "ﬁ" → "fi"), else "?".
    """
    out: list[str] = []
    replaced = False
    for char in text.replace("\r\n", "\n").replace("\t", " ").translate(SIGNS):
        if char == "\n":
            out.append(char)
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        if _fits(char):
            out.append(char)
            continue
        base = "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if unicodedata.category(c) != "Mn" and _fits(c)
        )
        if base and base.isprintable():
            out.append(base)
        else:
            out.append(REPLACEMENT)
            replaced = True
    return "".join(out), replaced


def _fits(char: str) -> bool:
    try:
        char.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


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


def evaluation_pdf(record: EvaluationRecord) -> bytes:
    """The PDF of one evaluation, as bytes."""
    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(printable(f"Evaluation of call {record.call}")[0])
    pdf.set_creator("Earshot")
    pdf.footer_text = f"Earshot · evaluation {record.evaluation_id} of call {record.call}"
    pdf.add_page()

    pdf.write_line(f"Evaluation of call {record.call}", size=16, style="B")
    purpose = "" if record.purpose == "regular" else f" ({record.purpose})"
    for line in (
        f"Agent: {record.agent} · call of {local_date(record.call_started_at)}",
        f"Scored by: {record.scorer} · {record.status}{purpose}",
        f"Submitted: {local_date(record.submitted_at)}"
        if record.submitted_at
        else f"Started: {local_date(record.started_at)} (not submitted)",
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
        pdf.write_line(f"{mmss(comment.t_s)}  {comment.author}{about}: {comment.text}")

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
        pdf.write_line(f"{local_date(entry.at)} · {entry.who} · {entry.what}")
        for change in entry.changes:
            pdf.write_line(change, indent=5)
        if entry.reason:
            pdf.write_line(f"Reason: {entry.reason}", indent=5)

    if pdf.replaced:
        pdf.ln(3)
        pdf.write_line(REPLACED_NOTE, size=8, style="I")
    return bytes(pdf.output())
