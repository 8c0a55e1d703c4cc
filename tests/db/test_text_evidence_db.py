"""Text evidence per call: the job queued where transcripts are stored computes and stores
it with its rules version; stale evidence (older rules, a replaced transcript) is found
and recomputed; it is read only by those who may see the call. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.access import NotFound
from db.engine import read_scope, session_scope
from db.models import Job, TextEvidenceRow
from db.services.jobs import latest_jobs_for_calls
from db.services.text_evidence import (
    compute_text_evidence,
    queue_stale_text_evidence,
    stale_call_ids,
    text_evidence_for,
)
from db.services.transcripts import attach_transcript, transcript_for
from jobs.text_tasks import TEXT_EVIDENCE
from scoring.text_evidence import RULES_VERSION, analyze_text
from tests.factories import make_call, make_world

VTT = """WEBVTT

00:00.500 --> 00:03.000
<v Agent>Good morning, service desk, how can I help?

00:03.500 --> 00:07.250
<v Customer>My printer shows a paper jam but the tray is empty.

00:08.000 --> 00:11.500
<v Agent>So what I'm hearing is the printer reports a jam with an empty tray. Is that right?

00:12.000 --> 00:14.000
<v Customer>Yes. As I said, the tray is empty.

00:14.500 --> 00:17.000
<v Agent>That's not our fault, you should have called the vendor.
"""


def _attach(actor, call_id, body=VTT, **kw):
    return attach_transcript(actor, call_id, body.encode(), "call.vtt", **kw)


def test_storing_a_transcript_queues_the_job_that_stores_text_evidence(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    with read_scope() as s:
        assert s.get(TextEvidenceRow, call.id) is None
    _attach(world.sup_north, call.id)  # tests run queued jobs at once (immediate mode)

    (job,) = [j for j in latest_jobs_for_calls(world.admin, [call.id])[call.id]]
    assert (job.kind, job.state) == (TEXT_EVIDENCE, "done")
    stored = text_evidence_for(world.sup_north, call.id)
    assert stored is not None and stored.current and stored.rules_version == RULES_VERSION
    expected = analyze_text(transcript_for(world.admin, call.id).transcript)
    assert stored.evidence == expected
    assert stored.summary["paraphrases"] == 1 and stored.summary["defensive"] == 1
    assert stored.summary["repeats"] == 1
    assert [m.t_s for m in stored.evidence.paraphrases] == [8.0]
    # The counts are columns too (for trends), equal to the stored moments.
    with read_scope() as s:
        row = s.get(TextEvidenceRow, call.id)
        assert (row.paraphrases, row.defensive, row.repeats) == (1, 1, 1)
        assert row.questions == expected.summary()["questions"] >= 1


def test_a_transcript_rolled_back_queues_nothing(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    with pytest.raises(ValueError, match="already has"):
        _attach(world.sup_north, call.id)
        _attach(world.sup_north, call.id)  # refused: its transaction queues no second job
    with read_scope() as s:
        jobs = s.exec(select(Job).where(Job.kind == TEXT_EVIDENCE)).all()
    assert len(jobs) == 1


def test_stale_evidence_is_found_and_recomputed(database, tmp_path):
    world = make_world()
    first = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    second = make_call(world.admin, world.agent_north, tmp_path, seed=2)
    third = make_call(world.admin, world.agent_north, tmp_path, seed=3)  # no transcript
    _attach(world.admin, first.id)
    _attach(world.admin, second.id)
    assert stale_call_ids() == []
    with session_scope() as s:
        row = s.get(TextEvidenceRow, first.id)
        row.rules_version = RULES_VERSION - 1  # made by older rules
        row.paraphrases = 99
        s.add(row)
        s.delete(s.get(TextEvidenceRow, second.id))  # missing
    assert stale_call_ids() == [first.id, second.id]
    assert third.id not in stale_call_ids()
    assert text_evidence_for(world.admin, first.id).current is False

    assert queue_stale_text_evidence() == 2
    assert stale_call_ids() == []
    with read_scope() as s:
        assert s.get(TextEvidenceRow, first.id).paraphrases == 1
        assert s.get(TextEvidenceRow, first.id).rules_version == RULES_VERSION

    # A replaced transcript recomputes (its evidence described the old one).
    calm = VTT.replace("That's not our fault, you should have called the vendor.", "Thanks.")
    _attach(world.admin, first.id, calm, replace=True, reason="corrected")
    assert text_evidence_for(world.admin, first.id).summary["defensive"] == 0
    assert compute_text_evidence(third.id) is None


def test_text_evidence_is_read_like_its_call(database, tmp_path):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path)
    _attach(world.admin, call.id)
    for allowed in (world.admin, world.sup_north, world.agent_north):
        assert text_evidence_for(allowed, call.id).summary["defensive"] == 1
    for refused in (world.sup_south, world.agent_north2, world.agent_south):
        with pytest.raises(NotFound):
            text_evidence_for(refused, call.id)
    with pytest.raises(NotFound):
        text_evidence_for(world.admin, 10**6)


def test_trends_gain_the_text_metrics_per_agent_and_team(database, tmp_path):
    from db.services.trends import TrendFilters, team_text_weekly, text_weekly
    from tests.factories import submit_evaluation

    world = make_world()
    calm = VTT.replace("That's not our fault, you should have called the vendor.", "Thanks.")
    calls: list[int] = []
    for seed, (agent, body) in enumerate(
        [
            (world.agent_north, VTT),
            (world.agent_north, calm),
            (world.agent_north2, VTT),
            (world.agent_south, calm),
        ]
    ):
        call = make_call(world.admin, agent, tmp_path, seed=seed)
        calls.append(call.id)
        _attach(world.admin, call.id, body)
        scorer = world.sup_south if agent is world.agent_south else world.sup_north
        submit_evaluation(scorer, call.id)
    make_call(world.admin, world.agent_north, tmp_path, seed=9)  # not evaluated: left out

    frame = text_weekly(world.admin, TrendFilters())
    by_agent = frame.set_index("agent")
    assert by_agent.loc["Agent.North", "n_calls"] == 2
    assert by_agent.loc["Agent.North", "defensive"] == pytest.approx(0.5)
    assert by_agent.loc["Agent.North2", "defensive"] == pytest.approx(1.0)
    assert by_agent.loc["Agent.South", "repeats"] == pytest.approx(1.0)
    # Scoped like every trend: an agent sees their own rows, a supervisor their team's.
    assert set(text_weekly(world.agent_north, TrendFilters())["agent"]) == {"Agent.North"}
    assert set(text_weekly(world.sup_north, TrendFilters())["agent"]) == {
        "Agent.North",
        "Agent.North2",
    }
    teams = team_text_weekly(world.admin, TrendFilters()).set_index("team")
    assert teams.loc["North", "n_calls"] == 3
    assert teams.loc["North", "defensive"] == pytest.approx(2 / 3)
    assert teams.loc["South", "defensive"] == pytest.approx(0.0)
    assert set(team_text_weekly(world.agent_south, TrendFilters())["team"]) == {"South"}
    # New evidence (a corrected transcript) shows at once, not after the cache expires.
    _attach(world.admin, calls[2], calm, replace=True, reason="corrected")
    by_agent = text_weekly(world.admin, TrendFilters()).set_index("agent")
    assert by_agent.loc["Agent.North2", "defensive"] == pytest.approx(0.0)
