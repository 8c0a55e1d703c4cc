"""Cached trend aggregates are reused until data changes, then recomputed at once."""

from db.cache import data_version
from db.trends import TrendFilters, weekly_totals
from tests.factories import make_call, make_world, submit_evaluation


def test_a_submit_makes_cached_trends_fresh(database, tmp_path):
    world = make_world()
    first = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    second = make_call(world.admin, world.agent_north, tmp_path, seed=2)
    submit_evaluation(world.sup_north, first.id, 5)
    before = weekly_totals(world.sup_north, TrendFilters())
    assert list(before["n"]) == [1] and list(before["mean_total"]) == [100.0]
    before.loc[0, "mean_total"] = -1  # a caller scribbling on its copy changes nothing
    version = data_version()
    assert list(weekly_totals(world.sup_north, TrendFilters())["mean_total"]) == [100.0]
    submit_evaluation(world.sup_north, second.id, 1)
    assert data_version() > version
    after = weekly_totals(world.sup_north, TrendFilters())
    assert list(after["n"]) == [2] and list(after["mean_total"]) == [50.0]
    # Scoped per actor: another team's supervisor never sees the cached North numbers.
    assert weekly_totals(world.sup_south, TrendFilters()).empty
