"""The pull path into the store, on each backend: the simulator's CPO endpoints over real HTTP, the pull client
and scheduler, and :class:`PullSink` writing through the hub's own translate and write functions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.conftest import NOW
from tests.servers import serve
from typer.testing import CliRunner

from evinfra.bootstrap import Container, bootstrap, utc_now
from evinfra.cli_pull import pull_app
from evinfra.config import Settings
from evinfra.domain.equipment import EquipmentType
from evinfra.domain.operator import Operator, OperatorStatus
from evinfra.domain.status import from_tcec
from evinfra.ingest.pull import PullScheduler
from evinfra.ingest.pull_sink import REJECTED, UNKNOWN_CONNECTOR, PullSink, build_targets, close_targets
from evinfra.ingest.pull_state import STATION_IDS, StorePullState
from evinfra.ingest.registry import configure_pull, onboard_operator, set_profile
from evinfra.ingest.services import set_operator_status
from evinfra.protocols.tcec.client import PullClient
from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import SHANGHAI
from evinfra.scenario.simulator import SimOperator
from evinfra.scenario.simulator_cpo import CpoState, cpo_app
from evinfra.store.runner_lock import single_runner

OP = "MA0PULL01"
H_TO_O = KeySet("A1B2C3D4E5F60718293A4B5C6D7E8F90", "pulldatakey12345", "pulldataiv123456", "PULLSIGSECRET001")
STATIONS = 4


@pytest.fixture
def container(engine: Engine, tmp_path: Path) -> Container:
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False))
    return bootstrap(settings, engine=engine)


@dataclass
class Cpo:
    url: str
    state: CpoState
    operator: SimOperator
    container: Container

    @property
    def base(self) -> str:
        return f"{self.url}/{self.operator.operator_id}/evcs/v1"

    def configure(self, base: str | None = None) -> None:
        c = self.container
        configure_pull(OP, base or self.base, H_TO_O, c.settings.tcec_operator_id, c.uow, c.master, NOW)


def _bad_station(operator: SimOperator) -> dict[str, Any]:
    """A copy of the first station under a new ID, in a county that does not exist (refused by the region check)."""
    station = dict(operator.stations[0])
    station["StationID"] = f"{OP}BAD1"
    station["AreaCode"] = "149999"
    station["EquipmentInfos"] = [
        {
            **e,
            "EquipmentID": f"{OP}BAD1{n:02d}",
            "ConnectorInfos": [
                {**conn, "ConnectorID": f"{OP}BAD1{n:02d}{m:02d}"} for m, conn in enumerate(e["ConnectorInfos"])
            ],
        }
        for n, e in enumerate(station["EquipmentInfos"])
    ]
    return station


@pytest.fixture
def cpo(container: Container) -> Iterator[Cpo]:
    """One onboarded operator whose CPO endpoints (the simulator) answer the platform, the only caller accepted."""
    keys = onboard_operator(Operator(OP, "拉取测试运营商"), container.uow, container.master, NOW)
    operator = SimOperator.generate(OP, keys, seed=11, stations=STATIONS)
    state = CpoState()
    app = cpo_app([operator], {OP: H_TO_O}, state=state, platform_operator_id=container.settings.tcec_operator_id)
    with serve(app) as url:
        yield Cpo(url, state, operator, container)


def _states(container: Container, connector_ids: list[str]) -> dict[str, Any]:
    with container.uow() as uow:
        result = {}
        for connector_id in connector_ids:
            pk = uow.network.connector_pk(OP, connector_id)
            result[connector_id] = None if pk is None else uow.status.current(pk)[0]
        return result


def _findings(container: Container) -> dict[tuple[str, str, str], int]:
    with container.uow() as uow:
        return {(f.interface, f.field, f.variant): f.count for f in uow.hub.findings(OP)}


def test_a_pull_stores_stations_and_connector_states_then_syncs_changes(cpo: Cpo) -> None:
    c, op = cpo.container, cpo.operator
    connectors = [conn.connector_id for conn in op.connectors()]
    for n, connector_id in enumerate(connectors):
        op.connector_status[connector_id] = (1, 3, 255, 0)[n % 4]
    cpo.configure()
    targets = build_targets(c)
    try:
        assert [t.operator_id for t in targets] == [OP]
        scheduler = PullScheduler(targets, clock=c.clock)
        first = utc_now()
        [outcome] = scheduler.run_once(first)
        assert outcome.ok and outcome.full, outcome.error
        assert (outcome.stations, outcome.statuses) == (STATIONS, STATIONS)

        with c.uow() as uow:
            for wire in op.stations:
                tree = uow.network.get_tree(OP, wire["StationID"])
                assert tree is not None
                assert tree.station.name == wire["StationName"] and tree.station.area_code == wire["AreaCode"]
                assert {e.equipment.equipment_id for e in tree.equipment} == {
                    e["EquipmentID"] for e in wire["EquipmentInfos"]
                }
                assert {conn.connector_id for e in tree.equipment for conn in e.connectors} == {
                    conn["ConnectorID"] for e in wire["EquipmentInfos"] for conn in e["ConnectorInfos"]
                }
        states = _states(c, connectors)
        assert states == {cid: from_tcec(op.connector_status[cid]) for cid in connectors}
        assert _findings(c) == {}  # the simulator answers in the standard form
        calls = [call.interface for call in cpo.state.calls]
        assert calls == ["query_token", "query_stations_info", "query_station_status"]

        # Next round: one station renamed (incremental LastQueryTime), two connectors changed.
        renamed = op.stations[1]
        renamed["StationName"] = "改名后的充电站"
        op.touch_station(renamed["StationID"], utc_now())
        op.connector_status[connectors[0]] = 3
        op.connector_status[connectors[1]] = 1
        [outcome] = scheduler.run_once(first + scheduler.interval)
        assert outcome.ok and not outcome.full and outcome.stations == 1
        infos = [call.payload for call in cpo.state.calls_to("query_stations_info")]
        assert infos[0] is not None and infos[0]["LastQueryTime"] == ""
        assert infos[1] is not None and infos[1]["LastQueryTime"] != ""
        with c.uow() as uow:
            tree = uow.network.get_tree(OP, renamed["StationID"])
            assert tree is not None and tree.station.name == "改名后的充电站"
            pk = uow.network.connector_pk(OP, connectors[0])
            assert pk is not None
            history = uow.status.history(pk)
        assert _states(c, connectors) == {cid: from_tcec(op.connector_status[cid]) for cid in connectors}
        assert [i.state for i in history] == [from_tcec(1), from_tcec(3)]  # the pull time is the report time
        assert history[0].end == history[1].start and history[1].end is None
    finally:
        close_targets(targets)


def test_one_bad_station_does_not_stop_the_sync_and_is_counted(cpo: Cpo) -> None:
    c, op = cpo.container, cpo.operator
    bad = _bad_station(op)
    op.stations.append(bad)
    op.station_updated_at[bad["StationID"]] = utc_now()
    bad_connectors = [conn["ConnectorID"] for e in bad["EquipmentInfos"] for conn in e["ConnectorInfos"]]
    for connector_id in bad_connectors:
        op.connector_status[connector_id] = 1
    cpo.configure()
    sink = PullSink(c.uow, c.regions, c.clock)
    targets = build_targets(c, sink=sink)
    try:
        [outcome] = PullScheduler(targets).run_once(utc_now())
    finally:
        close_targets(targets)
    assert outcome.ok, outcome.error
    assert (outcome.stations, outcome.statuses) == (STATIONS + 1, STATIONS + 1)  # fetched, not all stored
    with c.uow() as uow:
        assert uow.network.get_tree(OP, bad["StationID"]) is None
        assert all(uow.network.get_tree(OP, s["StationID"]) is not None for s in op.stations[:STATIONS])
    good = [conn.connector_id for conn in op.connectors() if conn.station_id != bad["StationID"]]
    assert all(state is not None for state in _states(c, good).values())
    assert sink.counts == {
        "stations": STATIONS,
        "stations_rejected": 1,
        "statuses": len(good),
        "statuses_rejected": len(bad_connectors),
    }
    assert _findings(c) == {
        ("query_stations_info", "AreaCode", REJECTED): 1,
        ("query_station_status", "ConnectorStatusInfos.ConnectorID", UNKNOWN_CONNECTOR): len(bad_connectors),
    }
    with c.uow() as uow:
        [rejection] = [f for f in uow.hub.findings(OP) if f.variant == REJECTED]
    assert bad["StationID"] in rejection.example and "149999" in rejection.example


def test_the_sink_tolerates_variants_and_rejects_entries_one_by_one(cpo: Cpo) -> None:
    """Called directly: deviations are counted under query_station_status, bad entries are skipped, never raised."""
    c, op = cpo.container, cpo.operator
    sink = PullSink(c.uow, c.regions, c.clock)
    station = op.stations[0]
    assert sink.station_info(OP, {**station, "BusinessHours": station["BusineHours"], "BusineHours": None})
    ids = [conn["ConnectorID"] for e in station["EquipmentInfos"] for conn in e["ConnectorInfos"]]
    payload = {
        "StationID": station["StationID"],
        "connectorStatusInfos": [
            {"ConnectorID": ids[0], "Status": "3"},  # a number as a string
            {"connectorID": ids[-1], "Status": 255, "ParkStatus": 10},  # lower-camel key
            {"ConnectorID": ids[0], "Status": 7},  # no such status code
            {"ConnectorID": "NOPE", "Status": 1},  # not this operator's connector
            ["not", "an", "object"],
        ],
    }
    assert sink.station_status(OP, payload) == 2
    assert sink.station_status(OP, {"StationID": "X", "ConnectorStatusInfos": "all free"}) == 0
    assert (
        sink.station_status(OP, {"StationID": "X", "ConnectorStatusInfos": {"ConnectorID": ids[-1], "Status": 2}}) == 1
    )
    states = _states(c, [ids[0], ids[-1]])
    assert states == {ids[0]: from_tcec(3), ids[-1]: from_tcec(2)}
    assert _findings(c) == {
        ("query_stations_info", "BusineHours", "BusinessHours"): 1,
        ("query_station_status", "ConnectorStatusInfos", "connectorStatusInfos"): 1,
        ("query_station_status", "ConnectorStatusInfos", "object_not_array"): 1,
        ("query_station_status", "ConnectorStatusInfos.Status", "json_string"): 1,
        ("query_station_status", "ConnectorStatusInfos.ConnectorID", "connectorID"): 1,
        ("query_station_status", "ConnectorStatusInfos.status", REJECTED): 1,
        ("query_station_status", "ConnectorStatusInfos.ConnectorID", UNKNOWN_CONNECTOR): 1,
        ("query_station_status", "ConnectorStatusInfos", REJECTED): 2,  # the array entry and the string
    }
    assert not sink.station_info(OP, {"StationID": "S1", "OperatorID": "MB7654321"})  # another operator's station
    assert ("query_stations_info", "OperatorID", REJECTED) in _findings(c)


def test_build_targets_skips_unconfigured_and_inactive_operators(cpo: Cpo) -> None:
    c = cpo.container
    assert build_targets(c) == []  # onboarded (keys for pushes), but no pull configured
    cpo.configure()
    [target] = build_targets(c)
    assert isinstance(target.client, PullClient)
    assert target.client.keys == H_TO_O and target.client.base_url == cpo.base
    assert target.client.our_operator_id == c.settings.tcec_operator_id
    close_targets([target])
    assert build_targets(c, operator_ids=["MA0OTHER1"]) == []
    set_operator_status(OP, OperatorStatus.SUSPENDED, c.uow(), NOW)
    assert build_targets(c) == []


def test_cli_run_once(cpo: Cpo, monkeypatch: pytest.MonkeyPatch) -> None:
    c = cpo.container
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(c.settings.data_dir))  # where the master key is
    monkeypatch.setenv("EVINFRA_DATABASE_URL", c.settings.resolved_database_url)
    runner = CliRunner()
    result = runner.invoke(pull_app, ["run-once"])
    assert result.exit_code == 0, result.output
    assert "no active operator is configured" in result.output

    cpo.configure()
    result = runner.invoke(pull_app, ["run-once"])
    assert result.exit_code == 0, result.output
    assert OP in result.output and "ok" in result.output
    with c.uow() as uow:
        assert len(uow.network.stations_as_of(utc_now(), operator_id=OP)) == STATIONS

    result = runner.invoke(pull_app, ["run", "--rounds", "1", "--interval", "60"])
    assert result.exit_code == 0, result.output
    assert OP in result.output

    cpo.configure("http://127.0.0.1:9/nothing/evcs/v1")  # nothing listens on port 9
    result = runner.invoke(pull_app, ["run-once"])
    assert result.exit_code == 1
    assert "failed" in result.output


def _pull_state(container: Container) -> Any:
    with container.uow.read() as uow:
        return uow.hub.get_pull_state(OP)


def test_a_restarted_scheduler_resumes_from_pull_state(cpo: Cpo) -> None:
    c = cpo.container
    cpo.configure()
    targets = build_targets(c)
    try:
        first = utc_now()
        [outcome] = PullScheduler(targets, state_store=StorePullState(c.uow)).run_once(first)
        assert outcome.ok and outcome.full, outcome.error
    finally:
        close_targets(targets)
    row = _pull_state(c)
    assert row.last_query_time == first and row.failures == 0 and row.last_error == ""
    assert row.next_due_at == first + timedelta(minutes=5)
    assert sorted(row.extra[STATION_IDS]) == sorted(s["StationID"] for s in cpo.operator.stations)

    targets = build_targets(c)  # a restart: new clients, new scheduler, state from the store
    try:
        scheduler = PullScheduler(targets, state_store=StorePullState(c.uow))
        assert scheduler.run_once(first + timedelta(minutes=4)) == []
        [outcome] = scheduler.run_once(first + timedelta(minutes=5))
    finally:
        close_targets(targets)
    assert outcome.ok and not outcome.full and outcome.statuses == STATIONS, outcome.error
    [_, since] = [call.payload["LastQueryTime"] for call in cpo.state.calls_to("query_stations_info")]
    assert since == (first - timedelta(seconds=60)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")

    cpo.configure("http://127.0.0.1:9/nothing/evcs/v1")  # the operator goes away: failures are kept too
    for attempt in (1, 2):
        targets = build_targets(c)
        try:
            scheduler = PullScheduler(targets, state_store=StorePullState(c.uow))
            [outcome] = scheduler.run_once(_pull_state(c).next_due_at)
        finally:
            close_targets(targets)
        assert not outcome.ok
        row = _pull_state(c)
        assert row.failures == attempt and row.last_error and row.next_due_at == outcome.next_due
        assert row.last_query_time == first + timedelta(minutes=5)  # the anchor of the next incremental query


def test_cli_run_resumes_incrementally(cpo: Cpo, monkeypatch: pytest.MonkeyPatch) -> None:
    c = cpo.container
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(c.settings.data_dir))
    monkeypatch.setenv("EVINFRA_DATABASE_URL", c.settings.resolved_database_url)
    cpo.configure()
    runner = CliRunner()
    result = runner.invoke(pull_app, ["run", "--rounds", "1", "--interval", "60"])
    assert result.exit_code == 0, result.output
    assert "(full)" in result.output
    row = _pull_state(c)
    assert row is not None and row.last_query_time is not None and row.failures == 0

    with c.uow() as uow:  # make it due now, as if the restart came after the interval
        uow.hub.put_pull_state(replace(row, next_due_at=utc_now() - timedelta(seconds=1)))
        uow.commit()
    result = runner.invoke(pull_app, ["run", "--rounds", "1", "--interval", "60"])
    assert result.exit_code == 0, result.output
    assert OP in result.output and "(full)" not in result.output
    since = [call.payload["LastQueryTime"] for call in cpo.state.calls_to("query_stations_info")]
    assert since[0] == ""
    assert since[1] == (row.last_query_time - timedelta(seconds=60)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    assert _pull_state(c).last_query_time > row.last_query_time


def test_a_second_pull_run_on_the_same_database_refuses_to_start(cpo: Cpo, monkeypatch: pytest.MonkeyPatch) -> None:
    c = cpo.container
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(c.settings.data_dir))
    monkeypatch.setenv("EVINFRA_DATABASE_URL", c.settings.resolved_database_url)
    cpo.configure()
    with single_runner(c.engine, "pull-run"):  # the first `pull run`, still running
        result = CliRunner().invoke(pull_app, ["run", "--rounds", "1", "--interval", "60"])
    assert result.exit_code == 1
    assert "already running" in result.output
    if c.engine.dialect.name == "sqlite":
        assert f"pid {os.getpid()}" in result.output  # who holds it
    assert cpo.state.calls_to("query_stations_info") == []  # it pulled nothing
    assert _pull_state(c) is None


def test_pulled_stations_are_read_through_the_operators_partner_profile(cpo: Cpo) -> None:
    """A Shenzhen client's CPO side sends EquipmentType 0 (直流) too: build_targets hands its profile to the sink."""
    c, station = cpo.container, dict(cpo.operator.stations[0])
    station["EquipmentInfos"] = [{**e, "EquipmentType": 0} for e in station["EquipmentInfos"]]
    cpo.configure()
    sink = PullSink(c.uow, c.regions, c.clock)
    close_targets(build_targets(c, sink=sink))
    assert not sink.station_info(OP, station)  # standard profile: 0 is no EquipmentType
    set_profile(OP, "shenzhen", c.uow, NOW)
    close_targets(build_targets(c, sink=sink))
    assert sink.station_info(OP, station)
    with c.uow() as uow:
        tree = uow.network.get_tree(OP, station["StationID"])
    assert tree is not None and {e.equipment.equipment_type for e in tree.equipment} == {EquipmentType.DC}
