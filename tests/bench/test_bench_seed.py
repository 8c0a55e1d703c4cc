"""The benchmark's seeder at a tiny scale, and the shape of bench/results.json.

No wall-clock assertions: timings are the benchmark's business, not the test suite's.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bench import run as bench_run
from bench.seed import make_recording, seed
from db.engine import make_engine, use_engine
from db.models import Call, Evaluation, ItemScore, ListeningReportRow
from db.services.calls import get_call
from db.services.evaluations import get_evaluation, open_draft
from db.services.listening import listening_report_for
from db.services.queue import scoring_queue

SCALE = 0.002  # 200 calls, 200 evaluations, 2,000 item scores


@pytest.fixture
def seeded(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
    recording = make_recording(tmp_path / "media", seconds=20)
    result = seed(engine, recording, SCALE)
    yield engine, recording, result
    use_engine(None)
    engine.dispose()


def test_the_seed_has_the_scaled_shape(seeded):
    engine, recording, result = seeded
    assert result.counts["call"] == 200
    assert result.counts["evaluation"] == 200
    assert result.counts["listening_report"] == 200
    with engine.connect() as conn:
        regular = (Evaluation.purpose == "regular") & (Evaluation.status == "submitted")
        assert conn.execute(select(func.count()).where(regular)).scalar_one() == 200
        per_eval = conn.execute(
            select(func.count(ItemScore.id))
            .join(Evaluation, Evaluation.id == ItemScore.evaluation_id)
            .where(regular)
            .group_by(ItemScore.evaluation_id)
        ).scalars()
        assert set(per_eval) == {10}
        # Evaluations copy the call's agent; every call has a stored listening report.
        mismatched = conn.execute(
            select(func.count())
            .select_from(Evaluation)
            .join(Call, Call.id == Evaluation.call_id)
            .where(Call.agent_id != Evaluation.agent_id)
        ).scalar_one()
        assert mismatched == 0
        assert (
            conn.execute(
                select(func.count()).where(ListeningReportRow.talk_share.is_not(None))
            ).scalar_one()
            == 200
        )
        paths = set(conn.execute(select(Call.audio_path).distinct()).scalars())
    assert paths == {recording.relative}
    assert recording.path.exists() and recording.sample_rate == 8000 and recording.channels == 2


def test_the_services_read_the_seed(seeded):
    engine, recording, result = seeded
    queue = scoring_queue(result.supervisor)
    assert result.score_call_id in {row.call_id for row in queue}
    call = get_call(result.supervisor, result.score_call_id)
    assert call.duration_s == pytest.approx(recording.duration_s)
    listening = listening_report_for(result.supervisor, result.score_call_id)
    assert listening["peaks"] and listening["report"]["duration_s"] == pytest.approx(20, abs=0.1)
    draft = open_draft(result.supervisor, result.score_call_id)
    assert draft.status == "draft"
    with engine.connect() as conn:
        own = conn.execute(
            select(Evaluation.id).where(
                Evaluation.agent_id == result.agent.id, Evaluation.status == "submitted"
            )
        ).first()
    assert get_evaluation(result.agent, own.id).agent_id == result.agent.id


def test_seeding_refuses_a_database_with_users(seeded):
    engine, recording, _ = seeded
    with pytest.raises(RuntimeError, match="already has users"):
        seed(engine, recording, SCALE)


def test_results_json_has_every_figure_with_its_target(tmp_path):
    out = tmp_path / "results.json"
    code = bench_run.main(
        [
            "--scale",
            str(SCALE),
            "--seconds",
            "20",
            "--reps",
            "1",
            "--skip",
            "pages,server,transcripts,robust",  # speech recognition and hour-long audio: slow
            "--out",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert {"backend", "scale", "date", "python", "streamlit"} <= set(data["meta"])
    assert data["meta"]["backend"] == "sqlite" and data["meta"]["scale"] == SCALE
    names = [r["name"] for r in data["results"]]
    assert names[0].startswith("seed:")
    assert any(n.startswith("listening:") for n in names)
    assert any(n.startswith("calibration:") for n in names)
    assert any(n.startswith("text evidence") for n in names)
    assert any(n.startswith("sampling rules") for n in names)
    search = next(r for r in data["results"] if r["name"].startswith("search transcripts (200)"))
    assert search["target"] == "≤ 20× blank (#16)" and search["value"] > 0
    assert search["details"]["admin, one line in the database"]["lines"] == 1
    for row in data["results"]:
        assert set(row) == {"name", "value", "unit", "target", "pass", "details"}
        assert row["pass"] in (True, False, None)
        assert row["value"] is None or isinstance(row["value"], int | float)
        assert isinstance(row["details"], dict) and row["target"]


def test_a_bad_section_name_is_refused():
    with pytest.raises(SystemExit):
        bench_run.parse_args(["--skip", "pages,nonsense"])
