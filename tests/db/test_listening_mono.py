"""A mono recording cannot tell the agent from the customer; a transcript that names them
can (issue 19): the stored listening report then has both parties' metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from db.services.calls import import_call
from db.services.listening import listening_report_for, store_listening_report
from db.services.transcripts import attach_transcript
from tests.factories import make_world, write_speechlike_wav

VTT = b"""WEBVTT

00:00.500 --> 00:04.000
<v Agent>Thanks for calling, how can I help?

00:04.500 --> 00:09.000
<v Customer>My account is locked and I cannot log in.

00:09.200 --> 00:12.000
<v Agent>Let me look at that for you.
"""


def test_a_mono_call_with_a_named_transcript_gets_both_parties_metrics(database, tmp_path):
    world = make_world()
    path = write_speechlike_wav(tmp_path / "mono.wav", seconds=14, channels=1)
    call = import_call(
        world.admin,
        path,
        original_name=path.name,
        agent_username=world.agent_north.username,
        started_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        external_id="MONO-1",
        analyse=False,
    )
    store_listening_report(call.id)
    before = listening_report_for(world.admin, call.id)
    assert before["summary"]["talk_share"] is None  # mono: parties unknown

    attach_transcript(world.admin, call.id, VTT, "mono.vtt")  # queues the analysis again
    store_listening_report(call.id)  # what that job runs
    after = listening_report_for(world.admin, call.id)
    assert after["report"]["params"]["turns_from"] == "transcript"
    agent_s, customer_s = 3.5 + 2.8, 4.5
    assert abs(after["summary"]["talk_share"] - agent_s / (agent_s + customer_s)) < 0.05
