"""The hub end to end, over real HTTP on each backend, with the operator simulator as the client.

Three onboarded operators (one of them sending the known wire variants: lower-case Sig, epoch-ms
TimeStamp, ``ServiceMoney`` spellings, the ``notification_station_status`` alias) run a bounded
simulation; then everything they had acknowledged is compared with the store and with what the
supervision API answers. Separate tests cover the API's access rules and late or repeated status reports.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import NOW
from tests.hub.conftest import Live
from tests.hub.wire import answer, post, seal, status_payload, token
from tests.networks import OP

from evinfra.access import create_api_key
from evinfra.bootstrap import utc_now
from evinfra.domain.operator import Operator
from evinfra.domain.status import TcecConnectorStatus, from_tcec
from evinfra.ingest.registry import onboard_operator
from evinfra.protocols.tcec.envelope import SHANGHAI
from evinfra.protocols.tcec.ret import Ret
from evinfra.regions.coords import wgs84_to_gcj02
from evinfra.scenario.simulator import (
    OperatorClient,
    PushResult,
    SimEvent,
    SimOperator,
    Simulation,
    check_orders_payload,
    make_start_charge_seq,
    order_payload,
)
from evinfra.store.rows import ChargeOrderRow

STANDARD = ("MA0SIM001", "MA0SIM002")
VARIANT = "MA0SIM003"
VARIANTS = frozenset({"lower_sig", "epoch_ms_timestamp", "service_money", "station_status_alias"})
SIM_SEED = 32  # with one station per operator, 300 events include an order from each operator
MAX_EVENTS = 300
STATUS = "notification_stationStatus"
ORDER = "notification_charge_order_info"
CHECK = "check_charge_orders"


def _api_key(container: Any, role: str) -> dict[str, str]:
    _, key = create_api_key(f"test-{role}", role, container.uow, NOW)
    return {"Authorization": f"Bearer {key}"}


def _order_rows(container: Any, operator_id: str, seq: str) -> int:
    """Rows stored under (operator, StartChargeSeq). Its own short transaction: on SQLite every transaction,
    even a read, takes the write lock (BEGIN IMMEDIATE), so never call this inside an open unit of work."""
    query = select(func.count()).select_from(ChargeOrderRow.__table__)
    query = query.where(ChargeOrderRow.operator_id == operator_id, ChargeOrderRow.start_charge_seq == seq)
    with container.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


@dataclass
class Sent:
    """Every push one operator got Ret 0 for, outside the simulation: per interface, and the orders' payloads."""

    acked: Counter[str] = field(default_factory=Counter)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)

    def push(self, client: OperatorClient, interface: str, payload: dict[str, Any]) -> PushResult:
        result = client.push(interface, payload)
        assert result.ret == Ret.OK, (interface, result)
        self.acked[interface] += 1
        return result


Scenario = tuple[Live, list[SimOperator], Simulation, list[SimEvent]]


@pytest.fixture
def scenario(live: Live) -> Scenario:
    c = live.container
    operators = []
    for number, operator_id in enumerate((*STANDARD, VARIANT)):
        keys = onboard_operator(Operator(operator_id, f"模拟运营商{number + 1}"), c.uow, c.master, NOW)
        variants = VARIANTS if operator_id == VARIANT else frozenset()
        operators.append(SimOperator.generate(operator_id, keys, seed=number, stations=1, variants=variants))
    sim = Simulation(operators, live.base, seed=SIM_SEED, speed=math.inf, max_events=MAX_EVENTS)
    planned = sim.plan(MAX_EVENTS)  # the same events run() sends, with the full payloads
    sim.run()
    return live, operators, sim, planned


def test_simulated_operators_match_the_store_and_the_api(scenario: Scenario) -> None:
    live, operators, sim, planned = scenario
    c = live.container
    by_id = {op.operator_id: op for op in operators}
    assert sim.failures == []
    assert all(r.ret == Ret.OK for r in sim.records), [r for r in sim.records if r.ret != Ret.OK][:3]
    sent_by_sim = Counter(e.interface for e in planned) + Counter(CHECK for _ in operators)  # + the final check
    assert Counter(r.interface for r in sim.records) == sent_by_sim

    # --- stations: every acknowledged StationInfo is stored with its equipment and connectors ------------------
    station_records = [r for r in sim.records if r.interface == "notification_stationInfo"]
    assert {(r.operator_id, r.key["StationID"]) for r in station_records} == {
        (op.operator_id, s["StationID"]) for op in operators for s in op.stations
    }
    with c.uow() as uow:
        for record in station_records:
            wire = by_id[record.operator_id].station(record.key["StationID"])
            assert wire is not None
            stored = uow.network.get_tree(record.operator_id, wire["StationID"])
            assert stored is not None, wire["StationID"]
            _assert_same_station(stored, wire)

    # --- connector state: the last acknowledged status of each connector ------------------------------------
    last_status: dict[tuple[str, str], int] = {}
    for r in sim.records:
        if r.interface == STATUS:
            last_status[(r.operator_id, r.key["ConnectorID"])] = r.key["Status"]
    every_connector = {(op.operator_id, conn.connector_id) for op in operators for conn in op.connectors()}
    assert set(last_status) == every_connector
    with c.uow() as uow:
        for (operator_id, connector_id), status in last_status.items():
            pk = uow.network.connector_pk(operator_id, connector_id)
            assert pk is not None
            state, _, _ = uow.status.current(pk)
            assert state == from_tcec(status), (operator_id, connector_id)

    # --- orders: each acknowledged one is stored once, with exact money and its energy ------------------------
    planned_orders = {e.payload["StartChargeSeq"]: e for e in planned if e.interface == ORDER}
    sim_orders = [r for r in sim.records if r.interface == ORDER]
    assert len(sim_orders) == len(planned_orders) >= 2
    for r in sim_orders:
        assert r.answer["ConfirmResult"] == 0 and r.answer["StartChargeSeq"] == r.key["StartChargeSeq"]
    sent = {op.operator_id: Sent() for op in operators}
    clients = {op.operator_id: OperatorClient(op, live.base) for op in operators}
    try:
        extra = _push_extra_orders(operators, clients, sent)
        by_sim = {
            (r.operator_id, r.key["StartChargeSeq"]): planned_orders[r.key["StartChargeSeq"]].payload
            for r in sim_orders
        }
        acked_orders = by_sim | extra
        _assert_orders_stored(c, acked_orders)
        _assert_repush_and_conflict(c, clients[VARIANT], sent[VARIANT], extra)
        _assert_final_checks(sim, by_sim)
        _assert_check_charge_orders(c, clients[STANDARD[0]], sent[STANDARD[0]], acked_orders)
    finally:
        for client in clients.values():
            client.close()

    # --- data quality: the variant operator's deviations, counted per accepted message -----------------------
    acked = Counter(r.interface for r in sim.records if r.operator_id == VARIANT) + sent[VARIANT].acked
    _assert_findings(c, acked, tokens=2)  # one token for the simulation, one for the client above
    admin = _api_key(c, "admin")
    api = httpx.get(f"{live.root}/api/v1/quality", params={"operator_id": VARIANT}, headers=admin, timeout=30)
    assert api.status_code == 200
    with c.uow() as uow:
        stored_findings = uow.hub.findings(VARIANT)
    assert [(f["interface"], f["field"], f["variant"], f["count"]) for f in api.json()] == [
        (f.interface, f.field, f.variant, f.count) for f in stored_findings
    ]
    everyone = httpx.get(f"{live.root}/api/v1/quality", headers=admin, timeout=30).json()
    assert {f["operator_id"] for f in everyone} == {VARIANT}  # the standard operators deviate nowhere

    # --- supervision API: station, connector, history, orders --------------------------------------------------
    _assert_supervision_api(live, admin, operators, last_status, acked_orders)


def _assert_same_station(stored: Any, wire: dict[str, Any]) -> None:
    s = stored.station
    assert (s.name, s.area_code, int(s.station_type), int(s.status), int(s.construction)) == (
        wire["StationName"],
        wire["AreaCode"],
        wire["StationType"],
        wire["StationStatus"],
        wire["Construction"],
    )
    lng, lat = wgs84_to_gcj02(s.location.lng, s.location.lat)  # stored WGS-84, sent GCJ-02
    assert lng == pytest.approx(wire["StationLng"], abs=1e-7) and lat == pytest.approx(wire["StationLat"], abs=1e-7)
    assert s.business_hours == wire["BusineHours"]
    equipment = {e.equipment.equipment_id: e for e in stored.equipment}
    assert set(equipment) == {e["EquipmentID"] for e in wire["EquipmentInfos"]}
    for wire_eq in wire["EquipmentInfos"]:
        tree = equipment[wire_eq["EquipmentID"]]
        assert int(tree.equipment.equipment_type) == wire_eq["EquipmentType"]
        assert tree.equipment.power_kw == pytest.approx(wire_eq["Power"])
        connectors = {conn.connector_id: conn for conn in tree.connectors}
        assert set(connectors) == {conn["ConnectorID"] for conn in wire_eq["ConnectorInfos"]}
        for wire_conn in wire_eq["ConnectorInfos"]:
            conn = connectors[wire_conn["ConnectorID"]]
            assert int(conn.connector_type) == wire_conn["ConnectorType"]
            assert conn.power_kw == pytest.approx(wire_conn["Power"])
            assert int(conn.national_standard) == wire_conn["NationalStandard"]
            assert conn.current_a == wire_conn["Current"]


def _push_extra_orders(
    operators: list[SimOperator], clients: dict[str, OperatorClient], sent: dict[str, Sent]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Three more orders per operator, 5, 4 and 3 hours ago, so every operator has some whatever the simulation did."""
    now = utc_now().replace(microsecond=0)
    extra: dict[tuple[str, str], dict[str, Any]] = {}
    for op in operators:
        connector = op.connectors()[0]
        for n, hours in enumerate((5, 4, 3)):
            start = now - timedelta(hours=hours)
            seq = make_start_charge_seq(op.operator_id, start, 9000 + n)
            payload = order_payload(
                seq, connector.connector_id, start_time=start, end_time=start + timedelta(minutes=40), load_kw=42.5
            )
            result = sent[op.operator_id].push(clients[op.operator_id], ORDER, payload)
            assert result.data == {"StartChargeSeq": seq, "ConnectorID": connector.connector_id, "ConfirmResult": 0}
            extra[(op.operator_id, seq)] = payload
    return extra


def _assert_orders_stored(c: Any, acked_orders: dict[tuple[str, str], dict[str, Any]]) -> None:
    with c.uow() as uow:
        for (operator_id, seq), payload in acked_orders.items():
            stored = uow.sessions.get_order(operator_id, seq)
            assert stored is not None, seq
            assert stored.connector_id == payload["ConnectorID"]
            assert (stored.start, stored.end) == (
                datetime.strptime(payload["StartTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI),
                datetime.strptime(payload["EndTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI),
            )
            for name, wire in (
                ("total_money", "TotalMoney"),
                ("elec_money", "TotalElecMoney"),
                ("service_money", "TotalSeviceMoney"),
            ):
                value = getattr(stored, name)
                assert isinstance(value, Decimal) and value == Decimal(str(payload[wire])), (seq, name)
            assert stored.energy_kwh == pytest.approx(payload["TotalPower"], abs=1e-9)
            assert len(stored.details) == payload["SumPeriod"] == len(payload["ChargeDetails"])
            assert sum((d.service_money for d in stored.details), Decimal(0)) == stored.service_money
    for operator_id, seq in acked_orders:
        assert _order_rows(c, operator_id, seq) == 1


def _assert_repush_and_conflict(
    c: Any, client: OperatorClient, sent: Sent, extra: dict[tuple[str, str], dict[str, Any]]
) -> None:
    """A re-pushed order is confirmed again and not duplicated; a different order under its seq is disputed."""
    (operator_id, seq), payload = next((key, p) for key, p in extra.items() if key[0] == client.operator.operator_id)
    again = sent.push(client, ORDER, payload)
    assert again.data["ConfirmResult"] == 0
    assert _order_rows(c, operator_id, seq) == 1
    conflicting = {**payload, "TotalMoney": float(Decimal(str(payload["TotalMoney"])) + 1)}
    disputed = sent.push(client, ORDER, conflicting)
    assert disputed.data["ConfirmResult"] == 1
    assert _order_rows(c, operator_id, seq) == 1
    with c.uow() as uow:
        stored = uow.sessions.get_order(operator_id, seq)
    assert stored is not None and stored.total_money == Decimal(str(payload["TotalMoney"]))


def _assert_final_checks(sim: Simulation, acked_orders: dict[tuple[str, str], dict[str, Any]]) -> None:
    """The simulation's check_charge_orders list every order it ended in the window, including any whose push the
    event limit cut off: exactly those come back, as 交易不存在 (1). ``acked_orders``: the simulation's own."""
    checks = [r for r in sim.records if r.interface == CHECK]
    assert {r.operator_id for r in checks} == {op.operator_id for op in sim.operators}
    for r in checks:
        start, end = r.key["StartTime"], r.key["EndTime"]
        stored = {seq for (op, seq), p in acked_orders.items() if op == r.operator_id and start <= p["EndTime"] <= end}
        disputes = r.answer["DisputeOrders"]
        assert all(d["DisputeReason"] == 1 for d in disputes), disputes
        assert not {d["StartChargeSeq"] for d in disputes} & stored
        assert r.answer["TotalDisputeOrder"] == len(disputes) == r.key["OrderCount"] - len(stored)


def _assert_check_charge_orders(
    c: Any, client: OperatorClient, sent: Sent, acked_orders: dict[tuple[str, str], dict[str, Any]]
) -> None:
    """The dispute list: one order we never got (1), one with other money (2), one with other energy (3), and one
    we hold that the operator left out (4, 自定义). Every other listed order matches and is not disputed."""
    operator_id = client.operator.operator_id
    mine = sorted((seq, p) for (op, seq), p in acked_orders.items() if op == operator_id)
    assert len(mine) >= 3
    (unlisted, _), (money_seq, money_p), (energy_seq, energy_p) = mine[0], mine[1], mine[2]
    listed = [dict(p) for _, p in mine[1:]]
    listed[0] = {**money_p, "TotalMoney": float(Decimal(str(money_p["TotalMoney"])) + Decimal("0.01"))}
    listed[1] = {**energy_p, "TotalPower": energy_p["TotalPower"] + 1.0}
    now = utc_now().replace(microsecond=0)
    missing_seq = make_start_charge_seq(operator_id, now - timedelta(hours=2), 9999)
    listed.append({"StartChargeSeq": missing_seq, "TotalPower": 12.5, "TotalMoney": 20.13})
    payload = check_orders_payload(
        make_start_charge_seq(operator_id, now, 1), now - timedelta(days=2), now + timedelta(hours=1), listed
    )
    data = sent.push(client, CHECK, payload).data
    stored = {seq: p for seq, p in mine}
    expected = {
        missing_seq: (1, 12.5, 20.13),
        money_seq: (2, money_p["TotalPower"], money_p["TotalMoney"]),  # our figures, not theirs
        energy_seq: (3, energy_p["TotalPower"], energy_p["TotalMoney"]),
        unlisted: (4, stored[unlisted]["TotalPower"], stored[unlisted]["TotalMoney"]),
    }
    got = {d["StartChargeSeq"]: (d["DisputeReason"], d["TotalPower"], d["TotalMoney"]) for d in data["DisputeOrders"]}
    assert got == expected
    assert data["CheckOrderSeq"] == payload["CheckOrderSeq"]
    assert data["TotalDisputeOrder"] == 4
    assert Decimal(str(data["TotalDisputeMoney"])) == sum(Decimal(str(v[2])) for v in expected.values())
    with c.uow() as uow:
        assert uow.sessions.get_order(operator_id, missing_seq) is None  # reconciliation writes no order


def _assert_findings(c: Any, acked: Counter[str], *, tokens: int) -> None:
    with c.uow() as uow:
        counts = {(f.interface, f.field, f.variant): f.count for f in uow.hub.findings(VARIANT)}
    expected: dict[tuple[str, str, str], int] = {}
    for interface, n in (acked + Counter({"query_token": tokens})).items():
        expected[(interface, "Sig", "lower_case")] = n
        expected[(interface, "TimeStamp", "epoch_ms")] = n
    expected[(STATUS, "interface", "notification_station_status")] = acked[STATUS]
    for interface, fields in (
        (ORDER, (("TotalSeviceMoney", "TotalServiceMoney"),)),
        ("notification_equip_charge_status", (("SeviceMoney", "ServiceMoney"),)),
    ):
        if acked[interface]:
            for name, variant in (
                *fields,
                ("ChargeDetails.SevicePrice", "ServicePrice"),
                ("ChargeDetails.DetailSeviceMoney", "DetailServiceMoney"),
            ):
                expected[(interface, name, variant)] = acked[interface]
    assert acked[STATUS] > 0 and acked[ORDER] > 0
    assert counts == expected


def _assert_supervision_api(
    live: Any,
    headers: dict[str, str],
    operators: list[SimOperator],
    last_status: dict[tuple[str, str], int],
    acked_orders: dict[tuple[str, str], dict[str, Any]],
) -> None:
    api = f"{live.root}/api/v1"
    with httpx.Client(headers=headers, timeout=30) as http:
        for op in operators:
            for station in op.stations:
                body = http.get(f"{api}/stations/{op.operator_id}/{station['StationID']}")
                assert body.status_code == 200
                detail = body.json()
                assert detail["name"] == station["StationName"] and detail["area_code"] == station["AreaCode"]
                got = {
                    conn["connector_id"]: conn["state"]["tcec_status"]
                    for eq in detail["equipment"]
                    for conn in eq["connectors"]
                }
                want = {
                    conn["ConnectorID"]: last_status[(op.operator_id, conn["ConnectorID"])]
                    for eq in station["EquipmentInfos"]
                    for conn in eq["ConnectorInfos"]
                }
                assert got == want
        operator_id, connector_id = next(iter(last_status))
        current = http.get(f"{api}/connectors/{operator_id}/{connector_id}").json()
        assert current["tcec_status"] == last_status[(operator_id, connector_id)]
        history = http.get(f"{api}/connectors/{operator_id}/{connector_id}/history").json()
        assert history and history[-1]["end"] is None
        assert (history[-1]["operational"], history[-1]["occupancy"]) == (current["operational"], current["occupancy"])
        starts = [datetime.fromisoformat(i["start"]) for i in history]
        assert starts == sorted(starts)
        for earlier, later in itertools.pairwise(history):
            assert earlier["end"] is not None
            assert datetime.fromisoformat(earlier["end"]) <= datetime.fromisoformat(later["start"])
        assert http.get(f"{api}/connectors/{operator_id}/NOSUCH/history").status_code == 404

        # Orders by operator and by end time [start, end): of the extra orders (ended 4h20, 3h20 and 2h20 ago)
        # only the middle one ended inside; the simulation's ended within the last two hours.
        now = utc_now()
        start, end = now - timedelta(hours=3, minutes=50), now - timedelta(hours=2, minutes=50)
        for op in operators:
            everything = http.get(f"{api}/orders", params={"operator_id": op.operator_id}).json()
            assert {o["start_charge_seq"] for o in everything} == {
                seq for (o, seq) in acked_orders if o == op.operator_id
            }
            window = http.get(
                f"{api}/orders",
                params={"operator_id": op.operator_id, "start": start.isoformat(), "end": end.isoformat()},
            ).json()
            expected = {
                seq
                for (o, seq), p in acked_orders.items()
                if o == op.operator_id
                and start <= datetime.strptime(p["EndTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI) < end
            }
            assert {o["start_charge_seq"] for o in window} == expected and len(expected) == 1
            for o in window:
                payload = acked_orders[(op.operator_id, o["start_charge_seq"])]
                assert Decimal(o["total_money"]) == Decimal(str(payload["TotalMoney"]))
                assert o["energy_kwh"] == pytest.approx(payload["TotalPower"])
                assert o["operator_id"] == op.operator_id


# --- access rules of the supervision API ------------------------------------------------------------------------


def test_supervision_api_requires_a_supervisor_key_and_aware_times(live: Live) -> None:
    c = live.container
    api = f"{live.root}/api/v1"
    paths = ["/quality", "/orders", "/stations", f"/stations/{OP}/A", f"/connectors/{OP}/AE01C1"]
    for path in paths:
        assert httpx.get(api + path, timeout=30).status_code == 401
        bad = {"Authorization": "Bearer evk_not-a-key"}
        assert httpx.get(api + path, headers=bad, timeout=30).status_code == 401
        basic = {"Authorization": "Basic dXNlcjpwdw=="}
        assert httpx.get(api + path, headers=basic, timeout=30).status_code == 401
    for role in ("public", "operator"):
        headers = _api_key(c, role)
        for path in paths:
            assert httpx.get(api + path, headers=headers, timeout=30).status_code == 403, (role, path)
    for role in ("admin", "supervisor", "city"):
        headers = _api_key(c, role)
        assert httpx.get(api + f"/stations/{OP}/A", headers=headers, timeout=30).status_code == 200, role

    admin = _api_key(c, "admin")
    naive = "2025-06-01T08:00:00"
    for path, params in (
        ("/orders", {"start": naive}),
        ("/orders", {"end": naive}),
        ("/stations", {"as_of": naive}),
        (f"/connectors/{OP}/AE01C1/history", {"start": naive}),
        (f"/connectors/{OP}/AE01C1/history", {"end": naive}),
        ("/orders", {"start": "yesterday"}),
        ("/orders", {"start": "9999-12-31T23:59:59-14:00"}),  # past the last instant Python holds in UTC
        ("/stations", {"as_of": "0001-01-01T00:00:00+14:00"}),  # before the first
        (f"/connectors/{OP}/AE01C1/history", {"end": "2500-01-01T00:00:00+00:00"}),
    ):
        response = httpx.get(api + path, params=params, headers=admin, timeout=30)
        assert response.status_code == 422, (path, params, response.text)
        assert response.json()
    aware = httpx.get(api + "/orders", params={"start": "2025-06-01T08:00:00+08:00"}, headers=admin, timeout=30)
    assert aware.status_code == 200 and aware.json() == []


def test_malformed_ids_in_the_supervision_api_are_refused_naming_the_parameter(live: Live) -> None:
    """Not passed on to the store: PostgreSQL refuses NUL in text, which would end as a 503 'unavailable'."""
    api = f"{live.root}/api/v1"
    admin = _api_key(live.container, "admin")
    for path, params, name in (
        (f"/stations/{OP}/A%00B", {}, "station_id"),
        ("/stations/MA0%001234/A", {}, "operator_id"),
        (f"/connectors/{OP}/AE01C1%00", {}, "connector_id"),
        (f"/connectors/{OP}/{'C' * 31}/history", {}, "connector_id"),
        ("/orders", {"operator_id": "MA012345\x00"}, "operator_id"),
        ("/quality", {"operator_id": "not an id"}, "operator_id"),
        ("/stations", {"operator_id": "\x00"}, "operator_id"),
    ):
        response = httpx.get(api + path, params=params, headers=admin, timeout=30)
        assert response.status_code == 422, (path, params, response.text)
        assert any(e["field"].endswith(name) for e in response.json()["errors"]), response.text
    assert httpx.get(api + f"/stations/{OP}/NOPE", headers=admin, timeout=30).status_code == 404


# --- late and repeated status reports ---------------------------------------------------------------------------


def _history(live: Any, headers: dict[str, str], connector_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{live.root}/api/v1/connectors/{OP}/{connector_id}/history", headers=headers, timeout=30)
    assert response.status_code == 200
    return list(response.json())


def _current(live: Any, headers: dict[str, str], connector_id: str) -> dict[str, Any]:
    response = httpx.get(f"{live.root}/api/v1/connectors/{OP}/{connector_id}", headers=headers, timeout=30)
    assert response.status_code == 200
    return dict(response.json())


def test_a_late_status_report_goes_into_history_and_a_duplicate_changes_nothing(live: Live) -> None:
    admin = _api_key(live.container, "admin")
    tok = token(live.base, OP, live.keys)
    connector = "AE01C1"

    def push(status: int, at: datetime) -> None:
        ret, msg, data = answer(
            post(live.base, STATUS, seal(OP, status_payload(connector, status), live.keys, at), tok), live.keys
        )
        assert (ret, data) == (Ret.OK, {"Status": 0}), msg

    now = utc_now().replace(microsecond=0)
    push(int(TcecConnectorStatus.FREE), now - timedelta(minutes=3))
    push(int(TcecConnectorStatus.CHARGING), now)
    before = _current(live, admin, connector)
    assert before["tcec_status"] == 3
    assert [(i["occupancy"], i["end"] is None) for i in _history(live, admin, connector)] == [
        ("free", False),
        ("charging", True),
    ]

    late = now - timedelta(minutes=1)  # older than the stored report, inside the ±5 min window
    push(int(TcecConnectorStatus.RESERVED), late)
    assert _current(live, admin, connector) == before  # current state, its start and last report unchanged
    history = _history(live, admin, connector)
    assert [(i["occupancy"], datetime.fromisoformat(i["start"])) for i in history] == [
        ("free", now - timedelta(minutes=3)),
        ("reserved", late),
        ("charging", now),
    ]
    assert datetime.fromisoformat(history[0]["end"]) == late
    assert datetime.fromisoformat(history[1]["end"]) == now and history[2]["end"] is None

    # The same report again (a new envelope: same state and time, another Seq) is idempotent, late or current.
    push(int(TcecConnectorStatus.RESERVED), late)
    push(int(TcecConnectorStatus.CHARGING), now)
    assert _history(live, admin, connector) == history
    after = _current(live, admin, connector)
    assert (after["tcec_status"], after["since"]) == (before["tcec_status"], before["since"])
