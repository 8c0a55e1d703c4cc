"""The Calibration page through AppTest: create a session, score blind, reveal, compare,
record the consensus; agents never get in."""

from urllib.parse import parse_qs

import pytest

from db.services.calibration import (
    BLIND_MESSAGE,
    create_session,
    list_sessions,
    record_consensus,
    session_results,
)
from db.services.evaluations import add_comment, open_draft, save_item, submit
from tests.app.conftest import open_page
from tests.factories import make_call, make_world

CALIBRATION = "pages/calibration.py"
SCORED_ITEMS = [
    "stop_talking",
    "open_mind",
    "active_listening",
    "natural_pauses",
    "understand_remember",
    "paraphrase",
    "not_defensive",
    "be_patient",
    "lose_distractions",
]  # eye_contact stays N/A on audio-only calls
PEER_SECRET = "Peer comment nobody may read before reveal"


@pytest.fixture
def setup(app_db, tmp_path):
    world = make_world()
    calls = [
        make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=n) for n in (1, 2)
    ]
    return world, calls


def _session(world, calls):
    return create_session(
        world.sup_north,
        "Blind pair",
        [c.id for c in calls],
        [world.sup_north.id, world.sup_south.id],
    )


def _score(actor, call_id, session_id, level, comment=None):
    ev = open_draft(actor, call_id, session_id)
    for key in SCORED_ITEMS:
        ev = save_item(actor, ev.id, ev.row_version, key, value=level)
    if comment:
        ev = add_comment(actor, ev.id, ev.row_version, 4.0, comment)
    return submit(actor, ev.id, ev.row_version)


def _everything_shown(at) -> str:
    """All text the page drew, including table cells, as one string."""
    parts = []
    for kind in (
        "title",
        "text",
        "markdown",
        "caption",
        "info",
        "error",
        "warning",
        "success",
        "metric",
        "selectbox",
    ):
        for element in getattr(at, kind):
            parts.append(str(element.value))
    for metric in at.metric:
        parts.append(f"{metric.label}: {metric.value}")
    for frame in at.dataframe:
        parts.append(frame.value.to_string())
    return "\n".join(parts)


def _charts(at):
    return at.get("plotly_chart")


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_a_facilitator_creates_a_session_from_the_form(setup):
    world, calls = setup
    at = open_page(world.sup_north, CALIBRATION)
    assert any("No calibration sessions" in i.value for i in at.info)
    at.text_input(key="cal_new_title").input("December calibration")
    at.multiselect(key="cal_new_calls").set_value([calls[0].id])
    at.multiselect(key="cal_new_scorers").set_value([world.sup_north.id])
    _button(at, "Create session").click().run()
    assert any("at least 2 scorers" in e.value for e in at.error)  # refused, said why
    at.multiselect(key="cal_new_scorers").set_value([world.sup_north.id, world.sup_south.id])
    _button(at, "Create session").click().run()
    assert not at.exception
    (created,) = list_sessions(world.sup_north)
    assert created.title == "December calibration" and created.scorers == ("Sup.North", "Sup.South")
    assert at.selectbox(key="cal_selected").value == created.id
    assert "0 of 2 submitted" in _everything_shown(at)


def test_a_sessions_due_day_ends_in_the_facilitators_time_zone(setup):
    """Issue 14, bug 10: the due day ended at 23:59 UTC whatever the facilitator's zone."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from db.services.users import set_time_zone

    world, calls = setup
    set_time_zone(world.sup_north, "Asia/Tokyo")
    at = open_page(world.sup_north, CALIBRATION)
    at.text_input(key="cal_new_title").input("Due in Tokyo")
    at.multiselect(key="cal_new_calls").set_value([calls[0].id])
    at.multiselect(key="cal_new_scorers").set_value([world.sup_north.id, world.sup_south.id])
    at.date_input(key="cal_new_due").set_value(date(2026, 12, 24))
    _button(at, "Create session").click().run()
    assert not at.exception
    (created,) = list_sessions(world.sup_north)
    assert created.due_at == datetime(2026, 12, 24, 23, 59, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert "2026-12-24 23:59 JST" in _everything_shown(at)


def test_a_scorer_sees_the_session_and_a_link_to_score_blind(setup):
    world, calls = setup
    session_id = _session(world, calls)
    _score(world.sup_north, calls[0].id, session_id, level=5, comment=PEER_SECRET)
    at = open_page(world.sup_south, CALIBRATION)
    links = [parse_qs(link.proto.query_string) for link in at.page_link]
    assert {"call": [str(calls[0].id)], "session": [str(session_id)]} in links
    assert {"call": [str(calls[1].id)], "session": [str(session_id)]} in links
    assert all(link.value == "Score blind" for link in at.page_link)
    shown = _everything_shown(at)
    assert BLIND_MESSAGE in shown
    assert PEER_SECRET not in shown
    assert "Who has submitted" not in [s.value for s in at.subheader]  # not the facilitator
    assert not any(b.label == "Reveal scores" for b in at.button)
    assert len(_charts(at)) == 1  # only the (empty) accuracy trend, no heatmap


def test_the_facilitator_sees_who_submitted_reveals_and_everyone_compares(setup):
    world, calls = setup
    session_id = _session(world, calls)
    for shift, call in enumerate(calls):
        _score(world.sup_north, call.id, session_id, level=4 + shift % 2, comment=PEER_SECRET)
        _score(world.sup_south, call.id, session_id, level=2 + shift)
    at = open_page(world.sup_north, CALIBRATION)
    status = next(f.value for f in at.dataframe if "Scorer" in f.value.columns)
    assert set(status.iloc[:, 1:].to_numpy().ravel()) == {"submitted"}
    assert "5" not in status.to_string().replace("T-", "")  # statuses, never scores
    _button(at, "Reveal scores").click().run()
    assert not at.exception
    assert not any(b.label == "Reveal scores" for b in at.button)

    scorer_view = open_page(world.sup_south, CALIBRATION)
    shown = _everything_shown(scorer_view)
    assert PEER_SECRET in shown  # the shared timeline, after reveal
    assert "Krippendorff's α (ordinal), all items of all calls" in shown
    assert "ICC(2,1) of call totals" in shown
    assert "lenient" in shown and "strict" in shown
    assert len(_charts(scorer_view)) == len(calls) + 1  # a heatmap per call + the trend
    alpha = next(m for m in scorer_view.metric if m.label.startswith("Krippendorff"))
    assert alpha.value != "—"
    assert any("Krippendorff 2004" in c.value for c in scorer_view.caption)  # plain reading
    assert not any(b.label == "Record consensus" for b in scorer_view.button)  # not theirs
    accuracy = next(f.value for f in scorer_view.dataframe if "Revealed" in f.value)
    assert set(accuracy["Scorer"]) == {"Sup.South"}  # a supervisor follows their own team


def test_the_facilitator_records_the_consensus_from_the_page(setup):
    world, calls = setup
    session_id = _session(world, calls)
    for call in calls:
        _score(world.sup_north, call.id, session_id, level=3)
        _score(world.sup_south, call.id, session_id, level=5)
    at = open_page(world.sup_north, CALIBRATION)
    _button(at, "Reveal scores").click().run()
    prefix = f"cal_cons_{session_id}_{calls[0].id}"
    at.selectbox(key=f"{prefix}_open_mind_v").set_value(4)
    at.text_input(key=f"{prefix}_open_mind_n").input("Asked before <i>fixing</i>")
    next(
        b for b in at.button if b.label == "Record consensus" and b.proto.form_id == prefix
    ).click().run()
    assert not at.exception
    first = session_results(world.sup_north, session_id).calls[0]
    assert first.consensus["open_mind"].value == 4
    assert first.consensus["open_mind"].note == "Asked before <i>fixing</i>"
    assert first.reference_source["open_mind"] == "consensus"
    assert "Asked before <i>fixing</i>" in _everything_shown(at)  # as typed, as text


def test_an_agent_cannot_open_the_calibration_page(setup):
    world, calls = setup
    _session(world, calls)
    at = open_page(world.agent_north)
    try:
        at.switch_page(CALIBRATION)
        at.run()
    except Exception as exc:
        assert "page" in str(exc).lower() or "not found" in str(exc).lower()
        return
    assert any("for admin or supervisor" in e.value for e in at.error)
    assert not at.dataframe and not at.page_link


def _score_levels(actor, call_id, session_id, levels, comment=None):
    ev = open_draft(actor, call_id, session_id)
    for key, level in levels.items():
        ev = save_item(actor, ev.id, ev.row_version, key, value=level)
    if comment:
        ev = add_comment(actor, ev.id, ev.row_version, 4.0, comment, item_key="paraphrase")
    return submit(actor, ev.id, ev.row_version)


@pytest.fixture
def benchmarked(setup):
    """A revealed session: Sup.North is the benchmark at 3 everywhere; Sup.South gives 4
    and 2 in turn (0 % exact, signed deviations that nearly cancel)."""
    world, calls = setup
    session_id = create_session(
        world.sup_north,
        "With a benchmark",
        [calls[0].id],
        [world.sup_north.id, world.sup_south.id],
        world.sup_north.id,
    )
    _score_levels(world.sup_north, calls[0].id, session_id, dict.fromkeys(SCORED_ITEMS, 3))
    _score_levels(
        world.sup_south,
        calls[0].id,
        session_id,
        {key: 4 if n % 2 == 0 else 2 for n, key in enumerate(SCORED_ITEMS)},
        comment="Played it back too late",
    )
    at = open_page(world.sup_north, CALIBRATION)
    _button(at, "Reveal scores").click().run()
    assert not at.exception
    return world, calls, session_id, at


def test_results_name_items_by_title_and_call_a_scattered_scorer_inconsistent(benchmarked):
    world, calls, session_id, at = benchmarked
    titles = session_results(world.sup_north, session_id).item_titles
    heatmap = next(c for c in _charts(at) if '"type":"heatmap"' in c.proto.spec.replace(" ", ""))
    assert titles["stop_talking"] in heatmap.proto.spec
    assert '"stop_talking"' not in heatmap.proto.spec
    comments = next(f.value for f in at.dataframe if "Comment" in f.value.columns)
    assert list(comments["Item"]) == [titles["paraphrase"]]
    deviation = next(f.value for f in at.dataframe if "Tendency" in f.value.columns)
    south = deviation.set_index("Scorer").loc["Sup.South"]
    assert south["Tendency"] == "inconsistent"  # not "in line" at 0 % exact agreement
    assert any("inconsistent when there is no clear direction" in c.value for c in at.caption)


def test_the_consensus_form_says_who_scored_what_and_starts_from_the_benchmark(benchmarked):
    world, calls, session_id, at = benchmarked
    prefix = f"cal_cons_{session_id}_{calls[0].id}"
    assert at.selectbox(key=f"{prefix}_stop_talking_v").value == 3  # the benchmark's level
    assert at.selectbox(key=f"{prefix}_open_mind_v").value == 3
    shown = _everything_shown(at)
    assert "Sup.North 3, Sup.South 4" in shown
    assert "scored: 3, 4" not in shown


def test_the_consensus_table_follows_the_rubric_order(benchmarked):
    world, calls, session_id, at = benchmarked
    record_consensus(
        world.sup_north,
        session_id,
        calls[0].id,
        {"lose_distractions": (4, ""), "paraphrase": (2, ""), "stop_talking": (3, "")},
    )
    at.run()
    titles = session_results(world.sup_north, session_id).item_titles
    table = next(f.value for f in at.dataframe if "Agreed" in f.value.columns)
    assert list(table["Item"]) == [
        titles[k] for k in ("stop_talking", "paraphrase", "lose_distractions")
    ]
