"""Hostile bulk-import manifests: bad encodings, missing columns, duplicate and ragged rows,
path tricks (``../``, absolute paths, symlinks out of the folder), NUL bytes, huge fields.

A manifest that cannot be read at all is refused whole with an IntakeProblem naming the
file; otherwise every data row gets exactly one result with its line number, good rows
import, and one bad row never stops the rest or touches what was imported before.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import db.operations.config
from db.services.calls import IntakeProblem, bulk_import, list_calls, parse_manifest
from tests.factories import make_call, make_world, write_speechlike_wav

HEADER = "file,agent,started_at,external_id,agent_channel\n"


@pytest.fixture
def batch(database, tmp_path, monkeypatch):
    """A folder with two good recordings, a secret outside it, and one call imported before."""
    real = db.operations.config.settings
    monkeypatch.setattr(
        "db.services.media.settings", lambda: replace(real(), media_dir=tmp_path / "media")
    )
    world = make_world()
    before = make_call(world.admin, world.agent_north, tmp_path, seconds=3, seed=50)
    folder = tmp_path / "batch"
    folder.mkdir()
    write_speechlike_wav(folder / "one.wav", 3, seed=1)
    write_speechlike_wav(folder / "two.wav", 3, seed=2)
    write_speechlike_wav(tmp_path / "outside.wav", 3, seed=3)
    return world, before, folder


def _run(world, folder: Path, body: str | bytes):
    manifest = folder / "manifest.csv"
    manifest.write_bytes(body if isinstance(body, bytes) else body.encode())
    return bulk_import(world.admin, folder, manifest)


def _ids(world) -> set[str]:
    return {c.external_id for c in list_calls(world.admin)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fichier,agent,début\n".encode("latin-1") + b"x\xe9.wav,a,b\n", "not UTF-8"),
        (HEADER.encode("utf-16"), "not UTF-8"),
        (bytes.fromhex("89504e470d0a1a0a") + b"\x00\xff" * 40, "not UTF-8"),
        (b"", "missing column(s) file, agent, started_at, external_id, agent_channel"),
        (b"file,agent\none.wav,agent.north\n", "missing column(s) started_at"),
        (b"file;agent;started_at;external_id;agent_channel\n", "missing column(s) file"),
    ],
    ids=["latin-1", "utf-16", "binary", "empty", "two columns", "semicolons"],
)
def test_unreadable_manifests_are_refused_whole_by_name(batch, raw, expected):
    world, before, folder = batch
    with pytest.raises(IntakeProblem, match=r"^manifest\.csv: ") as refused:
        _run(world, folder, raw)
    assert expected in str(refused.value)
    assert _ids(world) == {before.external_id}


def test_a_utf8_bom_and_odd_header_spelling_are_fine(batch):
    world, before, folder = batch
    body = (
        "\ufeff File , AGENT,Started_At,external_id,agent_channel\n"
        "one.wav,agent.north,2026-11-01T09:00:00Z,B-1,0\n"
    )
    report = _run(world, folder, body.encode("utf-8"))
    assert [r.status for r in report.rows] == ["imported"]


def test_header_only_imports_nothing_and_says_nothing_failed(batch):
    world, before, folder = batch
    report = _run(world, folder, HEADER)
    assert report.rows == [] and report.imported == report.failed == 0


def test_duplicate_rows_files_and_ids_are_each_reported_once(batch, tmp_path):
    world, before, folder = batch
    (folder / "again.wav").write_bytes((tmp_path / "call-50.wav").read_bytes())
    body = (
        HEADER
        + "one.wav,agent.north,2026-11-01T09:00:00Z,D-1,0\n"
        + "one.wav,agent.north,2026-11-01T09:00:00Z,D-1,0\n"  # the same row again
        + "two.wav,agent.north,2026-11-01T09:05:00Z,D-1,0\n"  # another file, same id
        + "again.wav,agent.north,2026-11-01T09:06:00Z,D-9,0\n"
    )  # audio imported before
    report = _run(world, folder, body)
    by_line = {r.line: r for r in report.rows}
    assert sorted(by_line) == [2, 3, 4, 5]
    assert by_line[2].status == "imported"
    assert "file 'one.wav' is listed twice" in by_line[3].message
    assert "external id 'D-1' is listed twice" in by_line[4].message
    assert by_line[5].status == "duplicate" and before.external_id in by_line[5].message
    again = _run(world, folder, body)  # the whole manifest a second time: nothing new
    assert again.imported == 0 and again.rows[0].status == "duplicate"
    assert _ids(world) == {before.external_id, "D-1"}


def test_paths_that_leave_the_folder_are_refused_and_the_rest_imports(batch, tmp_path):
    world, before, folder = batch
    (folder / "escape.wav").symlink_to(tmp_path / "outside.wav")
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.wav").symlink_to(folder / "two.wav")  # stays inside: allowed
    rows = [
        "../outside.wav",
        str(tmp_path / "outside.wav"),
        "sub/../../outside.wav",
        "escape.wav",
        "/etc/passwd",
        "..\\outside.wav",
        "%2e%2e/outside.wav",
        "one.wav",
        "sub/inner.wav",
    ]
    body = HEADER + "".join(
        f"{name},agent.north,2026-11-01T10:{i:02d}:00Z,P-{i},0\n" for i, name in enumerate(rows)
    )
    report = _run(world, folder, body)
    results = {r.file: r for r in report.rows}
    assert len(report.rows) == len(rows)
    for name in rows[:5]:
        assert results[name].status == "error"
        assert results[name].message == "the path leaves the import folder", name
    for name in rows[5:7]:  # on Linux these are odd names inside the folder, not escapes
        assert results[name].message == "file not found"
    assert results["one.wav"].status == "imported"
    assert results["sub/inner.wav"].status == "imported"
    assert _ids(world) == {before.external_id, "P-7", "P-8"}


def test_bad_values_in_rows_are_named_and_good_rows_still_import(batch):
    world, before, folder = batch
    for i in range(5, 10):
        write_speechlike_wav(folder / f"e{i}.wav", 2, seed=100 + i)
    report = _run(
        world,
        folder,
        HEADER
        + ",agent.north,2026-11-01T09:00:00Z,E-1,0\n"
        + "one.wav,,2026-11-01T09:00:00Z,E-2,0\n"
        + "one.wav,agent.north,next tuesday,E-3,0\n"
        + "one.wav,agent.north,2026-11-01T09:00:00Z,E-4,left\n"
        + "e5.wav,agent.north,2026-11-01T09:00:00Z,E-5,7\n"
        + "e6.wav,agent.north,2026-11-01T09:00:00Z,E-6,-1\n"
        + 'e7.wav,agent.north,2026-11-01T09:00:00Z,=HYPERLINK("x"),0\n'
        + "e8.wav,'; DROP TABLE call; --,2026-11-01T09:00:00Z,E-8,0\n"
        + "e9.wav,agent.south,2026-11-01T09:00:00,E-9,1\n",
    )
    messages = [r.message for r in report.rows]
    assert "the file column is empty" in messages[0]
    assert "the agent column is empty" in messages[1]
    assert "not an ISO date-time" in messages[2]
    assert "agent_channel 'left'" in messages[3]
    assert "agent channel 7 does not exist" in messages[4]
    assert "agent channel -1 does not exist" in messages[5]
    assert "unusual characters" in messages[6]
    assert "unknown agent" in messages[7]
    assert report.rows[8].status == "imported"  # a naive time is read as UTC
    assert _ids(world) == {before.external_id, "E-9"}


def test_a_row_with_more_fields_than_the_header_is_one_bad_row(batch):
    """csv.DictReader files surplus fields under the key None as a list."""
    world, before, folder = batch
    report = _run(
        world,
        folder,
        HEADER
        + "one.wav,agent.north,2026-11-01T09:00:00Z,R-1,0,surplus,fields\n"
        + "two.wav,agent.north,2026-11-01T09:00:00Z,R-2,0\n",
    )
    assert [r.status for r in report.rows] == ["error", "imported"]
    assert _ids(world) == {before.external_id, "R-2"}


def test_nul_bytes_in_a_manifest_are_refused_not_crashed_on(batch):
    """PostgreSQL text cannot hold NUL and paths cannot contain it: a clear refusal, and
    the good rows still import."""
    world, before, folder = batch
    body = (
        HEADER
        + "one.wav,agent\x00.north,2026-11-01T09:00:00Z,N-1,0\n"
        + "tw\x00o.wav,agent.north,2026-11-01T09:00:00Z,N-2,0\n"
        + "two.wav,agent.north,2026-11-01T09:00:00Z,N-3,0\n"
    )
    try:
        report = _run(world, folder, body)
    except IntakeProblem as exc:  # refusing the whole file is a fine answer too
        assert str(exc).startswith("manifest.csv: ")
        assert _ids(world) == {before.external_id}
    else:
        assert [r.status for r in report.rows] == ["error", "error", "imported"]
        assert _ids(world) == {before.external_id, "N-3"}


def test_a_field_too_big_for_csv_is_a_clear_refusal():
    huge = "a" * 200_000
    with pytest.raises(IntakeProblem, match=r"^big\.csv: "):
        parse_manifest(
            (HEADER + f"{huge}.wav,agent.north,2026-11-01T09:00:00Z,X,0\n").encode(), "big.csv"
        )


def test_very_many_rows_are_parsed_without_trouble():
    rows = "".join(f"f{i}.wav,agent.north,2026-11-01T09:00:00Z,M-{i},0\n" for i in range(5000))
    good, bad = parse_manifest((HEADER + rows).encode())
    assert len(good) == 5000 and bad == []
    assert good[-1].line == 5001
