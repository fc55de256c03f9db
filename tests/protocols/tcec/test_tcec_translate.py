"""T/CEC business payloads ↔ domain: round trips, tolerated variants as findings, and the two error kinds."""

from __future__ import annotations

import copy
import math
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evinfra.domain.alarm import AlarmLevel, AlarmType, EventType
from evinfra.domain.connector import ConnectorType, NationalStandard
from evinfra.domain.equipment import EquipmentType
from evinfra.domain.errors import DomainValidationError
from evinfra.domain.order import ChargeSeqStat, StopReason
from evinfra.domain.site import Construction
from evinfra.domain.station import Payment, StationStatus, StationType
from evinfra.domain.status import ConnectorState, Occupancy, OperationalState, TcecConnectorStatus
from evinfra.protocols.tcec import translate as t
from evinfra.protocols.tcec.fields import Finding, Translated, WireFormatError
from evinfra.regions.coords import wgs84_to_gcj02

OP = "MA0123456"
OTHER_OP = "MA0654321"
GCJ_LNG, GCJ_LAT = 112.565659, 37.736525  # 小店区 seat as AMap shows it


def station_wire() -> dict[str, Any]:
    """A StationInfo as a Taiyuan operator would push it: one DC pile with two guns, one AC pile."""
    return {
        "StationID": "TY0001",
        "OperatorID": OP,
        "EquipmentOwnerID": OP,
        "StationName": "太原小店区长风街充电站",
        "CountryCode": "CN",
        "AreaCode": "140105",
        "AreaCodeCountryside": "140105001000",
        "Address": "山西省太原市小店区长风街 88 号",
        "StationTel": "0351-1234567",
        "ServiceTel": "400-800-1234",
        "StationType": 1,
        "StationStatus": 50,
        "ParkNums": 12,
        "StationLng": GCJ_LNG,
        "StationLat": GCJ_LAT,
        "SiteGuide": "地下停车场 B2 层",
        "Construction": 9,
        "Pictures": ["https://example.invalid/1.jpg"],
        "BusineHours": "00:00-24:00",
        "ElectricityFee": "0.6元/度",
        "ServiceFee": "0.8元/度",
        "ParkFee": "充电免 2 小时",
        "Payment": "线上,刷卡",
        "SupportOrder": 0,
        "Remark": "",
        "EquipmentInfos": [
            {
                "EquipmentID": "TY0001E01",
                "ManufacturerID": "MA7777777",
                "ManufacturerName": "某某电气",
                "EquipmentModel": "DC-120",
                "ProductionDate": "2023-05-20",
                "EquipmentType": 1,
                "EquipmentLng": 112.565701,
                "EquipmentLat": 37.736498,
                "Power": 120.0,
                "EquipmentName": "1号直流桩",
                "ConnectorInfos": [
                    {
                        "ConnectorID": "TY0001E01C1",
                        "ConnectorName": "A枪",
                        "ConnectorType": 4,
                        "VoltageUpperLimits": 750,
                        "VoltageLowerLimits": 200,
                        "Current": 250,
                        "Power": 60.0,
                        "ParkNo": "B2-017",
                        "NationalStandard": 2,
                    },
                    {
                        "ConnectorID": "TY0001E01C2",
                        "ConnectorName": "B枪",
                        "ConnectorType": 4,
                        "VoltageUpperLimits": 750,
                        "VoltageLowerLimits": 200,
                        "Current": 250,
                        "Power": 60.0,
                        "ParkNo": "B2-018",
                        "NationalStandard": 2,
                    },
                ],
            },
            {
                "EquipmentID": "TY0001E02",
                "EquipmentType": 2,
                "Power": 7.0,
                "EquipmentName": "2号交流桩",
                "ConnectorInfos": [
                    {"ConnectorID": "TY0001E02C1", "ConnectorType": 3, "Power": 7.0, "NationalStandard": 2}
                ],
            },
        ],
    }


def order_wire() -> dict[str, Any]:
    return {
        "StartChargeSeq": "MA0123456202406010800001",
        "ConnectorID": "TY0001E01C1",
        "StartTime": "2024-06-01 08:00:00",
        "EndTime": "2024-06-01 09:00:00",
        "TotalPower": 30.5,
        "TotalElecMoney": 18.3,
        "TotalSeviceMoney": 24.4,
        "TotalMoney": 42.7,
        "StopReason": 2,
        "SumPeriod": 2,
        "ChargeDetails": [
            {
                "DetailStartTime": "2024-06-01 08:00:00",
                "DetailEndTime": "2024-06-01 08:30:00",
                "ElecPrice": 0.6,
                "SevicePrice": 0.8,
                "DetailPower": 15.25,
                "DetailElecMoney": 9.15,
                "DetailSeviceMoney": 12.2,
            },
            {
                "DetailStartTime": "2024-06-01 08:30:00",
                "DetailEndTime": "2024-06-01 09:00:00",
                "ElecPrice": 0.6,
                "SevicePrice": 0.8,
                "DetailPower": 15.25,
                "DetailElecMoney": 9.15,
                "DetailSeviceMoney": 12.2,
            },
        ],
    }


def charge_status_wire() -> dict[str, Any]:
    return {
        "StartChargeSeq": "MA0123456202406010800001",
        "StartChargeSeqStat": 2,
        "ConnectorID": "TY0001E01C1",
        "ConnectorStatus": 3,
        "CurrentA": 120.5,
        "VoltageA": 400.2,
        "Soc": 56,
        "StartTime": "2024-06-01 08:00:00",
        "EndTime": "2024-06-01 08:20:00",
        "TotalPower": 10.12,
        "ElecMoney": 6.07,
        "SeviceMoney": 8.1,
        "TotalMoney": 14.17,
        "SumPeriod": 0,
    }


def pairs(findings: tuple[Finding, ...]) -> set[tuple[str, str]]:
    return {(f.field, f.variant) for f in findings}


# --- StationInfo --------------------------------------------------------------------------------


def test_standard_station_round_trips_without_findings() -> None:
    wire = station_wire()
    first = t.station_info(wire, OP)
    assert first.findings == ()
    again = t.station_info(t.station_info_to_wire(first.value), OP)
    assert again.value == first.value
    assert again.findings == ()


def test_station_fields_map_to_the_domain() -> None:
    tree = t.station_info(station_wire(), OP).value
    s = tree.station
    assert (s.operator_id, s.station_id, s.equipment_owner_id) == (OP, "TY0001", OP)
    assert s.station_type is StationType.PUBLIC and s.status is StationStatus.IN_SERVICE
    assert s.construction is Construction.BUILDING_PARKING
    assert (s.area_code, s.town_code) == ("140105", "140105001")  # 12-digit NBS padding dropped
    assert s.payment == frozenset({Payment.ONLINE, Payment.CARD})
    assert (s.park_nums, s.business_hours, s.support_order) == (12, "00:00-24:00", False)
    assert len(tree.equipment) == 2 and len(tree.connectors) == 3
    dc = tree.equipment[0].equipment
    assert dc.equipment_type is EquipmentType.DC and dc.power_kw == 120.0
    assert (dc.manufacturer_id, dc.model, dc.production_date) == ("MA7777777", "DC-120", date(2023, 5, 20))
    gun = tree.connectors[0]
    assert gun.connector_type is ConnectorType.DC_PLUG and gun.national_standard is NationalStandard.GB_2015
    assert (gun.voltage_upper_v, gun.voltage_lower_v, gun.current_a, gun.park_no) == (750, 200, 250, "B2-017")
    assert tree.equipment[1].equipment.location is None


def test_station_coordinates_are_converted_from_gcj02_to_wgs84() -> None:
    tree = t.station_info(station_wire(), OP).value
    loc = tree.station.location
    # The domain holds WGS-84: about 550 m south-west of the GCJ-02 position that was sent.
    assert 0.005 < GCJ_LNG - loc.lng < 0.008 and 0.0003 < GCJ_LAT - loc.lat < 0.0008
    back = wgs84_to_gcj02(loc.lng, loc.lat)
    assert math.isclose(back[0], GCJ_LNG, abs_tol=1e-8) and math.isclose(back[1], GCJ_LAT, abs_tol=1e-8)
    wire = t.station_info_to_wire(tree)
    assert (wire["StationLng"], wire["StationLat"]) == (GCJ_LNG, GCJ_LAT)
    equipment = wire["EquipmentInfos"][0]
    assert (equipment["EquipmentLng"], equipment["EquipmentLat"]) == (112.565701, 37.736498)


def test_emitted_station_uses_standard_spelling() -> None:
    wire = t.station_info_to_wire(t.station_info(station_wire(), OP).value)
    assert "BusineHours" in wire and "BusinessHours" not in wire
    assert wire["Payment"] == "刷卡,线上"
    assert wire["AreaCodeCountryside"] == "140105001000"
    gun = wire["EquipmentInfos"][0]["ConnectorInfos"][0]
    assert set(gun) == {
        "ConnectorID", "ConnectorName", "ConnectorType", "VoltageUpperLimits", "VoltageLowerLimits",
        "Current", "Power", "ParkNo", "NationalStandard",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected", "variants"),
    [
        ("刷卡", {Payment.CARD}, set()),
        ("刷卡、线上", {Payment.CARD, Payment.ONLINE}, set()),
        ("线上，现金", {Payment.ONLINE, Payment.CASH}, set()),
        ("刷卡/线上/现金", {Payment.CARD, Payment.ONLINE, Payment.CASH}, set()),
        ("微信,支付宝,app", {Payment.ONLINE}, {"微信", "支付宝", "app"}),
        ("电卡 现金", {Payment.CARD, Payment.CASH}, {"电卡"}),
        ("免费", set(), {"unrecognised"}),
        ("", set(), set()),
    ],
)
def test_payment_free_text(text: str, expected: set[Payment], variants: set[str]) -> None:
    wire = station_wire()
    wire["Payment"] = text
    parsed = t.station_info(wire, OP)
    assert parsed.value.station.payment == expected
    assert {f.variant for f in parsed.findings if f.field == "Payment"} == variants


def test_village_code_sent_as_area_code_is_split_and_recorded() -> None:
    wire = station_wire()
    del wire["AreaCodeCountryside"]
    wire["AreaCode"] = "140105001201"
    parsed = t.station_info(wire, OP)
    assert (parsed.value.station.area_code, parsed.value.station.town_code) == ("140105", "140105001201")
    assert ("AreaCode", "town_code") in pairs(parsed.findings)


def test_wrapped_station_payload_is_accepted() -> None:
    parsed = t.station_info({"StationInfo": station_wire()}, OP)
    assert parsed.value.station.station_id == "TY0001"
    assert parsed.findings == ()


def test_another_operators_station_is_refused() -> None:
    wire = station_wire()
    wire["OperatorID"] = OTHER_OP
    with pytest.raises(WireFormatError) as caught:
        t.station_info(wire, OP)
    assert caught.value.field == "OperatorID"
    assert OTHER_OP in caught.value.reason and "only write its own" in caught.value.reason_en


def test_missing_operator_id_is_refused() -> None:
    wire = station_wire()
    del wire["OperatorID"]
    with pytest.raises(WireFormatError) as caught:
        t.station_info(wire, OP)
    assert caught.value.field == "OperatorID"


def test_station_without_equipment_is_accepted_and_recorded() -> None:
    wire = station_wire()
    wire["EquipmentInfos"] = []
    parsed = t.station_info(wire, OP)
    assert parsed.value.equipment == ()
    assert ("EquipmentInfos", "empty") in pairs(parsed.findings)
    del wire["EquipmentInfos"]
    assert ("EquipmentInfos", "empty") in pairs(t.station_info(wire, OP).findings)


def test_equipment_without_connectors_is_accepted_and_recorded() -> None:
    wire = station_wire()
    del wire["EquipmentInfos"][1]["ConnectorInfos"]
    parsed = t.station_info(wire, OP)
    assert parsed.value.equipment[1].connectors == ()
    assert pairs(parsed.findings) == {("EquipmentInfos.ConnectorInfos", "empty")}
    assert "TY0001E02" in parsed.findings[0].example


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ((), {"StationType": 3}, "StationType"),
        ((), {"StationID": "TY 0001"}, "StationID"),
        ((), {"EquipmentOwnerID": "short"}, "EquipmentOwnerID"),
        ((), {"StationStatus": 7}, "StationStatus"),
        ((), {"Construction": 16}, "Construction"),
        ((), {"SupportOrder": 2}, "SupportOrder"),
        ((), {"ParkNums": -1}, "ParkNums"),
        ((), {"AreaCode": "990105"}, "AreaCode"),
        ((), {"StationLng": 0.0, "StationLat": 0.0}, "StationLng"),
        ((), {"StationName": ""}, "StationName"),
        ((), {"StationName": "长" * 51}, "StationName"),
        ((), {"StationTel": "1" * 33}, "StationTel"),
        ((0,), {"EquipmentType": 9}, "EquipmentInfos[0].EquipmentType"),
        ((0,), {"Power": -7.0}, "EquipmentInfos[0].Power"),
        ((0,), {"EquipmentName": "桩" * 31}, "EquipmentInfos[0].EquipmentName"),
        ((0, 0), {"ConnectorType": 7}, "EquipmentInfos[0].ConnectorInfos[0].ConnectorType"),
        ((0, 0), {"NationalStandard": 5}, "EquipmentInfos[0].ConnectorInfos[0].NationalStandard"),
        ((0, 0), {"Power": -1}, "EquipmentInfos[0].ConnectorInfos[0].Power"),
        ((0, 0), {"VoltageLowerLimits": 800}, "EquipmentInfos[0].ConnectorInfos[0].VoltageLowerLimits"),
    ],
)
def test_a_value_the_domain_refuses_is_reported_by_its_wire_path(
    path: tuple[int, ...], value: dict[str, Any], field: str
) -> None:
    wire = station_wire()
    target = wire
    if path:
        target = wire["EquipmentInfos"][path[0]]
    if len(path) > 1:
        target = target["ConnectorInfos"][path[1]]
    target.update(value)
    with pytest.raises(WireFormatError) as caught:
        t.station_info(wire, OP)
    assert caught.value.field == field
    assert "允许" in caught.value.reason and "allowed" in caught.value.reason_en
    assert len(caught.value.message) < 200  # the refused value is quoted, cut short
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("path", "key", "field"),
    [
        ((), "StationID", "StationID"),
        ((), "StationType", "StationType"),
        ((), "StationLat", "StationLat"),
        ((), "AreaCode", "AreaCode"),
        ((0,), "Power", "EquipmentInfos[0].Power"),
        ((1,), "EquipmentID", "EquipmentInfos[1].EquipmentID"),
        ((0, 1), "ConnectorType", "EquipmentInfos[0].ConnectorInfos[1].ConnectorType"),
        ((0, 0), "ConnectorID", "EquipmentInfos[0].ConnectorInfos[0].ConnectorID"),
    ],
)
def test_missing_required_field_is_a_wire_format_error(path: tuple[int, ...], key: str, field: str) -> None:
    wire = station_wire()
    target = wire
    if path:
        target = wire["EquipmentInfos"][path[0]]
    if len(path) > 1:
        target = target["ConnectorInfos"][path[1]]
    del target[key]
    with pytest.raises(WireFormatError) as caught:
        t.station_info(wire, OP)
    assert caught.value.field == field
    assert "缺少" in caught.value.reason and "missing" in caught.value.reason_en


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ((0,), {"Power": "abc"}, "EquipmentInfos[0].Power"),
        ((0,), {"Power": True}, "EquipmentInfos[0].Power"),
        ((0,), {"ProductionDate": "2023/05/20"}, "EquipmentInfos[0].ProductionDate"),
        ((0,), {"ProductionDate": "2023-02-30"}, "EquipmentInfos[0].ProductionDate"),
        ((0,), {"EquipmentLat": None}, "EquipmentInfos[0].EquipmentLat"),
        ((0, 0), {"Current": 250.5}, "EquipmentInfos[0].ConnectorInfos[0].Current"),
        ((0, 0), {"ConnectorID": ["x"]}, "EquipmentInfos[0].ConnectorInfos[0].ConnectorID"),
        ((), {"StationLng": [112.5]}, "StationLng"),
        ((), {"StationType": "public"}, "StationType"),
        ((), {"StationName": {"zh": "站"}}, "StationName"),
        ((), {"EquipmentInfos": "none"}, "EquipmentInfos"),
    ],
)
def test_wrong_json_type_is_a_wire_format_error(path: tuple[int, ...], value: dict[str, Any], field: str) -> None:
    wire = station_wire()
    target = wire
    if path:
        target = wire["EquipmentInfos"][path[0]]
    if len(path) > 1:
        target = target["ConnectorInfos"][path[1]]
    target.update(value)
    with pytest.raises(WireFormatError) as caught:
        t.station_info(wire, OP)
    assert caught.value.field == field
    assert caught.value.field in str(caught.value)


@pytest.mark.parametrize("value", [math.inf, 1e300, 10**400, "1e400", "NaN", "Infinity", "1_000"])
def test_non_finite_or_absurd_numbers_are_wire_format_errors(value: object) -> None:
    wire = station_wire()
    wire["EquipmentInfos"][0]["Power"] = value
    with pytest.raises(WireFormatError) as caught:
        t.station_info(wire, OP)
    assert caught.value.field == "EquipmentInfos[0].Power"
    order = order_wire()
    order["TotalMoney"] = value
    with pytest.raises(WireFormatError) as money_error:
        t.charge_order(order, OP)
    assert money_error.value.field == "TotalMoney"


def test_duplicate_connector_id_is_refused() -> None:
    wire = station_wire()
    wire["EquipmentInfos"][1]["ConnectorInfos"][0]["ConnectorID"] = "TY0001E01C1"
    with pytest.raises(WireFormatError) as caught:
        t.station_info(wire, OP)
    assert caught.value.field == "EquipmentInfos[1].ConnectorInfos[0].ConnectorID"


def test_tolerated_types_are_converted_and_recorded() -> None:
    wire = station_wire()
    wire["StationType"] = "1"
    wire["EquipmentInfos"][0]["Power"] = "120"
    wire["EquipmentInfos"][0]["EquipmentType"] = 1.0
    wire["EquipmentInfos"][1]["ConnectorInfos"] = wire["EquipmentInfos"][1]["ConnectorInfos"][0]
    wire["EquipmentInfos"][1]["ConnectorInfos"]["ConnectorID"] = 12345
    wire["ParkNums"] = ""
    parsed = t.station_info(wire, OP)
    assert parsed.value.station.station_type is StationType.PUBLIC
    assert parsed.value.equipment[0].equipment.power_kw == 120.0
    assert parsed.value.equipment[1].connectors[0].connector_id == "12345"
    assert parsed.value.station.park_nums == 0
    assert pairs(parsed.findings) == {
        ("StationType", "json_string"),
        ("EquipmentInfos.Power", "json_string"),
        ("EquipmentInfos.EquipmentType", "json_float"),
        ("EquipmentInfos.ConnectorInfos", "object_not_array"),
        ("EquipmentInfos.ConnectorInfos.ConnectorID", "json_number"),
        ("ParkNums", "empty_string"),
    }


def test_lower_camel_keys_are_accepted_and_recorded_once_per_message() -> None:
    wire = station_wire()
    wire["stationID"] = wire.pop("StationID")
    wire["BusinessHours"] = wire.pop("BusineHours")
    for equipment in wire["EquipmentInfos"]:
        for gun in equipment["ConnectorInfos"]:
            gun["connectorId"] = gun.pop("ConnectorID")
    parsed = t.station_info(wire, OP)
    assert parsed.value == t.station_info(station_wire(), OP).value
    assert pairs(parsed.findings) == {
        ("StationID", "stationID"),
        ("BusineHours", "BusinessHours"),
        ("EquipmentInfos.ConnectorInfos.ConnectorID", "connectorId"),
    }
    assert len(parsed.findings) == 3  # three connectors, one finding
    assert all(f.interface == "StationInfo" for f in parsed.findings)


def test_zero_equipment_coordinates_mean_unknown() -> None:
    wire = station_wire()
    wire["EquipmentInfos"][0].update({"EquipmentLng": 0, "EquipmentLat": 0})
    parsed = t.station_info(wire, OP)
    assert parsed.value.equipment[0].equipment.location is None
    assert ("EquipmentInfos.EquipmentLng", "zero_as_unknown") in pairs(parsed.findings)


def test_missing_national_standard_defaults_and_is_recorded() -> None:
    wire = station_wire()
    del wire["EquipmentInfos"][1]["ConnectorInfos"][0]["NationalStandard"]
    parsed = t.station_info(wire, OP)
    assert parsed.value.equipment[1].connectors[0].national_standard is NationalStandard.GB_2015
    assert pairs(parsed.findings) == {("EquipmentInfos.ConnectorInfos.NationalStandard", "absent")}


def test_non_object_payload_is_a_wire_format_error() -> None:
    with pytest.raises(WireFormatError):
        t.station_info([station_wire()], OP)  # type: ignore[arg-type]
    wire = station_wire()
    wire["EquipmentInfos"] = [1]
    with pytest.raises(WireFormatError) as caught:
        t.station_info(wire, OP)
    assert caught.value.field == "EquipmentInfos[0]"


# --- connector status ---------------------------------------------------------------------------


def test_connector_status_standard() -> None:
    parsed = t.connector_status({"ConnectorStatusInfo": {"ConnectorID": "12345678900001", "Status": 1}})
    msg = parsed.value
    assert parsed.findings == ()
    assert msg.connector_id == "12345678900001" and msg.status is TcecConnectorStatus.FREE
    assert msg.state == ConnectorState(OperationalState.ONLINE, Occupancy.FREE)
    assert (msg.status_time, msg.park_status, msg.lock_status) == (None, None, None)


def test_connector_status_lower_camel_as_in_the_cec_appendix() -> None:
    """The CEC appendix example sends ``connectorID`` as a number and ``status`` in lower camel."""
    parsed = t.connector_status({"connectorID": 1, "equipmentID": "10000000000000000000001", "status": 4, "soc": 10})
    assert parsed.value.connector_id == "1"
    assert parsed.value.status is TcecConnectorStatus.RESERVED
    assert pairs(parsed.findings) == {
        ("ConnectorID", "connectorID"),
        ("ConnectorID", "json_number"),
        ("Status", "status"),
    }
    assert all(f.interface == "ConnectorStatusInfo" for f in parsed.findings)


def test_connector_status_time_and_park_lock() -> None:
    parsed = t.connector_status(
        {"ConnectorID": "C1", "Status": 3, "UpdateTime": "2024-06-01 08:00:05", "ParkStatus": 50, "LockStatus": 10}
    )
    msg = parsed.value
    assert msg.status_time == datetime(2024, 6, 1, 0, 0, 5, tzinfo=UTC)
    assert (msg.park_status, msg.lock_status) == (50, 10)
    assert t.connector_status(
        {"ConnectorID": "C1", "Status": 3, "StatusTime": "2024-06-01 08:00:05"}
    ).value == msg.__class__("C1", TcecConnectorStatus.CHARGING, msg.state, msg.status_time)


@pytest.mark.parametrize(
    ("payload", "error", "field"),
    [
        ({"ConnectorID": "C1", "Status": 7}, DomainValidationError, "status"),
        ({"ConnectorID": "C1", "Status": 1, "ParkStatus": 20}, DomainValidationError, "park_status"),
        ({"ConnectorID": "C 1", "Status": 1}, DomainValidationError, "connector_id"),
        ({"Status": 1}, WireFormatError, "ConnectorID"),
        ({"ConnectorID": "C1"}, WireFormatError, "Status"),
        ({"ConnectorID": "C1", "Status": 1, "StatusTime": "2024-06-01T08:00:05"}, WireFormatError, "StatusTime"),
    ],
)
def test_connector_status_errors(payload: dict[str, Any], error: type[Exception], field: str) -> None:
    with pytest.raises(error) as caught:
        t.connector_status(payload)
    assert caught.value.field == field  # type: ignore[attr-defined]


_STATUS_VALUES = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, 1, 2, 3, 4, 7, 10, 20, 50, 255, -1]), st.floats(0, 60),
    st.sampled_from(["C1", "12345678900001", "C 1", "", "1", "x" * 31]),
)  # fmt: skip
_STATUS_KEYS = ["ConnectorID", "Status", "ParkStatus", "LockStatus", "StatusTime", "status", "connectorID"]


def _read(payload: Any) -> Any:
    try:
        parsed = t.connector_status(payload)
    except (DomainValidationError, WireFormatError) as exc:
        return type(exc), str(exc)
    return parsed.value, parsed.findings


_STATUS_PAYLOADS = st.one_of(
    st.fixed_dictionaries(  # the standard shape, every value of its type, some out of range
        {"ConnectorID": st.sampled_from(["C1", "12345678900001", "C 1", ""]), "Status": st.sampled_from([1, 3, 7])},
        optional={"ParkStatus": st.sampled_from([0, 50, 20, None]), "LockStatus": st.sampled_from([10, 7, None])},
    ),
    st.fixed_dictionaries(  # the standard shape, with a wrong type here and there
        {"ConnectorID": _STATUS_VALUES, "Status": _STATUS_VALUES},
        optional={"ParkStatus": _STATUS_VALUES, "LockStatus": _STATUS_VALUES, "StatusTime": _STATUS_VALUES},
    ),
    st.dictionaries(st.sampled_from(_STATUS_KEYS), _STATUS_VALUES, max_size=5),
)


@settings(max_examples=500, deadline=None)
@given(_STATUS_PAYLOADS)
def test_connector_status_standard_shortcut_reads_as_the_tolerant_reader(inner: dict[str, Any]) -> None:
    """A standard payload takes a shortcut; a read-only mapping of the same payload takes the tolerant reader.
    Both must give the same value, the same findings and the same errors, whatever the payload."""
    wrapped = {"ConnectorStatusInfo": inner}
    assert _read(wrapped) == _read(MappingProxyType({"ConnectorStatusInfo": MappingProxyType(inner)}))
    assert _read(inner) == _read(MappingProxyType(inner))  # the hub hands over the object itself


def test_connector_status_to_wire() -> None:
    assert t.connector_status_to_wire("C1", TcecConnectorStatus.CHARGING) == {"ConnectorID": "C1", "Status": 3}
    faulted = ConnectorState(OperationalState.FAULTED, Occupancy.UNKNOWN)
    assert t.connector_status_to_wire("C1", faulted, park_status=0) == {
        "ConnectorID": "C1",
        "Status": 255,
        "ParkStatus": 0,
    }
    wire = t.connector_status_to_wire("C1", TcecConnectorStatus.FREE, lock_status=10)
    assert t.connector_status(wire).value.lock_status == 10


# --- charge status ------------------------------------------------------------------------------


def test_charge_status_standard() -> None:
    parsed = t.charge_status(charge_status_wire(), OP)
    msg = parsed.value
    assert parsed.findings == ()
    sample = msg.sample
    assert (sample.operator_id, sample.connector_id, msg.connector_id) == (OP, "TY0001E01C1", "TY0001E01C1")
    assert sample.seq_stat is ChargeSeqStat.CHARGING and msg.connector_status is TcecConnectorStatus.CHARGING
    assert sample.sampled_at == datetime(2024, 6, 1, 0, 20, tzinfo=UTC)
    assert (sample.energy_kwh, sample.current_a, sample.voltage_v, sample.soc_pct) == (10.12, 120.5, 400.2, 56)
    assert (msg.elec_money, msg.service_money, sample.total_money) == (
        Decimal("6.07"),
        Decimal("8.1"),
        Decimal("14.17"),
    )
    assert msg.start == datetime(2024, 6, 1, 0, 0, tzinfo=UTC)


def test_charge_status_variants() -> None:
    wire = charge_status_wire()
    wire["ElectMoney"] = wire.pop("ElecMoney")
    wire["ServiceMoney"] = wire.pop("SeviceMoney")
    wire["SubPeriod"] = wire.pop("SumPeriod")
    parsed = t.charge_status(wire, OP)
    assert parsed.value == t.charge_status(charge_status_wire(), OP).value
    assert pairs(parsed.findings) == {
        ("ElecMoney", "ElectMoney"),
        ("SeviceMoney", "ServiceMoney"),
        ("SumPeriod", "SubPeriod"),
    }


def test_charge_status_errors() -> None:
    wire = charge_status_wire()
    wire["ConnectorStatus"] = 9
    with pytest.raises(WireFormatError) as domain_error:
        t.charge_status(wire, OP)
    assert domain_error.value.field == "ConnectorStatus"
    for current in (2000.5, -(10**6)):  # signed within ±2000 A: a V2G pile discharges
        with pytest.raises(WireFormatError) as domain_error:
            t.charge_status({**charge_status_wire(), "CurrentA": current}, OP)
        assert domain_error.value.field == "CurrentA"
    assert t.charge_status({**charge_status_wire(), "CurrentA": -120.5}, OP).value.sample.current_a == -120.5
    wire = charge_status_wire()
    del wire["EndTime"]
    with pytest.raises(WireFormatError) as wire_error:
        t.charge_status(wire, OP)
    assert wire_error.value.field == "EndTime"


# --- charge orders ------------------------------------------------------------------------------


def test_charge_order_standard_and_round_trip() -> None:
    parsed = t.charge_order(order_wire(), OP)
    order = parsed.value
    assert parsed.findings == ()
    assert order.operator_id == OP and order.stop_reason is StopReason.BMS
    assert order.start == datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
    assert order.start.utcoffset() == timedelta(hours=8)
    assert (order.elec_money, order.service_money, order.total_money) == (
        Decimal("18.3"),
        Decimal("24.4"),
        Decimal("42.7"),
    )
    assert len(order.details) == 2 and order.details[0].service_price == Decimal("0.8")
    wire = t.charge_order_to_wire(order)
    assert wire == order_wire()
    assert t.charge_order(wire, OP).value == order


def test_emitted_order_uses_standard_spelling_and_two_decimals() -> None:
    wire = order_wire()
    wire["TotalMoney"] = "42.700"
    wire["StopReason"] = 37
    order = t.charge_order(wire, OP).value
    out = t.charge_order_to_wire(order)
    assert {"TotalSeviceMoney", "SumPeriod", "ChargeDetails"} <= set(out)
    assert not {"TotalServiceMoney", "SubPeriod"} & set(out)
    assert set(out["ChargeDetails"][0]) == {
        "DetailStartTime", "DetailEndTime", "ElecPrice", "SevicePrice", "DetailPower", "DetailElecMoney",
        "DetailSeviceMoney",
    }  # fmt: skip
    assert out["TotalMoney"] == 42.7 and isinstance(out["TotalMoney"], float)
    assert (order.stop_reason, out["StopReason"]) == (StopReason.OTHER, 37)


@pytest.mark.parametrize(
    ("rename", "field", "variant"),
    [
        (("TotalSeviceMoney", "TotalServiceMoney"), "TotalSeviceMoney", "TotalServiceMoney"),
        (("SumPeriod", "SubPeriod"), "SumPeriod", "SubPeriod"),
        (("StartChargeSeq", "OrderNo"), "StartChargeSeq", "OrderNo"),
        (("TotalPower", "TotalElect"), "TotalPower", "TotalElect"),
        (("TotalMoney", "totalMoney"), "TotalMoney", "totalMoney"),
    ],
)
def test_order_spelling_variants(rename: tuple[str, str], field: str, variant: str) -> None:
    wire = order_wire()
    wire[rename[1]] = wire.pop(rename[0])
    parsed = t.charge_order(wire, OP)
    assert parsed.value == t.charge_order(order_wire(), OP).value
    assert parsed.findings == (Finding("notification_charge_order_info", field, variant, parsed.findings[0].example),)
    assert rename[1] in parsed.findings[0].example


@pytest.mark.parametrize(
    ("rename", "field"),
    [
        (("SevicePrice", "ServicePrice"), "ChargeDetails.SevicePrice"),
        (("DetailSeviceMoney", "DetailServiceMoney"), "ChargeDetails.DetailSeviceMoney"),
    ],
)
def test_order_detail_spelling_variants(rename: tuple[str, str], field: str) -> None:
    wire = order_wire()
    for detail in wire["ChargeDetails"]:
        detail[rename[1]] = detail.pop(rename[0])
    parsed = t.charge_order(wire, OP)
    assert parsed.value == t.charge_order(order_wire(), OP).value
    assert pairs(parsed.findings) == {(field, rename[1])}


def test_standard_spelling_wins_over_a_variant() -> None:
    wire = order_wire()
    wire["TotalServiceMoney"] = 99.99
    parsed = t.charge_order(wire, OP)
    assert parsed.value.service_money == Decimal("24.4")


def test_money_is_exact_decimal() -> None:
    wire = order_wire()
    wire.update({"TotalElecMoney": 0.1, "TotalSeviceMoney": 0.2, "TotalMoney": 0.3, "ChargeDetails": []})
    order = t.charge_order(wire, OP).value
    assert order.elec_money + order.service_money == order.total_money == Decimal("0.30")
    assert 0.1 + 0.2 != 0.3  # what binary floats would have done
    out = t.charge_order_to_wire(order)
    assert (out["TotalElecMoney"], out["TotalSeviceMoney"], out["TotalMoney"]) == (0.1, 0.2, 0.3)
    assert f"{Decimal(str(out['TotalMoney'])):.2f}" == "0.30"


def test_money_strings_and_scale_are_recorded() -> None:
    wire = order_wire()
    wire.update({"TotalElecMoney": "0.10", "TotalSeviceMoney": 0.1 + 0.2, "TotalMoney": 0.40, "ChargeDetails": []})
    parsed = t.charge_order(wire, OP)
    assert parsed.value.elec_money == Decimal("0.10")
    assert parsed.value.service_money == Decimal("0.30000000000000004")
    assert pairs(parsed.findings) == {("TotalElecMoney", "json_string"), ("TotalSeviceMoney", "scale>2")}


def test_money_half_up_rounding_on_output() -> None:
    wire = order_wire()
    wire.update({"TotalElecMoney": "2.675", "TotalSeviceMoney": 0, "TotalMoney": "2.675", "ChargeDetails": []})
    out = t.charge_order_to_wire(t.charge_order(wire, OP).value)
    assert out["TotalMoney"] == 2.68  # float(2.675) rounds to 2.67; Decimal does not


@pytest.mark.parametrize(
    ("update", "error", "field"),
    [
        ({"OperatorID": OTHER_OP}, WireFormatError, "OperatorID"),
        ({"StartTime": "2024/06/01 08:00:00"}, WireFormatError, "StartTime"),
        ({"EndTime": "2024-06-31 09:00:00"}, WireFormatError, "EndTime"),
        ({"TotalMoney": "42,70"}, WireFormatError, "TotalMoney"),
        ({"TotalMoney": None}, WireFormatError, "TotalMoney"),
        ({"TotalMoney": -1}, WireFormatError, "TotalMoney"),
        ({"TotalPower": -0.5}, WireFormatError, "TotalPower"),
        ({"EndTime": "2024-06-01 07:00:00"}, WireFormatError, "EndTime"),
        ({"StopReason": 100}, WireFormatError, "StopReason"),
        ({"SumPeriod": 33}, WireFormatError, "SumPeriod"),
        ({"StartChargeSeq": "SHORT"}, WireFormatError, "StartChargeSeq"),
    ],
)
def test_charge_order_errors(update: dict[str, Any], error: type[Exception], field: str) -> None:
    wire = order_wire()
    wire.update(update)
    with pytest.raises(error) as caught:
        t.charge_order(wire, OP)
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_charge_detail_errors_name_the_detail() -> None:
    wire = order_wire()
    del wire["ChargeDetails"][1]["DetailElecMoney"]
    with pytest.raises(WireFormatError) as caught:
        t.charge_order(wire, OP)
    assert caught.value.field == "ChargeDetails[1].DetailElecMoney"
    wire = order_wire()
    wire["ChargeDetails"][0]["DetailSeviceMoney"] = -1
    with pytest.raises(WireFormatError) as domain_error:
        t.charge_order(wire, OP)
    assert domain_error.value.field == "ChargeDetails[0].DetailSeviceMoney"


def test_zhejiang_order_with_own_operator_id() -> None:
    wire = order_wire()
    wire["OrderNo"] = wire.pop("StartChargeSeq")
    wire["TotalElect"] = wire.pop("TotalPower")
    wire["TotalServiceMoney"] = wire.pop("TotalSeviceMoney")
    wire.update({"OperatorID": OP, "StationID": "TY0001", "VIN": "LSVAA4182E2123456"})
    parsed = t.charge_order(wire, OP)
    assert parsed.value == t.charge_order(order_wire(), OP).value
    assert pairs(parsed.findings) == {
        ("StartChargeSeq", "OrderNo"),
        ("TotalPower", "TotalElect"),
        ("TotalSeviceMoney", "TotalServiceMoney"),
    }


# --- check_charge_orders ------------------------------------------------------------------------


def check_wire() -> dict[str, Any]:
    return {
        "CheckOrderSeq": "MA0123456202406020100000001",
        "StartTime": "2024-06-01 00:00:00",
        "EndTime": "2024-06-01 23:59:59",
        "OrderCount": 2,
        "TotalOrderPower": 40.5,
        "TotalOrderMoney": 55.3,
        "ChargeOrders": [
            {"StartChargeSeq": "MA0123456202406010800001", "TotalPower": 30.5, "TotalMoney": 42.7},
            {"StartChargeSeq": "MA0123456202406011200002", "TotalPower": 10, "TotalMoney": "12.60"},
        ],
    }


def test_check_orders_parse() -> None:
    parsed = t.check_orders(check_wire())
    req = parsed.value
    assert req.check_order_seq == "MA0123456202406020100000001"
    assert (req.start, req.end) == (datetime(2024, 5, 31, 16, tzinfo=UTC), datetime(2024, 6, 1, 15, 59, 59, tzinfo=UTC))
    assert (req.order_count, req.total_power, req.total_money) == (2, 40.5, Decimal("55.3"))
    assert req.orders == (
        t.CheckedOrder("MA0123456202406010800001", 30.5, Decimal("42.7")),
        t.CheckedOrder("MA0123456202406011200002", 10.0, Decimal("12.60")),
    )
    seq, power, money = req.orders[0]
    assert (seq, power, money) == ("MA0123456202406010800001", 30.5, Decimal("42.7"))
    assert pairs(parsed.findings) == {("ChargeOrders.TotalMoney", "json_string")}


def test_check_orders_requires_the_order_list() -> None:
    wire = check_wire()
    del wire["ChargeOrders"]
    with pytest.raises(WireFormatError) as caught:
        t.check_orders(wire)
    assert caught.value.field == "ChargeOrders"


def test_dispute_response_shape() -> None:
    req = t.check_orders(check_wire()).value
    response = t.dispute_response(
        req,
        [
            ("MA0123456202406010800001", 30.5, Decimal("42.70"), 2),
            ("MA0123456202406019999999", Decimal("1.234"), 0.1, 1),
            ("MA0123456202406011200002", 10, 0.2, 3),
        ],
    )
    assert response == {
        "CheckOrderSeq": "MA0123456202406020100000001",
        "StartTime": "2024-06-01 00:00:00",
        "EndTime": "2024-06-01 23:59:59",
        "TotalDisputeOrder": 3,
        "TotalDisputePower": 41.73,
        "TotalDisputeMoney": 43.0,
        "DisputeOrders": [
            {"StartChargeSeq": "MA0123456202406010800001", "TotalPower": 30.5, "TotalMoney": 42.7, "DisputeReason": 2},
            {"StartChargeSeq": "MA0123456202406019999999", "TotalPower": 1.23, "TotalMoney": 0.1, "DisputeReason": 1},
            {"StartChargeSeq": "MA0123456202406011200002", "TotalPower": 10.0, "TotalMoney": 0.2, "DisputeReason": 3},
        ],
    }


def test_dispute_response_without_disputes_and_bad_reason() -> None:
    req = t.check_orders(check_wire()).value
    empty = t.dispute_response(req, [])
    assert (empty["TotalDisputeOrder"], empty["TotalDisputePower"], empty["TotalDisputeMoney"]) == (0, 0.0, 0.0)
    assert empty["DisputeOrders"] == []
    with pytest.raises(ValueError, match="DisputeReason"):
        t.dispute_response(req, [("MA0123456202406010800001", 1.0, 1.0, 0)])


# --- alarms, events, realtime power -------------------------------------------------------------


def alarm_wire(status: int = 1) -> dict[str, Any]:
    return {
        "StationID": "TY0001",
        "OperatorID": OP,
        "EquipmentID": "TY0001E01",
        "ConnectorID": "TY0001E01C1",
        "AlarmStatus": status,
        "AlarmTime": "2024-06-01 08:10:00",
        "AlarmType": 1,
        "AlarmLevel": 2,
        "AlarmCode": 18,
        "NoteString": "充电枪过温",
    }


def test_alarms_raise_and_recover() -> None:
    parsed = t.alarms({"AlarmInfos": [alarm_wire(1), alarm_wire(0)]}, OP)
    raised, recovered = parsed.value
    assert parsed.findings == ()
    assert (raised.alarm_type, raised.level, raised.code) == (
        AlarmType.CHARGING_SYSTEM,
        AlarmLevel.EQUIPMENT_SAFETY,
        18,
    )
    assert raised.raised_at == datetime(2024, 6, 1, 0, 10, tzinfo=UTC) and raised.cleared_at is None
    assert recovered.cleared_at == recovered.raised_at == raised.raised_at
    assert (raised.equipment_id, raised.connector_id, raised.note) == ("TY0001E01", "TY0001E01C1", "充电枪过温")


def test_single_alarm_object_is_accepted() -> None:
    assert t.alarms({"AlarmInfo": alarm_wire()}, OP).value == t.alarms({"AlarmInfos": [alarm_wire()]}, OP).value
    assert t.alarms(alarm_wire(), OP).value == t.alarms({"AlarmInfos": [alarm_wire()]}, OP).value
    wire = alarm_wire()
    wire["alarmTime"] = wire.pop("AlarmTime")
    single, listed = t.alarms({"AlarmInfo": wire}, OP), t.alarms({"AlarmInfos": [wire]}, OP)
    assert (
        single.findings
        == listed.findings
        == (Finding("AlarmInfo", "AlarmInfos.AlarmTime", "alarmTime", single.findings[0].example),)
    )


@pytest.mark.parametrize(
    ("update", "error", "field"),
    [
        ({"AlarmStatus": 2}, WireFormatError, "AlarmInfos[0].AlarmStatus"),
        ({"AlarmType": 4}, WireFormatError, "AlarmInfos[0].AlarmType"),
        ({"AlarmCode": 101}, WireFormatError, "AlarmInfos[0].AlarmCode"),
        ({"OperatorID": OTHER_OP}, WireFormatError, "AlarmInfos[0].OperatorID"),
        ({"AlarmTime": "20240601081000"}, WireFormatError, "AlarmInfos[0].AlarmTime"),
    ],
)
def test_alarm_errors(update: dict[str, Any], error: type[Exception], field: str) -> None:
    wire = alarm_wire()
    wire.update(update)
    with pytest.raises(error) as caught:
        t.alarms({"AlarmInfos": [wire]}, OP)
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_alarms_payload_must_carry_alarms() -> None:
    with pytest.raises(WireFormatError) as caught:
        t.alarms({"Total": 0}, OP)
    assert caught.value.field == "AlarmInfos"
    assert t.alarms({"AlarmInfos": []}, OP).value == []


def test_events() -> None:
    wire = {"StationID": "TY0001", "EquipmentID": "TY0001E01", "EventType": 4, "EventCode": 1003, "NoteString": "上线"}
    parsed = t.events({"EventInfos": [{**wire, "EventTime": "2024-06-01 08:00:00"}]}, OP)
    event = parsed.value[0]
    assert (event.operator_id, event.event_type, event.code) == (OP, EventType.EQUIPMENT_CHECK, 1003)
    assert event.occurred_at == datetime(2024, 6, 1, 0, tzinfo=UTC) and parsed.findings == ()
    variant = t.events({"EventInfos": [{**wire, "OccurTime": "2024-06-01 08:00:00"}]}, OP)
    assert variant.value == parsed.value
    assert pairs(variant.findings) == {("EventInfos.EventTime", "OccurTime")}
    with pytest.raises(WireFormatError) as caught:
        t.events({"EventInfo": {**wire, "EventType": 7, "EventTime": "2024-06-01 08:00:00"}}, OP)
    assert caught.value.field.endswith("EventType")


def test_realtime_power_is_flattened() -> None:
    payload = {
        "SupStationPowerInfos": [
            {
                "OperatorID": OP,
                "EquipmentOwnerID": OP,
                "StationID": "TY0001",
                "DataTime": "2024-06-01 08:15:00",
                "StationRealTimePower": 187.5,
                "EquipmentPowerInfos": [
                    {
                        "EquipmentID": "TY0001E01",
                        "DataTime": "2024-06-01 08:15:00",
                        "EquipRealTimePower": 180.5,
                        "ConnectorPowerInfos": [
                            {
                                "ConnectorID": "TY0001E01C1",
                                "DataTime": "2024-06-01 08:15:00",
                                "ConnectorRealTimePower": 90,
                            },
                            {"ConnectorID": "TY0001E01C2", "ConnectorRealTimePower": "90.5"},
                        ],
                    }
                ],
            }
        ]
    }
    parsed = t.realtime_power(payload, OP)
    at = datetime(2024, 6, 1, 0, 15, tzinfo=UTC)
    assert parsed.value == [
        t.PowerSample("TY0001", None, None, at, 187.5),
        t.PowerSample("TY0001", "TY0001E01", None, at, 180.5),
        t.PowerSample("TY0001", "TY0001E01", "TY0001E01C1", at, 90.0),
        t.PowerSample("TY0001", "TY0001E01", "TY0001E01C2", at, 90.5),
    ]
    assert pairs(parsed.findings) == {
        ("SupStationPowerInfos.EquipmentPowerInfos.ConnectorPowerInfos.DataTime", "absent"),
        ("SupStationPowerInfos.EquipmentPowerInfos.ConnectorPowerInfos.ConnectorRealTimePower", "json_string"),
    }
    other = copy.deepcopy(payload)
    other["SupStationPowerInfos"][0]["OperatorID"] = OTHER_OP
    with pytest.raises(WireFormatError) as caught:
        t.realtime_power(other, OP)
    assert caught.value.field == "SupStationPowerInfos[0].OperatorID"
    pile = "SupStationPowerInfos[0].EquipmentPowerInfos[0]"
    for path, where in (
        (f"{pile}.EquipmentID", lambda p: p["SupStationPowerInfos"][0]["EquipmentPowerInfos"][0]),
        (
            f"{pile}.ConnectorPowerInfos[1].ConnectorID",
            lambda p: p["SupStationPowerInfos"][0]["EquipmentPowerInfos"][0]["ConnectorPowerInfos"][1],
        ),
    ):
        empty = copy.deepcopy(payload)
        where(empty)[path.rsplit(".", 1)[1]] = ""  # stored, it would be taken for the level above's sample
        with pytest.raises(WireFormatError) as caught:
            t.realtime_power(empty, OP)
        assert (caught.value.field, caught.value.reason) == (path, "不能为空")


# --- result types -------------------------------------------------------------------------------


def test_results_are_frozen() -> None:
    parsed = t.connector_status({"ConnectorID": "C1", "Status": 1})
    assert isinstance(parsed, Translated)
    with pytest.raises(FrozenInstanceError):
        parsed.value = parsed.value  # type: ignore[misc]
    finding = Finding("i", "f", "v", "e")
    with pytest.raises(FrozenInstanceError):
        finding.field = "g"  # type: ignore[misc]


def test_wire_format_error_messages() -> None:
    err = WireFormatError("EquipmentInfos[0].Power", "应为数值", "expected a number")
    assert isinstance(err, ValueError)
    assert err.message == "字段 EquipmentInfos[0].Power 格式错误：应为数值"
    assert err.message_en == "bad wire format of field EquipmentInfos[0].Power: expected a number"
    assert err.as_dict()["field"] == "EquipmentInfos[0].Power"


def test_check_orders_header_that_matches_the_list_within_rounding_gives_no_finding() -> None:
    wire = check_wire()
    wire["TotalOrderPower"] = 40.51  # two orders rounded to 0.01 each: up to 0.02 apart is rounding
    assert not [f for f in t.check_orders(wire).findings if f.variant == "header≠orders"]


def test_check_orders_header_that_disagrees_with_the_list_is_recorded_not_refused() -> None:
    wire = check_wire()
    wire.update({"OrderCount": 3, "TotalOrderPower": 45.0, "TotalOrderMoney": "55.40"})
    parsed = t.check_orders(wire)
    assert len(parsed.value.orders) == 2  # reconciliation still goes by the listed orders
    header = {(f.field, f.variant): f.example for f in parsed.findings if f.variant == "header≠orders"}
    assert set(header) == {
        ("OrderCount", "header≠orders"),
        ("TotalOrderPower", "header≠orders"),
        ("TotalOrderMoney", "header≠orders"),
    }
    assert header[("OrderCount", "header≠orders")] == '{"OrderCount":3,"ChargeOrders":2}'
    assert header[("TotalOrderMoney", "header≠orders")] == '{"TotalOrderMoney":"55.40","sum":"55.30"}'


# --- partner profiles ---------------------------------------------------------------------------


def with_types(equipment_type: int, connector_type: int) -> dict[str, Any]:
    wire = station_wire()
    wire["EquipmentInfos"][0]["EquipmentType"] = equipment_type
    wire["EquipmentInfos"][0]["ConnectorInfos"][0]["ConnectorType"] = connector_type
    return wire


@pytest.mark.parametrize(
    ("partner", "codes", "expected", "findings"),
    [
        ("shenzhen", (0, 4), (EquipmentType.DC, ConnectorType.DC_PLUG), set()),  # Shenzhen 0 = 直流
        ("shenzhen", (1, 255), (EquipmentType.AC, ConnectorType.OTHER), set()),
        ("shenzhen", (5, 5), (EquipmentType.OTHER, ConnectorType.AC_PLUG), {"shenzhen:5→5", "shenzhen:5→3"}),
        ("zhejiang", (6, 4), (EquipmentType.DC, ConnectorType.DC_PLUG), {"zhejiang:6→1"}),  # V2G
        ("zhejiang", (5, 3), (EquipmentType.AC, ConnectorType.AC_PLUG), {"zhejiang:5→2"}),  # 有序
        ("tcec2016", (1, 4), (EquipmentType.DC, ConnectorType.DC_PLUG), set()),
    ],
)
def test_partner_codes_are_stored_as_standard_codes(partner, codes, expected, findings) -> None:
    from evinfra.protocols.tcec.profiles import profile

    parsed = t.station_info(with_types(*codes), OP, partner=profile(partner))
    equipment = parsed.value.equipment[0]
    assert (equipment.equipment.equipment_type, equipment.connectors[0].connector_type) == expected
    assert {f.variant for f in parsed.findings if ":" in f.variant} == findings
    emitted = t.station_info_to_wire(parsed.value)["EquipmentInfos"][0]  # strict output: standard codes
    assert (emitted["EquipmentType"], emitted["ConnectorInfos"][0]["ConnectorType"]) == tuple(int(e) for e in expected)


def test_a_partner_code_under_the_standard_profile_is_refused() -> None:
    with pytest.raises(WireFormatError) as caught:
        t.station_info(with_types(0, 4), OP)  # 0 means 直流 only to Shenzhen
    assert caught.value.field == "EquipmentInfos[0].EquipmentType"


@pytest.mark.parametrize("moment", ["0001-01-01 00:00:00", "1999-12-31 23:59:59", "2100-01-01 00:00:00"])
def test_a_time_outside_2000_to_2099_is_a_wire_format_error(moment: str) -> None:
    """Year 1 in Shanghai time is before the first instant Python holds in UTC: the store could not take it."""
    with pytest.raises(WireFormatError) as caught:
        t.charge_order({**order_wire(), "StartTime": moment}, OP)
    assert caught.value.field == "StartTime" and "2000–2099" in caught.value.reason
