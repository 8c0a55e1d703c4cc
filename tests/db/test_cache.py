"""Cached trend aggregates are reused until data changes, then recomputed at once."""

from db.cache import data_version
from db.evaluations import open_draft, save_item, submit
from db.trends import TrendFilters, weekly_totals
from tests.factories import make_call, make_world

ITEMS = [
    "stop_talking",
    "open_mind",
    "active_listening",
    "natural_pauses",
    "understand_remember",
    "paraphrase",
    "not_defensive",
    "be_patient",
    "lose_distractions",
]


def _submit(actor, call_id, level):
    ev = open_draft(actor, call_id)
    for key in ITEMS:
        ev = save_item(actor, ev.id, ev.row_version, key, value=level)
    return submit(actor, ev.id, ev.row_version)


def test_a_submit_makes_cached_trends_fresh(database, tmp_path):
    world = make_world()
    first = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    second = make_call(world.admin, world.agent_north, tmp_path, seed=2)
    _submit(world.sup_north, first.id, 5)
    before = weekly_totals(world.sup_north, TrendFilters())
    assert list(before["n"]) == [1] and list(before["mean_total"]) == [100.0]
    before.loc[0, "mean_total"] = -1  # a caller scribbling on its copy changes nothing
    version = data_version()
    assert list(weekly_totals(world.sup_north, TrendFilters())["mean_total"]) == [100.0]
    _submit(world.sup_north, second.id, 1)
    assert data_version() > version
    after = weekly_totals(world.sup_north, TrendFilters())
    assert list(after["n"]) == [2] and list(after["mean_total"]) == [50.0]
    # Scoped per actor: another team's supervisor never sees the cached North numbers.
    assert weekly_totals(world.sup_south, TrendFilters()).empty
