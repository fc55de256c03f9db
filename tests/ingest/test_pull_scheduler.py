"""PullScheduler: full then incremental sync, status for known stations, due-ness and back-off (fake clock)."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from evinfra.ingest.pull import PullKind, PullScheduler, PullTarget
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
