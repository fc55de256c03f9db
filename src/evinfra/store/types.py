"""Column types that keep the platform's invariants the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` returns the session zone; storing
    naive UTC everywhere makes comparisons and interval arithmetic identical on both.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store only takes timezone-aware times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the conversion above and SQLite's text format in one step (the text is the same as
        SQLAlchemy's DATETIME writes: ``YYYY-MM-DD HH:MM:SS.ffffff``), at half the cost. A status report
        binds half a dozen times, four of them the same object (its time), so the last text is kept for
        the object it came from (held, so no other object can take its identity; swapped in one step,
        so threads sharing the processor never see half of it)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        last: list[tuple[datetime | None, str | None]] = [(None, None)]

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            seen, text = last[0]
            if seen is value:
                return text
            if value.tzinfo is UTC:  # the usual case: the text without its "+00:00" (26 characters)
                text = value.isoformat(" ", "microseconds")[:26]
            elif value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r}: the store only takes timezone-aware times")
            else:
                text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            last[0] = (value, text)
            return text

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite raw text (e.g. from a server-side default)
            value = datetime.fromisoformat(value)
        aware: datetime = value.replace(tzinfo=UTC)
        return aware
