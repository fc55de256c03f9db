"""The pull scheduler's state in ``pull_state``, on each backend: repository round trip and the store adapter."""

from datetime import timedelta, timezone

from evinfra.ingest.pull import PullScheduler, PullTarget, TargetState
from evinfra.ingest.pull_state import STATION_IDS, StorePullState
from evinfra.ingest.services import register_operator
from evinfra.store.repositories.hub import PullState
from tests.conftest import NOW


def test_pull_state_round_trip(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    op = operator.operator_id
    with uow_factory() as uow:
        assert uow.hub.get_pull_state(op) is None
        uow.hub.put_pull_state(PullState(op))  # nothing known yet
        uow.commit()
    with uow_factory.read() as uow:
        assert uow.hub.get_pull_state(op) == PullState(op, None, None, 0, None, "", {})

    beijing = timezone(timedelta(hours=8))
    state = PullState(
        op,
        last_success_at=NOW + timedelta(seconds=5),
        last_query_time=NOW.astimezone(beijing),  # aware in any zone; read back in UTC
        failures=2,
        next_due_at=NOW + timedelta(minutes=1),
        last_error="PullError: " + "x" * 600,
        extra={STATION_IDS: ["S2", "S1"]},
    )
    with uow_factory() as uow:
        uow.hub.put_pull_state(state)  # replaces the row
        uow.commit()
    with uow_factory.read() as uow:
        stored = uow.hub.get_pull_state(op)
    assert stored is not None
    assert stored.last_query_time == NOW and stored.last_query_time.utcoffset() == timedelta(0)
    assert (stored.last_success_at, stored.failures, stored.next_due_at) == (
        NOW + timedelta(seconds=5), 2, NOW + timedelta(minutes=1),
    )  # fmt: skip
    assert stored.last_error == state.last_error[:500]
    assert stored.extra == {STATION_IDS: ["S2", "S1"]}


def test_store_adapter_keeps_everything_the_scheduler_needs(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    op = operator.operator_id
    store = StorePullState(uow_factory)
    assert store.load([op, "MB7654321"]) == {}
    state = TargetState(
        next_due=NOW + timedelta(minutes=5),
        last_sync_start=NOW,
        failures=0,
        last_error=None,
        station_ids=dict.fromkeys(["S3", "S1", "S2"]),
        last_success_at=NOW + timedelta(seconds=3),
    )
    store.save(op, state)
    assert store.load([op, "MB7654321"]) == {op: state}
    assert list(store.load([op])[op].station_ids) == ["S3", "S1", "S2"]  # order kept

    failing = TargetState(next_due=NOW + timedelta(seconds=60), last_sync_start=NOW, failures=2, last_error="boom")
    store.save(op, failing)
    assert store.load([op]) == {op: failing}


def test_a_scheduler_over_the_store_resumes(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    op = operator.operator_id
    calls: list[object] = []

    class Client:
        def query_stations_info(self, last_query_time=None):
            calls.append(last_query_time)
            return [{"StationID": "S1"}]

        def query_station_status(self, station_ids):
            return []

    def sink(operator_id, kind, payload):
        pass

    PullScheduler([PullTarget(op, Client(), sink)], state_store=StorePullState(uow_factory)).run_once(NOW)
    scheduler = PullScheduler([PullTarget(op, Client(), sink)], state_store=StorePullState(uow_factory))
    assert scheduler.run_once(NOW + timedelta(minutes=4)) == []
    [outcome] = scheduler.run_once(NOW + timedelta(minutes=5))
    assert outcome.ok and not outcome.full
    assert calls == [None, NOW - timedelta(seconds=60)]
    with uow_factory.read() as uow:
        row = uow.hub.get_pull_state(op)
    assert row is not None and row.last_query_time == NOW + timedelta(minutes=5)
