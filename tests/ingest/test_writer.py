"""The batch writer: one transaction per batch, one bad item cannot spoil its neighbours, one lock order."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import NOW

from evinfra.ingest.writer import BatchWriter, GroupCommitWriter, LoopBatchWriter, WriterStopped, writer_for
from evinfra.store.rows import SeenEnvelopeRow
from evinfra.store.uow import SqlUnitOfWork, UnitOfWorkFactory

OP = "MA0123456"


def gate(writer: BatchWriter) -> tuple[threading.Event, Future[None]]:
    """Hold the writer thread in a batch of its own, so that everything submitted meanwhile forms the next batch."""
    release, entered = threading.Event(), threading.Event()

    def hold(_: SqlUnitOfWork) -> None:
        entered.set()
        release.wait(10)

    held = writer.submit(hold)
    assert entered.wait(10)
    return release, held


Submitted = list[tuple[Callable[[SqlUnitOfWork], Any], tuple[str, ...] | None]]


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
    loop_writer = LoopBatchWriter(uow_factory)
    loop_writer.start()

    async def submit_all() -> list[Any]:  # every run() queues before the drainer takes the batch
        return await asyncio.gather(*(loop_writer.run(work, order) for work, order in works), return_exceptions=True)

    try:
        return asyncio.run(submit_all()), loop_writer
    finally:
        loop_writer.stop()


def seen(uow_factory: UnitOfWorkFactory) -> set[str]:
    with uow_factory() as uow:
        return set(uow.session.scalars(select(SeenEnvelopeRow.sig)))


def record(sig: str, log: list[str] | None = None) -> Callable[[SqlUnitOfWork], str]:
    def work(uow: SqlUnitOfWork) -> str:
        uow.hub.first_sighting(OP, sig, NOW)
        if log is not None:
            log.append(sig)
        return sig

    return work


@pytest.mark.parametrize("kind", ["thread", "loop"])
def test_a_batch_shares_one_commit_and_a_failing_item_loses_only_its_own_writes(kind, uow_factory):
    def half_then_fail(uow: SqlUnitOfWork) -> None:
        uow.hub.first_sighting(OP, "BAD", NOW)
        raise ValueError("bad item")

    results, writer = one_batch(kind, uow_factory, [(record("A"), None), (half_then_fail, None), (record("C"), None)])
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    gated = 1 if kind == "thread" else 0  # the thread writer's gate is a batch of its own
    assert (writer.batches, writer.items) == (1 + gated, 3 + gated)  # the three shared one transaction
    assert writer.retries == 1  # run once without SAVEPOINTs, once with the failing item isolated
    assert seen(uow_factory) == {"A", "C"}  # the failing item's own write was undone


@pytest.mark.parametrize("kind", ["thread", "loop"])
def test_items_run_in_lock_order_and_same_keys_keep_their_arrival_order(kind, uow_factory):
    log: list[str] = []
    orders = [("B", "2"), None, ("A", "9"), ("B", "1"), ("A", "9"), None]
    sigs = ["B2", "U1", "A9-1", "B1", "A9-2", "U2"]
    results, _ = one_batch(kind, uow_factory, [(record(s, log), o) for s, o in zip(sigs, orders, strict=True)])
    assert results == sigs
    assert log == ["U1", "U2", "A9-1", "A9-2", "B1", "B2"]


def test_loop_writer_refuses_work_when_stopped(uow_factory):
    writer = LoopBatchWriter(uow_factory)
    with pytest.raises(WriterStopped):
        asyncio.run(writer.run(record("X")))


def test_the_embedded_store_gets_the_loop_writer_and_a_server_the_thread(engine, uow_factory):
    expected = LoopBatchWriter if engine.dialect.name == "sqlite" else BatchWriter
    assert type(writer_for(uow_factory)) is expected


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_two_workers_locking_the_same_rows_in_opposite_orders_do_not_deadlock(engine, uow_factory):
    """Two uvicorn workers are two batch writers on one PostgreSQL: their batches take row locks in one order."""
    with uow_factory() as uow:
        for sig in ("A", "B"):
            uow.hub.first_sighting(OP, sig, NOW)
        uow.commit()

    def lock(sig: str) -> Callable[[SqlUnitOfWork], None]:
        def work(uow: SqlUnitOfWork) -> None:
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
    results, writer = one_batch("loop", uow_factory, [(record("A"), None), (record("B"), None)])
    assert all(isinstance(r, TimeoutError) for r in results)
    assert seen(uow_factory) == set() and writer.batches == 0
    results, writer = one_batch("loop", uow_factory, [(record("C"), None)])
    assert results == ["C"] and seen(uow_factory) == {"C"}
