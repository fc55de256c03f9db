"""Group commit: many acknowledged writes, one durable transaction.

Every T/CEC notification must be durable before its Ret 0 goes out, and a durable commit costs an
fsync. The writer takes whatever requests are waiting, runs them in one transaction, commits once, and
only then resolves the callers' futures. Under load the fsync is shared by the whole batch; when idle a
write waits for nobody. Three schedulings share that logic: ``ProcessWriter`` (``writer_process.py``), a
child process that owns the write connection, the default; :class:`LoopBatchWriter`, statements on the
event loop with BEGIN and COMMIT in a helper thread (an in-memory SQLite, or several workers on one SQLite
file); and :class:`BatchWriter`, a thread fed by a queue. :func:`writer_for` picks one.

One bad item cannot spoil its neighbours. A SAVEPOINT per item costs about as much as a small write,
so items first run without one: if an item raises, the transaction is rolled back and the batch runs
again with that item in its own SAVEPOINT, whose rollback undoes only that item's writes. A second
failing item puts every item of the batch in a SAVEPOINT (at most three attempts), and so does the next
batch, until a batch passes without failures. Work functions must therefore be repeatable: they may only
write through the unit of work. In-process caches of what the store holds are told about every rolled
back transaction through ``on_rollback``; the writer's own :class:`WriteContext` is reset then.

A write is a command (``ingest/commands.py``): called with the unit of work and the writer's context,
and a value that pickles, so that it can cross into the writer process.

Async callers of the writer thread are woken once per batch (one ``call_soon_threadsafe`` per event loop),
not once per item.

Several workers may run batches at once (PostgreSQL). Two batches that lock the same connectors in
different orders would deadlock and stall both for the server's deadlock timeout, so a write may name
the object it locks (``order``) and each batch runs its items sorted by that key: every worker then
takes those row locks in one global order. Items with the same key keep their arrival order. Rows that
no key names (an operator's data-quality counters) can still close a cycle when one operator's messages
mix deviating and clean ones; PostgreSQL then aborts one of the transactions and that batch runs again
as above, so the cost is a stall, not a lost or wrong write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar, Union

from sqlalchemy import make_url

from evinfra.ingest.commands import Command, WriteContext
from evinfra.store.uow import SqlUnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from evinfra.ingest.writer_process import ProcessWriter

log = logging.getLogger("evinfra.ingest.writer")
T = TypeVar("T")
Work = Command[Any]
Order = tuple[str, ...]  # e.g. (operator id, connector id): the row a write locks first
Outcome = tuple["_Item", bool, Any]  # (item, succeeded, value or exception)


class WriterStopped(RuntimeError):
    pass


class _Item:
    """One submitted write and whoever waits for it: a thread (``future``), a coroutine (``waiter``), or
    nobody here (the writer process answers its parent by position)."""

    __slots__ = ("future", "loop", "order", "waiter", "work")

    def __init__(
        self,
        work: Work,
        future: Future[Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        waiter: asyncio.Future[Any] | None = None,
        order: Order | None = None,
    ) -> None:
        self.work = work
        self.future = future
        self.loop = loop
        self.waiter = waiter
        self.order = order

    def sort_key(self) -> tuple[bool, Order]:
        """Unordered items first, as they came; then by the object they lock."""
        return (self.order is not None, self.order or ())

    def start(self) -> bool:
        """False when the caller gave up before the write began: the write is skipped."""
        if self.future is not None:
            return self.future.set_running_or_notify_cancel()
        return self.waiter is None or not self.waiter.cancelled()


class _GroupCommit:
    """What both writers share: sorting a batch, the SAVEPOINT retry rule, counters, rollback listeners."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, max_batch: int = 256) -> None:
        self._uow_factory = uow_factory
        self._max_batch = max_batch
        self._isolate_all = False  # the previous batch met a failing item: give every item a SAVEPOINT
        self._rollback_listeners: list[Callable[[], None]] = []
        self.context = WriteContext()
        self.batches = 0
        self.items = 0
        self.retries = 0  # batch attempts rolled back because an item without a SAVEPOINT failed

    def on_rollback(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever a batch transaction is rolled back."""
        self._rollback_listeners.append(listener)

    def _ready(self, batch: list[_Item]) -> tuple[list[_Item], set[int]]:
        items = sorted((item for item in batch if item.start()), key=_Item.sort_key)
        return items, set(range(len(items))) if self._isolate_all else set()

    def _done(self, outcomes: list[Outcome]) -> None:
        """The batch is committed: count it and hand the results over."""
        self._isolate_all = any(not ok for _, ok, _ in outcomes)
        self.batches += 1
        self.items += len(outcomes)
        self._answer(outcomes)

    def _failed(self, items: list[_Item], exc: Exception) -> None:
        """BEGIN or COMMIT failed: nothing of this batch is durable, and every caller hears so."""
        log.exception("batch of %d writes failed to commit", len(items))
        self._rolled_back()
        self._answer([(item, False, exc) for item in items])

    def _commit_batch(self, batch: list[_Item]) -> None:
        """Run one batch to its commit (or failure) in this thread, then answer its callers."""
        items, isolated = self._ready(batch)
        if not items:
            return
        while True:
            try:
                with self._uow_factory() as uow:
                    outcomes = self._execute(uow, items, isolated)
                    if outcomes is not None:
                        uow.commit()
            except Exception as exc:
                self._failed(items, exc)
                return
            if outcomes is not None:
                break
            self.retries += 1
            self._rolled_back()
        self._done(outcomes)

    def _answer(self, outcomes: list[Outcome]) -> None:
        raise NotImplementedError

    def _execute(self, uow: SqlUnitOfWork, items: list[_Item], isolated: set[int]) -> list[Outcome] | None:
        """Run the items in ``uow``'s transaction; None (``isolated`` grown) when an item outside a SAVEPOINT
        failed, after which the caller rolls back and runs the batch again."""
        outcomes: list[Outcome] = []
        for index, item in enumerate(items):
            if index not in isolated:
                try:
                    value = item.work(uow, self.context)
                    # ORM writes left pending would fail at the COMMIT, taking the whole batch with them
                    uow.session.flush()
                except Exception:  # its writes may be half done: run the batch again, isolating it
                    if isolated:
                        isolated.update(range(len(items)))
                    else:
                        isolated.add(index)
                    return None
                outcomes.append((item, True, value))
                continue
            savepoint = uow.session.begin_nested()
            try:
                value = item.work(uow, self.context)
                savepoint.commit()
                outcomes.append((item, True, value))
            except Exception as exc:  # the item's own failure: roll back only its savepoint
                # also when the failure came from the savepoint's own flush: the session stays unusable until then
                savepoint.rollback()
                outcomes.append((item, False, exc))
        return outcomes

    def _rolled_back(self) -> None:
        self.context.forget()
        for listener in self._rollback_listeners:
            try:
                listener()
            except Exception:
                log.exception("rollback listener failed")


class BatchWriter(_GroupCommit):
    """The writer thread: statements and commit run in one thread, fed by a queue (PostgreSQL, and callers
    that are threads). On PostgreSQL each statement is a network round trip, which this thread waits out
    without holding up the event loop."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, max_batch: int = 256) -> None:
        super().__init__(uow_factory, max_batch=max_batch)
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False

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

    def submit(self, work: Command[T], order: Order | None = None) -> Future[T]:
        self._check_running()
        future: Future[T] = Future()
        self._queue.put(_Item(work, future=future, order=order))
        return future

    async def run(self, work: Command[T], order: Order | None = None) -> T:
        """Submit and await the durable result from async code."""
        self._check_running()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Item(work, loop=loop, waiter=waiter, order=order))
        return await waiter

    def _check_running(self) -> None:
        if self._thread is None or self._stopping:
            raise WriterStopped("写入线程未运行 / the batch writer is not running")

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
            self._commit_batch(batch)

    def _answer(self, outcomes: list[Outcome]) -> None:
        _resolve(outcomes)


class LoopBatchWriter(_GroupCommit):
    """The embedded SQLite writer: statements on the event loop, BEGIN and COMMIT in a helper thread.

    An SQLite statement takes microseconds of CPU and no waiting, so a writer thread only competed with
    the event loop for the GIL at every statement; running the statements on the loop removes that
    hand-over. What does wait stays off the loop: ``BEGIN IMMEDIATE`` (another process may hold the
    write lock) and the COMMIT's fsync, during which the loop goes on reading and decrypting the next
    requests that will form the next batch. Async callers only.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, *, max_batch: int = 256) -> None:
        super().__init__(uow_factory, max_batch=max_batch)
        self._pending: list[_Item] = []
        self._drainer: asyncio.Task[None] | None = None
        self._io: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._io is None:
            self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evinfra-commit")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking writes; a BEGIN or COMMIT under way finishes first."""
        io, self._io = self._io, None
        if io is not None:
            io.shutdown(wait=True)

    async def run(self, work: Command[T], order: Order | None = None) -> T:
        """Queue the write and await its durable result; the batch forms while the previous one commits."""
        if self._io is None:
            raise WriterStopped("写入器未运行 / the batch writer is not running")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._pending.append(_Item(work, loop=loop, waiter=waiter, order=order))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain(self._io))
        return await waiter

    async def _drain(self, io: ThreadPoolExecutor) -> None:
        try:
            while self._pending:
                await self._write(io)
        finally:
            self._drainer = None

    async def _write(self, io: ThreadPoolExecutor) -> None:
        items: list[_Item] | None = None  # taken once the transaction has begun: whatever queued meanwhile
        isolated: set[int] = set()
        while True:
            try:
                with self._uow_factory() as uow:
                    await _off_loop(io, uow.begin)
                    if items is None:
                        items, isolated = self._ready(self._take())
                        if not items:
                            return
                    outcomes = self._execute(uow, items, isolated)
                    if outcomes is not None:
                        await _off_loop(io, uow.commit)
            except Exception as exc:
                self._failed(items if items is not None else self._take(), exc)
                return
            if outcomes is not None:
                break
            self.retries += 1
            self._rolled_back()
        self._done(outcomes)

    def _answer(self, outcomes: list[Outcome]) -> None:
        _settle(outcomes)  # every waiter is on this loop

    def _take(self) -> list[_Item]:
        batch = self._pending[: self._max_batch]
        del self._pending[: self._max_batch]
        return batch


async def _off_loop(io: ThreadPoolExecutor, call: Callable[[], None]) -> None:
    """Run ``call`` in ``io`` and wait for it. Cancelled meanwhile (shutdown), still wait for the thread to
    finish before going on: the unit of work must never be used by two threads at once."""
    done = io.submit(call)
    try:
        await asyncio.wrap_future(done)
    except asyncio.CancelledError:
        done.result()
        raise


GroupCommitWriter = Union[BatchWriter, LoopBatchWriter, "ProcessWriter"]
WRITERS = ("auto", "process", "loop", "thread")


def writer_for(uow_factory: UnitOfWorkFactory, kind: str = "auto") -> GroupCommitWriter:
    """``auto``: the writer process, except for an in-memory SQLite database, which a child could not see
    (the loop writer). On PostgreSQL too the process beats the writer thread: the thread's statements and
    round trips competed with the event loop for the GIL (bench/README.md)."""
    from evinfra.ingest.writer_process import ProcessWriter  # it builds on this module

    url = uow_factory.engine.url
    if kind == "auto":
        in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
        kind = "loop" if in_memory else "process"
    if kind == "process":
        return ProcessWriter(url.render_as_string(hide_password=False))
    if kind == "loop":
        return LoopBatchWriter(uow_factory)
    if kind == "thread":
        return BatchWriter(uow_factory)
    raise ValueError(f"unknown writer {kind!r}: one of {', '.join(WRITERS)}")


def writer_for_workers(kind: str, database_url: str, workers: int) -> str:
    """What a server of ``workers`` processes should run. On an SQLite file, several workers with a writer
    process each are twice as many processes queueing for one write lock (bench/README.md: 2,222 against
    3,347 notifications/s with two workers on two cores), so there ``auto`` becomes the loop writer."""
    if kind == "auto" and workers > 1 and make_url(database_url).get_backend_name() == "sqlite":
        return "loop"
    return kind


def _resolve(outcomes: list[Outcome]) -> None:
    """Hand the results over: threads directly, each event loop once for all of its waiters."""
    per_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        item, ok, value = outcome
        if item.future is not None:
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)
        elif item.loop is not None:
            per_loop.setdefault(item.loop, []).append(outcome)
    for loop, waiting in per_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, waiting)


def _settle(outcomes: list[Outcome]) -> None:
    for item, ok, value in outcomes:
        waiter = item.waiter
        if waiter is None or waiter.done():  # cancelled while the batch ran
            continue
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)
