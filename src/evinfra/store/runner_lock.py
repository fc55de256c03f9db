"""One runner per database for a job that must not run twice (``evinfra pull run`` owns ``pull_state``).

PostgreSQL: a session-level advisory lock, held by a connection of its own for as long as the job runs;
it holds across machines, and PostgreSQL drops it when the session ends, however the job ends. SQLite
lives on one machine: an exclusive ``flock`` on a file beside the database, which the kernel drops when
the process ends. An in-memory SQLite database is private to its process and needs no lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text


class AlreadyRunning(RuntimeError):
    def __init__(self, job: str, holder: str) -> None:
        self.job = job
        self.holder = holder
        super().__init__(
            f"另一个 {job} 已在此数据库上运行（{holder}）/ another {job} is already running on this database ({holder})"
        )


@contextmanager
def single_runner(engine: Engine, job: str) -> Iterator[None]:
    """Hold the job's lock while the block runs; :class:`AlreadyRunning` if another process holds it."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with _advisory_lock(engine, job):
            yield
    elif url.database not in (None, "", ":memory:"):
        with _file_lock(Path(url.database).with_name(f"{Path(url.database).name}.{job}.lock"), job):
            yield
    else:
        yield


@contextmanager
def _advisory_lock(engine: Engine, job: str) -> Iterator[None]:
    key = int.from_bytes(hashlib.sha256(f"evinfra:{job}".encode()).digest()[:8], "big", signed=True)
    with engine.connect() as conn:
        acquired = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
        conn.commit()  # the lock belongs to the session; no transaction stays open meanwhile
        if not acquired:
            raise AlreadyRunning(job, "another PostgreSQL session")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()


@contextmanager
def _file_lock(path: Path, job: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise AlreadyRunning(job, f"pid {holder}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # drops the lock
