"""The manifest parser, pure: which rows are good, and what each bad row is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scoring.manifest import IntakeProblem, ManifestRow, external_id_from_name, parse_manifest

HEADER = "file,agent,started_at,external_id,agent_channel\n"


def test_good_rows_parse_with_their_lines_and_aware_times_utc_when_none_given():
    raw = (
        HEADER
        + "a.wav,ana,2026-11-02T09:15:00,,0\n"
        + "b.wav,ben,2026-11-02T10:00:00+02:00,CALL-7,1\n"
    ).encode()
    good, bad = parse_manifest(raw)
    assert bad == []
    assert good == [
        ManifestRow(2, "a.wav", "ana", datetime(2026, 11, 2, 9, 15, tzinfo=UTC), "a", 0),
        ManifestRow(3, "b.wav", "ben", datetime(2026, 11, 2, 8, 0, tzinfo=UTC), "CALL-7", 1),
    ]
    assert good[1].started_at.utcoffset() == timedelta(hours=2)


def test_a_byte_order_mark_and_header_case_are_accepted():
    raw = "\ufeffFILE,Agent,STARTED_AT,external_id,agent_channel\nx.wav,ana,2026-11-02T09:00Z,,0\n"
    good, bad = parse_manifest(raw.encode())
    assert [r.file for r in good] == ["x.wav"] and bad == []
    assert good[0].started_at.tzinfo is not None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",ana,2026-11-02T09:00,,0", "the file column is empty"),
        ("a.wav,ana,yesterday,,0", "started_at 'yesterday' is not an ISO date-time"),
        ("a.wav,ana,2026-11-02T09:00,,left", "agent_channel 'left' is not 0 or 1"),
        ("a.wav,,2026-11-02T09:00,,0", "the agent column is empty"),
        ("電話.wav,ana,2026-11-02T09:00,,0", "no call id can be made from '電話.wav'"),
        ("a.wav,ana,2026-11-02T09:00,,0,extra", "1 field(s) more than the header has"),
    ],
)
def test_each_bad_row_is_reported_on_its_line_and_the_rest_still_parse(row, message):
    raw = (HEADER + row + "\n" + "ok.wav,ana,2026-11-02T09:00,,0\n").encode()
    good, bad = parse_manifest(raw)
    assert [r.file for r in good] == ["ok.wav"]
    assert len(bad) == 1 and bad[0].line == 2 and bad[0].status == "error"
    assert message in bad[0].message


def test_a_file_or_an_id_listed_twice_is_refused_on_the_second_line():
    raw = (
        HEADER
        + "a.wav,ana,2026-11-02T09:00,ID-1,0\n"
        + "a.wav,ben,2026-11-02T10:00,ID-2,0\n"
        + "c.wav,ben,2026-11-02T11:00,ID-1,0\n"
    ).encode()
    good, bad = parse_manifest(raw)
    assert [r.line for r in good] == [2]
    assert [(r.line, r.message) for r in bad] == [
        (3, "file 'a.wav' is listed twice"),
        (4, "external id 'ID-1' is listed twice"),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"file,agent\nx.wav,ana\n", "crm.csv: missing column(s) started_at, external_id"),
        (b"\xff\xfe not utf-8", "crm.csv: not UTF-8 text (byte 0)"),
        (b"file,agent\x00,started_at\n", "crm.csv: contains NUL bytes"),
    ],
)
def test_an_unreadable_manifest_is_refused_whole_with_its_name(raw, message):
    with pytest.raises(IntakeProblem) as refused:
        parse_manifest(raw, "crm.csv")
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Call with Müller (2).wav", "Call-with-Muller-2"),
        ("--..weird__name!!.mp3", "weird__name"),
        ("x" * 300 + ".wav", "x" * 120),
        ("電話.wav", ""),
    ],
)
def test_call_ids_from_file_names(name, expected):
    assert external_id_from_name(name) == expected
