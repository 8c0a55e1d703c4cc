"""Comments a page at a time (issue 13, item 9): an evaluation with hundreds of comments
draws the first 50 and a "Show more" button, on the Score page and on the agent's My
feedback page, instead of every row on every run."""

from __future__ import annotations

import pytest

from db.services.evaluations import add_comment, open_draft, submit
from tests.app.conftest import open_page
from tests.factories import SCORED_ITEMS, make_call, make_world
from ui.comments import COMMENTS_PER_PAGE

COMMENTS = 120


@pytest.fixture
def commented(app_db, tmp_path):
    """A draft with 120 comments on a 30 s call (all items scored, so it can be submitted)."""
    from db.services.evaluations import save_item

    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30)
    ev = open_draft(world.sup_north, call.id)
    for key in SCORED_ITEMS:
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=4)
    for n in range(COMMENTS):
        ev = add_comment(world.sup_north, ev.id, ev.row_version, n * 0.2, f"comment {n}")
    return world, call, ev


def _rows(at) -> list[str]:
    return [b.key for b in at.button if b.key and "_seek_" in b.key]


def _more(at):
    return next((b for b in at.button if b.key and b.key.endswith("_comments_more")), None)


def _page_through(at) -> None:
    assert not at.exception
    assert len(_rows(at)) == COMMENTS_PER_PAGE
    assert _more(at).label == f"Show 50 more ({COMMENTS - COMMENTS_PER_PAGE} not shown)"
    _more(at).click().run()
    assert len(_rows(at)) == 2 * COMMENTS_PER_PAGE
    assert _more(at).label == "Show 20 more (20 not shown)"
    _more(at).click().run()
    assert len(_rows(at)) == COMMENTS and _more(at) is None
    assert not at.exception


def test_the_score_page_draws_comments_a_page_at_a_time(commented):
    world, call, _ = commented
    _page_through(open_page(world.sup_north, "pages/score.py", {"call": str(call.id)}))


def test_my_feedback_draws_comments_a_page_at_a_time(commented):
    world, _, ev = commented
    submit(world.sup_north, ev.id, ev.row_version)
    at = open_page(world.agent_north, "pages/my_feedback.py", {"evaluation": str(ev.id)})
    _page_through(at)
