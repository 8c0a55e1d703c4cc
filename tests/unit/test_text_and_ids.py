"""Text limits, the CSV defuser and the id parser shared by every service and page."""

from __future__ import annotations

import pytest

from scoring.errors import EarshotError, Invalid
from scoring.ids import ID_MAX, parse_id
from scoring.text import clean_text, defuse_csv_cell, shorten


def test_clean_text_drops_nul_and_white_space_and_names_what_is_too_long():
    assert clean_text("  a\x00b  ", "note", 10) == "ab"
    assert clean_text(None, "note", 10) == ""
    with pytest.raises(Invalid, match="The reason is 11 characters; the limit is 10"):
        clean_text("x" * 11, "reason", 10)


def test_clean_text_raises_the_callers_error_class():
    class DisputeLike(Invalid):
        pass

    with pytest.raises(DisputeLike):
        clean_text("x" * 3, "reason", 2, error=DisputeLike)


def test_shorten_cuts_and_marks_the_cut():
    assert shorten("short", 10) == "short"
    cut = shorten("x" * 50, 20)
    assert len(cut) == 20 and cut.endswith(" […]")


def test_csv_cells_that_a_spreadsheet_would_run_are_defused():
    assert defuse_csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert defuse_csv_cell("-2+3") == "'-2+3"
    assert defuse_csv_cell("\tx") == "'\tx"
    assert defuse_csv_cell("plain note") == "plain note"
    assert defuse_csv_cell(-2) == -2  # numbers stay numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", 42),
        (42, 42),
        (str(ID_MAX), ID_MAX),
        (str(ID_MAX + 1), None),
        ("²", None),
        ("٣", None),  # an Arabic-Indic digit: isdigit() says yes, ids say no
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        (" 1", None),
        ("1.0", None),
        ("", None),
        (None, None),
        (True, None),
        (2**70, None),
        (3.0, None),
    ],
)
def test_parse_id_accepts_only_ids_that_can_exist(raw, expected):
    assert parse_id(raw) == expected


def test_every_refusal_class_is_safe_to_show():
    from scoring.errors import Conflict, Denied, NotFound

    for kind in (Conflict, Denied, Invalid, NotFound):
        assert issubclass(kind, EarshotError)
    assert issubclass(Invalid, ValueError) and issubclass(NotFound, LookupError)
