"""The batch writers: one transaction per batch, one bad item cannot spoil its neighbours, one lock order.

Every rule is checked on the three schedulings: the writer thread, the loop writer and the writer process
(whose writes must pickle, hence the named-tuple commands below)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from datetime import timedelta
from typing import Any, NamedTuple, TypeVar

import pytest
from sqlalchemy import select
from tests.conftest import NOW

from evinfra.domain.operator import Operator
from evinfra.ingest.commands import Notified, WriteContext
from evinfra.ingest.notifications import QualityNote, UnknownObject
from evinfra.ingest.services import register_operator
from evinfra.ingest.writer import (
    BatchWriter,
    GroupCommitWriter,
    LoopBatchWriter,
    WriterStopped,
    writer_for,
    writer_for_workers,
)
from evinfra.ingest.writer_process import SEND_AT, ProcessWriter
from evinfra.store.engine import make_engine
from evinfra.store.rows import SeenEnvelopeRow
from evinfra.store.uow import SqlUnitOfWork, UnitOfWorkFactory

OP = "MA0123456"
T = TypeVar("T")


def gate(writer: BatchWriter) -> tuple[threading.Event, Future[None]]:
    """Hold the writer thread in a batch of its own, so that everything submitted meanwhile forms the next batch."""
    release, entered = threading.Event(), threading.Event()

    def hold(_: SqlUnitOfWork, __: WriteContext) -> None:
        entered.set()
        release.wait(10)

    held = writer.submit(hold)
    assert entered.wait(10)
    return release, held


Submitted = list[tuple[Callable[[SqlUnitOfWork, WriteContext], Any], tuple[str, ...] | None]]
KINDS = ["thread", "loop", "process"]


class Record(NamedTuple):
    """Sight an envelope signature; returns it, and when (monotonic, across processes) it ran."""

    sig: str

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> tuple[str, int]:
        uow.hub.first_sighting(OP, self.sig, NOW, NOW)
        return self.sig, time.monotonic_ns()


class HalfThenFail(NamedTuple):
    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> None:
        uow.hub.first_sighting(OP, "BAD", NOW, NOW)
        raise ValueError("bad item")


class PendingInvalidRow(NamedTuple):
    """An ORM write the database refuses only when it is flushed (a NOT NULL column left empty)."""

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> None:
        uow.session.add(SeenEnvelopeRow(sent_at=NOW, operator_id=OP, sig="PENDING", received_at=None))


class Unknown(NamedTuple):
    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> None:
        raise UnknownObject("ConnectorID", "C404")


class Die(NamedTuple):
    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> None:
        os._exit(3)  # the writer process dies mid-batch, as on a crash


class Slow(NamedTuple):
    """Holds the writer process in a batch of its own for a while."""

    sig: str
    seconds: float

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> tuple[str, int]:
        time.sleep(self.seconds)
        return Record(self.sig)(uow, ctx)


class Odd(Exception):
    def __init__(self, a: str, b: str) -> None:  # unpickles only with both arguments: it cannot cross as itself
        super().__init__(f"{a}/{b}")


class RaiseOdd(NamedTuple):
    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> None:
        raise Odd("x", "y")


class ReturnClosure(NamedTuple):
    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> Callable[[], int]:
        return lambda: 1  # committed, but its result cannot be sent back


def sigs(results: list[Any]) -> list[Any]:
    return [r[0] if isinstance(r, tuple) else r for r in results]


def process_writer(uow_factory: UnitOfWorkFactory, **options: Any) -> ProcessWriter:
    return ProcessWriter(uow_factory.engine.url.render_as_string(hide_password=False), **options)


def started(writer: ProcessWriter, scenario: Callable[[], Awaitable[T]]) -> T:
    """Run ``scenario`` on a new event loop with ``writer`` started, and stop it on that loop, as the app does."""

    async def main() -> T:
        writer.start()
        try:
            return await scenario()
        finally:
            writer.stop()

    return asyncio.run(main())


def one_batch(kind: str, uow_factory: UnitOfWorkFactory, works: Submitted) -> tuple[list[Any], GroupCommitWriter]:
    """Run ``works`` as one batch of a writer of ``kind``; their results or exceptions, and the writer."""
    if kind == "thread":
        writer = BatchWriter(uow_factory)
        writer.start()
        try:
            release, held = gate(writer)
            futures = [writer.submit(work, order) for work, order in works]
            release.set()
            held.result(10)
            return [f.exception(10) or f.result(10) for f in futures], writer
        finally:
            writer.stop()
    async_writer = LoopBatchWriter(uow_factory) if kind == "loop" else process_writer(uow_factory)
    async_writer.start()

    async def submit_all() -> list[Any]:  # every run() queues before the drainer takes the batch
        try:
            return await asyncio.gather(
                *(async_writer.run(work, order) for work, order in works), return_exceptions=True
            )
        finally:
            async_writer.stop()  # on the loop, as the app's lifespan does

    return asyncio.run(submit_all()), async_writer


def seen(uow_factory: UnitOfWorkFactory) -> set[str]:
    with uow_factory() as uow:
        return set(uow.session.scalars(select(SeenEnvelopeRow.sig)))


@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_shares_one_commit_and_a_failing_item_loses_only_its_own_writes(kind, uow_factory):
    results, writer = one_batch(kind, uow_factory, [(Record("A"), None), (HalfThenFail(), None), (Record("C"), None)])
    assert sigs(results)[0] == "A" and sigs(results)[2] == "C"
    assert isinstance(results[1], ValueError)
    gated = 1 if kind == "thread" else 0  # the thread writer's gate is a batch of its own
    assert (writer.batches, writer.items) == (1 + gated, 3 + gated)  # the three shared one transaction
    assert writer.retries == 1  # run once without SAVEPOINTs, once with the failing item isolated
    assert seen(uow_factory) == {"A", "C"}  # the failing item's own write was undone


@pytest.mark.parametrize("kind", KINDS)
def test_an_orm_write_refused_at_flush_fails_only_its_own_item(kind, uow_factory):
    """Left pending, it would fail at the COMMIT, and every write of the batch with it."""
    results, _ = one_batch(kind, uow_factory, [(Record("A"), None), (PendingInvalidRow(), None), (Record("C"), None)])
    assert sigs(results)[0] == "A" and sigs(results)[2] == "C", results
    assert isinstance(results[1], Exception) and not isinstance(results[1], WriterStopped), results
    assert seen(uow_factory) == {"A", "C"}


@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_counts_the_deviations_of_the_writes_it_commits_once_per_finding(kind, uow_factory):
    register_operator(Operator(OP, "测试运营商"), uow_factory(), NOW)
    spelled = QualityNote("notification_stationStatus", "ConnectorStatusInfo", "ConnectorStatusInfos", "{…}")
    millis = QualityNote("notification_stationStatus", "TimeStamp", "epoch_ms", "1764384000000")
    works: Submitted = [
        (Notified(OP, "A", NOW, NOW, (spelled,), None), None),
        (Notified(OP, "B", NOW, NOW, (spelled, millis), HalfThenFail()), None),  # fails: counts nothing
        (Notified(OP, "C", NOW, NOW + timedelta(seconds=1), (spelled,), None), None),
    ]
    results, _ = one_batch(kind, uow_factory, works)
    assert results[0] is None and isinstance(results[1], ValueError) and results[2] is None
    with uow_factory() as uow:
        found = [(f.field, f.variant, f.count, f.first_seen, f.last_seen) for f in uow.hub.findings(OP)]
    assert found == [("ConnectorStatusInfo", "ConnectorStatusInfos", 2, NOW, NOW + timedelta(seconds=1))]
    assert seen(uow_factory) == {"A", "C"}


@pytest.mark.parametrize("kind", KINDS)
def test_items_run_in_lock_order_and_same_keys_keep_their_arrival_order(kind, uow_factory):
    orders = [("B", "2"), None, ("A", "9"), ("B", "1"), ("A", "9"), None]
    names = ["B2", "U1", "A9-1", "B1", "A9-2", "U2"]
    results, _ = one_batch(kind, uow_factory, [(Record(s), o) for s, o in zip(names, orders, strict=True)])
    assert sigs(results) == names  # each caller gets its own answer
    assert [sig for sig, _ in sorted(results, key=lambda r: r[1])] == ["U1", "U2", "A9-1", "A9-2", "B1", "B2"]


@pytest.mark.parametrize("kind", ["loop", "process"])
def test_async_writers_refuse_work_when_stopped(kind, uow_factory):
    writer = LoopBatchWriter(uow_factory) if kind == "loop" else process_writer(uow_factory)
    with pytest.raises(WriterStopped):
        asyncio.run(writer.run(Record("X")))


def test_each_store_gets_its_writer(engine, uow_factory, tmp_path):
    """A writer process for an SQLite file or a server, the loop writer for an in-memory SQLite."""
    assert type(writer_for(uow_factory)) is ProcessWriter
    assert type(writer_for(uow_factory, "thread")) is BatchWriter
    memory = make_engine("sqlite://")
    assert type(writer_for(UnitOfWorkFactory(memory))) is LoopBatchWriter
    assert type(writer_for(uow_factory, "loop")) is LoopBatchWriter
    with pytest.raises(ValueError, match="unknown writer"):
        writer_for(uow_factory, "fast")


def test_several_workers_on_sqlite_write_themselves_instead_of_each_running_a_writer_process():
    sqlite, pg = "sqlite:////tmp/x.sqlite3", "postgresql+psycopg://u@h/db"
    assert writer_for_workers("auto", sqlite, 1) == "auto"
    assert writer_for_workers("auto", sqlite, 2) == "loop"
    assert writer_for_workers("process", sqlite, 2) == "process"  # said explicitly: kept
    assert writer_for_workers("auto", pg, 4) == "auto"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_failures_cross_from_the_writer_process_as_the_callers_can_read_them(engine, uow_factory):
    works: Submitted = [
        (Record("A"), None),
        (Unknown(), None),
        (RaiseOdd(), None),
        (lambda uow, ctx: 1, None),
        (ReturnClosure(), None),
    ]
    results, writer = one_batch("process", uow_factory, works)
    assert sigs(results)[0] == "A"
    assert isinstance(results[1], UnknownObject) and (results[1].kind, results[1].object_id) == ("ConnectorID", "C404")
    assert isinstance(results[2], RuntimeError) and str(results[2]) == "Odd: x/y"  # as itself it would not unpickle
    assert isinstance(results[3], TypeError)  # a closure cannot be sent: it fails alone, nothing else does
    assert isinstance(results[4], RuntimeError) and str(results[4]).startswith("function: ")
    assert seen(uow_factory) == {"A"}
    assert isinstance(writer, ProcessWriter) and writer.restarts == 0  # the child answered them all


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_lost_writer_process_fails_what_it_held_and_the_next_write_starts_a_new_one(engine, uow_factory):
    writer = process_writer(uow_factory, respawn_pause_s=0)

    async def scenario() -> list[Any]:
        first = await writer.run(Record("A"))
        child = writer._child
        child.kill()
        child.join(10)
        lost = await asyncio.gather(writer.run(Record("B")), return_exceptions=True)
        return [first, lost[0], await writer.run(Record("C"))]

    first, lost, last = started(writer, scenario)
    assert first[0] == "A" and last[0] == "C"
    assert isinstance(lost, WriterStopped)  # Ret -1 (系统繁忙) at the hub: the operator retries
    assert writer.restarts == 1
    assert {"A", "C"} <= seen(uow_factory) <= {"A", "B", "C"}


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_two_workers_locking_the_same_rows_in_opposite_orders_do_not_deadlock(engine, uow_factory):
    """Two uvicorn workers are two batch writers on one PostgreSQL: their batches take row locks in one order."""
    with uow_factory() as uow:
        for sig in ("A", "B"):
            uow.hub.first_sighting(OP, sig, NOW, NOW)
        uow.commit()

    def lock(sig: str) -> Callable[[SqlUnitOfWork, WriteContext], None]:
        def work(uow: SqlUnitOfWork, ctx: WriteContext) -> None:
            uow.session.execute(select(SeenEnvelopeRow).where(SeenEnvelopeRow.sig == sig).with_for_update()).one()
            time.sleep(0.3)  # both transactions hold their first lock before either asks for its second

        return work

    writers = [BatchWriter(uow_factory), BatchWriter(uow_factory)]
    for w in writers:
        w.start()
    try:
        gates = [gate(w) for w in writers]
        first = [writers[0].submit(lock("B"), ("B",)), writers[0].submit(lock("A"), ("A",))]
        second = [writers[1].submit(lock("A"), ("A",)), writers[1].submit(lock("B"), ("B",))]
        for release, _ in gates:
            release.set()
        for f in first + second:
            f.result(30)
        assert [w.retries for w in writers] == [0, 0]  # a deadlock would have rolled one batch back
    finally:
        for w in writers:
            w.stop()


def test_loop_writer_answers_every_waiting_write_when_begin_fails(uow_factory, monkeypatch):
    """BEGIN (e.g. another process holding SQLite's write lock past the timeout) fails: the batch gets the error,
    nothing is written, and the next batch goes through."""
    calls = {"n": 0}
    real_begin = SqlUnitOfWork.begin

    def flaky_begin(self: SqlUnitOfWork) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise TimeoutError("write lock busy")
        real_begin(self)

    monkeypatch.setattr(SqlUnitOfWork, "begin", flaky_begin)
    results, writer = one_batch("loop", uow_factory, [(Record("A"), None), (Record("B"), None)])
    assert all(isinstance(r, TimeoutError) for r in results)
    assert seen(uow_factory) == set() and writer.batches == 0
    results, writer = one_batch("loop", uow_factory, [(Record("C"), None)])
    assert sigs(results) == ["C"] and seen(uow_factory) == {"C"}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_writer_process_outlives_a_sigterm_to_the_process_group_until_its_worker_closes(engine, uow_factory):
    """A service manager's SIGTERM reaches every process; the worker still needs its writer to finish."""
    writer = process_writer(uow_factory)

    async def scenario() -> Any:
        await writer.run(Record("A"))
        child = writer._child
        os.kill(child.pid, signal.SIGTERM)
        time.sleep(0.2)
        assert child.is_alive()
        return await writer.run(Record("B")), child

    (sig, _), child = started(writer, scenario)
    assert sig == "B" and writer.restarts == 0
    assert not child.is_alive()  # stop() closed the socket: the child saw end-of-file and exited


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_writer_process_that_dies_young_pauses_writes_instead_of_forking_for_every_batch(engine, uow_factory):
    writer = process_writer(uow_factory, respawn_pause_s=1.0)

    async def scenario() -> list[Any]:
        died = await asyncio.gather(writer.run(Die()), return_exceptions=True)
        refused = await asyncio.gather(writer.run(Record("A")), return_exceptions=True)
        spawned = writer._child is not None
        await asyncio.sleep(1.1)
        return [died[0], refused[0], spawned, await writer.run(Record("B"))]

    died, refused, spawned, later = started(writer, scenario)
    assert isinstance(died, WriterStopped) and isinstance(refused, WriterStopped)
    assert "retry later" in str(refused) and not spawned  # refused at once, no new child forked
    assert later[0] == "B" and writer.restarts == 1
    assert seen(uow_factory) == {"B"}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("max_batch", "batches"), [(256, 2), (3, 3)])
def test_the_writer_process_commits_what_arrived_during_a_commit_as_its_next_batch(
    engine, uow_factory, max_batch, batches
):
    """Writes queued in separate turns of the event loop while the child is busy share its next COMMIT (at most
    ``max_batch`` a batch): the child takes what has arrived, instead of waiting for the parent to send it."""
    writer = process_writer(uow_factory, max_batch=max_batch)

    async def scenario() -> list[Any]:
        await writer.run(Record("WARM"))  # the child is up
        first = asyncio.ensure_future(writer.run(Slow("SLOW", 0.5)))
        later = []
        for i in range(5):  # one frame each: every turn of the loop sends what it queued
            await asyncio.sleep(0.02)
            later.append(asyncio.ensure_future(writer.run(Record(f"R{i}"))))
        return [await first, *[await f for f in later]]

    results = started(writer, scenario)
    assert sigs(results) == ["SLOW", "R0", "R1", "R2", "R3", "R4"]  # each caller gets its own answer
    assert writer.items == 7 and writer.batches == 1 + batches  # WARM; SLOW alone; the five in one, or two of ≤ 3
    assert seen(uow_factory) == {"WARM", "SLOW", "R0", "R1", "R2", "R3", "R4"}


def test_the_writer_process_reads_frames_as_they_come():
    """Frames split across reads, several in one read, and end-of-file (``_Frames``, the child's side)."""
    from evinfra.ingest.writer_process import _HEADER, _Frames

    def frame(payload: bytes) -> bytes:
        return _HEADER.pack(len(payload)) + payload

    parent, child = socket.socketpair()
    try:
        frames = _Frames(child)
        assert frames.read(block=False) == []  # nothing yet, and no waiting for it
        whole = frame(b"first")
        parent.sendall(whole[:3])
        assert frames.read(block=False) == []  # half a header
        threading.Timer(0.1, parent.sendall, [whole[3:] + frame(b"second") + frame(b"th")[:5]]).start()
        assert frames.read(block=True) == [b"first", b"second"]  # waits for one, takes what else is whole
        parent.sendall(frame(b"th")[5:] + frame(b""))
        assert frames.read(block=True) == [b"th", b""]
        parent.close()
        assert frames.read(block=True) == []  # end-of-file
    finally:
        parent.close()
        child.close()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_writes_the_writer_process_could_not_be_sent_fail_and_the_next_write_starts_a_new_one(
    engine, uow_factory, monkeypatch
):
    writer = process_writer(uow_factory, respawn_pause_s=0)

    async def scenario() -> list[Any]:
        first = await writer.run(Record("A"))
        assert writer._streams is not None
        stream = writer._streams[1]

        def refuse(data: bytes) -> None:
            raise RuntimeError("transport closed")

        monkeypatch.setattr(stream, "write", refuse)
        lost = await asyncio.wait_for(asyncio.gather(writer.run(Record("B")), return_exceptions=True), 10)
        return [first, lost[0], await asyncio.wait_for(writer.run(Record("C")), 10)]

    first, lost, last = started(writer, scenario)
    assert first[0] == "A" and isinstance(lost, WriterStopped) and last[0] == "C"
    assert writer.restarts == 1 and seen(uow_factory) == {"A", "C"}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_long_turn_of_the_event_loop_sends_its_writes_every_send_at_not_only_at_its_end(engine, uow_factory):
    """The child can start on the first writes of a burst while the worker's loop is still taking in the rest."""
    writer = process_writer(uow_factory)
    burst = SEND_AT + 4

    async def scenario() -> tuple[int, int, list[Any]]:
        await writer.run(Record("WARM"))  # connected: later writes are sent by the loop, not at connection
        tasks = [asyncio.ensure_future(writer.run(Record(f"B{i}"))) for i in range(burst)]
        await asyncio.sleep(0)  # one turn: every task queues its write; the rest go at the turn's end
        sent, waiting = len(writer._inflight), len(writer._pending)
        return sent, waiting, list(await asyncio.gather(*tasks))

    sent, waiting, results = started(writer, scenario)
    assert (sent, waiting) == (SEND_AT, burst - SEND_AT)
    assert sigs(results) == [f"B{i}" for i in range(burst)]
