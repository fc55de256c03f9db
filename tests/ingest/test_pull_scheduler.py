"""PullScheduler: full then incremental sync, status for known stations, due-ness and back-off (fake clock)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from evinfra.ingest.pull import MemoryStateStore, PullKind, PullScheduler, PullTarget, TargetState
from evinfra.protocols.tcec.client import PullError

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


class FakeClient:
    """Records what the scheduler asked for; fails while ``fail`` is set."""

    def __init__(self, station_ids: Sequence[str]) -> None:
        self.station_ids = list(station_ids)
        self.info_calls: list[datetime | None] = []
        self.status_calls: list[list[str]] = []
        self.fail: Exception | None = None

    def query_stations_info(self, last_query_time: datetime | None = None) -> Iterator[dict[str, Any]]:
        self.info_calls.append(last_query_time)
        if self.fail is not None:
            raise self.fail
        ids = self.station_ids if last_query_time is None else self.station_ids[-1:]
        for station_id in ids:
            yield {"StationID": station_id}

    def query_station_status(self, station_ids: Sequence[str]) -> list[dict[str, Any]]:
        self.status_calls.append(list(station_ids))
        return [{"StationID": s, "ConnectorStatusInfos": []} for s in station_ids]


class ZeroRandom(random.Random):
    """``random()`` always returns ``value``: jitter becomes predictable."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


class Sink:
    def __init__(self) -> None:
        self.items: list[tuple[str, PullKind, dict[str, Any]]] = []

    def __call__(self, operator_id: str, kind: PullKind, payload: dict[str, Any]) -> None:
        self.items.append((operator_id, kind, payload))


def scheduler(*clients: FakeClient, sink: Sink, rnd: float = 0.0, **kwargs: Any) -> PullScheduler:
    targets = [PullTarget(f"OP000000{n}", client, sink) for n, client in enumerate(clients, start=1)]
    return PullScheduler(targets, rng=ZeroRandom(rnd), **kwargs)


def test_first_sync_is_full_then_incremental_from_last_start_minus_overlap() -> None:
    client, sink = FakeClient(["S1", "S2", "S3"]), Sink()
    sched = scheduler(client, sink=sink, interval=timedelta(minutes=5), overlap=timedelta(seconds=60))
    [outcome] = sched.run_once(T0)
    assert outcome.ok and outcome.full and (outcome.stations, outcome.statuses) == (3, 3)
    assert client.info_calls == [None]
    assert client.status_calls == [["S1", "S2", "S3"]]
    assert [kind for _, kind, _ in sink.items] == ["station_info"] * 3 + ["station_status"] * 3

    assert sched.run_once(T0 + timedelta(minutes=4)) == []  # not due yet
    [outcome] = sched.run_once(T0 + timedelta(minutes=5))
    assert outcome.ok and not outcome.full
    assert client.info_calls[-1] == T0 - timedelta(seconds=60)
    assert client.status_calls[-1] == ["S1", "S2", "S3"]  # status for all known stations, not just changed ones
    assert sched.state("OP0000001").last_sync_start == T0 + timedelta(minutes=5)


def test_backoff_doubles_from_30_s_and_caps_at_30_min() -> None:
    client, sink = FakeClient(["S1"]), Sink()
    client.fail = PullError("down", kind="timeout")
    sched = scheduler(client, sink=sink)
    now = T0
    waits = []
    for _ in range(9):
        [outcome] = sched.run_once(now)
        assert not outcome.ok
        waits.append(outcome.next_due - now)
        now = outcome.next_due
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 960, 1800, 1800, 1800)]
    state = sched.state("OP0000001")
    assert state.failures == 9
    assert state.last_error is not None and "down" in state.last_error


def test_jitter_shortens_the_wait_within_bounds() -> None:
    client, sink = FakeClient(["S1"]), Sink()
    client.fail = PullError("down", kind="http", status_code=502)
    sched = scheduler(client, sink=sink, rnd=1.0, jitter=0.5)
    [outcome] = sched.run_once(T0)
    assert outcome.next_due - T0 == timedelta(seconds=15)
    real = PullScheduler([PullTarget("OP1", client, sink)], rng=random.Random(42))
    for failures in range(1, 12):
        wait = real.backoff(failures)
        cap = min(timedelta(minutes=30), timedelta(seconds=30) * 2 ** (failures - 1))
        assert cap / 2 <= wait <= cap


def test_success_after_failures_resets_backoff_and_stays_full_until_a_sync_succeeds() -> None:
    client, sink = FakeClient(["S1", "S2"]), Sink()
    client.fail = PullError("busy", ret=-1)
    sched = scheduler(client, sink=sink, interval=timedelta(minutes=10))
    sched.run_once(T0)
    sched.run_once(T0 + timedelta(seconds=30))
    client.fail = None
    [outcome] = sched.run_once(T0 + timedelta(seconds=90))
    assert outcome.ok and outcome.full  # no sync had succeeded, so this one is still a full sync
    assert client.info_calls == [None, None, None]
    state = sched.state("OP0000001")
    assert (state.failures, state.last_error) == (0, None)
    assert state.next_due == T0 + timedelta(seconds=90) + timedelta(minutes=10)


def test_only_due_targets_are_synced_and_one_failure_does_not_block_others() -> None:
    good, bad, sink = FakeClient(["A1"]), FakeClient(["B1"]), Sink()
    bad.fail = RuntimeError("sink exploded")
    sched = scheduler(good, bad, sink=sink, interval=timedelta(minutes=5))
    outcomes = sched.run_once(T0)
    assert [(o.operator_id, o.ok) for o in outcomes] == [("OP0000001", True), ("OP0000002", False)]
    assert sched.next_wakeup() == T0 + timedelta(seconds=30)
    assert sched.due(T0 + timedelta(seconds=30)) == ["OP0000002"]
    [outcome] = sched.run_once(T0 + timedelta(seconds=30))
    assert outcome.operator_id == "OP0000002"
    assert len(good.info_calls) == 1
    assert sched.due(T0 + timedelta(minutes=5)) == ["OP0000001", "OP0000002"]


def test_failed_status_step_keeps_stations_but_not_the_sync_time() -> None:
    client, sink = FakeClient(["S1"]), Sink()

    def broken(station_ids: Sequence[str]) -> list[dict[str, Any]]:
        raise PullError("status down", ret=500)

    client.query_station_status = broken  # type: ignore[method-assign]
    sched = scheduler(client, sink=sink)
    [outcome] = sched.run_once(T0)
    assert not outcome.ok and outcome.stations == 1
    state = sched.state("OP0000001")
    assert list(state.station_ids) == ["S1"]
    assert state.last_sync_start is None


def test_duplicate_operator_ids_are_refused() -> None:
    client, sink = FakeClient([]), Sink()
    with pytest.raises(ValueError, match="distinct"):
        PullScheduler([PullTarget("OP1", client, sink), PullTarget("OP1", client, sink)])


def test_run_forever_stops_on_the_event() -> None:
    client, sink = FakeClient(["S1"]), Sink()
    stop = threading.Event()

    def stopping_sink(operator_id: str, kind: PullKind, payload: dict[str, Any]) -> None:
        sink(operator_id, kind, payload)
        if kind == "station_status":
            stop.set()

    sched = PullScheduler([PullTarget("OP1", client, stopping_sink)], clock=lambda: T0)
    thread = threading.Thread(target=sched.run_forever, args=(stop,), daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(client.info_calls) == 1


# --- resuming from a saved state (a restart) -------------------------------------------------------------------


class FailingStore(MemoryStateStore):
    """Loads like a memory store, cannot save (a store outage)."""

    def save(self, operator_id: str, state: TargetState) -> None:
        raise ConnectionError("database gone")


def test_a_new_scheduler_over_the_same_state_resumes_incrementally() -> None:
    store, sink = MemoryStateStore(), Sink()
    first = FakeClient(["S1", "S2", "S3"])
    sched = scheduler(first, sink=sink, interval=timedelta(minutes=5), state_store=store)
    [outcome] = sched.run_once(T0)
    assert outcome.ok and outcome.full
    assert store.states["OP0000001"].last_sync_start == T0  # saved after the attempt
    assert store.states["OP0000001"] is not sched.state("OP0000001")  # a copy, not the live state

    restarted = FakeClient(["S1", "S2", "S3"])  # the process restarts: new client, new scheduler, same store
    sched = scheduler(restarted, sink=sink, interval=timedelta(minutes=5), state_store=store)
    assert sched.next_wakeup() == T0 + timedelta(minutes=5)
    assert sched.run_once(T0 + timedelta(minutes=4)) == []  # the due time survived: no sync on start
    [outcome] = sched.run_once(T0 + timedelta(minutes=5))
    assert outcome.ok and not outcome.full
    assert restarted.info_calls == [T0 - timedelta(seconds=60)]  # incremental from the saved LastQueryTime
    assert restarted.status_calls == [["S1", "S2", "S3"]]  # every station known before the restart


def test_backoff_survives_a_restart() -> None:
    store, sink = MemoryStateStore(), Sink()
    client = FakeClient(["S1"])
    client.fail = PullError("down", kind="timeout")
    sched = scheduler(client, sink=sink, state_store=store)
    now = T0
    for _ in range(3):  # waits 30, 60, 120 s
        [outcome] = sched.run_once(now)
        now = outcome.next_due
    assert now == T0 + timedelta(seconds=30 + 60 + 120)

    client = FakeClient(["S1"])
    client.fail = PullError("still down", kind="timeout")
    sched = scheduler(client, sink=sink, state_store=store)
    state = sched.state("OP0000001")
    assert (state.failures, state.next_due, state.last_sync_start) == (3, now, None)
    assert state.last_error is not None and "down" in state.last_error
    assert sched.due(now - timedelta(seconds=1)) == []
    [outcome] = sched.run_once(now)
    assert not outcome.ok and outcome.full
    assert outcome.next_due - now == timedelta(seconds=240)  # the fourth failure in a row, not the first
    assert store.states["OP0000001"].failures == 4


def test_success_before_a_restart_after_failures_is_what_resumes() -> None:
    store, sink = MemoryStateStore(), Sink()
    client = FakeClient(["S1", "S2"])
    sched = scheduler(client, sink=sink, interval=timedelta(minutes=5), state_store=store)
    sched.run_once(T0)  # success: LastQueryTime anchor T0
    client.fail = PullError("busy", ret=-1)
    [failed] = sched.run_once(T0 + timedelta(minutes=5))  # then a failure: back-off, anchor unchanged
    assert not failed.ok

    client = FakeClient(["S1", "S2"])
    sched = scheduler(client, sink=sink, interval=timedelta(minutes=5), state_store=store)
    state = sched.state("OP0000001")
    assert (state.failures, state.next_due) == (1, failed.next_due)  # a failing target keeps its back-off
    [outcome] = sched.run_once(failed.next_due)
    assert outcome.ok and not outcome.full
    assert client.info_calls == [T0 - timedelta(seconds=60)]
    assert sched.state("OP0000001").failures == 0


def test_a_shorter_interval_after_a_restart_takes_effect_at_once() -> None:
    store, sink = MemoryStateStore(), Sink()
    scheduler(FakeClient(["S1"]), sink=sink, interval=timedelta(hours=1), state_store=store).run_once(T0)
    sched = scheduler(FakeClient(["S1"]), sink=sink, interval=timedelta(minutes=5), state_store=store)
    assert sched.next_wakeup() == T0 + timedelta(minutes=5)
    longer = scheduler(FakeClient(["S1"]), sink=sink, interval=timedelta(hours=2), state_store=store)
    assert longer.next_wakeup() == T0 + timedelta(hours=1)  # a longer one waits for the saved due time first


def test_targets_without_a_saved_state_start_afresh() -> None:
    store, sink = MemoryStateStore(), Sink()
    scheduler(FakeClient(["A1"]), sink=sink, state_store=store).run_once(T0)
    a, b = FakeClient(["A1"]), FakeClient(["B1"])
    sched = scheduler(a, b, sink=sink, state_store=store)  # OP0000002 is new
    assert sched.due(T0 + timedelta(seconds=1)) == ["OP0000002"]
    assert sched.state("OP0000002") == TargetState()


def test_a_failing_save_is_logged_and_the_sync_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    client, sink = FakeClient(["S1"]), Sink()
    sched = scheduler(client, sink=sink, interval=timedelta(minutes=5), state_store=FailingStore())
    with caplog.at_level(logging.ERROR, logger="evinfra.ingest.pull"):
        [outcome] = sched.run_once(T0)
    assert outcome.ok
    assert "could not save the pull state" in caplog.text
    assert sched.state("OP0000001").last_sync_start == T0  # kept in memory
    [outcome] = sched.run_once(T0 + timedelta(minutes=5))
    assert not outcome.full and client.info_calls[-1] == T0 - timedelta(seconds=60)


def test_last_success_at_is_read_from_the_clock() -> None:
    client, sink = FakeClient(["S1"]), Sink()
    sched = scheduler(client, sink=sink, clock=lambda: T0 + timedelta(seconds=7))
    sched.run_once(T0)
    state = sched.state("OP0000001")
    assert (state.last_sync_start, state.last_success_at) == (T0, T0 + timedelta(seconds=7))
