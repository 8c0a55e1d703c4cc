"""The Score page over Streamlit's real protocol: what a score click reruns (issue 15).

AppTest cannot tell a fragment's rerun from the whole page's, so this drives the real
server (``streamlit run server.py``) as a browser tab does (tests/support/protocol.py):
the first score of a call creates the draft and redraws the total and the rubric, not
the whole page (the shell, the player and its waveform, the comments); the next score
goes to the same draft and redraws only its item and the total.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.engine import make_engine, read_scope, use_engine
from db.models import Evaluation, ItemScore
from db.operations.config import settings
from db.operations.migrate import upgrade_to_head
from tests.factories import PASSWORD, make_call, make_world
from tests.support.protocol import Run, Scorer, ScoringTab
from tests.support.server import AppServer


@pytest.fixture
def app_db(tmp_path):
    """A migrated SQLite file shared by this process's services and the app server."""
    url = f"sqlite:///{tmp_path / 'earshot.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    use_engine(engine)
    yield url
    use_engine(None)
    engine.dispose()


def _click(tab: ScoringTab, index: int, level: str) -> Run:
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    widget, fragment = tab.radios[index]
    assert level in widget.options, widget.options
    run = tab.session.act([WidgetState(id=widget.id, string_value=level)], fragment_id=fragment)
    return tab._follow(run)


def _total(run: Run) -> str:
    (metric,) = [e.metric for e in run.elements if e.WhichOneof("type") == "metric"]
    assert metric.label == "Total"
    return metric.body


def _stored(call_id: int) -> list[tuple[int, str, dict[str, int | None]]]:
    with read_scope() as session:
        evs = session.exec(select(Evaluation).where(Evaluation.call_id == call_id)).all()
        return [
            (
                int(ev.id or 0),
                ev.status,
                {
                    i.item_key: i.value
                    for i in session.exec(
                        select(ItemScore).where(ItemScore.evaluation_id == ev.id)
                    ).all()
                },
            )
            for ev in evs
        ]


def test_the_first_score_redraws_the_rubric_not_the_page_and_the_next_joins_the_draft(
    app_db, tmp_path
):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    env = {
        "DATABASE_URL": app_db,
        "EARSHOT_DATA_DIR": str(tmp_path / "data"),
        "EARSHOT_MEDIA_DIR": str(settings().media_dir),
        "EARSHOT_SECRET_KEY": settings().secret_key.decode(),
    }
    server = AppServer(env, tmp_path / "server.log").start()
    tab = ScoringTab(server.url, Scorer("sup.north", PASSWORD, call.id))
    try:
        tab.open()
        assert len(tab.radios) == 10
        assert _stored(call.id) == []  # opening writes nothing
        ids_before = [(w.id, f) for w, f in tab.radios]
        # A widget's id ends with its key, here "c<call>_<item>_v".
        item_keys = [w.id.rsplit("-", 1)[-1][len(f"c{call.id}_") : -2] for w, _ in tab.radios]

        first = _click(tab, 0, "4")
        assert first.problem == "", first.problem
        assert all(first.fragments), "the first score reran the whole page"
        assert not any(e.WhichOneof("type") == "bidi_component" for e in first.elements)
        # The rubric's levels, the note of the item scored and the total redraw, under the
        # same widget and fragment ids; so does Discard, now that there is a draft.
        assert [(w.id, f) for w, f in tab.radios] == ids_before
        assert len(first.widgets("text_area")) == 1
        assert any(
            e.WhichOneof("type") == "button" and "discard" in e.button.id for e in first.elements
        )
        assert _total(first) != "–"
        ((draft_id, status, items),) = _stored(call.id)
        assert status == "draft" and items[item_keys[0]] == 4

        second = _click(tab, 1, "2")
        assert second.problem == "", second.problem
        assert all(second.fragments)
        # Only its item and the total redraw: not its note, nor the other items.
        assert len(second.widgets("radio")) == 1 and not second.widgets("text_area")
        ((same_id, _, items),) = _stored(call.id)  # the same draft, no second one
        assert same_id == draft_id
        assert items[item_keys[0]] == 4 and items[item_keys[1]] == 2
        assert _total(second) != _total(first)
    finally:
        tab.close()
        server.stop()
