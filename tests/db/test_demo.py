"""The demo data: a believable QA programme on first run, and never loaded twice."""

from collections import Counter

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.models import Call, Comment, Evaluation, ListeningReportRow, User
from db.operations.demo import DEMO_PASSWORD, seed_demo
from db.services.auth import authenticate


@pytest.mark.slow  # heavy end to end: make test runs it, make test-fast leaves it out
def test_demo_loads_teams_people_calls_and_twelve_weeks_of_history(database):
    message = seed_demo()
    assert "demo data loaded" in message
    with session_scope() as session:
        roles = Counter(u.role for u in session.exec(select(User)).all())
        calls = session.exec(select(Call)).all()
        evaluations = session.exec(select(Evaluation)).all()
        comments = session.exec(select(Comment)).all()
        reports = session.exec(select(ListeningReportRow)).all()
    assert roles == {"agent": 8, "supervisor": 3, "admin": 1}
    recordings = {c.audio_sha256 for c in calls}
    assert len(recordings) >= 20
    assert all(c.channels == 2 and 60 <= c.duration_s <= 240 for c in calls)
    submitted = [e for e in evaluations if e.status == "submitted"]
    drafts = [e for e in evaluations if e.status == "draft"]
    assert drafts and len(submitted) >= 8 * 12
    weeks = {e.submitted_at.isocalendar()[:2] for e in submitted}
    assert len(weeks) >= 12
    by_agent = {}
    for e in submitted:
        by_agent.setdefault(e.agent_id, []).append(e.total)
    means = sorted(sum(v) / len(v) for v in by_agent.values())
    assert means[-1] - means[0] > 20  # agents really differ
    assert comments
    assert all(r.error is None and r.peaks for r in reports)
    assert authenticate("chloe", DEMO_PASSWORD).role == "agent"
    assert seed_demo() == "database already has users; demo data not loaded"
