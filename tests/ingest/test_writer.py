"""The batch writer: one transaction per batch, one bad item cannot spoil its neighbours, one lock order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import pytest
from sqlalchemy import select
from tests.conftest import NOW

from evinfra.ingest.writer import BatchWriter
from evinfra.store.rows import SeenEnvelopeRow
from evinfra.store.uow import SqlUnitOfWork, UnitOfWorkFactory

OP = "MA0123456"


@pytest.fixture
def writer(uow_factory: UnitOfWorkFactory) -> Iterator[BatchWriter]:
    w = BatchWriter(uow_factory)
    w.start()
    yield w
    w.stop()


def gate(writer: BatchWriter) -> tuple[threading.Event, Future[None]]:
    """Hold the writer in a batch of its own, so that everything submitted meanwhile forms the next batch."""
    release, entered = threading.Event(), threading.Event()

    def hold(_: SqlUnitOfWork) -> None:
        entered.set()
        release.wait(10)

    held = writer.submit(hold)
    assert entered.wait(10)
    return release, held


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


def test_a_batch_shares_one_commit_and_a_failing_item_loses_only_its_own_writes(writer, uow_factory):
    release, held = gate(writer)

    def half_then_fail(uow: SqlUnitOfWork) -> None:
        uow.hub.first_sighting(OP, "BAD", NOW)
        raise ValueError("bad item")

    futures = [writer.submit(record("A")), writer.submit(half_then_fail), writer.submit(record("C"))]
    release.set()
    held.result(10)
    assert futures[0].result(10) == "A" and futures[2].result(10) == "C"
    with pytest.raises(ValueError, match="bad item"):
        futures[1].result(10)
    assert writer.batches == 2  # the gate's, then the three in one transaction
    assert writer.retries == 1  # run once without SAVEPOINTs, once with the failing item isolated
    assert seen(uow_factory) == {"A", "C"}  # the failing item's own write was undone


def test_items_run_in_lock_order_and_same_keys_keep_their_arrival_order(writer, uow_factory):
    release, held = gate(writer)
    log: list[str] = []
    orders = [("B", "2"), None, ("A", "9"), ("B", "1"), ("A", "9"), None]
    sigs = ["B2", "U1", "A9-1", "B1", "A9-2", "U2"]
    futures = [writer.submit(record(s, log), order) for s, order in zip(sigs, orders, strict=True)]
    release.set()
    held.result(10)
    assert [f.result(10) for f in futures] == sigs
    assert log == ["U1", "U2", "A9-1", "A9-2", "B1", "B2"]


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
