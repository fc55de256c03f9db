"""The embedded store's connection settings: durable, concurrent, and with a page cache that fits the hub."""

from sqlalchemy import text

from evinfra.store.engine import SQLITE_CACHE_KIB, SQLITE_WAL_AUTOCHECKPOINT_PAGES, make_engine


def test_every_sqlite_connection_is_durable_wal_with_foreign_keys_the_page_cache_and_the_checkpoint_interval(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        with engine.connect() as conn:
            pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in (
                "journal_mode", "synchronous", "foreign_keys", "busy_timeout", "cache_size", "wal_autocheckpoint"
            )}  # fmt: skip
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 30_000,
        "cache_size": -SQLITE_CACHE_KIB,
        "wal_autocheckpoint": SQLITE_WAL_AUTOCHECKPOINT_PAGES,
    }
