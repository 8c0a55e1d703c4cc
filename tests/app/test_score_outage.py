"""The Score page while PostgreSQL is briefly unreachable (issue 13, item 20): the level
a scorer clicks is retried, the page says "Not saved: … Retrying…" (a toast) instead of
the generic error page, and the level lands once the server answers again.

The outage is real: the services' engine points at a closed port until the page's second
pause between attempts (the pause is the only thing replaced, so that the test controls
when the server comes back)."""

from __future__ import annotations

import socket

import pytest

from db.engine import make_engine, use_engine
from db.services.evaluations import get_evaluation, open_draft
from tests.app.conftest import open_page
from tests.factories import make_call, make_world
from ui import retry
from ui.retry import RETRYING

pytestmark = pytest.mark.postgres


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_click_during_a_brief_outage_is_retried_shown_and_saved(
    postgres_database, tmp_path, monkeypatch
):
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=20)
    at = open_page(world.sup_north, "pages/score.py", {"call": str(call.id)})
    down = make_engine(
        postgres_database.url.set(host="127.0.0.1", port=_closed_port()).render_as_string(
            hide_password=False
        )
    )
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            use_engine(postgres_database)  # the server answers again

    monkeypatch.setitem(retry.save_with_retry.__kwdefaults__, "sleep", pause)
    radio = next(r for r in at.radio if r.key.endswith("_be_patient_v"))
    use_engine(down)
    try:
        radio.set_value(2).run()
    finally:
        use_engine(postgres_database)
        down.dispose()
    assert not at.exception
    assert pauses == [0.25, 0.5]
    assert [t.value for t in at.toast].count(RETRYING) >= 1
    assert not at.error and not at.warning  # nothing marked not saved: it was saved
    ev = open_draft(world.sup_north, call.id)
    assert get_evaluation(world.sup_north, ev.id).values["be_patient"] == 2
