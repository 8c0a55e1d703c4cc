"""The Calls page: each call's background work and transcript, a failed job with its
reason and Retry, transcripts uploaded with a recording or attached later, and search
across transcripts with links that open the call at the matching moment."""

from pathlib import Path

from db.services.jobs import enqueue, job_view
from db.services.transcripts import attach_transcript, transcript_for
from jobs.runner import HANDLERS, JobContext, JobFailed, handler
from tests.app.conftest import open_page
from tests.factories import make_call, make_world, write_speechlike_wav

VTT = """WEBVTT

00:00.500 --> 00:03.000
<v Agent>Service desk, how can I help?

00:03.500 --> 00:07.250
<v Customer>My &lt;b&gt;printer&lt;/b&gt; shows a paper jam but the tray is empty.
"""


def _table(at):
    (table,) = at.dataframe
    return table.value


def test_calls_list_their_transcript_and_background_work(app_db, tmp_path):
    world = make_world()
    with_text = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="P-1")
    make_call(world.admin, world.agent_north, tmp_path, seed=2, external_id="P-2")
    make_call(world.admin, world.agent_south, tmp_path, seed=3, external_id="P-SOUTH")
    attach_transcript(world.admin, with_text.id, VTT.encode(), "p1.vtt")
    enqueue("listen", with_text.id)  # immediate mode in tests: done at once
    table = _table(open_page(world.sup_north, "pages/calls.py"))
    rows = {r["Call"]: (r["Transcript"], r["Background work"]) for r in table.to_dict("records")}
    assert rows.keys() == {"P-1", "P-2"}  # not another team's call
    assert rows["P-1"][0] == "import:webvtt:p1.vtt"
    assert "listening done" in rows["P-1"][1].split(", ")  # (a transcript queues more work)
    assert rows["P-2"] == ("–", "–")


def test_search_links_each_matching_line_to_the_call_at_its_moment(app_db, tmp_path):
    world = make_world()
    north = make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="S-N")
    south = make_call(world.admin, world.agent_south, tmp_path, seed=2, external_id="S-S")
    for call in (north, south):
        attach_transcript(world.admin, call.id, VTT.encode(), "t.vtt")
    at = open_page(world.sup_north, "pages/calls.py")
    at.text_input(key="transcript_search").set_value("paper jam").run()
    assert not at.exception
    (link,) = at.page_link
    assert link.value == "S-N at 0:03"  # 3.5 s: the player's clock reads 0:03 there
    assert link.proto.page.endswith("score.py") or "score" in link.proto.page
    assert f"call={north.id}" in link.proto.query_string
    assert "t=3.50" in link.proto.query_string
    lines = [t.value for t in at.text]
    assert "Agent.North · customer: My <b>printer</b> shows a paper jam but the tray is empty." in (
        lines
    )  # the line as text: the tags in it are shown, not rendered
    at.text_input(key="transcript_search").set_value("no such words").run()
    assert not at.page_link
    assert "has all of these words" in at.info[0].value


def test_a_failed_job_shows_its_reason_and_retry_runs_it_again(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, external_id="F-1")
    flag = tmp_path / "flag"
    flag.touch()

    @handler("test-page-flaky")
    def _flaky(context: JobContext) -> None:
        if Path(context.subject).exists():
            raise JobFailed("the recording store was offline")

    try:
        job = enqueue("test-page-flaky", call.id, subject=str(flag))
        assert job.state == "failed"
        at = open_page(world.sup_north, "pages/calls.py")
        assert any("the recording store was offline (attempt 1)" in t.value for t in at.text)
        assert _table(at)["Background work"][0] == "test-page-flaky failed"
        # Another team's supervisor sees nothing of it.
        other = open_page(world.sup_south, "pages/calls.py")
        assert not any("offline" in t.value for t in other.text)
        flag.unlink()
        at.button(key=f"retry_{job.id}").click().run()
        assert not at.exception
        assert job_view(job.id).state == "done" and job_view(job.id).attempts == 2
        assert not any("offline" in t.value for t in at.text)
        assert _table(at)["Background work"][0] == "test-page-flaky done"
    finally:
        HANDLERS.pop("test-page-flaky")


def test_a_transcript_uploads_with_its_recording_and_bad_ones_say_why(app_db, tmp_path):
    world = make_world()
    audio = write_speechlike_wav(tmp_path / "desk call.wav", 10, seed=4).read_bytes()
    at = open_page(world.sup_north, "pages/calls.py")
    uploaders = {u.label.split(" (")[0]: u for u in at.file_uploader}
    uploaders["Audio files"].set_value(("desk call.wav", audio, "audio/wav"))
    uploaders["Transcripts, optional"].set_value(
        [("desk call.vtt", VTT.encode(), "text/vtt"), ("stray.srt", b"1\n", "text/plain")]
    )
    at.button[0].click().run()  # the form's Import
    assert not at.exception
    assert at.success[0].value.endswith("with the transcript desk call.vtt.")
    assert "stray.srt: no recording of the same name" in at.warning[0].value
    (row,) = _table(at).to_dict("records")
    assert row["Call"] == "desk-call" and row["Transcript"] == "import:webvtt:desk call.vtt"

    # A broken transcript keeps the recording out too, naming the file and the line.
    again = open_page(world.sup_north, "pages/calls.py")
    uploaders = {u.label.split(" (")[0]: u for u in again.file_uploader}
    other = write_speechlike_wav(tmp_path / "second.wav", 10, seed=5).read_bytes()
    uploaders["Audio files"].set_value(("second.wav", other, "audio/wav"))
    uploaders["Transcripts, optional"].set_value(("second.vtt", b"WEBVTT\n\nnonsense", "text/vtt"))
    again.button[0].click().run()
    assert again.error[0].value.startswith("second.wav: second.vtt: ")
    assert list(_table(again)["Call"]) == ["desk-call"]


def _attach_picker(at):
    """The attach form's file picker (a new one, emptied, after each transcript attached)."""
    (picker,) = [u for u in at.file_uploader if u.label == "Transcript file"]
    return picker


def test_attaching_to_an_existing_call_asks_before_replacing(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, external_id="A-1")
    at = open_page(world.sup_north, "pages/calls.py")
    _attach_picker(at).set_value(("a1.vtt", VTT.encode(), "text/vtt"))
    at.button[1].click().run()  # the attach form's button
    assert "Attached to A-1" in at.success[0].value
    changed = VTT.replace("printer", "scanner").encode()
    _attach_picker(at).set_value(("a1-fixed.vtt", changed, "text/vtt"))
    at.button[1].click().run()
    assert "already has a transcript" in at.error[0].value
    _attach_picker(at).set_value(("a1-fixed.vtt", changed, "text/vtt"))
    at.checkbox(key="attach_replace").check()
    at.button[1].click().run()
    assert "Replaced the transcript of A-1" in at.success[0].value
    assert "scanner" in transcript_for(world.admin, call.id).transcript.utterances[1].text


def test_a_search_link_opens_the_score_page_at_its_moment(app_db, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, external_id="T-1")
    at = open_page(world.sup_north, "pages/score.py", {"call": str(call.id), "t": "3.50"})
    assert at.session_state[f"c{call.id}_seek"] == (3.5, 1)  # the player seeks there once
    plain = open_page(world.sup_north, "pages/score.py", {"call": str(call.id), "t": "x"})
    assert plain.session_state[f"c{call.id}_seek"] == (None, 0)


def test_queued_work_shows_until_a_worker_has_done_it(app_db, tmp_path):
    from jobs.queue import make_huey, use_huey
    from jobs.runner import run_job

    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, external_id="Q-1")
    use_huey(make_huey(sqlite_path=str(tmp_path / "queue.db")))  # a queue no worker reads
    try:
        job = enqueue("listen", call.id)
    finally:
        use_huey(None)
    at = open_page(world.sup_north, "pages/calls.py")
    assert _table(at)["Background work"][0] == "listening queued"
    assert "this list follows its progress" in at.caption[-1].value
    run_job(job.id)  # what a worker does with it
    at.run()
    assert _table(at)["Background work"][0] == "listening done"
    assert not any("follows its progress" in c.value for c in at.caption)


def test_recognition_is_asked_for_from_the_attach_form(app_db, tmp_path):
    from db.services.jobs import latest_jobs_for_calls

    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=4, external_id="R-1")
    at = open_page(world.sup_north, "pages/calls.py")
    at.button[2].click().run()  # the attach form's "Recognise the speech instead"
    assert not at.exception
    assert "Speech recognition for R-1" in at.success[0].value
    jobs = {j.kind: j for j in latest_jobs_for_calls(world.sup_north, [call.id])[call.id]}
    assert jobs["transcribe"].state == "done", jobs["transcribe"].error  # immediate mode
    assert transcript_for(world.sup_north, call.id).info.source.startswith("asr:")


def test_calls_show_their_start_in_the_readers_time_zone(app_db, tmp_path):
    """Issue 14, bug 10: the list showed `2026-11-02 09:30:00+00:00`; dates follow the
    zone saved on the account (else the browser's, here absent: the server's)."""
    from datetime import UTC, datetime

    from db.services.users import set_time_zone
    from ui.times import local_time, server_zone

    world = make_world()
    make_call(world.admin, world.agent_north, tmp_path, seed=1, external_id="TZ-1")
    started = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # as the factory imports it
    (row,) = _table(open_page(world.sup_north, "pages/calls.py")).to_dict("records")
    assert row["Started"] == local_time(started, server_zone())
    assert "+00:00" not in str(row["Started"])
    set_time_zone(world.sup_north, "Asia/Tokyo")
    (row,) = _table(open_page(world.sup_north, "pages/calls.py")).to_dict("records")
    assert row["Started"] == "2026-11-02 18:30 JST"
