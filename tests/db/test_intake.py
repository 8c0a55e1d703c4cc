"""Call intake: uploads, bulk import from a manifest, content addressing, bad input."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from db.access import AccessDenied
from db.services.calls import (
    IntakeProblem,
    bulk_import,
    external_id_from_name,
    get_call,
    import_call,
    list_calls,
)
from db.services.media import media_root
from tests.factories import make_call, make_world, write_speechlike_wav

WHEN = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


def _batch_folder(tmp_path: Path, seeds_by_name: dict[str, int]) -> Path:
    """A bulk-import folder holding a short, distinct recording under each name."""
    folder = tmp_path / "batch"
    folder.mkdir()
    for name, seed in seeds_by_name.items():
        write_speechlike_wav(folder / name, 4, seed=seed)
    return folder


def _import(actor, path: Path, agent="agent.north", **kw):
    return import_call(
        actor,
        path,
        original_name=path.name,
        agent_username=agent,
        started_at=WHEN,
        analyse=False,
        **kw,
    )


def test_upload_is_stored_by_content_hash_and_listed(database, tmp_path):
    world = make_world()
    row = make_call(world.sup_north, world.agent_north, tmp_path, seconds=12)
    assert row.channels == 2 and 11.9 < row.duration_s < 12.1
    stored = list(media_root().rglob("*.wav"))
    assert any(p.stem.startswith(p.parent.name) for p in stored)
    listed = list_calls(world.sup_north)
    assert [(c.external_id, c.agent, c.id) for c in listed] == [("T-0", "Agent.North", row.id)]
    assert listed[0].started_at == row.started_at and listed[0].started_at.tzinfo is not None
    assert list_calls(world.sup_south) == []  # another team's call stays invisible


def test_the_same_recording_twice_is_named_as_a_duplicate(database, tmp_path):
    world = make_world()
    path = write_speechlike_wav(tmp_path / "a.wav", 5)
    first = _import(world.admin, path)
    with pytest.raises(IntakeProblem, match=f"already imported as {first.external_id}"):
        _import(world.admin, path, external_id="OTHER-ID")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Call with customer (2).wav", "Call-with-customer-2"),
        ("Anruf Müller – Störung.mp3", "Anruf-Muller-Storung"),
        ("  ..hidden call.ogg", "hidden-call"),
        ("2026-11-01 09:00 north.opus", "2026-11-01-09:00-north"),
        ("x" * 300 + ".wav", "x" * 120),
        ("電話.wav", ""),
        ('<b onload=x>call&2".wav', "b-onload-x-call-2"),
        ("sub/folder/Call 5.wav", "Call-5"),  # the file's own name, not its folders
    ],
)
def test_a_call_id_is_made_from_any_file_name(name, expected):
    assert external_id_from_name(name) == expected


def test_uploads_named_with_spaces_or_accents_import_under_a_clean_id(database, tmp_path):
    world = make_world()
    spaced = write_speechlike_wav(tmp_path / "Call with Müller 3.wav", 3, seed=4)
    assert _import(world.admin, spaced).external_id == "Call-with-Muller-3"
    unnamed = write_speechlike_wav(tmp_path / "電話.wav", 3, seed=5)
    with pytest.raises(IntakeProblem, match="電話.wav: no call id can be made"):
        _import(world.admin, unnamed)
    assert _import(world.admin, unnamed, external_id="PHONE-1").external_id == "PHONE-1"
    with pytest.raises(IntakeProblem, match="external id 'a b' has unusual characters"):
        _import(world.admin, write_speechlike_wav(tmp_path / "c.wav", 3, seed=6), external_id="a b")


def test_a_manifest_without_ids_names_calls_after_their_files(database, tmp_path):
    world = make_world()
    folder = _batch_folder(tmp_path, {"north call 1.wav": 7, "電話.wav": 8})
    manifest = folder / "manifest.csv"
    manifest.write_text(
        "file,agent,started_at,external_id,agent_channel\n"
        "north call 1.wav,agent.north,2026-11-01T09:00:00Z,,0\n"
        "電話.wav,agent.north,2026-11-01T09:10:00Z,,0\n",
        encoding="utf-8",
    )
    report = bulk_import(world.admin, folder, manifest, lambda *_: None)
    assert [r.status for r in report.rows] == ["imported", "error"]
    assert "fill in the external_id column" in report.rows[1].message
    assert [c.external_id for c in list_calls(world.admin)] == ["north-call-1"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"this is a text file, not audio at all" * 10, "a.wav"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 8, "a.wav"),  # truncated header
    ],
)
def test_empty_corrupt_and_non_audio_uploads_are_refused(database, tmp_path, content, expected):
    world = make_world()
    bad = tmp_path / "a.wav"
    bad.write_bytes(content)
    with pytest.raises(IntakeProblem, match=expected):
        _import(world.admin, bad)
    assert list_calls(world.admin) == []


def test_mono_recordings_are_accepted_and_agent_channel_is_checked(database, tmp_path):
    world = make_world()
    mono = write_speechlike_wav(tmp_path / "mono.wav", 5, channels=1)
    with pytest.raises(IntakeProblem, match="agent channel 1 does not exist"):
        _import(world.admin, mono, agent_channel=1)
    assert _import(world.admin, mono).channels == 1


def test_supervisors_import_only_for_their_team_and_agents_not_at_all(database, tmp_path):
    world = make_world()
    path = write_speechlike_wav(tmp_path / "x.wav", 5)
    with pytest.raises(IntakeProblem, match="not in your team"):
        _import(world.sup_south, path, agent="agent.north")
    with pytest.raises(IntakeProblem, match="unknown agent"):
        _import(world.admin, path, agent="sup.north")
    with pytest.raises(AccessDenied):
        _import(world.agent_north, path)


def test_agents_see_only_their_own_calls(database, tmp_path):
    world = make_world()
    mine = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    theirs = make_call(world.admin, world.agent_north2, tmp_path, seed=2)
    assert [c.id for c in list_calls(world.agent_north)] == [mine.id]
    with pytest.raises(LookupError):
        get_call(world.agent_north, theirs.id)


def test_bulk_import_imports_good_rows_and_names_bad_ones(database, tmp_path):
    world = make_world()
    folder = _batch_folder(tmp_path, {"one.wav": 1, "two.wav": 2})
    (folder / "broken.wav").write_bytes(b"not audio")
    (tmp_path / "outside.wav").write_bytes(b"x")
    manifest = folder / "manifest.csv"
    manifest.write_text(
        "file,agent,started_at,external_id,agent_channel\n"
        "one.wav,agent.north,2026-11-01T09:00:00Z,C-1,0\n"
        "two.wav,nobody,2026-11-01T09:10:00Z,C-2,0\n"
        "broken.wav,agent.north,2026-11-01T09:20:00Z,C-3,0\n"
        "../outside.wav,agent.north,2026-11-01T09:30:00Z,C-4,0\n"
        "missing.wav,agent.north,2026-11-01T09:40:00Z,C-5,0\n"
        "two.wav,agent.south,yesterday,C-6,0\n"
        "one.wav,agent.north,2026-11-01T09:00:00Z,C-7,0\n"
    )
    seen = []
    report = bulk_import(world.admin, folder, manifest, lambda d, t, n: seen.append((d, t)))
    by_line = {r.line: r for r in report.rows}
    assert by_line[2].status == "imported"
    assert "unknown agent" in by_line[3].message
    assert by_line[4].status == "error" and "broken.wav" not in by_line[4].message
    assert "leaves the import folder" in by_line[5].message
    assert "not found" in by_line[6].message
    assert "not an ISO date-time" in by_line[7].message
    assert "listed twice" in by_line[8].message
    assert report.imported == 1 and report.failed == 6
    assert seen and seen[-1][0] == seen[-1][1]


def test_manifest_missing_columns_or_bad_encoding_is_refused_whole(database, tmp_path):
    world = make_world()
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,agent\nx.wav,agent.north\n")
    with pytest.raises(IntakeProblem, match="missing column.*started_at"):
        bulk_import(world.admin, tmp_path, manifest)
    manifest.write_bytes("file,agent\n\xff\xfe".encode("latin-1"))
    with pytest.raises(IntakeProblem, match="not UTF-8"):
        bulk_import(world.admin, tmp_path, manifest)


def test_listening_evidence_is_computed_at_import_and_on_demand(database, tmp_path):
    from db.services.listening import listening_report_for, recompute_listening_report

    world = make_world()
    path = write_speechlike_wav(tmp_path / "talk.wav", 12)
    call = import_call(
        world.admin, path, original_name="talk.wav", agent_username="agent.north", started_at=WHEN
    )
    stored = listening_report_for(world.sup_north, call.id)
    assert stored["error"] is None and len(stored["peaks"]) == 2
    assert stored["report"]["turns"], "alternating bursts should give turns on both lanes"
    from scoring.listening import ListeningReport

    # The stored headline columns say what the full report says.
    assert stored["summary"] == ListeningReport.from_dict(stored["report"]).summary()
    with pytest.raises(AccessDenied):
        recompute_listening_report(world.agent_north, call.id)
    with pytest.raises(LookupError):
        recompute_listening_report(world.sup_south, call.id)
    again = recompute_listening_report(world.sup_north, call.id)
    assert again["computed_at"] >= stored["computed_at"]
    with pytest.raises(LookupError):
        listening_report_for(world.agent_north2, call.id)
