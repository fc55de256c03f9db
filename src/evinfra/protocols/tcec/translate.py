"""T/CEC 102 business payloads ↔ domain objects: tolerant on input, strict on output.

Parsers take the decrypted ``Data`` (a JSON object) and return the domain value with the
deviations they tolerated (:class:`~evinfra.protocols.tcec.fields.Finding`), following the
reference's tolerant-parsing policy (§16): accept known variants, store canonically, record
every deviation. Two kinds of error remain, both answered with Ret 4004 by the hub:
:class:`WireFormatError` when the payload cannot be read (missing field, wrong JSON type, bad
date, another operator's object), and the domain's ``DomainValidationError`` when a value is
readable but not allowed (unknown code, negative power), which propagates unchanged.

Emitters always write the standard wire spelling (``BusineHours``, ``TotalSeviceMoney``) and
GCJ-02 coordinates. Wire names stay inside this package; callers see domain names only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, NamedTuple

from evinfra.domain.alarm import Alarm, AlarmLevel, AlarmType, Event, EventType
from evinfra.domain.connector import CONNECTOR_ID, Connector, ConnectorType, NationalStandard
from evinfra.domain.equipment import Equipment, EquipmentType
from evinfra.domain.errors import DomainValidationError
from evinfra.domain.geo import GeoPoint
from evinfra.domain.network import EquipmentTree, StationTree
from evinfra.domain.order import START_CHARGE_SEQ, ChargeDetail, ChargeOrder, ChargeSeqStat, ChargeStatusSample
from evinfra.domain.site import Construction
from evinfra.domain.station import Payment, Station, StationStatus, StationType
from evinfra.domain.status import ConnectorState, TcecConnectorStatus, from_tcec, to_tcec
from evinfra.domain.validation import enum_value, non_negative, pattern
from evinfra.protocols.tcec.fields import (
    Finding,
    Findings,
    Reader,
    Translated,
    WireFormatError,
    echo,
    format_datetime,
)
from evinfra.protocols.tcec.profiles import PROFILES, STANDARD, Profile, standard_code
from evinfra.regions.coords import gcj02_to_wgs84, wgs84_to_gcj02

__all__ = [
    "ChargeStatusMsg",
    "CheckOrdersRequest",
    "CheckedOrder",
    "ConnectorStatusMsg",
    "Finding",
    "PowerSample",
    "Translated",
    "WireFormatError",
    "alarms",
    "charge_order",
    "charge_order_to_wire",
    "charge_status",
    "check_orders",
    "connector_status",
    "connector_status_to_wire",
    "dispute_response",
    "events",
    "realtime_power",
    "station_info",
    "station_info_to_wire",
]

WireDict = dict[str, Any]

_PARK_STATUS = frozenset({0, 10, 50})  # 0 未知, 10 空闲, 50 占用
_LOCK_STATUS = frozenset({0, 10, 50})  # 0 未知, 10 已解锁, 50 已上锁
_ALARM_STATUS = frozenset({0, 1})  # 0 恢复, 1 发生

# Payment is free text (102.2: 刷卡/线上/现金). An e-wallet card counts as 刷卡; an auth card,
# WeChat/Alipay or an app as 线上 (reference §10.1); such synonyms are accepted and recorded.
_PAYMENT_WORDS: Mapping[str, Payment] = {"刷卡": Payment.CARD, "线上": Payment.ONLINE, "现金": Payment.CASH}
_PAYMENT_SYNONYMS: Mapping[str, Payment] = {
    "电卡": Payment.CARD,
    "充电卡": Payment.CARD,
    "IC卡": Payment.CARD,
    "储值卡": Payment.CARD,
    "刷卡支付": Payment.CARD,
    "在线": Payment.ONLINE,
    "在线支付": Payment.ONLINE,
    "线上支付": Payment.ONLINE,
    "微信": Payment.ONLINE,
    "支付宝": Payment.ONLINE,
    "APP": Payment.ONLINE,
    "扫码": Payment.ONLINE,
    "小程序": Payment.ONLINE,
    "现金支付": Payment.CASH,
}
_PAYMENT_SEPARATORS = re.compile(r"[,，、/;；|+＋\s]+")


# --- messages that have no domain type of their own ----------------------------------------------


@dataclass(frozen=True)
class ConnectorStatusMsg:
    """One ConnectorStatusInfo: the T/CEC code and the domain state it maps to."""

    connector_id: str
    status: TcecConnectorStatus
    state: ConnectorState
    status_time: datetime | None = None  # aware; only some operators send one (StatusTime/UpdateTime)
    park_status: int | None = None  # 0 未知, 10 空闲, 50 占用
    lock_status: int | None = None  # 0 未知, 10 已解锁, 50 已上锁


@dataclass(frozen=True)
class ChargeStatusMsg:
    """notification_equip_charge_status: the in-session sample plus what the sample type leaves out."""

    sample: ChargeStatusSample
    connector_status: TcecConnectorStatus
    start: datetime | None = None
    elec_money: Decimal | None = None  # [元]
    service_money: Decimal | None = None  # [元]
    sum_period: int | None = None
    details: tuple[ChargeDetail, ...] = ()

    @property
    def connector_id(self) -> str:
        return self.sample.connector_id


class CheckedOrder(NamedTuple):
    """One line of a reconciliation request (ChargeOrders[])."""

    start_charge_seq: str
    total_power_kwh: float
    total_money: Decimal  # [元]


@dataclass(frozen=True)
class CheckOrdersRequest:
    """check_charge_orders (daily reconciliation). Energy is float like ``ChargeOrder.energy_kwh``; money is exact."""

    check_order_seq: str
    start: datetime
    end: datetime
    order_count: int
    total_power: float  # [kWh]
    total_money: Decimal  # [元]
    orders: tuple[CheckedOrder, ...]


@dataclass(frozen=True)
class PowerSample:
    """Realtime power of a station, or of one piece of its equipment or one connector (Zhejiang).

    Negative values are kept: V2G equipment (Zhejiang EquipmentType 6) discharges.
    """

    station_id: str
    equipment_id: str | None
    connector_id: str | None
    at: datetime
    power_kw: float

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise DomainValidationError("at", self.at, "带时区的时间", "a timezone-aware datetime")
        if not -10_000.0 <= self.power_kw <= 100_000.0:  # also refuses NaN
            raise DomainValidationError("power_kw", self.power_kw, "-10000–100000 [kW]")


# --- StationInfo ----------------------------------------------------------------------------------


def station_info(
    obj: Mapping[str, Any],
    operator_id: str,
    *,
    interface: str = "StationInfo",
    partner: Profile = PROFILES[STANDARD],
) -> Translated[StationTree]:
    """A StationInfo (or a payload ``{"StationInfo": {...}}``) with its EquipmentInfos and ConnectorInfos.

    StationLng/StationLat and EquipmentLng/EquipmentLat are GCJ-02 and are stored as WGS-84. The
    OperatorID must be the authenticated operator's: an operator may only write its own stations.
    EquipmentType and ConnectorType are read through the operator's ``partner`` profile.
    """
    findings = Findings(interface)
    r = _unwrap(obj, "StationInfo", findings)
    _own_operator(r, operator_id, required=True)
    station_id = r.text("StationID")
    area_code, town_code = _area_codes(r)
    with _named(r, _STATION_WIRE):
        station = Station(
            operator_id=operator_id,
            station_id=station_id,
            name=r.text("StationName"),
            station_type=enum_value(StationType, "station_type", r.integer("StationType")),
            status=enum_value(StationStatus, "status", r.integer("StationStatus")),
            construction=enum_value(Construction, "construction", r.integer("Construction")),
            area_code=area_code,
            town_code=town_code,
            location=GeoPoint(*gcj02_to_wgs84(r.number("StationLng"), r.number("StationLat"))),
            address=r.opt_text("Address") or "",
            equipment_owner_id=r.opt_text("EquipmentOwnerID") or None,
            country_code=r.opt_text("CountryCode") or "CN",
            park_nums=_default(r.opt_integer("ParkNums"), 0),
            station_tel=r.opt_text("StationTel") or "",
            service_tel=r.opt_text("ServiceTel") or "",
            site_guide=r.opt_text("SiteGuide") or "",
            business_hours=r.opt_text("BusineHours", "BusinessHours") or "",
            electricity_fee=r.opt_text("ElectricityFee") or "",
            service_fee=r.opt_text("ServiceFee") or "",
            park_fee=r.opt_text("ParkFee") or "",
            payment=_payment(r),
            support_order=_flag("support_order", _default(r.opt_integer("SupportOrder"), 0)),
            remark=r.opt_text("Remark") or "",
        )
    equipment_readers = r.objects("EquipmentInfos")
    if not equipment_readers:
        r.note("EquipmentInfos", "empty", {"StationID": station_id})
    trees: list[EquipmentTree] = []
    seen_equipment: set[str] = set()
    seen_connectors: set[str] = set()
    for er in equipment_readers:
        equipment = _equipment(er, operator_id, station_id, partner)
        if equipment.equipment_id in seen_equipment:
            raise er.error("EquipmentID", "设备编码重复", "duplicate EquipmentID")
        seen_equipment.add(equipment.equipment_id)
        connector_readers = er.objects("ConnectorInfos")
        if not connector_readers:
            er.note("ConnectorInfos", "empty", {"EquipmentID": equipment.equipment_id})
        connectors: list[Connector] = []
        for cr in connector_readers:
            connector = _connector(cr, equipment, partner)
            if connector.connector_id in seen_connectors:
                raise cr.error("ConnectorID", "接口编码重复", "duplicate ConnectorID")
            seen_connectors.add(connector.connector_id)
            connectors.append(connector)
        trees.append(EquipmentTree(equipment, tuple(connectors)))
    return findings.wrap(StationTree(station, tuple(trees)))


# Where a domain field's T/CEC name is not its own name in CamelCase (station_tel: StationTel).
_STATION_WIRE = {
    "name": "StationName",
    "status": "StationStatus",
    "location": "StationLng",
    "town_code": "AreaCodeCountryside",
    "business_hours": "BusineHours",
    "lng": "StationLng",
    "lat": "StationLat",
}
_EQUIPMENT_WIRE = {
    "name": "EquipmentName",
    "model": "EquipmentModel",
    "power_kw": "Power",
    "location": "EquipmentLng",
    "lng": "EquipmentLng",
    "lat": "EquipmentLat",
}
_CONNECTOR_WIRE = {
    "name": "ConnectorName",
    "power_kw": "Power",
    "voltage_upper_v": "VoltageUpperLimits",
    "voltage_lower_v": "VoltageLowerLimits",
    "current_a": "Current",
}


_SAMPLE_WIRE = {
    "sampled_at": "EndTime",
    "seq_stat": "StartChargeSeqStat",
    "energy_kwh": "TotalPower",
    "voltage_v": "VoltageA",
    "soc_pct": "Soc",
    "start": "StartTime",
    "service_money": "SeviceMoney",
}
_ORDER_WIRE = {
    "start": "StartTime",
    "end": "EndTime",
    "energy_kwh": "TotalPower",
    "elec_money": "TotalElecMoney",
    "service_money": "TotalSeviceMoney",
    "stop_reason_code": "StopReason",
    "details": "ChargeDetails",
}
_DETAIL_WIRE = {
    "start": "DetailStartTime",
    "end": "DetailEndTime",
    "details.end": "DetailEndTime",
    "energy_kwh": "DetailPower",
    "details.energy_kwh": "DetailPower",
    "details.elec_price": "ElecPrice",
    "details.service_price": "SevicePrice",
    "details.elec_money": "DetailElecMoney",
    "details.service_money": "DetailSeviceMoney",
}
_ALARM_WIRE = {"level": "AlarmLevel", "code": "AlarmCode", "raised_at": "AlarmTime", "cleared_at": "AlarmTime",
               "note": "NoteString"}  # fmt: skip
_EVENT_WIRE = {"code": "EventCode", "occurred_at": "EventTime", "note": "NoteString"}


@contextmanager
def _named(r: Reader, wire_names: Mapping[str, str]) -> Iterator[None]:
    """A value the domain object refuses, reported by the name and path the operator sent it under
    (``EquipmentInfos[0].EquipmentName``), not by the domain's field name."""
    try:
        yield
    except DomainValidationError as exc:
        name = wire_names.get(exc.field) or _camel(exc.field)
        shown = echo(exc.value)
        raise r.error(
            name, f"值 {shown} 无效：允许 {exc.allowed}", f"invalid value {shown}: allowed {exc.allowed_en}"
        ) from None


def _camel(field: str) -> str:
    """station_tel → StationTel, equipment_owner_id → EquipmentOwnerID (the T/CEC spelling of the suffix)."""
    name = "".join(word.capitalize() for word in field.split("_"))
    return name[:-2] + "ID" if name.endswith("Id") else name


def _area_codes(r: Reader) -> tuple[str, str | None]:
    """AreaCode (6-digit GB/T 2260) and the township/village code, if any (Zhejiang AreaCodeCountryside)."""
    area = r.text("AreaCode")
    town = r.opt_text("AreaCodeCountryside") or None
    if town is None and len(area) in (9, 12) and area.isdigit():
        r.note("AreaCode", "town_code", {"AreaCode": area})
        area, town = area[:6], area
    if town is not None and len(town) == 12 and town.isdigit():
        # NBS codes pad a higher level with zeros: 140105001000 is township 140105001.
        if town.endswith("000000"):
            town = None
        elif town.endswith("000"):
            town = town[:9]
    return area, town


def _payment(r: Reader) -> frozenset[Payment]:
    text = r.opt_text("Payment")
    if not text:
        return frozenset()
    means: set[Payment] = set()
    for word in _PAYMENT_SEPARATORS.split(text.strip()):
        if not word:
            continue
        if word in _PAYMENT_WORDS:
            means.add(_PAYMENT_WORDS[word])
        elif word.upper() in _PAYMENT_SYNONYMS:
            means.add(_PAYMENT_SYNONYMS[word.upper()])
            r.note("Payment", word, {"Payment": text})
        else:
            r.note("Payment", "unrecognised", {"Payment": text})
    return frozenset(means)


def _equipment(r: Reader, operator_id: str, station_id: str, partner: Profile) -> Equipment:
    code = standard_code(partner, "EquipmentType", r.integer("EquipmentType"), r.note)
    with _named(r, _EQUIPMENT_WIRE):
        return Equipment(
            operator_id=operator_id,
            station_id=station_id,
            equipment_id=r.text("EquipmentID"),
            equipment_type=enum_value(EquipmentType, "equipment_type", code),
            power_kw=r.number("Power"),
            name=r.opt_text("EquipmentName") or "",
            manufacturer_id=r.opt_text("ManufacturerID") or None,
            manufacturer_name=r.opt_text("ManufacturerName") or "",
            model=r.opt_text("EquipmentModel") or "",
            production_date=r.opt_date("ProductionDate"),
            location=_opt_location(r, "EquipmentLng", "EquipmentLat"),
        )


def _opt_location(r: Reader, lng_name: str, lat_name: str) -> GeoPoint | None:
    lng, lat = r.opt_number(lng_name), r.opt_number(lat_name)
    if lng is None and lat is None:
        return None
    if lng is None or lat is None:
        missing = lng_name if lng is None else lat_name
        raise r.error(missing, "经纬度须成对出现", "longitude and latitude must come together")
    if lng == 0 and lat == 0:  # a common "unknown" placeholder; the equipment then sits at the station
        r.note(lng_name, "zero_as_unknown", {lng_name: lng, lat_name: lat})
        return None
    return GeoPoint(*gcj02_to_wgs84(lng, lat))


def _connector(r: Reader, equipment: Equipment, partner: Profile) -> Connector:
    code = standard_code(partner, "ConnectorType", r.integer("ConnectorType"), r.note)
    standard = r.opt_integer("NationalStandard")
    if standard is None:
        r.note("NationalStandard", "absent", {"NationalStandard": None})
        standard = NationalStandard.GB_2015
    with _named(r, _CONNECTOR_WIRE):
        return Connector(
            operator_id=equipment.operator_id,
            station_id=equipment.station_id,
            equipment_id=equipment.equipment_id,
            connector_id=r.text("ConnectorID"),
            connector_type=enum_value(ConnectorType, "connector_type", code),
            power_kw=r.number("Power"),
            national_standard=enum_value(NationalStandard, "national_standard", standard),
            voltage_upper_v=r.opt_integer("VoltageUpperLimits"),
            voltage_lower_v=r.opt_integer("VoltageLowerLimits"),
            current_a=r.opt_integer("Current"),
            name=r.opt_text("ConnectorName") or "",
            park_no=r.opt_text("ParkNo") or "",
        )


def station_info_to_wire(tree: StationTree) -> WireDict:
    """The standard StationInfo of a station tree, coordinates converted to GCJ-02 with 6 decimals."""
    s = tree.station
    lng, lat = _gcj(s.location)
    wire: WireDict = {"StationID": s.station_id, "OperatorID": s.operator_id}
    if s.equipment_owner_id is not None:
        wire["EquipmentOwnerID"] = s.equipment_owner_id
    wire |= {
        "StationName": s.name,
        "CountryCode": s.country_code,
        "AreaCode": s.area_code,
        "Address": s.address,
        "StationTel": s.station_tel,
        "ServiceTel": s.service_tel,
        "StationType": int(s.station_type),
        "StationStatus": int(s.status),
        "ParkNums": s.park_nums,
        "StationLng": lng,
        "StationLat": lat,
        "SiteGuide": s.site_guide,
        "Construction": int(s.construction),
        "BusineHours": s.business_hours,
        "ElectricityFee": s.electricity_fee,
        "ServiceFee": s.service_fee,
        "ParkFee": s.park_fee,
        "Payment": ",".join(_PAYMENT_WIRE[p] for p in sorted(s.payment)),
        "SupportOrder": int(s.support_order),
        "Remark": s.remark,
    }
    if s.town_code is not None:  # Zhejiang extension; other partners ignore unknown fields
        wire["AreaCodeCountryside"] = s.town_code.ljust(12, "0")
    wire["EquipmentInfos"] = [_equipment_to_wire(e) for e in tree.equipment]
    return wire


_PAYMENT_WIRE: Mapping[Payment, str] = {v: k for k, v in _PAYMENT_WORDS.items()}


def _equipment_to_wire(tree: EquipmentTree) -> WireDict:
    e = tree.equipment
    wire: WireDict = {"EquipmentID": e.equipment_id}
    if e.manufacturer_id is not None:
        wire["ManufacturerID"] = e.manufacturer_id
    wire |= {"ManufacturerName": e.manufacturer_name, "EquipmentModel": e.model}
    if e.production_date is not None:
        wire["ProductionDate"] = e.production_date.isoformat()
    wire["EquipmentType"] = int(e.equipment_type)
    if e.location is not None:
        wire["EquipmentLng"], wire["EquipmentLat"] = _gcj(e.location)
    wire |= {"Power": float(e.power_kw), "EquipmentName": e.name}
    wire["ConnectorInfos"] = [_connector_to_wire(c) for c in tree.connectors]
    return wire


def _connector_to_wire(c: Connector) -> WireDict:
    wire: WireDict = {"ConnectorID": c.connector_id, "ConnectorName": c.name, "ConnectorType": int(c.connector_type)}
    for name, value in (
        ("VoltageUpperLimits", c.voltage_upper_v),
        ("VoltageLowerLimits", c.voltage_lower_v),
        ("Current", c.current_a),
    ):
        if value is not None:
            wire[name] = value
    wire |= {"Power": _num(c.power_kw, 1), "ParkNo": c.park_no, "NationalStandard": int(c.national_standard)}
    return wire


def _gcj(point: GeoPoint) -> tuple[float, float]:
    lng, lat = wgs84_to_gcj02(point.lng, point.lat)
    return round(lng, 6), round(lat, 6)


# --- connector status ---------------------------------------------------------------------------


def connector_status(
    obj: Mapping[str, Any], *, interface: str = "ConnectorStatusInfo"
) -> Translated[ConnectorStatusMsg]:
    """A ConnectorStatusInfo (or the notification_stationStatus payload that wraps one)."""
    standard = _standard_connector_status(obj)
    if standard is not None:
        return Translated(standard, ())
    findings = Findings(interface)
    r = _unwrap(obj, "ConnectorStatusInfo", findings)
    connector_id = r.text("ConnectorID")
    pattern("connector_id", connector_id, CONNECTOR_ID, "1–30 位字母数字", "1-30 letters or digits")
    status = enum_value(TcecConnectorStatus, "status", r.integer("Status"))
    status_time = r.opt_moment("StatusTime") or r.opt_moment("UpdateTime")
    msg = ConnectorStatusMsg(
        connector_id=connector_id,
        status=status,
        state=from_tcec(status),
        status_time=status_time,
        park_status=_code_in("park_status", r.opt_integer("ParkStatus"), _PARK_STATUS),
        lock_status=_code_in("lock_status", r.opt_integer("LockStatus"), _LOCK_STATUS),
    )
    return findings.wrap(msg)


_STANDARD_STATUS_KEYS = frozenset({"ConnectorID", "Status", "ParkStatus", "LockStatus"})


def _standard_connector_status(obj: Mapping[str, Any]) -> ConnectorStatusMsg | None:
    """The reading of a ConnectorStatusInfo (wrapped or not) in exactly the standard form (the standard keys,
    each of its JSON type), or None for anything else, which the tolerant reader then takes. Nearly every
    status report is standard, and this is the hub's most frequent message: half the cost of reading it
    was the tolerant lookup, which has nothing to find here. Same checks, same order."""
    inner = obj.get("ConnectorStatusInfo", obj) if type(obj) is dict else None
    if type(inner) is not dict or not inner.keys() <= _STANDARD_STATUS_KEYS:
        return None
    connector_id, status = inner.get("ConnectorID"), inner.get("Status")
    park, lock = inner.get("ParkStatus"), inner.get("LockStatus")
    if type(connector_id) is not str or type(status) is not int:
        return None
    if (park is not None and type(park) is not int) or (lock is not None and type(lock) is not int):
        return None
    pattern("connector_id", connector_id, CONNECTOR_ID, "1–30 位字母数字", "1-30 letters or digits")
    code = enum_value(TcecConnectorStatus, "status", status)
    return ConnectorStatusMsg(
        connector_id=connector_id,
        status=code,
        state=from_tcec(code),
        park_status=_code_in("park_status", park, _PARK_STATUS),
        lock_status=_code_in("lock_status", lock, _LOCK_STATUS),
    )


def connector_status_to_wire(
    connector_id: str,
    status: TcecConnectorStatus | ConnectorState,
    *,
    park_status: int | None = None,
    lock_status: int | None = None,
) -> WireDict:
    """A standard ConnectorStatusInfo; a domain state is emitted as its T/CEC code."""
    code = to_tcec(status) if isinstance(status, ConnectorState) else status
    wire: WireDict = {"ConnectorID": connector_id, "Status": int(code)}
    if park_status is not None:
        wire["ParkStatus"] = park_status
    if lock_status is not None:
        wire["LockStatus"] = lock_status
    return wire


# --- charging sessions --------------------------------------------------------------------------


def charge_status(
    obj: Mapping[str, Any], operator_id: str, *, interface: str = "notification_equip_charge_status"
) -> Translated[ChargeStatusMsg]:
    """notification_equip_charge_status (§10.6); EndTime is the sample's time."""
    findings = Findings(interface)
    r = Reader(obj, findings)
    _own_operator(r, operator_id, required=False)
    with _named(r, _SAMPLE_WIRE):
        seq = r.text("StartChargeSeq")
        pattern("start_charge_seq", seq, START_CHARGE_SEQ, "OperatorID(9)+唯一编号", "OperatorID+id")
        connector_id = r.text("ConnectorID")
        pattern("connector_id", connector_id, CONNECTOR_ID, "1–30 位字母数字", "1-30 letters or digits")
        sample = ChargeStatusSample(
            operator_id=operator_id,
            start_charge_seq=seq,
            connector_id=connector_id,
            sampled_at=r.moment("EndTime"),
            seq_stat=enum_value(ChargeSeqStat, "seq_stat", r.integer("StartChargeSeqStat")),
            energy_kwh=r.number("TotalPower"),
            current_a=r.opt_number("CurrentA"),
            voltage_v=r.opt_number("VoltageA"),
            soc_pct=r.opt_number("Soc"),
            total_money=_money("total_money", r.opt_decimal("TotalMoney")),
        )
        msg = ChargeStatusMsg(
            sample=sample,
            connector_status=enum_value(TcecConnectorStatus, "connector_status", r.integer("ConnectorStatus")),
            start=r.opt_moment("StartTime"),
            elec_money=_money("elec_money", r.opt_decimal("ElecMoney", "ElectMoney")),
            service_money=_money("service_money", r.opt_decimal("SeviceMoney", "ServiceMoney")),
            sum_period=_sum_period(r),
            details=_details(r),
        )
    return findings.wrap(msg)


def charge_order(
    obj: Mapping[str, Any], operator_id: str, *, interface: str = "notification_charge_order_info"
) -> Translated[ChargeOrder]:
    """ChargeOrderInfo (§10.7) incl. ChargeDetails, and Zhejiang's SupChargeOrderInfo spellings."""
    findings = Findings(interface)
    r = _unwrap(obj, "ChargeOrderInfo", findings)
    _own_operator(r, operator_id, required=False)
    with _named(r, _ORDER_WIRE):
        stop_code = r.opt_integer("StopReason")
        if stop_code is None:
            r.note("StopReason", "absent", {"StopReason": None})
            stop_code = 0
        connector_id = r.text("ConnectorID")
        pattern("connector_id", connector_id, CONNECTOR_ID, "1–30 位字母数字", "1-30 letters or digits")
        _sum_period(r)  # read for its spelling and type; the domain counts the details instead
        order = ChargeOrder(
            operator_id=operator_id,
            start_charge_seq=r.text("StartChargeSeq", "OrderNo"),
            connector_id=connector_id,
            start=r.moment("StartTime"),
            end=r.moment("EndTime"),
            energy_kwh=r.number("TotalPower", "TotalElect"),
            elec_money=r.decimal("TotalElecMoney"),
            service_money=r.decimal("TotalSeviceMoney", "TotalServiceMoney"),
            total_money=r.decimal("TotalMoney"),
            stop_reason_code=stop_code,
            details=_details(r),
        )
    return findings.wrap(order)


def _sum_period(r: Reader) -> int | None:
    period = r.opt_integer("SumPeriod", "SubPeriod")
    if period is not None and not 0 <= period <= 32:
        raise DomainValidationError("sum_period", period, "0–32")
    return period


def _details(r: Reader) -> tuple[ChargeDetail, ...]:
    details: list[ChargeDetail] = []
    for dr in r.objects("ChargeDetails"):
        with _named(dr, _DETAIL_WIRE):
            detail = ChargeDetail(
                start=dr.moment("DetailStartTime"),
                end=dr.moment("DetailEndTime"),
                elec_price=dr.decimal("ElecPrice", money=False),
                service_price=dr.decimal("SevicePrice", "ServicePrice", money=False),
                energy_kwh=dr.number("DetailPower"),
                elec_money=dr.decimal("DetailElecMoney"),
                service_money=dr.decimal("DetailSeviceMoney", "DetailServiceMoney"),
            )
            if detail.end < detail.start:
                raise DomainValidationError(
                    "details.end", detail.end.isoformat(), f"≥ start {detail.start.isoformat()}"
                )
            non_negative("details.energy_kwh", detail.energy_kwh, "kWh", 5000)
            for name in ("elec_price", "service_price", "elec_money", "service_money"):
                _money(f"details.{name}", getattr(detail, name))
        details.append(detail)
    return tuple(details)


def charge_order_to_wire(order: ChargeOrder) -> WireDict:
    """The standard ChargeOrderInfo: money as numbers with 2 decimals, prices with 4, ``Sevice`` spellings."""
    return {
        "StartChargeSeq": order.start_charge_seq,
        "ConnectorID": order.connector_id,
        "StartTime": format_datetime(order.start),
        "EndTime": format_datetime(order.end),
        "TotalPower": _num(order.energy_kwh, 2),
        "TotalElecMoney": _num(order.elec_money, 2),
        "TotalSeviceMoney": _num(order.service_money, 2),
        "TotalMoney": _num(order.total_money, 2),
        "StopReason": order.stop_reason_code,
        "SumPeriod": len(order.details),
        "ChargeDetails": [
            {
                "DetailStartTime": format_datetime(d.start),
                "DetailEndTime": format_datetime(d.end),
                "ElecPrice": _num(d.elec_price, 4),
                "SevicePrice": _num(d.service_price, 4),
                "DetailPower": _num(d.energy_kwh, 2),
                "DetailElecMoney": _num(d.elec_money, 2),
                "DetailSeviceMoney": _num(d.service_money, 2),
            }
            for d in order.details
        ],
    }


# --- reconciliation -----------------------------------------------------------------------------


def check_orders(obj: Mapping[str, Any], *, interface: str = "check_charge_orders") -> Translated[CheckOrdersRequest]:
    """A check_charge_orders request (§10.8).

    Reconciliation goes by the listed orders. A header that disagrees with them (OrderCount, or the sums of
    TotalPower and TotalMoney beyond rounding each order to 0.01) is an inconsistent message from the
    operator's side: recorded as a finding (variant ``header≠orders``), not refused.
    """
    findings = Findings(interface)
    r = Reader(obj, findings)
    if not r.has("ChargeOrders"):
        raise r.error("ChargeOrders", "缺少必需字段", "required field is missing")
    orders: list[CheckedOrder] = []
    for ore in r.objects("ChargeOrders"):
        power = ore.number("TotalPower", "TotalElect")
        money = ore.decimal("TotalMoney")
        non_negative("orders.total_power_kwh", power, "kWh", 5000)  # ChargeOrder's bound
        _money("orders.total_money", money)
        orders.append(CheckedOrder(ore.text("StartChargeSeq", "OrderNo"), power, money))
    request = CheckOrdersRequest(
        check_order_seq=r.text("CheckOrderSeq"),
        start=r.moment("StartTime"),
        end=r.moment("EndTime"),
        order_count=r.integer("OrderCount"),
        total_power=r.number("TotalOrderPower"),
        total_money=r.decimal("TotalOrderMoney"),
        orders=tuple(orders),
    )
    if request.end < request.start:
        raise DomainValidationError("end", request.end.isoformat(), f"≥ start {request.start.isoformat()}")
    non_negative("order_count", request.order_count, "笔")
    non_negative("total_power", request.total_power, "kWh")
    _money("total_money", request.total_money)
    _check_header(request, findings)
    return findings.wrap(request)


def _check_header(request: CheckOrdersRequest, findings: Findings) -> None:
    n, mismatch = len(request.orders), "header≠orders"
    if request.order_count != n:
        findings.add("OrderCount", mismatch, {"OrderCount": request.order_count, "ChargeOrders": n})
    slack = 0.01 + 0.005 * n  # each order and the total rounded to 0.01 on the operator's side
    power = sum(o.total_power_kwh for o in request.orders)
    if abs(power - request.total_power) > slack:
        findings.add("TotalOrderPower", mismatch, {"TotalOrderPower": request.total_power, "sum": round(power, 3)})
    money = sum((o.total_money for o in request.orders), Decimal(0))
    if abs(money - request.total_money) > Decimal(str(slack)):
        findings.add("TotalOrderMoney", mismatch, {"TotalOrderMoney": str(request.total_money), "sum": str(money)})


def dispute_response(
    request: CheckOrdersRequest,
    disputes: Sequence[tuple[str, Decimal | float, Decimal | float, int]],
) -> WireDict:
    """The check_charge_orders response Data for ``disputes`` (seq, power kWh, money 元, DisputeReason).

    DisputeReason: 1 交易不存在, 2 金额错误, 3 电量错误, 4–99 自定义. No disputes gives zero totals.
    """
    lines: list[WireDict] = []
    total_power = Decimal(0)
    total_money = Decimal(0)
    for seq, power, money, reason in disputes:
        if isinstance(reason, bool) or not isinstance(reason, int) or not 1 <= reason <= 99:
            raise ValueError(f"DisputeReason must be 1..99, got {reason!r}")
        power_d, money_d = _decimal(power), _decimal(money)
        total_power += power_d
        total_money += money_d
        lines.append(
            {
                "StartChargeSeq": seq,
                "TotalPower": _num(power_d, 2),
                "TotalMoney": _num(money_d, 2),
                "DisputeReason": reason,
            }
        )
    return {
        "CheckOrderSeq": request.check_order_seq,
        "StartTime": format_datetime(request.start),
        "EndTime": format_datetime(request.end),
        "TotalDisputeOrder": len(lines),
        "TotalDisputePower": _num(total_power, 2),
        "TotalDisputeMoney": _num(total_money, 2),
        "DisputeOrders": lines,
    }


# --- alarms, events, realtime power -------------------------------------------------------------


def alarms(obj: Mapping[str, Any], operator_id: str, *, interface: str = "AlarmInfo") -> Translated[list[Alarm]]:
    """Shenzhen ``AlarmInfos[]`` (or one ``AlarmInfo``). A recovery (AlarmStatus 0) gives an alarm whose
    ``cleared_at`` is the AlarmTime; the hub closes the matching open alarm with it.
    """
    findings = Findings(interface)
    result: list[Alarm] = []
    for r in _items(obj, "AlarmInfos", "AlarmInfo", findings):
        _own_operator(r, operator_id, required=False)
        with _named(r, _ALARM_WIRE):
            status = _code_in("alarm_status", r.integer("AlarmStatus"), _ALARM_STATUS)
            at = r.moment("AlarmTime")
            result.append(
                Alarm(
                    operator_id=operator_id,
                    station_id=r.text("StationID"),
                    alarm_type=enum_value(AlarmType, "alarm_type", r.integer("AlarmType")),
                    level=enum_value(AlarmLevel, "level", r.integer("AlarmLevel")),
                    code=r.integer("AlarmCode"),
                    raised_at=at,
                    equipment_id=r.opt_text("EquipmentID") or None,
                    connector_id=r.opt_text("ConnectorID") or None,
                    cleared_at=at if status == 0 else None,
                    note=r.opt_text("NoteString") or "",
                )
            )
    return findings.wrap(result)


def events(obj: Mapping[str, Any], operator_id: str, *, interface: str = "EventInfo") -> Translated[list[Event]]:
    """Shenzhen ``EventInfos[]`` (or one ``EventInfo``); the time is EventTime or OccurTime."""
    findings = Findings(interface)
    result: list[Event] = []
    for r in _items(obj, "EventInfos", "EventInfo", findings):
        _own_operator(r, operator_id, required=False)
        with _named(r, _EVENT_WIRE):
            result.append(
                Event(
                    operator_id=operator_id,
                    station_id=r.text("StationID"),
                    event_type=enum_value(EventType, "event_type", r.integer("EventType")),
                    code=r.integer("EventCode"),
                    occurred_at=r.moment("EventTime", "OccurTime"),
                    equipment_id=r.opt_text("EquipmentID") or None,
                    note=r.opt_text("NoteString") or "",
                )
            )
    return findings.wrap(result)


def realtime_power(
    obj: Mapping[str, Any], operator_id: str, *, interface: str = "SupStationPowerInfo"
) -> Translated[list[PowerSample]]:
    """Zhejiang ``SupStationPowerInfos[]`` (§10.10), flattened: one sample per station, equipment and
    connector. A child without DataTime takes its parent's (recorded as ``absent``).
    """
    findings = Findings(interface)
    result: list[PowerSample] = []
    for sr in _items(obj, "SupStationPowerInfos", "SupStationPowerInfo", findings):
        _own_operator(sr, operator_id, required=False)
        station_id = sr.text("StationID")
        station_at = sr.moment("DataTime")
        result.append(PowerSample(station_id, None, None, station_at, sr.number("StationRealTimePower")))
        for er in sr.objects("EquipmentPowerInfos"):
            equipment_id = _child_id(er, "EquipmentID")
            equipment_at = _child_time(er, station_at)
            result.append(PowerSample(station_id, equipment_id, None, equipment_at, er.number("EquipRealTimePower")))
            for cr in er.objects("ConnectorPowerInfos"):
                result.append(
                    PowerSample(
                        station_id,
                        equipment_id,
                        _child_id(cr, "ConnectorID"),
                        _child_time(cr, equipment_at),
                        cr.number("ConnectorRealTimePower"),
                    )
                )
    return findings.wrap(result)


def _child_id(r: Reader, name: str) -> str:
    """A pile's or connector's ID in a power report. Empty, it would name no pile: stored, it would read as
    the level above (the sample identity treats a missing ID as ''), and be taken for that level's sample."""
    value = r.text(name)
    if not value:
        raise r.error(name, "不能为空", "must not be empty")
    return value


def _child_time(r: Reader, parent: datetime) -> datetime:
    at = r.opt_moment("DataTime")
    if at is None:
        r.note("DataTime", "absent", {"DataTime": None})
        return parent
    return at


# --- shared helpers -----------------------------------------------------------------------------


def _unwrap(obj: object, wrapper: str, findings: Findings) -> Reader:
    """A reader on ``obj[wrapper]`` when the payload wraps the object (``{"StationInfo": {...}}``), else on ``obj``."""
    outer = Reader(obj, findings)
    inner = outer.raw(wrapper)
    return Reader(inner, findings, f"{wrapper}.") if isinstance(inner, Mapping) else outer


def _items(obj: object, array: str, single: str, findings: Findings) -> Iterable[Reader]:
    """The objects of ``array``, or the one object under ``single`` or at the top level."""
    outer = Reader(obj, findings)
    if outer.has(array):
        return outer.objects(array)
    if outer.has(single):
        return [Reader(outer.raw(single), findings, f"{single}.", f"{array}.")]
    if outer.has("StationID"):
        return [outer]
    raise outer.error(array, "缺少必需字段", "required field is missing")


def _own_operator(r: Reader, operator_id: str, *, required: bool) -> None:
    sent = r.text("OperatorID", "operationID") if required else r.opt_text("OperatorID", "operationID")
    if sent is not None and sent != operator_id:
        raise r.error(
            "OperatorID",
            f"{sent} 与已认证的运营商 {operator_id} 不符：运营商只能上报自己的数据",
            f"{sent} differs from the authenticated operator {operator_id}: an operator may only write its own data",
        )


def _code_in(field: str, value: int | None, allowed: frozenset[int]) -> int | None:
    if value is not None and value not in allowed:
        codes = ", ".join(str(code) for code in sorted(allowed))
        raise DomainValidationError(field, value, f"代码 {codes}", f"codes {codes}")
    return value


def _flag(field: str, value: int) -> bool:
    if value not in (0, 1):
        raise DomainValidationError(field, value, "0 或 1", "0 or 1")
    return value == 1


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _money(field: str, value: Decimal | None) -> Decimal | None:
    if value is not None and value < 0:
        raise DomainValidationError(field, value, "≥ 0 的金额 [元]", "an amount >= 0 [CNY]")
    return value


def _decimal(value: Decimal | float | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _num(value: Decimal | float | int, places: int) -> float:
    """A JSON number rounded half-up to ``places`` decimals (through Decimal, so 2.675 → 2.68)."""
    with localcontext(prec=_EMIT_PRECISION):
        return float(_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


_EMIT_PRECISION = 400  # enough digits to quantize any finite float
