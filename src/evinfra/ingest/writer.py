"""Group commit: many acknowledged writes, one durable transaction.

Every T/CEC notification must be durable before its Ret 0 goes out, and a durable commit costs an
fsync. One writer thread drains whatever requests are waiting, runs each in its own SAVEPOINT (one bad
item cannot spoil its neighbours), commits once, and only then resolves the callers' futures. Under load
the fsync is shared by the whole batch; when idle a write waits for nobody.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from evinfra.store.uow import SqlUnitOfWork, UnitOfWorkFactory

log = logging.getLogger("evinfra.ingest.writer")
T = TypeVar("T")
Work = Callable[[SqlUnitOfWork], Any]


class WriterStopped(RuntimeError):
    pass


@dataclass(slots=True)
class _Item:
    work: Work
    future: Future[Any]


class BatchWriter:
    def __init__(self, uow_factory: UnitOfWorkFactory, *, max_batch: int = 256) -> None:
        self._uow_factory = uow_factory
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.batches = 0
        self.items = 0

    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="evinfra-batch-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then stop."""
        if self._thread is None:
            return
        self._stopping = True
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def submit(self, work: Callable[[SqlUnitOfWork], T]) -> Future[T]:
        if self._thread is None or self._stopping:
            raise WriterStopped("写入线程未运行 / the batch writer is not running")
        future: Future[T] = Future()
        self._queue.put(_Item(work, future))
        return future

    async def run(self, work: Callable[[SqlUnitOfWork], T]) -> T:
        """Submit and await the durable result from async code."""
        return await asyncio.wrap_future(self.submit(work))

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(nxt)
            self._write(batch)

    def _write(self, batch: list[_Item]) -> None:
        results: list[tuple[_Item, bool, Any]] = []
        try:
            with self._uow_factory() as uow:
                for item in batch:
                    if not item.future.set_running_or_notify_cancel():
                        continue
                    savepoint = uow.session.begin_nested()
                    try:
                        value = item.work(uow)
                        savepoint.commit()
                        results.append((item, True, value))
                    except Exception as exc:  # the item's own failure: roll back only its savepoint
                        if savepoint.is_active:
                            savepoint.rollback()
                        results.append((item, False, exc))
                uow.commit()
        except Exception as exc:  # the commit itself failed: nothing of this batch is durable
            log.exception("batch of %d writes failed to commit", len(batch))
            for item in batch:
                if item.future.running():
                    item.future.set_exception(exc)
            return
        self.batches += 1
        self.items += len(batch)
        for item, ok, value in results:
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)
