"""A throwaway database on a PostgreSQL server: the benchmarks and the test suite measure and test on one of
their own, never on a database somebody uses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text


@contextmanager
def scratch_database(server_url: str, prefix: str = "evinfra_scratch") -> Iterator[str]:
    """Create an empty database next to ``server_url``'s and yield its URL; drop it (with any sessions
    still on it) afterwards. Connection errors propagate before anything is created."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
