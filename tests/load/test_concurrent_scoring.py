"""Twenty supervisors scoring at once, on a SQLite file and on PostgreSQL.

Each simulated supervisor is a thread with its own Actor and its own calls: it opens a
draft, autosaves every item (value, sometimes a note) for several rounds, submits, and
moves to its next call, until its calls or the time budget run out. Afterwards every
submitted evaluation must be in the database exactly as its thread last saved it (values,
notes, total recomputed with scoring.evaluation, row version = number of writes), and no
error of any kind (in particular ``database is locked``) may have reached a caller.

A second test makes two "tabs" of one scorer race for the same evaluation, round after
round: exactly one write wins per row version, the other is refused with StaleEvaluation,
and nothing is silently overwritten.

Short by default (the suite budget); ``EARSHOT_LOAD_SECONDS=180`` runs for minutes.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from db.access import Actor
from db.engine import session_scope
from db.models import Evaluation, ItemScore
from db.services.auth import authenticate
from db.services.evaluations import (
    StaleEvaluation,
    get_evaluation,
    open_draft,
    rubric_for,
    save_item,
    submit,
)
from db.services.users import create_user
from scoring.evaluation import score_evaluation
from tests.factories import PASSWORD, SCORED_ITEMS, make_call, make_world

SUPERVISORS = 20
LOAD_SECONDS = float(os.environ.get("EARSHOT_LOAD_SECONDS", "0") or 0)
SHORT = LOAD_SECONDS <= 0
BUDGET_S = 12.0 if SHORT else LOAD_SECONDS
CALLS_EACH = 2 if SHORT else max(2, int(LOAD_SECONDS // 3))  # the deadline ends it
ROUNDS = 2 if SHORT else 3
ITEMS = SCORED_ITEMS  # the default rubric's items (eye contact is N/A on audio)
NOTES = [
    "",
    "Talked over the customer at 0:42 <script>alert(1)</script>",
    "Paraphrased well \u200f\u05e9\u05dc\u05d5\u05dd \U0001f44d",
    "Good pause & recap",
]


@dataclass
class Expected:
    """What one thread believes it saved, updated only after a save returned."""

    values: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    writes: int = 0  # successful save_item/submit calls: each bumps row_version by one
    submitted: bool = False


@dataclass
class Tally:
    saves: int = 0
    submits: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _supervisors(n: int) -> list[Actor]:
    actors = []
    for i in range(n):
        create_user(None, f"load.sup{i:02d}", f"Load Sup {i}", "supervisor", PASSWORD, team="North")
        actors.append(authenticate(f"load.sup{i:02d}", PASSWORD))
    return actors


def _score_calls(
    actor: Actor,
    call_ids: list[int],
    seed: int,
    deadline: float,
    expected: dict[int, Expected],
    tally: Tally,
) -> None:
    rng = random.Random(seed)
    try:
        for call_id in call_ids:
            if time.monotonic() > deadline:
                return
            ev = open_draft(actor, call_id)
            mine = expected.setdefault(ev.id, Expected())
            for _ in range(ROUNDS):
                for key in ITEMS:
                    value, note = rng.randint(1, 5), rng.choice(NOTES)
                    if rng.random() < 0.3:
                        ev = save_item(actor, ev.id, ev.row_version, key, value=value, note=note)
                        mine.notes[key] = note.strip()
                    else:
                        ev = save_item(actor, ev.id, ev.row_version, key, value=value)
                    mine.values[key] = value
                    mine.writes += 1
                    with tally.lock:
                        tally.saves += 1
            ev = submit(actor, ev.id, ev.row_version, review_seconds=60)
            mine.writes += 1
            mine.submitted = True
            with tally.lock:
                tally.submits += 1
    except Exception as exc:
        with tally.lock:
            tally.errors.append(f"{actor.username}: {type(exc).__name__}: {exc}")


def test_twenty_supervisors_score_concurrently_and_nothing_is_lost(database, tmp_path, capsys):
    world = make_world()
    supervisors = _supervisors(SUPERVISORS)
    calls = {
        sup.id: [
            make_call(
                world.admin, world.agent_north, tmp_path, seconds=2, seed=1000 + i * CALLS_EACH + j
            ).id
            for j in range(CALLS_EACH)
        ]
        for i, sup in enumerate(supervisors)
    }
    expected: dict[int, dict[int, Expected]] = {sup.id: {} for sup in supervisors}
    tally = Tally()
    start = time.monotonic()
    deadline = start + BUDGET_S
    threads = [
        threading.Thread(
            target=_score_calls,
            name=sup.username,
            args=(sup, calls[sup.id], i, deadline, expected[sup.id], tally),
        )
        for i, sup in enumerate(supervisors)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=BUDGET_S + 120)
    elapsed = time.monotonic() - start
    assert not any(t.is_alive() for t in threads), "a supervisor thread hung"
    assert tally.errors == [], "errors reached callers:\n" + "\n".join(tally.errors[:20])

    submitted = 0
    for sup in supervisors:
        for ev_id, mine in expected[sup.id].items():
            view = get_evaluation(sup, ev_id)
            rubric = rubric_for(sup, ev_id)
            assert view.row_version == 1 + mine.writes, "a write was lost or doubled"
            assert {k: view.items[k].value for k in ITEMS} == mine.values
            for key, note in mine.notes.items():
                assert view.items[key].note == note
            assert view.items["eye_contact"].na
            assert view.total == score_evaluation(rubric, view.values).total
            assert view.submitted == mine.submitted
            submitted += mine.submitted
    with session_scope() as session:  # no duplicate item rows, no stray evaluations
        per_eval = Counter(session.exec(select(ItemScore.evaluation_id)).all())
        evaluations = session.exec(select(Evaluation)).all()
    assert len(evaluations) == sum(len(e) for e in expected.values())
    assert all(n == len(ITEMS) + 1 for n in per_eval.values())
    assert submitted == tally.submits >= SUPERVISORS  # everyone finished at least one call
    with capsys.disabled():
        backend = database.dialect.name
        print(
            f"\n[load {backend}] {SUPERVISORS} supervisors, {tally.submits} evaluations "
            f"submitted, {tally.saves} saves in {elapsed:.1f} s = "
            f"{tally.saves / elapsed:.0f} saves/s, errors: {len(tally.errors)}"
        )


def test_two_tabs_racing_for_one_evaluation_never_overwrite_silently(database, tmp_path, capsys):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=2)
    ev = open_draft(world.sup_north, call.id)
    rounds = 40 if SHORT else 400
    barrier = threading.Barrier(2, timeout=60)
    wins: list[tuple[int, str, int, str]] = []  # (version claimed, tab, value, note)
    refused: list[tuple[int, str]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def tab(name: str, value: int) -> None:
        try:
            for r in range(rounds):
                barrier.wait()
                version = get_evaluation(world.sup_north, ev.id).row_version
                barrier.wait()  # both tabs now hold the same version
                note = f"{name} round {r}"
                try:
                    saved = save_item(
                        world.sup_north, ev.id, version, "be_patient", value=value, note=note
                    )
                except StaleEvaluation:
                    with lock:
                        refused.append((version, name))
                else:
                    assert saved.row_version == version + 1
                    with lock:
                        wins.append((version, name, value, note))
        except Exception as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            barrier.abort()

    threads = [
        threading.Thread(target=tab, args=("left", 2)),
        threading.Thread(target=tab, args=("right", 5)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    claimed = Counter(v for v, *_ in wins)
    assert all(n == 1 for n in claimed.values()), "two writers won the same version"
    assert len(wins) == rounds and len(refused) == rounds  # one winner, one refusal each round
    assert sorted(claimed) == list(range(ev.row_version, ev.row_version + rounds))
    final = get_evaluation(world.sup_north, ev.id)
    last_version, _, last_value, last_note = max(wins)
    assert final.row_version == last_version + 1 == ev.row_version + rounds
    assert (final.items["be_patient"].value, final.items["be_patient"].note) == (
        last_value,
        last_note,
    )
    with capsys.disabled():
        print(
            f"\n[race {database.dialect.name}] {rounds} rounds: {len(wins)} writes won, "
            f"{len(refused)} stale writes refused, 0 silent overwrites"
        )


def test_a_refused_stale_write_changes_nothing(database, tmp_path):
    """The loser's value never appears, even partially (its item row or note)."""
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=2)
    ev = open_draft(world.sup_north, call.id)
    ev = save_item(world.sup_north, ev.id, ev.row_version, "open_mind", value=4, note="kept")
    for _ in range(3):
        with pytest.raises(StaleEvaluation):
            save_item(
                world.sup_north,
                ev.id,
                ev.row_version - 1,
                "open_mind",
                value=1,
                note="the stale tab's note",
            )
        with pytest.raises(StaleEvaluation):
            save_item(world.sup_north, ev.id, ev.row_version - 1, "paraphrase", value=1)
    after = get_evaluation(world.sup_north, ev.id)
    assert after.row_version == ev.row_version
    assert after.items["open_mind"] == ev.items["open_mind"]
    assert "paraphrase" not in after.items
