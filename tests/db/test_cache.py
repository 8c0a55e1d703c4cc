"""Cached trend aggregates are reused until data changes, then recomputed at once."""

import pytest

from db.cache import bump_data_version, data_version
from db.engine import session_scope
from db.services.trends import TrendFilters, weekly_totals
from tests.factories import make_call, make_world, submit_evaluation


def test_a_submit_makes_cached_trends_fresh(database, tmp_path):
    world = make_world()
    first = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    second = make_call(world.admin, world.agent_north, tmp_path, seed=2)
    submit_evaluation(world.sup_north, first.id, 5)
    before = weekly_totals(world.sup_north, TrendFilters())
    assert list(before["n"]) == [1] and list(before["mean_total"]) == [100.0]
    with pytest.raises(ValueError):  # one frozen answer for every caller
        before.loc[0, "mean_total"] = -1
    version = data_version()
    assert list(weekly_totals(world.sup_north, TrendFilters())["mean_total"]) == [100.0]
    submit_evaluation(world.sup_north, second.id, 1)
    assert data_version() > version
    after = weekly_totals(world.sup_north, TrendFilters())
    assert list(after["n"]) == [2] and list(after["mean_total"]) == [50.0]
    # Scoped per actor: another team's supervisor never sees the cached North numbers.
    assert weekly_totals(world.sup_south, TrendFilters()).empty


def test_a_version_read_while_a_bump_commits_is_not_kept(database):
    """Another request may read the version between a write's bump and its commit; this
    process must still see the new version at once after the commit, not a second later."""
    make_world()
    before = data_version()
    with session_scope() as session:
        bump_data_version(session)
        assert data_version() == before  # read on another connection: not committed yet
    assert data_version() == before + 1


def test_the_flush_listener_moves_the_version_for_what_aggregates_read_only(database, tmp_path):
    """Draft saves and logins leave cached trends alone; a team move made through any
    session (no bump written by hand) makes them stale."""
    from db.models import User
    from db.services.evaluations import open_draft, save_item

    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    draft = open_draft(world.sup_north, call.id)
    version = data_version()
    save_item(world.sup_north, draft.id, draft.row_version, "be_patient", value=3)
    with session_scope() as session:
        user = session.get(User, world.agent_north.id)
        user.failed_logins += 1  # not read by any aggregate
        session.add(user)
    assert data_version() == version
    with session_scope() as session:
        user = session.get(User, world.agent_north.id)
        user.team_id = session.get(User, world.agent_south.id).team_id
        session.add(user)
    assert data_version() == version + 1
