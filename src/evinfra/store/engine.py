"""Engines for the embedded default (SQLite, WAL) and production (PostgreSQL)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

BUSY_TIMEOUT_S = 30.0
# SQLite's page cache per connection. The default 2 MiB held neither the connectors' B-tree nor the history
# indexes once a store passed a few tens of MB, and every miss is a read system call on the hub's hot path
# (bench/README.md: +8-14 % notifications/s at 64 MiB). Pages are allocated as used.
SQLITE_CACHE_KIB = 64 * 1024
# WAL frames after which a committing connection copies them back into the database (SQLite's default: 1,000,
# about 4 MiB). The hub's writer rewrites the same hot pages (connectors, index leaves, the tails of the
# history and replay-guard trees) in commit after commit; a checkpoint writes each page once however often
# the WAL holds it, so a longer WAL writes fewer pages per notification, and the writer stalls for a
# checkpoint under a third as often (bench/README.md: 4-8 % less writer CPU). Costs up to 16 MiB of WAL on
# disk; a committed write is as durable either way.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 4000
# Execution option marking a read-only transaction: on SQLite it begins DEFERRED, so it reads the last
# committed snapshot without waiting for (or blocking) the writer.
READ_ONLY = "evinfra_read_only"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` with the settings each backend needs to be safe.

    SQLite: WAL (readers don't block the writer), ``synchronous=FULL`` (a committed write survives a
    power cut, not only a process kill), foreign keys on, a busy timeout instead of instant
    "database is locked" errors under concurrent writers, a page cache of ``SQLITE_CACHE_KIB`` and a WAL
    checkpointed every ``SQLITE_WAL_AUTOCHECKPOINT_PAGES``.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", BUSY_TIMEOUT_S)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below manage transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: KiB, not pages
            cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers: BEGIN IMMEDIATE takes the write lock up front, so two writers queue instead of
            # deadlocking on a read-to-write upgrade. Readers: a deferred BEGIN (WAL snapshot, no lock).
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                begin_immediate(conn.connection.driver_connection)

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def begin_immediate(dbapi_conn: sqlite3.Connection, timeout_s: float = BUSY_TIMEOUT_S) -> None:
    """``BEGIN IMMEDIATE``, waiting up to ``timeout_s`` for another writer by polling every 0.2 to 2 ms.

    SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between attempts, so a waiter wakes on average
    many milliseconds after the lock was released. The hub's batch writer holds the lock for a few
    milliseconds at a time, and whoever waits for it (another worker's writer, a credentials look-up on
    the event loop) should get it as soon as it is free. Statements inside the transaction keep the
    busy timeout; only this first lock is polled.
    """
    dbapi_conn.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + timeout_s
        pause = 0.0002
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = getattr(exc, "sqlite_errorcode", sqlite3.SQLITE_BUSY) == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() > deadline:
                    raise sa_exc.OperationalError("BEGIN IMMEDIATE", (), exc) from exc
            time.sleep(pause)
            pause = min(pause * 1.5, 0.002)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")


def backend_name(url: str) -> str:
    return make_url(url).get_backend_name()
