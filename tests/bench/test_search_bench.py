"""The search bench's seeding: one transcript per call with lines from the demo scripts,
found by the product's own search on SQLite FTS5 (shapes, never timings)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.search_bench import RARE_EVERY, UTTERANCES_PER_CALL, queries, seed_transcripts
from bench.seed import make_recording, seed
from db.access import AccessDenied, NotFound
from db.engine import make_engine, use_engine
from db.models import TranscriptRow, TranscriptUtterance
from db.services.calls import get_call
from db.services.transcripts import search_transcripts

SCALE = 0.002  # 200 calls, so 200 transcripts and 4,000 utterances


@pytest.fixture
def seeded(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
    result = seed(engine, make_recording(tmp_path / "media", seconds=20), SCALE)
    yield engine, result
    use_engine(None)
    engine.dispose()


def test_every_call_gets_a_transcript_that_the_search_finds(seeded):
    engine, result = seeded
    counts = seed_transcripts(engine, SCALE)
    assert counts["transcripts"] == 200
    assert counts["utterances"] == 200 * UTTERANCES_PER_CALL
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count(func.distinct(TranscriptRow.call_id)))).scalar() == 200
        )
        per_call = conn.execute(
            select(func.count()).select_from(TranscriptUtterance).group_by("call_id")
        ).scalars()
        assert set(per_call) == {UTTERANCES_PER_CALL}
    by_label = dict(queries(counts["new_utterances"]))
    # The rare line: one utterance in the whole database names this ticket.
    assert len(search_transcripts(result.admin, by_label["one line in the database"])) == 1
    assert counts["utterances"] // RARE_EVERY >= 1
    assert search_transcripts(result.admin, by_label["no match"]) == []
    common = search_transcripts(result.admin, by_label["common word"])
    assert len(common) == 50  # the page's limit: the word is common in the demo scripts
    # A supervisor's answer holds only calls the policy lets them see; the admin's more.
    team = search_transcripts(result.supervisor, by_label["common word"])
    assert team
    for hit in team:
        get_call(result.supervisor, hit.call_id)  # raises when not visible
    hidden = 0
    for hit in common:
        try:
            get_call(result.supervisor, hit.call_id)
        except (AccessDenied, NotFound):
            hidden += 1
    assert hidden


def test_lines_stored_after_the_seed_are_indexed_again(seeded):
    # SQLite's seeding builds the FTS5 index in one go and puts the insert trigger back.
    engine, result = seeded
    seed_transcripts(engine, SCALE)
    with engine.begin() as conn:
        row = conn.execute(select(TranscriptUtterance).limit(1)).mappings().one()
        conn.execute(
            TranscriptUtterance.__table__.insert(),
            {**row, "id": None, "seq": 99, "text": "The kumquat tree is back."},
        )
    assert len(search_transcripts(result.admin, "kumquat")) == 1


def test_calls_that_have_a_transcript_keep_it(seeded):
    # The transcript-pane section stores one first; the search section tops up around it.
    engine, result = seeded
    first = seed_transcripts(engine, SCALE / 2)
    assert first["transcripts"] == 100
    with engine.connect() as conn:
        before = conn.execute(select(TranscriptUtterance.id, TranscriptUtterance.text)).all()
    second = seed_transcripts(engine, SCALE)
    assert second["transcripts"] == 200
    assert second["new_utterances"] == 100 * UTTERANCES_PER_CALL
    assert second["utterances"] == 200 * UTTERANCES_PER_CALL
    with engine.connect() as conn:
        kept = conn.execute(
            select(TranscriptUtterance.id, TranscriptUtterance.text).where(
                TranscriptUtterance.id <= max(i for i, _ in before)
            )
        ).all()
    assert sorted(kept) == sorted(before)
    by_label = dict(queries(second["new_utterances"]))
    assert len(search_transcripts(result.admin, by_label["one line in the database"])) >= 1
    assert seed_transcripts(engine, SCALE)["new_utterances"] == 0  # nothing left to do
