"""Operator simulator: deterministic stations and events, standard wire spelling, push client and wire variants."""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from evinfra.protocols.tcec.crypto import KeySet, decrypt_data
from evinfra.protocols.tcec.envelope import (
    SHANGHAI,
    Deviation,
    load_payload,
    parse_request,
    parse_timestamp,
    seal_response,
    verify_request,
)
from evinfra.scenario.simulator import (
    COUNTIES,
    OperatorClient,
    PushError,
    SimOperator,
    Simulation,
    charge_details,
    load_operators_file,
    make_start_charge_seq,
)

KEYS = KeySet("00112233445566778899AABBCCDDEEFF", "opdatakey1234567", "opdataiv12345678", "OPSIGSECRET00001")
START = datetime(2025, 6, 1, 23, 0, tzinfo=SHANGHAI)
SEQ_RE = re.compile(r"(?P<op>[0-9A-Z]{9})(?P<digits>[0-9]{18})")

STATION_FIELDS = {
    "StationID", "OperatorID", "EquipmentOwnerID", "StationName", "CountryCode", "AreaCode", "Address",
    "StationTel", "ServiceTel", "StationType", "StationStatus", "ParkNums", "StationLng", "StationLat",
    "SiteGuide", "Construction", "Pictures", "MatchCars", "ParkInfo", "BusineHours", "ElectricityFee",
    "ServiceFee", "ParkFee", "Payment", "SupportOrder", "Remark", "EquipmentInfos",
}  # fmt: skip
EQUIPMENT_FIELDS = {
    "EquipmentID", "ManufacturerID", "ManufacturerName", "EquipmentModel", "ProductionDate", "EquipmentType",
    "EquipmentLng", "EquipmentLat", "Power", "EquipmentName", "ConnectorInfos",
}  # fmt: skip
CONNECTOR_FIELDS = {
    "ConnectorID", "ConnectorName", "ConnectorType", "VoltageUpperLimits", "VoltageLowerLimits", "Current",
    "Power", "ParkNo", "NationalStandard",
}  # fmt: skip
ORDER_FIELDS = {
    "StartChargeSeq", "ConnectorID", "StartTime", "EndTime", "TotalPower", "TotalElecMoney", "TotalSeviceMoney",
    "TotalMoney", "StopReason", "SumPeriod", "ChargeDetails",
}  # fmt: skip
DETAIL_FIELDS = {
    "DetailStartTime", "DetailEndTime", "ElecPrice", "SevicePrice", "DetailPower", "DetailElecMoney",
    "DetailSeviceMoney",
}  # fmt: skip
CHARGE_STATUS_FIELDS = {
    "StartChargeSeq", "StartChargeSeqStat", "ConnectorID", "ConnectorStatus", "CurrentA", "CurrentB", "CurrentC",
    "VoltageA", "VoltageB", "VoltageC", "Soc", "StartTime", "EndTime", "TotalPower", "ElecMoney", "SeviceMoney",
    "TotalMoney", "SumPeriod", "ChargeDetails",
}  # fmt: skip


def operators(seed: int = 1, **variants: frozenset[str]) -> list[SimOperator]:
    return [
        SimOperator.generate("MA0SIMOP1", KEYS, seed=seed, stations=4, variants=variants.get("a", frozenset())),
        SimOperator.generate("MA0SIMOP2", KEYS, seed=seed + 1, stations=3, variants=variants.get("b", frozenset())),
    ]


def plan(seed: int = 1, n: int = 400) -> list[Any]:
    return Simulation(operators(), "http://platform.invalid/evcs/v1", seed=seed, max_events=n, start=START).plan(n)


# --- stations -------------------------------------------------------------------------------------


def test_same_seed_same_stations_and_events() -> None:
    assert operators(1)[0].stations == operators(1)[0].stations
    assert operators(1)[0].stations != operators(2)[0].stations
    first, second = plan(1), plan(1)
    assert [(e.at, e.operator_id, e.interface, e.payload) for e in first] == [
        (e.at, e.operator_id, e.interface, e.payload) for e in second
    ]
    assert [e.payload for e in plan(2)] != [e.payload for e in first]


def test_station_info_uses_standard_field_names_and_values() -> None:
    area_codes = {c.code for c in COUNTIES}
    for operator in operators():
        connector_ids = [c.connector_id for c in operator.connectors()]
        assert len(connector_ids) == len(set(connector_ids))
        for station in operator.stations:
            assert set(station) == STATION_FIELDS
            assert station["OperatorID"] == operator.operator_id
            assert (station["StationType"], station["StationStatus"], station["Payment"]) == (1, 50, "线上")
            assert station["AreaCode"] in area_codes
            assert station["Construction"] in {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255}
            assert len(station["StationID"]) <= 20
            assert station["EquipmentInfos"]
            for equipment in station["EquipmentInfos"]:
                assert set(equipment) == EQUIPMENT_FIELDS
                assert 1 <= len(equipment["ConnectorInfos"]) <= 2
                for connector in equipment["ConnectorInfos"]:
                    assert set(connector) == CONNECTOR_FIELDS
                    assert len(connector["ConnectorID"]) <= 26


def test_coordinates_inside_shanxi() -> None:
    many = SimOperator.generate("MA0SIMOP9", KEYS, seed=3, stations=300)
    for station in many.stations:
        assert 110.2 <= station["StationLng"] <= 114.6
        assert 34.5 <= station["StationLat"] <= 40.8
        assert station["StationLng"] == round(station["StationLng"], 6)
        for equipment in station["EquipmentInfos"]:
            assert 110.2 <= equipment["EquipmentLng"] <= 114.6
            assert 34.5 <= equipment["EquipmentLat"] <= 40.8


def test_operator_id_and_variants_are_validated() -> None:
    with pytest.raises(ValueError, match="9 characters"):
        SimOperator.generate("SHORT", KEYS)
    with pytest.raises(ValueError, match="unknown wire variants"):
        SimOperator.generate("MA0SIMOP1", KEYS, variants=frozenset({"rot13"}))


# --- events ---------------------------------------------------------------------------------------


def test_event_payloads_use_standard_spelling() -> None:
    events = plan(n=3000)
    by_interface: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_interface.setdefault(event.interface, []).append(event.payload)
    assert {
        "notification_stationInfo",
        "notification_stationStatus",
        "notification_equip_charge_status",
        "notification_charge_order_info",
        "check_charge_orders",
    } <= set(by_interface)
    for payload in by_interface["notification_stationStatus"]:
        assert set(payload) == {"ConnectorStatusInfo"}
        assert set(payload["ConnectorStatusInfo"]) == {"ConnectorID", "Status", "ParkStatus", "LockStatus"}
        assert payload["ConnectorStatusInfo"]["Status"] in {0, 1, 3, 255}
    for payload in by_interface["notification_equip_charge_status"]:
        assert set(payload) == CHARGE_STATUS_FIELDS
    for payload in by_interface["notification_charge_order_info"]:
        assert set(payload) == ORDER_FIELDS
        assert payload["SumPeriod"] == len(payload["ChargeDetails"]) >= 1
        for detail in payload["ChargeDetails"]:
            assert set(detail) == DETAIL_FIELDS
        assert payload["TotalMoney"] == pytest.approx(payload["TotalElecMoney"] + payload["TotalSeviceMoney"])
        assert payload["TotalPower"] == pytest.approx(sum(d["DetailPower"] for d in payload["ChargeDetails"]))
    for payload in by_interface["check_charge_orders"]:
        assert set(payload) == {
            "CheckOrderSeq", "StartTime", "EndTime", "OrderCount", "TotalOrderPower", "TotalOrderMoney", "ChargeOrders"
        }  # fmt: skip


def test_charge_status_every_50_simulated_seconds_while_charging() -> None:
    samples: dict[str, list[datetime]] = {}
    for event in plan(n=3000):
        if event.interface == "notification_equip_charge_status":
            samples.setdefault(event.payload["StartChargeSeq"], []).append(event.at)
    assert samples
    for times in samples.values():
        assert all(b - a == timedelta(seconds=50) for a, b in itertools.pairwise(times))


def test_start_charge_seq_format_and_uniqueness() -> None:
    orders = [e for e in plan(n=3000) if e.interface == "notification_charge_order_info"]
    assert len(orders) > 5
    seqs = [e.payload["StartChargeSeq"] for e in orders]
    assert len(seqs) == len(set(seqs))
    for event, seq in zip(orders, seqs, strict=True):
        match = SEQ_RE.fullmatch(seq)
        assert match is not None and match["op"] == event.operator_id
    assert make_start_charge_seq("MA0SIMOP1", START, 12345) == "MA0SIMOP1" + "20250601230000" + "2345"


def test_daily_check_reconciles_the_previous_days_orders() -> None:
    events = plan(n=3000)
    checks = [e for e in events if e.interface == "check_charge_orders"]
    assert checks, "the plan crosses midnight, so a daily check must be there"
    check = checks[0]
    assert check.at.astimezone(SHANGHAI).strftime("%H:%M") == "00:05"
    day = "2025-06-01"
    orders = [
        e.payload
        for e in events
        if e.interface == "notification_charge_order_info"
        and e.operator_id == check.operator_id
        and e.payload["EndTime"].startswith(day)
    ]
    assert (check.payload["StartTime"], check.payload["EndTime"]) == (f"{day} 00:00:00", f"{day} 23:59:59")
    assert check.payload["OrderCount"] == len(orders)
    assert {o["StartChargeSeq"] for o in check.payload["ChargeOrders"]} == {o["StartChargeSeq"] for o in orders}
    assert check.payload["TotalOrderMoney"] == pytest.approx(sum(o["TotalMoney"] for o in orders))


def test_charge_details_split_at_tariff_boundaries() -> None:
    details = charge_details(
        datetime(2025, 6, 1, 7, 30, tzinfo=SHANGHAI), datetime(2025, 6, 1, 10, 30, tzinfo=SHANGHAI), 60.0
    )
    assert [(d["DetailStartTime"][11:], d["DetailEndTime"][11:], d["ElecPrice"]) for d in details] == [
        ("07:30:00", "08:00:00", 0.35),
        ("08:00:00", "10:00:00", 0.65),
        ("10:00:00", "10:30:00", 1.05),
    ]
    assert [d["DetailPower"] for d in details] == [30.0, 120.0, 30.0]


# --- push client over HTTP (httpx mock transport standing in for the platform) ---------------------


class FakePlatform:
    """A minimal T/CEC receiver built on the codec: token, Sig check, decrypt, canned answers."""

    def __init__(self, keys: KeySet) -> None:
        self.keys = keys
        self.received: list[tuple[str, dict[str, Any], dict[str, Any], tuple[Deviation, ...]]] = []
        self.tokens: set[str] = set()
        self.issued = 0
        self.bad_sig = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        interface = request.url.path.rsplit("/", 1)[-1]
        envelope = parse_request(request.content)
        verify_request(envelope, self.keys)
        parse_timestamp(envelope.timestamp)
        payload = load_payload(decrypt_data(envelope.data, self.keys))
        self.received.append((interface, payload, envelope.to_wire(), envelope.deviations))
        if interface == "query_token":
            self.issued += 1
            token = f"token-{self.issued}"
            self.tokens.add(token)
            answer: dict[str, Any] = {"OperatorID": envelope.operator_id, "SuccStat": 0, "AccessToken": token}
            answer |= {"TokenAvailableTime": 7200, "FailReason": 0}
            reply = seal_response(0, "", answer, self.keys)
        elif request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            reply = seal_response(4002, "Token错误", None, self.keys)
        elif interface == "notification_charge_order_info":
            answer = {"StartChargeSeq": payload["StartChargeSeq"], "ConnectorID": payload["ConnectorID"]}
            reply = seal_response(0, "请求成功", answer | {"ConfirmResult": 0}, self.keys)
        else:
            reply = seal_response(0, "请求成功", {"Status": 0}, self.keys)
        wire = reply.to_wire()
        if self.bad_sig:
            wire["Sig"] = "0" * 32
        return httpx.Response(200, json=wire)


def fake_http(platform: FakePlatform) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(platform))


def test_push_client_registers_stations_and_caches_the_token() -> None:
    platform, operator = FakePlatform(KEYS), operators()[0]
    with OperatorClient(operator, "http://platform.invalid/evcs/v1", http=fake_http(platform)) as client:
        results = client.register_stations()
        assert [r.ret for r in results] == [0] * len(operator.stations)
        assert results[0].data == {"Status": 0}
        assert client.push_status(operator.connectors()[0].connector_id, 3).ret == 0
    names = [interface for interface, *_ in platform.received]
    assert names == ["query_token"] + ["notification_stationInfo"] * 4 + ["notification_stationStatus"]
    _, token_payload, wire, deviations = platform.received[0]
    assert token_payload == {"OperatorID": operator.operator_id, "OperatorSecret": KEYS.operator_secret}
    assert re.fullmatch(r"[0-9A-F]{32}", wire["Sig"]) and re.fullmatch(r"[0-9]{14}", wire["TimeStamp"])
    assert deviations == ()
    assert platform.received[1][1] == {"StationInfo": operator.stations[0]}
    assert operator.connector_status[operator.connectors()[0].connector_id] == 3


def test_push_order_answers_confirm_result_and_check_orders_uses_pushed_orders() -> None:
    platform, operator = FakePlatform(KEYS), operators()[0]
    connector = operator.connectors()[0]
    start = datetime(2025, 6, 1, 9, 0, tzinfo=SHANGHAI)
    seq = make_start_charge_seq(operator.operator_id, start, 1)
    with OperatorClient(operator, "http://platform.invalid/evcs/v1", http=fake_http(platform)) as client:
        result = client.push_order(
            seq, connector.connector_id, start_time=start, end_time=start + timedelta(hours=1), load_kw=40.0
        )
        assert result.data["ConfirmResult"] == 0
        assert client.check_orders(date(2025, 6, 1)).ret == 0
        alarm = client.push_alarm(connector.connector_id, alarm_code=31, at=start)
        event = client.push_event(connector.station_id, event_type=6, event_code=1003, at=start)
        assert (alarm.ret, event.ret) == (0, 0)
    check = platform.received[-3][1]
    assert check["OrderCount"] == 1 and check["ChargeOrders"][0]["StartChargeSeq"] == seq
    assert platform.received[-2][1]["AlarmInfos"][0]["ConnectorID"] == connector.connector_id
    assert platform.received[-1][1]["EventInfos"][0]["EventCode"] == 1003


def test_4002_reacquires_once_and_bad_sig_raises() -> None:
    platform, operator = FakePlatform(KEYS), operators()[0]
    with OperatorClient(operator, "http://platform.invalid/evcs/v1", http=fake_http(platform)) as client:
        client.register_stations()
        platform.tokens.clear()
        assert client.push_status(operator.connectors()[0].connector_id, 1).ret == 0
        assert platform.issued == 2
        platform.bad_sig = True
        with pytest.raises(PushError) as info:
            client.push_status(operator.connectors()[0].connector_id, 1)
    assert info.value.kind == "sig"


def test_wire_variants_are_applied_and_still_verify() -> None:
    variants = frozenset({"lower_sig", "epoch_ms_timestamp", "int_seq", "service_money", "station_status_alias"})
    platform = FakePlatform(KEYS)
    operator = operators(a=variants)[0]
    connector = operator.connectors()[0]
    start = datetime.now(UTC) - timedelta(hours=1)
    with OperatorClient(operator, "http://platform.invalid/evcs/v1", http=fake_http(platform)) as client:
        client.push_status(connector.connector_id, 1)
        client.push_order(
            make_start_charge_seq(operator.operator_id, start, 2),
            connector.connector_id,
            start_time=start,
            end_time=start + timedelta(minutes=30),
            load_kw=30.0,
        )
    interface, _, wire, deviations = platform.received[1]
    assert interface == "notification_station_status"
    assert wire["Sig"] == wire["Sig"].lower() and re.fullmatch(r"[0-9]{13}", wire["TimeStamp"])
    assert {Deviation("Seq", "json_int"), Deviation("Sig", "lower_case")} <= set(deviations)
    order = platform.received[2][1]
    assert "TotalServiceMoney" in order and "TotalSeviceMoney" not in order
    assert {"ServicePrice", "DetailServiceMoney"} <= set(order["ChargeDetails"][0])


# --- the simulation loop --------------------------------------------------------------------------


def test_simulation_records_every_acknowledged_push() -> None:
    platform = FakePlatform(KEYS)
    ops = operators()
    sim = Simulation(
        ops, "http://platform.invalid/evcs/v1", seed=5, speed=math.inf, max_events=600, http=fake_http(platform)
    )
    records = sim.run()
    assert sim.failures == []
    pushes = [r for r in platform.received if r[0] != "query_token"]
    assert len(records) == len(pushes) == 600 + len(ops)  # plus the closing check_charge_orders per operator
    assert all(r.ret == 0 for r in records)
    assert records[0].interface == "notification_stationInfo" and records[0].key == {
        "StationID": ops[0].stations[0]["StationID"]
    }
    assert [r.interface for r in records[-2:]] == ["check_charge_orders"] * 2
    orders = [r for r in records if r.interface == "notification_charge_order_info"]
    assert all(r.answer["ConfirmResult"] == 0 for r in orders)
    summary = sim.summary()
    assert summary["notification_stationInfo"] == {"0": 7}
    # payload times never lie in the platform's future
    assert max(r.at for r in records) <= datetime.now(UTC)


def test_simulation_paces_by_speed_and_stops_after_duration() -> None:
    platform = FakePlatform(KEYS)
    clock = {"t": 0.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["t"] += seconds

    sim = Simulation(
        operators(),
        "http://platform.invalid/evcs/v1",
        seed=5,
        speed=60.0,
        duration=30.0,
        http=fake_http(platform),
        sleep=sleep,
        monotonic=lambda: clock["t"],
    )
    records = sim.run()
    assert records and sum(slept) <= 30.0
    span = max(r.at for r in records) - sim.start
    assert span <= timedelta(minutes=30)


def test_simulation_needs_a_bound() -> None:
    with pytest.raises(ValueError, match="stops by itself"):
        Simulation(operators(), "http://platform.invalid/evcs/v1")


def test_operators_file_round_trip(tmp_path: Path) -> None:
    entry = {
        "OperatorID": "MA0FILE01",
        "OperatorSecret": KEYS.operator_secret,
        "DataSecret": KEYS.data_secret,
        "DataSecretIV": KEYS.data_secret_iv,
        "SigSecret": KEYS.sig_secret,
    }
    path = tmp_path / "operators.json"
    path.write_text(json.dumps([entry]), encoding="utf-8")
    [operator] = load_operators_file(path, stations=2)
    assert operator.operator_id == "MA0FILE01" and operator.keys == KEYS and len(operator.stations) == 2


def test_simulator_does_not_import_platform_internals() -> None:
    code = (
        "import sys, evinfra.scenario.simulator, evinfra.scenario.simulator_cpo\n"
        "bad = [m for m in sys.modules if m.startswith(('evinfra.ingest', 'evinfra.store', 'evinfra.api'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
