"""Column types the migrations use, frozen as they were when those migrations were
written. A migration must build the same schema years later, whatever db/models.py
has become since: it imports types from here, never from live model code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; hands back an aware UTC datetime (SQLite keeps no zone). Frozen from
    db/models.py of 2026-11-24."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()  # the type takes no options; autogenerate may pass timezone=True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
