"""A real database outage for tests: the services' engine pointed at a port where
nothing listens, so every connection is refused by the operating system (no mock)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from db.engine import make_engine, use_engine


def closed_port() -> int:
    """A local port nobody listens on (bound, then released when the block ends)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unreachable_engine(engine: Engine) -> Engine:
    """An engine for `engine`'s database at a closed port."""
    url = engine.url.set(host="127.0.0.1", port=closed_port())
    return make_engine(url.render_as_string(hide_password=False))


@contextmanager
def database_down(engine: Engine) -> Iterator[Engine]:
    """Inside the block every service finds the database unreachable; after it, `engine`
    answers again."""
    down = unreachable_engine(engine)
    use_engine(down)
    try:
        yield down
    finally:
        use_engine(engine)
        down.dispose()
