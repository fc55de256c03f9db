"""Bulk inserts for province-sized tables: COPY on PostgreSQL, chunked executemany elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

CHUNK = 5_000


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table`` inside the connection's transaction.

    COPY bypasses SQLAlchemy's type processing, so tables with JSON columns must not come here on
    PostgreSQL; datetimes are converted the way ``UTCDateTime`` binds them (naive UTC).
    """
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = conn.connection.driver_connection  # the psycopg connection, same transaction
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c]) for c in columns])
        return len(rows)
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), list(rows[start : start + CHUNK]))
    return len(rows)


def _copy_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
