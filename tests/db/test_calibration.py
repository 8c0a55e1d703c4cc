"""Calibration sessions on both databases: the blind rule in queries, reveal, consensus,
scorer accuracy, and calibration work kept out of the agents' numbers."""

import contextlib
import math
from dataclasses import fields
from datetime import UTC, datetime

import pytest

from db.access import AccessDenied
from db.engine import get_engine
from db.services.audit import audit_trail
from db.services.auth import authenticate
from db.services.calibration import (
    create_session,
    get_session,
    list_sessions,
    record_consensus,
    reveal,
    scorer_accuracy,
    session_results,
    submission_status,
)
from db.services.evaluations import (
    EvaluationLocked,
    add_comment,
    get_evaluation,
    open_draft,
    save_item,
)
from db.services.evaluations import submit as submit_evaluation
from db.services.overview import overview_for
from db.services.queue import scoring_queue
from db.services.users import create_user
from scoring.evaluation import ScoreOutOfRange
from tests.db.test_feedback_cache import statements
from tests.factories import ALL_ITEMS, PASSWORD, make_call, make_world

ITEMS = ALL_ITEMS  # the default rubric's items
SCORED_ITEMS = [key for key in ITEMS if key != "eye_contact"]  # N/A on audio-only calls


@pytest.fixture
def room(database, tmp_path):
    """North's supervisor facilitates; North, South and a second North supervisor score."""
    world = make_world()
    create_user(None, "sup.north2", "Nora North", "supervisor", PASSWORD, team="North")
    north2 = authenticate("sup.north2", PASSWORD)
    calls = [
        make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1),
        make_call(world.admin, world.agent_north2, tmp_path, seconds=30, seed=2),
    ]
    return world, north2, calls


def _open(world, north2, calls, benchmark=None, title="November calibration"):
    scorers = [world.sup_north.id, world.sup_south.id, north2.id]
    return create_session(
        world.sup_north, title, [c.id for c in calls], scorers, benchmark_scorer_id=benchmark
    )


def _score(actor, call_id, session_id, level=3, overrides=None, comments=()):
    """Score every item blind at `level` (with `overrides`), pin `comments`, submit."""
    ev = open_draft(actor, call_id, session_id)
    for key in SCORED_ITEMS:
        value = (overrides or {}).get(key, level)
        ev = save_item(actor, ev.id, ev.row_version, key, value=value)
    for t_s, text in comments:
        ev = add_comment(actor, ev.id, ev.row_version, t_s, text)
    return submit_evaluation(actor, ev.id, ev.row_version)


# ---------------------------------------------------------------- creating


def test_creating_a_session_checks_who_what_and_the_benchmark(room):
    world, north2, calls = room
    ids = [c.id for c in calls]
    seats = [world.sup_north.id, world.sup_south.id]
    with pytest.raises(AccessDenied):
        create_session(world.agent_north, "Mine", ids, seats)
    with pytest.raises(ValueError, match="at least 2 scorers"):
        create_session(world.sup_north, "Solo", ids, [world.sup_north.id, world.sup_north.id])
    with pytest.raises(ValueError, match="benchmark must be one of"):
        create_session(world.sup_north, "Bench", ids, seats, benchmark_scorer_id=north2.id)
    with pytest.raises(ValueError, match="cannot score"):
        create_session(world.sup_north, "Agents", ids, [world.sup_north.id, world.agent_north.id])
    with pytest.raises(LookupError, match="not found or is not yours"):
        create_session(world.sup_south, "Other team's calls", ids, seats)  # North's calls
    with pytest.raises(ValueError, match="time zone"):
        create_session(world.sup_north, "Due", ids, seats, due_at=datetime(2026, 12, 1))
    with pytest.raises(ValueError, match="title"):
        create_session(world.sup_north, "   ", ids, seats)

    due = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    session_id = create_session(
        world.sup_north, "November", ids, seats, benchmark_scorer_id=world.sup_south.id, due_at=due
    )
    summary = get_session(world.sup_north, session_id)
    assert summary.title == "November" and summary.due_at == due
    assert summary.scorers == ("Sup.North", "Sup.South") and summary.benchmark == "Sup.South"
    assert [c.call_id for c in summary.calls] == ids
    assert summary.rubric_version == 3 and not summary.revealed  # the newest shipped
    (event,) = audit_trail(world.admin, "calibration_session", session_id)
    assert event["action"] == "create" and event["after"]["scorer_ids"] == seats


def test_sessions_are_listed_for_seats_facilitators_and_admins_only(room):
    world, north2, calls = room
    session_id = create_session(
        world.sup_north, "Pair", [calls[0].id], [world.sup_south.id, north2.id]
    )
    assert [s.id for s in list_sessions(world.sup_north)] == [session_id]  # facilitates
    assert [s.id for s in list_sessions(world.sup_south)] == [session_id]  # sits
    assert [s.id for s in list_sessions(world.admin)] == [session_id]
    create_user(None, "sup.east", "Eve East", "supervisor", PASSWORD, team="East")
    assert list_sessions(authenticate("sup.east", PASSWORD)) == []
    with pytest.raises(AccessDenied):
        list_sessions(world.agent_north)
    mine = list_sessions(world.sup_south)[0]
    assert mine.my_seat and not mine.i_facilitate and mine.my_expected == 1
    assert mine.submitted is None and mine.expected is None  # others' progress is not theirs
    theirs = list_sessions(world.sup_north)[0]
    assert not theirs.my_seat and theirs.expected == 2 and theirs.submitted == 0


# ---------------------------------------------------------------- the blind rule


def test_peers_cannot_read_each_others_session_work_until_reveal(room):
    world, north2, calls = room
    session_id = _open(world, north2, calls)
    north_ev = _score(
        world.sup_north, calls[0].id, session_id, level=4, comments=[(5.0, "Greeting was warm")]
    )
    _score(world.sup_south, calls[0].id, session_id, level=2)

    # Before reveal: no peer, no facilitator, no admin reads another scorer's work.
    for reader in (world.sup_south, north2, world.admin):
        with pytest.raises(LookupError):
            get_evaluation(reader, north_ev.id)
    for reader in (world.sup_south, world.sup_north, world.admin):
        with pytest.raises(AccessDenied, match="hidden until the facilitator reveals"):
            session_results(reader, session_id)
    assert get_evaluation(world.sup_north, north_ev.id).total == north_ev.total  # own work

    create_user(None, "sup.east", "Eve East", "supervisor", PASSWORD, team="East")
    outsider = authenticate("sup.east", PASSWORD)
    reveal(world.sup_north, session_id)

    # After reveal: everyone in the session reads it; an outsider and agents never do.
    assert get_evaluation(world.sup_south, north_ev.id).comments[0].text == "Greeting was warm"
    results = session_results(world.sup_south, session_id)
    assert results.calls[0].scores["Sup.North"]["open_mind"] == 4
    assert results.calls[0].scores["Sup.South"]["open_mind"] == 2
    with pytest.raises(LookupError):
        session_results(outsider, session_id)
    with pytest.raises(LookupError):
        get_evaluation(outsider, north_ev.id)
    with pytest.raises(LookupError):
        get_evaluation(world.agent_north, north_ev.id)  # calibration work is not feedback
    with pytest.raises(AccessDenied):
        session_results(world.agent_north, session_id)


def test_submission_status_says_who_submitted_never_what(room):
    world, north2, calls = room
    session_id = _open(world, north2, calls)
    _score(world.sup_south, calls[0].id, session_id, level=5)
    open_draft(north2, calls[0].id, session_id)  # started, not submitted

    rows = submission_status(world.sup_north, session_id)  # the facilitator
    assert {f.name for f in fields(rows[0])} == {
        "call_id",
        "external_id",
        "scorer_id",
        "scorer",
        "status",
        "submitted_at",
    }
    status = {(r.call_id, r.scorer): r.status for r in rows}
    assert len(rows) == 2 * 3
    assert status[(calls[0].id, "Sup.South")] == "submitted"
    assert status[(calls[0].id, "Nora North")] == "draft"
    assert status[(calls[1].id, "Sup.South")] == "not started"

    own = submission_status(north2, session_id)  # a seat holder: only their own rows
    assert {r.scorer for r in own} == {"Nora North"} and len(own) == 2
    with pytest.raises(AccessDenied):
        submission_status(world.agent_north2, session_id)
    create_user(None, "sup.east", "Eve East", "supervisor", PASSWORD, team="East")
    with pytest.raises(LookupError):
        submission_status(authenticate("sup.east", PASSWORD), session_id)


def test_only_the_facilitator_or_an_admin_reveals_and_only_once(room):
    world, north2, calls = room
    session_id = _open(world, north2, calls)
    with pytest.raises(ValueError, match="Nobody has submitted"):
        reveal(world.sup_north, session_id)
    _score(world.sup_south, calls[0].id, session_id)
    with pytest.raises(AccessDenied, match="facilitator"):
        reveal(world.sup_south, session_id)  # a seat holder, not the facilitator
    summary = reveal(world.sup_north, session_id)
    assert summary.revealed and summary.revealed_at is not None
    with pytest.raises(ValueError, match="already"):
        reveal(world.sup_north, session_id)
    (_, event) = audit_trail(world.admin, "calibration_session", session_id)
    assert event["action"] == "reveal" and event["after"]["submitted"] == 1
    assert event["actor_id"] == world.sup_north.id

    other = _open(world, north2, calls, title="Admin reveals")
    _score(north2, calls[1].id, other)
    assert reveal(world.admin, other).revealed


# ---------------------------------------------------------------- results


def test_results_compare_scorers_with_the_benchmark_and_keep_late_work_out(room):
    world, north2, calls = room
    session_id = _open(world, north2, calls, benchmark=world.sup_north.id)
    for shift, call in enumerate(calls):  # the second call is better: totals vary by call
        _score(
            world.sup_north,
            call.id,
            session_id,
            level=3 + shift,
            overrides={"be_patient": 2 + shift},
            comments=[(12.0, "Talked over at 0:12")],
        )
        _score(
            world.sup_south,
            call.id,
            session_id,
            level=4 + shift,
            comments=[(3.0, "<b>Good</b> opening")],
        )
    reveal(world.sup_north, session_id)
    # A seat holder who submits after seeing the others is not blind any more: whether the
    # late submission is refused or stored, it never counts.
    with contextlib.suppress(AccessDenied, EvaluationLocked, ValueError):
        _score(north2, calls[0].id, session_id, level=1)

    results = session_results(world.sup_north, session_id)
    first = results.calls[0]
    assert first.missing == ["Nora North"]
    assert list(first.grid.index) == ["Sup.North", "Sup.South"]
    assert list(first.grid.columns) == ITEMS
    assert math.isnan(first.grid.loc["Sup.North", "eye_contact"])  # N/A stays N/A
    assert first.reference_source["open_mind"] == "benchmark"
    assert first.reference["be_patient"] == 2
    assert first.spreads.loc["be_patient", "range"] == 2
    assert first.deviation.loc["Sup.South", "label"] == "lenient"
    assert first.deviation.loc["Sup.North", "mean_signed_deviation"] == 0
    assert first.totals["Sup.South"] == 75.0
    # Everyone's comments on one timeline, in recording order, exactly as typed.
    assert [(c.t_s, c.scorer, c.text) for c in first.comments] == [
        (3.0, "Sup.South", "<b>Good</b> opening"),
        (12.0, "Sup.North", "Talked over at 0:12"),
    ]
    stats = results.statistics
    assert stats.scorers == ["Sup.North", "Sup.South"] and stats.benchmark == "Sup.North"
    assert stats.alpha.value is not None and stats.alpha.reading.startswith("α =")
    south_kappa = stats.kappa_vs_benchmark["Sup.South"]
    assert south_kappa.value is not None and south_kappa.reading.startswith("κ =")
    assert "Sup.North" not in stats.kappa_vs_benchmark  # the benchmark itself
    assert stats.totals_icc.value is not None and stats.totals_icc.basis == "2 calls × 2 scorers"
    assert stats.item_agreement["open_mind"].value == 1.0  # always exactly one point apart
    assert set(results.item_titles) == set(ITEMS)


# ---------------------------------------------------------------- consensus


def test_consensus_is_recorded_after_reveal_upserted_audited_and_becomes_the_reference(room):
    world, north2, calls = room
    session_id = _open(world, north2, calls)
    call_id = calls[0].id
    _score(world.sup_north, call_id, session_id, level=3)
    _score(world.sup_south, call_id, session_id, level=5)
    with pytest.raises(AccessDenied, match="Reveal the session first"):
        record_consensus(world.sup_north, session_id, call_id, {"open_mind": (4, "")})
    reveal(world.sup_north, session_id)
    with pytest.raises(AccessDenied, match="facilitator"):
        record_consensus(world.sup_south, session_id, call_id, {"open_mind": (4, "")})
    with pytest.raises(ScoreOutOfRange):
        record_consensus(world.sup_north, session_id, call_id, {"open_mind": (9, "")})
    with pytest.raises(ScoreOutOfRange):  # this item cannot be N/A
        record_consensus(world.sup_north, session_id, call_id, {"open_mind": (None, "")})
    with pytest.raises(LookupError):
        record_consensus(world.sup_north, session_id, 999_999, {"open_mind": (4, "")})

    record_consensus(
        world.sup_north,
        session_id,
        call_id,
        {"open_mind": (4, "Asked before fixing"), "eye_contact": (None, "Audio")},
    )
    stored = record_consensus(
        world.sup_north, session_id, call_id, {"open_mind": (5, "On second listen")}
    )
    assert stored["open_mind"].value == 5 and stored["open_mind"].note == "On second listen"
    assert stored["eye_contact"].na and stored["eye_contact"].value is None  # kept
    assert len(stored) == 2  # an upsert, not a second row

    events = [
        e
        for e in audit_trail(world.admin, "calibration_session", session_id)
        if e["action"] == "record_consensus"
    ]
    assert len(events) == 2
    assert events[1]["before"]["items"]["open_mind"]["value"] == 4
    assert events[1]["after"]["items"]["open_mind"]["value"] == 5

    first = session_results(world.sup_south, session_id).calls[0]
    assert first.reference_source["open_mind"] == "consensus"
    assert first.reference_source["stop_talking"] == "group median"
    assert first.consensus["open_mind"].recorded_by == "Sup.North"
    # Against the consensus of 5 the scorer at 3 is 2 points strict on that item.
    assert first.spreads.loc["open_mind", "reference"] == 5
    assert first.spreads.loc["open_mind", "mean_abs_deviation"] == 1.0


# ---------------------------------------------------------------- agents' numbers


def test_calibration_scores_never_count_toward_agents_or_the_queue(room):
    world, north2, calls = room
    session_id = _open(world, north2, calls)
    for scorer in (world.sup_north, world.sup_south):
        _score(scorer, calls[0].id, session_id, level=5)
    reveal(world.sup_north, session_id)
    # The call still waits for its regular evaluation.
    assert calls[0].id in [row.call_id for row in scoring_queue(world.sup_north)]
    assert overview_for(world.sup_north)["Your submitted evaluations"].value == 0
    agent_view = overview_for(world.agent_north)
    assert agent_view["Your average"].value == "–"
    assert agent_view["New feedback"].value == 0


# ---------------------------------------------------------------- accuracy over time


def _scored_three_ways(world, north2, call) -> int:
    """A one-call session "First", submitted: both North supervisors at 3, South at 5."""
    first = _open(world, north2, [call], title="First")
    _score(world.sup_north, call.id, first, level=3)
    _score(north2, call.id, first, level=3)
    _score(world.sup_south, call.id, first, level=5)
    return first


def test_scorer_accuracy_follows_the_reference_across_revealed_sessions(room):
    world, north2, calls = room
    first = _scored_three_ways(world, north2, calls[0])
    reveal(world.sup_north, first)
    second = _open(world, north2, calls[1:], benchmark=world.sup_south.id, title="Second")
    _score(world.sup_north, calls[1].id, second, level=4)
    _score(world.sup_south, calls[1].id, second, level=4)
    record_unrevealed = _open(world, north2, calls[:1], title="Still blind")
    _score(world.sup_north, calls[0].id, record_unrevealed, level=1)
    reveal(world.sup_north, second)

    table = scorer_accuracy(world.admin)
    rows = {(r.scorer, r.session_id): r for r in table.itertuples()}
    assert set(rows) == {
        ("Sup.North", first),
        ("Nora North", first),
        ("Sup.South", first),
        ("Sup.North", second),  # the benchmark is not compared with themselves
    }
    # First session, no benchmark: the median is 3, South is 2 points off on every item.
    assert rows[("Sup.North", first)].exact_agreement == 1.0
    assert rows[("Sup.South", first)].within_1 == 0.0
    assert rows[("Sup.South", first)].mean_abs_deviation == 2.0
    assert rows[("Sup.North", second)].exact_agreement == 1.0
    assert rows[("Sup.North", first)].n_items == len(SCORED_ITEMS)

    # A supervisor follows their own team and themselves; nobody else.
    north_view = scorer_accuracy(world.sup_north)
    assert set(north_view["scorer"]) == {"Sup.North", "Nora North"}
    assert set(scorer_accuracy(world.sup_south)["scorer"]) == {"Sup.South"}
    with pytest.raises(AccessDenied):
        scorer_accuracy(world.sup_south, scorer_ids=[world.sup_north.id])
    with pytest.raises(AccessDenied):
        scorer_accuracy(world.agent_north)


def test_scorer_accuracy_is_never_stale_after_a_reveal_or_a_consensus(room):
    """It is cached per process; reveal and consensus must move what the cache keys on."""
    world, north2, calls = room
    first = _scored_three_ways(world, north2, calls[0])
    assert scorer_accuracy(world.admin).empty  # nothing revealed yet: read and cached

    reveal(world.sup_north, first)
    table = scorer_accuracy(world.admin).set_index("scorer")
    assert table.loc["Sup.South", "exact_agreement"] == 0.0  # the median, 3, is the reference

    record_consensus(world.sup_north, first, calls[0].id, dict.fromkeys(SCORED_ITEMS, (5, "")))
    table = scorer_accuracy(world.admin).set_index("scorer")
    assert table.loc["Sup.South", "exact_agreement"] == 1.0  # now the consensus, 5
    assert table.loc["Sup.North", "mean_abs_deviation"] == 2.0

    table["exact_agreement"] = -1.0  # a caller's change never reaches the cache
    assert scorer_accuracy(world.admin).set_index("scorer").loc["Sup.North", "within_1"] == 0.0
    assert list(scorer_accuracy(world.admin, [north2.id])["scorer"]) == ["Nora North"]


def test_listing_sessions_takes_the_same_few_queries_however_many_there_are(room):
    world, north2, calls = room
    first = _open(world, north2, calls[:1], title="First")
    _score(world.sup_north, calls[0].id, first)
    with statements(get_engine()) as for_one:
        assert [s.id for s in list_sessions(world.admin)] == [first]

    second = _open(world, north2, calls, benchmark=north2.id, title="Second")
    third = _open(world, north2, calls[1:], title="Third")
    _score(world.sup_south, calls[1].id, second)
    _score(world.sup_south, calls[0].id, second)
    _score(north2, calls[0].id, first)
    reveal(world.sup_north, first)
    with statements(get_engine()) as for_three:
        listed = {s.id: s for s in list_sessions(world.admin)}
    assert len(for_three) == len(for_one)

    assert list(listed) == [third, second, first]  # newest first
    counts = {i: (s.submitted, s.expected, s.revealed) for i, s in listed.items()}
    assert counts == {first: (2, 3, True), second: (2, 6, False), third: (0, 3, False)}
    assert listed[second].benchmark == "Nora North"
    assert [c.call_id for c in listed[second].calls] == [c.id for c in calls]
    assert set(listed[third].scorers) == {"Sup.North", "Sup.South", "Nora North"}
    # A scorer's own view: only their seats' counts, and no one else's totals.
    south = {s.id: s for s in list_sessions(world.sup_south)}
    assert {i: (s.my_submitted, s.submitted) for i, s in south.items()} == {
        first: (0, None),
        second: (2, None),
        third: (0, None),
    }
    assert listed == {s.id: get_session(world.admin, s.id) for s in listed.values()}
