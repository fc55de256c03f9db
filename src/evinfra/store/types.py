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
        binds two times (its TimeStamp and when it was received) seven times over five statements, so the
        texts of the last two objects seen are kept, for every statement's parameters alike."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite raw text (e.g. from a server-side default)
            value = datetime.fromisoformat(value)
        aware: datetime = value.replace(tzinfo=UTC)
        return aware


# (object, text, object, text): the last two datetimes bound on SQLite, the newer first. The objects are held,
# so no other object can take their identity; the tuple is swapped in one step, so threads binding at once
# never see half of it (at worst one of them converts again).
_last_bound: tuple[Any, str | None, Any, str | None] = (None, None, None, None)


def _sqlite_text(value: datetime | None) -> str | None:
    global _last_bound
    if value is None:
        return None
    seen, text, older, older_text = last = _last_bound
    if seen is value:
        return text
    if older is value:
        _last_bound = (older, older_text, seen, text)
        return older_text
    if value.tzinfo is UTC:  # the usual case: the text without its "+00:00" (26 characters)
        text = value.isoformat(" ", "microseconds")[:26]
    elif value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the store only takes timezone-aware times")
    else:
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    _last_bound = (value, text, last[0], last[1])
    return text
