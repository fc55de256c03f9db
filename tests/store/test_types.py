"""UTCDateTime: aware UTC in and out, and on SQLite the same text SQLAlchemy's DATETIME would write."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from evinfra.store.types import UTCDateTime

VALUES = [
    datetime(2026, 11, 28, 12, 0, tzinfo=UTC),  # no microseconds: still written with six digits
    datetime(2026, 11, 28, 20, 0, 0, 7, tzinfo=timezone(timedelta(hours=8))),  # Beijing time → UTC
    datetime(999, 1, 1, tzinfo=UTC),
    datetime(2026, 11, 29, 7, 5, 9, 123456, tzinfo=UTC),  # UTC itself: the binder's short path
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 11, 29, 7, 5, 9, 1, tzinfo=timezone(timedelta(0), "Z")),  # zero offset, not the UTC object
    datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # crosses a month backwards
]


@pytest.mark.parametrize("value", VALUES)
def test_the_fused_sqlite_binder_writes_what_sqlalchemy_would(value):
    dialect = sqlite.dialect()
    fused = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    plain = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fused is not None and plain is not None
    assert fused(value) == plain(value.astimezone(UTC).replace(tzinfo=None))
    assert fused(None) is None


def test_the_fused_sqlite_binder_refuses_naive_times():
    dialect = sqlite.dialect()
    fused = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fused is not None
    with pytest.raises(ValueError, match="naive datetime"):
        fused(datetime(2026, 1, 1))


def test_times_round_trip_aware_in_utc(engine):
    from sqlalchemy import bindparam, select

    with engine.connect() as conn:
        for value in VALUES:
            back = conn.execute(select(bindparam("t", value, type_=UTCDateTime()))).scalar_one()
            assert back == value and back.tzinfo is UTC


def test_the_fused_sqlite_binder_remembers_only_the_object_it_saw_last():
    dialect = sqlite.dialect()
    fused = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    plain = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fused is not None and plain is not None
    for value in [VALUES[0], VALUES[0], VALUES[1], VALUES[0], VALUES[1], VALUES[1], VALUES[2]]:
        assert fused(value) == plain(value.astimezone(UTC).replace(tzinfo=None))
    with pytest.raises(ValueError, match="naive datetime"):
        fused(VALUES[2].replace(tzinfo=None))  # equal in its fields to the one just seen, but naive
