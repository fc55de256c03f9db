"""UTCDateTime: aware UTC in and out, and on SQLite the same text SQLAlchemy's DATETIME would write."""

import threading
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


def test_the_fused_sqlite_binders_remember_the_last_two_objects_whichever_statement_binds_them():
    dialect = sqlite.dialect()
    first, second = (UTCDateTime().dialect_impl(dialect).bind_processor(dialect) for _ in range(2))
    plain = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert first is not None and second is not None and plain is not None
    sequence = [VALUES[0], VALUES[0], VALUES[1], VALUES[0], VALUES[1], VALUES[1], VALUES[2], VALUES[0], VALUES[3]]
    for i, value in enumerate(sequence):
        bind = first if i % 2 else second
        assert bind(value) == plain(value.astimezone(UTC).replace(tzinfo=None))
    with pytest.raises(ValueError, match="naive datetime"):
        first(VALUES[3].replace(tzinfo=None))  # equal in its fields to the one just seen, but naive


def test_the_fused_sqlite_binder_gives_every_thread_its_own_values():
    dialect = sqlite.dialect()
    bind = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    start = datetime(2026, 11, 29, tzinfo=UTC)
    wrong: list[tuple[datetime, str]] = []

    def run(offset: int) -> None:
        mine = [start + timedelta(seconds=offset, microseconds=k) for k in range(3)]  # bound over and over
        for i in range(20_000):
            value = mine[(i // 2) % 3]  # each object twice running: the second bind is a hit
            text = bind(value)
            if text != value.replace(tzinfo=None).isoformat(" ", "microseconds"):
                wrong.append((value, text))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
