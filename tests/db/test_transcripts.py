"""Transcripts per call: attach from a file, read back, replace only when asked (the old
one kept in the audit trail), full-text search limited to the calls a user may see, the
manifest's transcript column, and the CLI's attach-transcripts."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from db.access import AccessDenied, NotFound
from db.engine import read_scope
from db.models import ListeningReportRow, TranscriptUtterance
from db.services.audit import audit_trail
from db.services.calibration import create_session
from db.services.calls import bulk_import, list_calls
from db.services.listening import store_listening_report
from db.services.transcripts import (
    TranscriptExists,
    attach_transcript,
    search_transcripts,
    transcript_for,
    transcript_sources,
)
from scoring.transcripts import TranscriptError
from tests.factories import make_call, make_world, write_speechlike_wav

VTT = """WEBVTT

00:00.500 --> 00:03.000
<v Agent>Good morning, service desk, how can I help?

00:03.500 --> 00:07.250
<v Customer>My printer shows a paper jam but the tray is empty.

00:08.000 --> 00:11.000
<v Agent>So the printer reports a jam with an empty tray. Let me check.
"""

SRT_DIARISED = """1
00:00:00,500 --> 00:00:03,000
[SPEAKER_00] Good morning, how can I help?

2
00:00:03,500 --> 00:00:07,000
[SPEAKER_01] My laptop will not charge any more.
"""


def _fit_to_speechlike_turns(srt: str) -> str:
    """The diarised lines moved into the test recording's first agent and customer turns."""
    return srt.replace("00:00:00,500 --> 00:00:03,000", "00:00:00,100 --> 00:00:01,900").replace(
        "00:00:03,500 --> 00:00:07,000", "00:00:02,100 --> 00:00:03,900"
    )


def _attach(actor, call_id, body=VTT, name="call.vtt", **kw):
    return attach_transcript(actor, call_id, body.encode(), name, **kw)


def test_a_transcript_is_stored_read_back_and_replaced_only_when_asked(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    info = _attach(world.sup_north, call.id)
    assert (info.source, info.format, info.utterance_count, info.replaced) == (
        "import:webvtt:call.vtt",
        "webvtt",
        3,
        False,
    )
    stored = transcript_for(world.sup_north, call.id)
    assert [(u.speaker, u.start_s, u.end_s) for u in stored.transcript.utterances] == [
        ("agent", 0.5, 3.0),
        ("customer", 3.5, 7.25),
        ("agent", 8.0, 11.0),
    ]
    assert stored.transcript.utterances[1].text == (
        "My printer shows a paper jam but the tray is empty."
    )
    assert stored.info.source == "import:webvtt:call.vtt"

    other = VTT.replace("printer", "scanner")
    with pytest.raises(TranscriptExists, match="already has a transcript"):
        _attach(world.sup_north, call.id, other, "second.vtt")
    assert "printer" in transcript_for(world.admin, call.id).transcript.utterances[1].text

    again = _attach(world.sup_north, call.id, other, "second.vtt", replace=True, reason="fixed")
    assert again.replaced and again.source == "import:webvtt:second.vtt"
    assert "scanner" in transcript_for(world.admin, call.id).transcript.utterances[1].text
    (event,) = audit_trail(world.admin, "call", call.id)
    assert event["action"] == "transcript.replace" and event["reason"] == "fixed"
    assert event["before"]["source"] == "import:webvtt:call.vtt"
    assert "printer" in event["before"]["utterances"][1]["text"]  # the old one, whole
    # The replaced lines are gone from the search index too.
    assert search_transcripts(world.admin, "printer") == []
    assert [h.text for h in search_transcripts(world.admin, "scanner jam")][0].startswith("My")


def test_words_and_redactions_survive_storage(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    contact_lens = {
        "Participants": [
            {"ParticipantId": "A1", "ParticipantRole": "AGENT"},
            {"ParticipantId": "C1", "ParticipantRole": "CUSTOMER"},
        ],
        "Transcript": [
            {
                "ParticipantId": "C1",
                "BeginOffsetMillis": 1000,
                "EndOffsetMillis": 4000,
                "Content": "My card number is [PII].",
                "Redaction": {
                    "RedactedTimestamps": [{"BeginOffsetMillis": 2500, "EndOffsetMillis": 3900}]
                },
            }
        ],
    }
    _attach(world.admin, call.id, json.dumps(contact_lens), "contact-lens.json")
    (utterance,) = transcript_for(world.admin, call.id).transcript.utterances
    assert utterance.speaker == "customer" and utterance.text == "My card number is [PII]."
    assert utterance.redactions == ((2.5, 3.9),)

    whisper = {
        "segments": [
            {
                "start": 0.5,
                "end": 2.0,
                "text": " Hello there.",
                "words": [
                    {"word": " Hello", "start": 0.5, "end": 1.0},
                    {"word": " there.", "start": 1.1, "end": 2.0},
                ],
            }
        ]
    }
    second = make_call(world.admin, world.agent_north, tmp_path, seconds=20, seed=5)
    _attach(world.admin, second.id, json.dumps(whisper), "whisper.json")
    (spoken,) = transcript_for(world.admin, second.id).transcript.utterances
    assert [(w.text, w.start_s, w.end_s) for w in spoken.words] == [
        ("Hello", 0.5, 1.0),
        ("there.", 1.1, 2.0),
    ]


def test_bad_files_are_refused_with_the_parsers_reason_and_nothing_stored(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    beyond = VTT.replace("00:08.000 --> 00:11.000", "00:58.000 --> 01:01.000")
    for body, name in [("", "empty.vtt"), ("{broken", "broken.json"), (beyond, "long.vtt")]:
        with pytest.raises(TranscriptError, match=name):
            _attach(world.admin, call.id, body, name)
    assert transcript_for(world.admin, call.id) is None


def test_diarised_labels_take_parties_from_the_listening_turns(database, tmp_path):
    world = make_world()
    # Channel 0 (the agent) speaks in 0-2 s, 4-6 s ...; channel 1 in 2-4 s, 6-8 s ...
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    store_listening_report(call.id)
    diarised = SRT_DIARISED.replace(
        "00:00:00,500 --> 00:00:03,000", "00:00:00,100 --> 00:00:01,900"
    )
    diarised = diarised.replace("00:00:03,500 --> 00:00:07,000", "00:00:02,100 --> 00:00:03,900")
    _attach(world.admin, call.id, diarised, "diarised.srt")
    utterances = transcript_for(world.admin, call.id).transcript.utterances
    assert [(u.label, u.speaker) for u in utterances] == [
        ("SPEAKER_00", "agent"),
        ("SPEAKER_01", "customer"),
    ]


def test_diarised_labels_get_parties_when_the_analysis_comes_later(database, tmp_path):
    """Imported before the listening job ran: the job names the parties when it runs."""
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    diarised = SRT_DIARISED.replace(
        "00:00:00,500 --> 00:00:03,000", "00:00:00,100 --> 00:00:01,900"
    )
    diarised = diarised.replace("00:00:03,500 --> 00:00:07,000", "00:00:02,100 --> 00:00:03,900")
    _attach(world.admin, call.id, diarised, "diarised.srt")
    assert {u.speaker for u in transcript_for(world.admin, call.id).transcript.utterances} == {
        "unknown"
    }
    from db.models import Job
    from db.services.jobs import enqueue
    from jobs.text_tasks import TEXT_EVIDENCE

    def text_evidence_jobs() -> int:
        with read_scope() as session:
            query = select(Job.id).where(Job.call_id == call.id, Job.kind == TEXT_EVIDENCE)
            return len(session.exec(query).all())

    before = text_evidence_jobs()
    assert enqueue("listen", call.id).state == "done"  # immediate mode in tests
    assert [u.speaker for u in transcript_for(world.admin, call.id).transcript.utterances] == [
        "agent",
        "customer",
    ]
    assert text_evidence_jobs() == before + 1  # made again, now that the parties are known


def test_search_finds_lines_on_visible_calls_only(database, tmp_path):
    world = make_world()
    north = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="N-1")
    north2 = make_call(world.admin, world.agent_north2, tmp_path, seed=2, external_id="N2-1")
    south = make_call(world.admin, world.agent_south, tmp_path, seed=3, external_id="S-1")
    for call in (north, north2, south):
        _attach(world.admin, call.id, VTT.replace("printer", f"printer {call.external_id}"))

    def hits(actor, query):
        return sorted((h.external_id, h.start_s) for h in search_transcripts(actor, query))

    assert hits(world.admin, "printer") == [
        ("N-1", 3.5),
        ("N-1", 8.0),
        ("N2-1", 3.5),
        ("N2-1", 8.0),
        ("S-1", 3.5),
        ("S-1", 8.0),
    ]
    assert hits(world.sup_north, "paper jam") == [("N-1", 3.5), ("N2-1", 3.5)]
    assert hits(world.sup_south, "PAPER, jam!") == [("S-1", 3.5)]
    assert hits(world.agent_north, "printer") == [("N-1", 3.5), ("N-1", 8.0)]
    assert hits(world.agent_north, "S") == []  # another team's id in the text: not theirs
    (hit,) = [h for h in search_transcripts(world.agent_north, "tray") if h.start_s == 3.5]
    assert (hit.call_id, hit.speaker, hit.end_s) == (north.id, "customer", 7.25)
    assert hit.text == "My printer N-1 shows a paper jam but the tray is empty."
    # Search syntax in the box is only text: no operators, no errors.
    for odd in ['"', "printer OR", "NEAR(a b)", "*", "jam AND -tray", "-- ;", "ü"]:
        search_transcripts(world.admin, odd)
    assert search_transcripts(world.admin, "   ") == []
    assert hits(world.admin, "printer NOT") == []  # every word must be there


def test_agents_and_other_teams_cannot_read_or_attach(database, tmp_path):
    world = make_world()
    north = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    mine = make_call(world.admin, world.agent_north2, tmp_path, seed=2)
    _attach(world.admin, north.id)
    _attach(world.admin, mine.id)
    assert transcript_for(world.agent_north, north.id) is not None
    for actor in (world.agent_north2, world.sup_south):
        with pytest.raises(NotFound):
            transcript_for(actor, north.id)
    assert transcript_sources(world.agent_north2, [north.id, mine.id]) == {
        mine.id: "import:webvtt:call.vtt"
    }
    with pytest.raises(AccessDenied):
        _attach(world.agent_north, north.id, replace=True)
    with pytest.raises(NotFound):
        _attach(world.sup_south, north.id, replace=True)


def test_blind_calibration_shows_the_seated_call_and_nothing_else(database, tmp_path):
    """South's supervisor scores a North call blind: its transcript is open to them (they
    hear the call anyway), other North calls are not, and search results carry the
    line and the call, never anyone's scores or comments."""
    world = make_world()
    seated = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="CAL-1")
    other = make_call(world.admin, world.agent_north, tmp_path, seed=2, external_id="N-OTHER")
    for call in (seated, other):
        _attach(world.admin, call.id)
    create_session(world.sup_north, "blind", [seated.id], [world.sup_north.id, world.sup_south.id])
    assert transcript_for(world.sup_south, seated.id) is not None
    with pytest.raises(NotFound):
        transcript_for(world.sup_south, other.id)
    found = search_transcripts(world.sup_south, "printer")
    assert {h.external_id for h in found} == {"CAL-1"}
    assert set(vars(found[0])) == {
        "call_id",
        "external_id",
        "agent",
        "started_at",
        "speaker",
        "start_s",
        "end_s",
        "text",
    }
    assert search_transcripts(world.agent_south, "printer") == []


# ---------------------------------------------------------------- bulk: manifest and CLI


def test_a_manifest_brings_transcripts_and_reports_bad_ones(database, tmp_path):
    world = make_world()
    folder = tmp_path / "batch"
    folder.mkdir()
    for n, name in enumerate(["good.wav", "bad.wav", "missing.wav", "none.wav"]):
        write_speechlike_wav(folder / name, 15, seed=10 + n)
    (folder / "good.vtt").write_text(VTT)
    (folder / "bad.srt").write_text("1\n00:00:05,000 --> 00:00:01,000\nAgent: backwards\n")
    manifest = folder / "manifest.csv"
    manifest.write_text(
        "file,agent,started_at,external_id,agent_channel,transcript\n"
        "good.wav,agent.north,2026-11-01T09:00:00Z,,0,good.vtt\n"
        "bad.wav,agent.north,2026-11-01T09:10:00Z,,0,bad.srt\n"
        "missing.wav,agent.north,2026-11-01T09:20:00Z,,0,nowhere.vtt\n"
        "none.wav,agent.north,2026-11-01T09:30:00Z,,0,\n"
    )
    report = bulk_import(world.admin, folder, manifest)
    by_file = {r.file: r for r in report.rows}
    assert [by_file[f].status for f in ("good.wav", "bad.wav", "missing.wav", "none.wav")] == [
        "imported",
        "error",
        "error",
        "imported",
    ]
    assert by_file["bad.wav"].message.startswith("bad.srt: ")
    assert by_file["missing.wav"].message == "transcript 'nowhere.vtt' not found"
    calls = {c.external_id: c.id for c in list_calls(world.admin)}
    assert set(calls) == {"good", "none"}
    assert transcript_sources(world.admin, list(calls.values())) == {
        calls["good"]: "import:webvtt:good.vtt"
    }
    with read_scope() as session:  # the listening job ran (immediate mode) for both
        assert len(session.exec(select(ListeningReportRow)).all()) == 2


@pytest.fixture
def migrated_sqlite(tmp_path):
    """A database made by the migrations (as the CLI finds it on a server), so the search
    index the migration creates is the one searched."""
    from db.engine import make_engine, use_engine
    from db.operations.migrate import upgrade_to_head

    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade_to_head(engine)
    use_engine(engine)
    yield engine
    use_engine(None)
    engine.dispose()


def test_cli_attaches_transcripts_to_existing_calls(migrated_sqlite, tmp_path, capsys):
    from db.operations.cli import main

    world = make_world()
    first = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="C-1")
    second = make_call(world.admin, world.agent_north, tmp_path, seed=2, external_id="C-2")
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "one.vtt").write_text(VTT)
    (folder / "two.json").write_text("{not json")
    (folder / "manifest.csv").write_text(
        f"call_id,file\nC-1,one.vtt\nC-2,two.json\nC-404,one.vtt\n{second.id},../outside.vtt\n"
    )
    code = main(["attach-transcripts", str(folder), str(folder / "manifest.csv")])
    out = capsys.readouterr().out
    assert code == 1  # some rows failed
    assert "line    2  attached  one.vtt: import:webvtt:one.vtt" in out
    assert "line    3  error     two.json: two.json: " in out
    assert "line    4  error     one.vtt: no call C-404" in out
    assert "line    5  error     ../outside.vtt: the path leaves the folder" in out
    assert "1 attached, 3 not attached" in out
    assert transcript_for(world.admin, first.id) is not None
    assert transcript_for(world.admin, second.id) is None
    # Again: the existing one is kept unless --replace says otherwise.
    assert main(["attach-transcripts", str(folder), str(folder / "manifest.csv")]) == 1
    assert "already has a transcript" in capsys.readouterr().out
    with read_scope() as session:
        assert len(session.exec(select(TranscriptUtterance)).all()) == 3
    assert [h.external_id for h in search_transcripts(world.admin, "paper jam tray")] == ["C-1"]


@pytest.mark.slow  # heavy end to end: make test runs it, make test-fast leaves it out
def test_the_demo_calls_come_with_their_scripts_as_transcripts(database):
    from db.operations.demo import DEMO_PASSWORD, seed_demo
    from db.services.auth import authenticate

    seed_demo(history=False)
    admin = authenticate("admin", DEMO_PASSWORD)
    calls = list_calls(admin)
    sources = transcript_sources(admin, [c.id for c in calls])
    assert len(calls) == 24 and sources.keys() == {c.id for c in calls}
    assert all(s.startswith("import:webvtt:") and s.endswith(".vtt") for s in sources.values())
    ana = authenticate("ana", DEMO_PASSWORD)
    (first,) = [c for c in calls if c.external_id == "CALL-2026-0001"]
    opening = transcript_for(ana, first.id).transcript.utterances[0]
    assert (opening.speaker, opening.start_s) == ("agent", 1.23)
    assert opening.text == "Good morning, service desk, Ana speaking. How can I help?"
    hits = search_transcripts(ana, "password expired")
    assert hits and {h.agent for h in hits} == {"Ana Souza"}
    assert len(search_transcripts(admin, "password")) > len(hits)  # others' calls too


# ---------------------------------------------------------------- recognition as a job


@pytest.fixture
def spoken_call(tmp_path):
    """The first 14 s of a demo recording (stereo, 8 kHz, agent left) as a WAV file."""
    import soundfile as sf

    from scoring.audio import read_audio
    from tests.factories import REPO_ROOT

    samples, rate = read_audio(REPO_ROOT / "demo" / "audio" / "ana-01-password-expired.opus")
    path = tmp_path / "spoken.wav"
    sf.write(path, samples[: 14 * rate], rate, subtype="PCM_16")
    return path


def test_recognition_is_a_job_that_fails_with_its_reason_and_retries(
    database, spoken_call, tmp_path, monkeypatch
):
    """With recognition on, an import without a transcript queues a recognition job
    (immediate mode here; tests/db/test_jobs.py runs the queue for real). A model that
    is not there fails the job with the reason; once it is there, Retry recognises."""
    from datetime import UTC, datetime

    from db.services.calls import import_call
    from db.services.jobs import latest_jobs_for_calls, retry_job

    world = make_world()
    monkeypatch.setenv("EARSHOT_ASR_ENABLED", "1")
    monkeypatch.setenv("EARSHOT_ASR_MODEL", str(tmp_path / "no-model-here"))
    row = import_call(
        world.admin,
        spoken_call,
        original_name="spoken.wav",
        agent_username="agent.north",
        started_at=datetime(2026, 11, 3, 14, 0, tzinfo=UTC),
    )
    jobs = {j.kind: j for j in latest_jobs_for_calls(world.sup_north, [row.id])[row.id]}
    assert jobs["listen"].state == "done"
    failed = jobs["transcribe"]
    assert failed.state == "failed" and "no-model-here: no such folder" in failed.error
    assert transcript_for(world.admin, row.id) is None

    monkeypatch.delenv("EARSHOT_ASR_MODEL")  # the bundled tiny.en
    assert retry_job(world.sup_north, failed.id).state == "done"
    stored = transcript_for(world.sup_north, row.id)
    assert stored.info.source.startswith("asr:faster-whisper ")
    assert "tiny.en" in stored.info.source and stored.info.format == "asr"
    agent_said = " ".join(u.text for u in stored.transcript.utterances if u.speaker == "agent")
    assert "good morning" in agent_said.lower() and "help" in agent_said.lower()
    assert {u.speaker for u in stored.transcript.utterances} == {"agent", "customer"}
    assert all(u.words for u in stored.transcript.utterances)  # word timings kept


def test_a_call_with_a_transcript_is_not_recognised(database, tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from db.services.calls import import_call
    from db.services.jobs import enqueue, latest_jobs_for_calls

    world = make_world()
    monkeypatch.setenv("EARSHOT_ASR_ENABLED", "1")
    path = write_speechlike_wav(tmp_path / "t.wav", 12, seed=9)
    row = import_call(
        world.admin,
        path,
        original_name="t.wav",
        agent_username="agent.north",
        started_at=datetime(2026, 11, 3, 14, 0, tzinfo=UTC),
        transcript=(VTT.encode(), "t.vtt"),
    )
    kinds = [j.kind for j in latest_jobs_for_calls(world.admin, [row.id])[row.id]]
    assert "listen" in kinds and "transcribe" not in kinds  # it came with one
    # Asked for anyway (e.g. queued before the import finished): done, nothing replaced.
    assert enqueue("transcribe", row.id).state == "done"
    assert transcript_for(world.admin, row.id).info.source == "import:webvtt:t.vtt"


def test_recognition_asked_for_replaces_an_import_only_when_told(database, spoken_call):
    from datetime import UTC, datetime

    from db.services.calls import import_call
    from db.services.transcripts import queue_recognition

    world = make_world()
    row = import_call(
        world.admin,
        spoken_call,
        original_name="spoken.wav",
        agent_username="agent.north",
        started_at=datetime(2026, 11, 3, 14, 0, tzinfo=UTC),
        transcript=(VTT.encode(), "spoken.vtt"),
    )
    with pytest.raises(AccessDenied):
        queue_recognition(world.agent_north, row.id)
    with pytest.raises(NotFound):
        queue_recognition(world.sup_south, row.id)
    assert queue_recognition(world.sup_north, row.id).state == "done"  # immediate mode
    assert transcript_for(world.admin, row.id).info.source == "import:webvtt:spoken.vtt"
    assert queue_recognition(world.sup_north, row.id, replace=True).state == "done"
    assert transcript_for(world.admin, row.id).info.source.startswith("asr:faster-whisper")
    (event,) = audit_trail(world.admin, "call", row.id)
    assert event["before"]["source"] == "import:webvtt:spoken.vtt"
    assert event["reason"] == "recognised again"
