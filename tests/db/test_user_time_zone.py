"""A user's time zone for dates (Account page): their own, a known IANA name, audited."""

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.models import AuditEvent
from db.services.users import set_time_zone, time_zone_of
from scoring.errors import Invalid
from tests.factories import make_world


def test_a_user_saves_reads_and_clears_their_time_zone(database):
    world = make_world()
    assert time_zone_of(world.sup_north) is None  # nothing chosen: the browser's is used
    assert set_time_zone(world.sup_north, " Europe/Dublin ") == "Europe/Dublin"
    assert time_zone_of(world.sup_north) == "Europe/Dublin"
    assert time_zone_of(world.agent_north) is None  # only their own
    assert set_time_zone(world.sup_north, "") is None
    assert time_zone_of(world.sup_north) is None
    with session_scope() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.action == "set_time_zone").order_by(AuditEvent.id)
        ).all()
        changes = [(r.before["time_zone"], r.after["time_zone"]) for r in rows]
    assert changes == [(None, "Europe/Dublin"), ("Europe/Dublin", None)]


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe/Dublin; DROP TABLE user", "x" * 300])
def test_an_unknown_zone_is_refused_naming_it(database, name):
    world = make_world()
    with pytest.raises(Invalid, match="is not a known time zone name") as refused:
        set_time_zone(world.agent_north, name)
    assert name[:20] in str(refused.value)
    assert time_zone_of(world.agent_north) is None
