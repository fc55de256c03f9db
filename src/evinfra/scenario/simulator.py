"""Operator simulator: plays charging operators (CPOs) that push to the platform over real HTTP.

It is deliberately an independent client of the platform: it uses only the T/CEC codec (and its domain →
wire translation for scenario stations), the standard library, httpx and numpy, never the platform's ingest,
store or API code, so it tests the platform the way a real operator would. Everything is seeded: the same
seed gives the same stations and the same event sequence.

Command line (no ``evinfra`` CLI needed)::

    python -m evinfra.scenario.simulator --base-url http://127.0.0.1:8000/evcs/v1 \\
        --operators-file operators.json --speed 60 --duration 30
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import logging
import math
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import httpx
import numpy as np

from evinfra.protocols.tcec.crypto import KeySet, sign
from evinfra.protocols.tcec.envelope import (
    SHANGHAI,
    SeqCounter,
    load_payload,
    open_response,
    parse_response,
    seal_request,
)
from evinfra.protocols.tcec.ret import Ret, TcecError
from evinfra.protocols.tcec.translate import station_info_to_wire

if TYPE_CHECKING:
    from evinfra.scenario.behaviour import BehaviourModel
    from evinfra.scenario.network import ScenarioStation

__all__ = [
    "COUNTIES",
    "VARIANTS",
    "County",
    "OperatorClient",
    "PushError",
    "PushResult",
    "SimConnector",
    "SimEvent",
    "SimFailure",
    "SimOperator",
    "SimRecord",
    "Simulation",
    "alarm_payload",
    "charge_details",
    "check_orders_payload",
    "event_payload",
    "generate_stations",
    "load_operators_file",
    "main",
    "make_start_charge_seq",
    "order_payload",
    "status_payload",
]

logger = logging.getLogger(__name__)

# --- reference data -------------------------------------------------------------------------------


class County(NamedTuple):
    """A real Shanxi county unit (NBS 2023 code) and its seat in GCJ-02."""

    code: str
    name: str
    city: str
    lng: float
    lat: float


# Seats from the NBS 2023 division data shipped with evinfra (copied, not imported, to stay independent).
# 140202 (大同城区) and 140402 (长治城区) were abolished in 2018; their successors are 140213 and 140403.
COUNTIES: tuple[County, ...] = (
    County("140105", "小店区", "太原市", 112.565659, 37.736525),
    County("140106", "迎泽区", "太原市", 112.563400, 37.863451),
    County("140107", "杏花岭区", "太原市", 112.570604, 37.893955),
    County("140109", "万柏林区", "太原市", 112.515937, 37.859580),
    County("140110", "晋源区", "太原市", 112.477940, 37.715193),
    County("140121", "清徐县", "太原市", 112.358667, 37.607443),
    County("140213", "平城区", "大同市", 113.298026, 40.075666),
    County("140302", "城区", "阳泉市", 113.600669, 37.847436),
    County("140403", "潞州区", "长治市", 113.123088, 36.203530),
    County("140502", "城区", "晋城市", 112.853555, 35.501571),
)

_PLACES = ("万达广场", "高铁站", "体育中心", "科技园", "市民中心", "汽车站", "人民公园", "大学城", "商务区", "物流园")
_ROADS = ("长风街", "并州路", "学府街", "迎泽大街", "南内环街", "新建路", "府西街", "龙城大街", "太榆路", "建设路")
_CONSTRUCTION = (1, 2, 3, 4, 5, 6, 9, 10)
_STATIONS_EPOCH = datetime(2025, 1, 1, tzinfo=SHANGHAI)  # generated stations were last updated after this

VARIANTS: frozenset[str] = frozenset(
    {
        "lower_sig",  # lower-case hex Sig (omind)
        "epoch_ms_timestamp",  # TimeStamp as 13-digit epoch milliseconds (a Go client)
        "int_seq",  # Seq as a JSON integer, signed as str(int)
        "service_money",  # ServiceMoney/TotalServiceMoney/ServicePrice/DetailServiceMoney spellings
        "station_status_alias",  # notification_station_status instead of notification_stationStatus
    }
)
_SERVICE_SPELLING = {
    "SeviceMoney": "ServiceMoney",
    "TotalSeviceMoney": "TotalServiceMoney",
    "SevicePrice": "ServicePrice",
    "DetailSeviceMoney": "DetailServiceMoney",
}
_OPERATOR_ID_RE = re.compile(r"[0-9A-Z]{9}")

# Time-of-use electricity prices (元/kWh) by local hour range; one flat service price.
_TOU: tuple[tuple[int, int, Decimal], ...] = (
    (0, 8, Decimal("0.3500")),
    (8, 10, Decimal("0.6500")),
    (10, 12, Decimal("1.0500")),
    (12, 17, Decimal("0.6500")),
    (17, 21, Decimal("1.0500")),
    (21, 24, Decimal("0.6500")),
)
_SERVICE_PRICE = Decimal("0.8000")
_CENT = Decimal("0.01")


def _fmt(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


# --- stations and operators -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimConnector:
    """A connector as the simulation sees it (flattened from StationInfo)."""

    station_id: str
    equipment_id: str
    connector_id: str
    power_kw: float
    dc: bool


def generate_stations(operator_id: str, seed: int, count: int) -> tuple[list[dict[str, Any]], dict[str, datetime]]:
    """``count`` StationInfo dicts in T/CEC wire spelling and each station's last-update time.

    Deterministic in (operator_id, seed, count); IDs nest (station ⊂ equipment ⊂ connector) so they are
    unique per operator and, with the OperatorID prefix, across operators.
    """
    if not 1 <= count <= 9999:
        raise ValueError(f"station count must be 1..9999, got {count}")
    rng = random.Random(f"evinfra-sim:{seed}:{operator_id}")
    stations: list[dict[str, Any]] = []
    updated: dict[str, datetime] = {}
    for index in range(1, count + 1):
        county = rng.choice(COUNTIES)
        station_id = f"{operator_id}{index:04d}"
        lng = round(county.lng + rng.uniform(-0.03, 0.03), 6)
        lat = round(county.lat + rng.uniform(-0.03, 0.03), 6)
        equipments = [
            _equipment(rng, f"{station_id}{number:02d}", number, lng, lat) for number in range(1, rng.randint(1, 4) + 1)
        ]
        parks = sum(len(equipment["ConnectorInfos"]) for equipment in equipments)
        stations.append(
            {
                "StationID": station_id,
                "OperatorID": operator_id,
                "EquipmentOwnerID": operator_id,
                "StationName": f"{county.city}{county.name}{rng.choice(_PLACES)}充电站{index}",
                "CountryCode": "CN",
                "AreaCode": county.code,
                "Address": f"山西省{county.city}{county.name}{rng.choice(_ROADS)}{rng.randint(1, 399)}号",
                "StationTel": f"0351-{rng.randint(2_000_000, 8_999_999)}",
                "ServiceTel": "400-000-0000",
                "StationType": 1,
                "StationStatus": 50,
                "ParkNums": parks,
                "StationLng": lng,
                "StationLat": lat,
                "SiteGuide": "地面停车场入口右转",
                "Construction": rng.choice(_CONSTRUCTION),
                "Pictures": [],
                "MatchCars": "小型乘用车",
                "ParkInfo": "充电期间免费停车2小时",
                "BusineHours": rng.choice(("00:00-24:00", "07:00-23:00")),
                "ElectricityFee": "谷0.35/平0.65/峰1.05元/度",
                "ServiceFee": f"{_SERVICE_PRICE}元/度",
                "ParkFee": "充电免费2小时",
                "Payment": "线上",
                "SupportOrder": 0,
                "Remark": "",
                "EquipmentInfos": equipments,
            }
        )
        updated[station_id] = _STATIONS_EPOCH + timedelta(minutes=rng.randint(0, 180 * 24 * 60))
    return stations, updated


def _equipment(rng: random.Random, equipment_id: str, number: int, lng: float, lat: float) -> dict[str, Any]:
    dc = rng.random() < 0.6
    connectors = rng.randint(1, 2)
    power = rng.choice((60.0, 120.0, 160.0)) if dc else 7.0 * connectors
    return {
        "EquipmentID": equipment_id,
        "ManufacturerID": "MA0SIM001",
        "ManufacturerName": "模拟充电设备有限公司",
        "EquipmentModel": f"SIM-{'DC' if dc else 'AC'}{int(power)}",
        "ProductionDate": f"{rng.randint(2019, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "EquipmentType": 1 if dc else 2,
        "EquipmentLng": lng,
        "EquipmentLat": lat,
        "Power": power,
        "EquipmentName": f"{number}号{'直流' if dc else '交流'}桩",
        "ConnectorInfos": [
            {
                "ConnectorID": f"{equipment_id}{gun:02d}",
                "ConnectorName": f"{number}号桩{gun}号枪",
                "ConnectorType": 4 if dc else 3,
                "VoltageUpperLimits": 750 if dc else 220,
                "VoltageLowerLimits": 200 if dc else 220,
                "Current": 250 if dc else 32,
                "Power": round(power / connectors, 1),
                "ParkNo": f"{number:02d}{gun}",
                "NationalStandard": 2,
            }
            for gun in range(1, connectors + 1)
        ],
    }


@dataclass(eq=False)
class SimOperator:
    """One simulated operator: its O→H keys, its stations and the live connector status it would report.

    ``station_updated_at`` drives LastQueryTime filtering on the CPO side; ``connector_status`` is what
    ``query_station_status`` answers and what the simulation last pushed.
    """

    operator_id: str
    keys: KeySet
    stations: list[dict[str, Any]] = field(default_factory=list)
    station_updated_at: dict[str, datetime] = field(default_factory=dict)
    connector_status: dict[str, int] = field(default_factory=dict)
    variants: frozenset[str] = frozenset()
    initial_status: dict[str, int] = field(default_factory=dict)  # Status pushed first (default 1 = free)
    connector_sites: dict[str, str] = field(default_factory=dict)  # SiteCategory value, for a behaviour model
    frozen: frozenset[str] = frozenset()  # connectors whose status never changes (zombie piles, F-1)
    # One Seq counter for the operator's link, shared by all its clients: two clients of one operator counting
    # from 1 in the same second would seal byte-identical query_token envelopes, which the hub refuses as replays.
    seq: SeqCounter = field(default_factory=SeqCounter, repr=False)

    def __post_init__(self) -> None:
        if not _OPERATOR_ID_RE.fullmatch(self.operator_id):
            raise ValueError(f"OperatorID must be 9 characters 0-9/A-Z, got {self.operator_id!r}")
        unknown = self.variants - VARIANTS
        if unknown:
            raise ValueError(f"unknown wire variants {sorted(unknown)}; known: {sorted(VARIANTS)}")
        for connector in self.connectors():
            self.connector_status.setdefault(connector.connector_id, 1)
        for station in self.stations:
            self.station_updated_at.setdefault(station["StationID"], _STATIONS_EPOCH)

    @classmethod
    def generate(
        cls, operator_id: str, keys: KeySet, *, seed: int = 0, stations: int = 3, variants: frozenset[str] = frozenset()
    ) -> SimOperator:
        """An operator with ``stations`` deterministic stations (see :func:`generate_stations`)."""
        infos, updated = generate_stations(operator_id, seed, stations)
        return cls(operator_id, keys, infos, updated, variants=variants)

    @classmethod
    def from_scenario(
        cls,
        operator_id: str,
        keys: KeySet,
        stations: Sequence[ScenarioStation],
        *,
        variants: frozenset[str] = frozenset(),
    ) -> SimOperator:
        """An operator playing its stations of a scenario snapshot (:meth:`ScenarioNetwork.snapshot`).

        StationInfo comes from :func:`~evinfra.protocols.tcec.translate.station_info_to_wire`; each connector
        starts in its snapshot status, keeps its site category for a behaviour model, and the connectors of
        zombie stations never change status.
        """
        own = [s for s in stations if s.tree.station.operator_id == operator_id]
        if len(own) != len(stations):
            others = sorted({s.tree.station.operator_id for s in stations} - {operator_id})
            raise ValueError(f"stations of other operators given to {operator_id}: {others[:5]}")
        infos = [station_info_to_wire(s.tree) for s in own]
        updated = {s.tree.station.station_id: max((s.commissioned_at, *s.equipment_commissioned_at)) for s in own}
        status: dict[str, int] = {}
        sites: dict[str, str] = {}
        frozen: set[str] = set()
        for s in own:
            connectors = s.tree.connectors
            if len(connectors) != len(s.initial_status):
                raise ValueError(f"{s.tree.station.station_id}: {len(s.initial_status)} statuses for {len(connectors)}")
            for connector, code in zip(connectors, s.initial_status, strict=True):
                status[connector.connector_id] = int(code)
                sites[connector.connector_id] = s.tree.station.site_category.value
                if s.zombie:
                    frozen.add(connector.connector_id)
        return cls(
            operator_id,
            keys,
            infos,
            updated,
            dict(status),
            variants=variants,
            initial_status=status,
            connector_sites=sites,
            frozen=frozenset(frozen),
        )

    def station(self, station_id: str) -> dict[str, Any] | None:
        return next((s for s in self.stations if s["StationID"] == station_id), None)

    def connectors(self) -> list[SimConnector]:
        return [
            SimConnector(
                station["StationID"],
                equipment["EquipmentID"],
                connector["ConnectorID"],
                float(connector["Power"]),
                equipment["EquipmentType"] == 1,
            )
            for station in self.stations
            for equipment in station["EquipmentInfos"]
            for connector in equipment["ConnectorInfos"]
        ]

    def touch_station(self, station_id: str, when: datetime) -> None:
        """Mark a station as changed at ``when`` so incremental queries return it."""
        if self.station(station_id) is None:
            raise KeyError(station_id)
        self.station_updated_at[station_id] = when


def load_operators_file(path: Path, *, seed: int = 0, stations: int = 3) -> list[SimOperator]:
    """Operators from JSON as printed by ``evinfra operator add --json``: one object or a list of objects
    with OperatorID, OperatorSecret, DataSecret, DataSecretIV, SigSecret (optional ``Variants``)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    entries = raw if isinstance(raw, list) else [raw]
    operators = []
    for number, entry in enumerate(entries):
        keys = KeySet(entry["OperatorSecret"], entry["DataSecret"], entry["DataSecretIV"], entry["SigSecret"])
        variants = frozenset(entry.get("Variants", ()))
        operators.append(
            SimOperator.generate(entry["OperatorID"], keys, seed=seed + number, stations=stations, variants=variants)
        )
    return operators


# --- payload builders (T/CEC wire spelling) -------------------------------------------------------


def make_start_charge_seq(operator_id: str, start: datetime, serial: int) -> str:
    """OperatorID (9) + yyyyMMddHHmmss (14) + 4-digit serial = 27 characters (reference §10.7)."""
    return f"{operator_id}{start.astimezone(SHANGHAI).strftime('%Y%m%d%H%M%S')}{serial % 10_000:04d}"


def _tou_price(moment: datetime) -> tuple[Decimal, datetime]:
    """The electricity price at ``moment`` (Shanghai) and when that price period ends."""
    local = moment.astimezone(SHANGHAI)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for start_hour, end_hour, price in _TOU:
        if start_hour <= local.hour < end_hour:
            return price, midnight + timedelta(hours=end_hour)
    raise AssertionError("unreachable")  # pragma: no cover


def charge_details(start: datetime, end: datetime, load_kw: float) -> list[dict[str, Any]]:
    """ChargeDetails split at tariff boundaries (at most 32), energy at a constant ``load_kw``."""
    details: list[dict[str, Any]] = []
    cursor = start
    while cursor < end and len(details) < 32:
        price, period_end = _tou_price(cursor)
        piece_end = min(end, period_end) if len(details) < 31 else end
        hours = Decimal(str((piece_end - cursor).total_seconds() / 3600))
        power = _money(Decimal(str(load_kw)) * hours)
        details.append(
            {
                "DetailStartTime": _fmt(cursor),
                "DetailEndTime": _fmt(piece_end),
                "ElecPrice": float(price),
                "SevicePrice": float(_SERVICE_PRICE),
                "DetailPower": float(power),
                "DetailElecMoney": float(_money(power * price)),
                "DetailSeviceMoney": float(_money(power * _SERVICE_PRICE)),
            }
        )
        cursor = piece_end
    return details


def _totals(details: Sequence[Mapping[str, Any]]) -> tuple[float, float, float, float]:
    power = sum((Decimal(str(d["DetailPower"])) for d in details), Decimal(0))
    elec = sum((Decimal(str(d["DetailElecMoney"])) for d in details), Decimal(0))
    service = sum((Decimal(str(d["DetailSeviceMoney"])) for d in details), Decimal(0))
    return float(_money(power)), float(_money(elec)), float(_money(service)), float(_money(elec + service))


def status_payload(connector_id: str, status: int, *, park_status: int = 0, lock_status: int = 0) -> dict[str, Any]:
    """notification_stationStatus Data (reference §10.4)."""
    return {
        "ConnectorStatusInfo": {
            "ConnectorID": connector_id,
            "Status": status,
            "ParkStatus": park_status,
            "LockStatus": lock_status,
        }
    }


def charge_status_payload(
    start_charge_seq: str,
    connector_id: str,
    *,
    start_time: datetime,
    end_time: datetime,
    load_kw: float,
    dc: bool,
    soc: int,
    connector_status: int = 3,
    seq_stat: int = 2,
) -> dict[str, Any]:
    """notification_equip_charge_status Data (reference §10.6); EndTime is this sample's time."""
    details = charge_details(start_time, end_time, load_kw)
    power, elec, service, total = _totals(details)
    voltage = 450.0 if dc else 220.0
    current = round(load_kw * 1000 / voltage, 1)
    return {
        "StartChargeSeq": start_charge_seq,
        "StartChargeSeqStat": seq_stat,
        "ConnectorID": connector_id,
        "ConnectorStatus": connector_status,
        "CurrentA": current,
        "CurrentB": 0.0,
        "CurrentC": 0.0,
        "VoltageA": voltage,
        "VoltageB": 0.0,
        "VoltageC": 0.0,
        "Soc": soc,
        "StartTime": _fmt(start_time),
        "EndTime": _fmt(end_time),
        "TotalPower": power,
        "ElecMoney": elec,
        "SeviceMoney": service,
        "TotalMoney": total,
        "SumPeriod": len(details),
        "ChargeDetails": details,
    }


def order_payload(
    start_charge_seq: str,
    connector_id: str,
    *,
    start_time: datetime,
    end_time: datetime,
    load_kw: float,
    stop_reason: int = 0,
) -> dict[str, Any]:
    """notification_charge_order_info Data (reference §10.7): totals are the sums of ChargeDetails."""
    details = charge_details(start_time, end_time, load_kw)
    power, elec, service, total = _totals(details)
    return {
        "StartChargeSeq": start_charge_seq,
        "ConnectorID": connector_id,
        "StartTime": _fmt(start_time),
        "EndTime": _fmt(end_time),
        "TotalPower": power,
        "TotalElecMoney": elec,
        "TotalSeviceMoney": service,
        "TotalMoney": total,
        "StopReason": stop_reason,
        "SumPeriod": len(details),
        "ChargeDetails": details,
    }


def check_orders_payload(
    check_order_seq: str, start: datetime, end: datetime, orders: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """check_charge_orders Data (reference §10.8) for the orders (StartChargeSeq, TotalPower, TotalMoney)."""
    power = sum((Decimal(str(o["TotalPower"])) for o in orders), Decimal(0))
    money = sum((Decimal(str(o["TotalMoney"])) for o in orders), Decimal(0))
    return {
        "CheckOrderSeq": check_order_seq,
        "StartTime": _fmt(start),
        "EndTime": _fmt(end),
        "OrderCount": len(orders),
        "TotalOrderPower": float(_money(power)),
        "TotalOrderMoney": float(_money(money)),
        "ChargeOrders": [
            {"StartChargeSeq": o["StartChargeSeq"], "TotalPower": o["TotalPower"], "TotalMoney": o["TotalMoney"]}
            for o in orders
        ],
    }


def alarm_payload(
    operator_id: str,
    station: Mapping[str, Any],
    equipment_id: str,
    connector_id: str,
    *,
    at: datetime,
    alarm_code: int,
    alarm_status: int = 1,
    alarm_type: int = 1,
    alarm_level: int = 2,
    note: str = "",
) -> dict[str, Any]:
    """notification_alarmInfo Data, Shenzhen shape (reference §10.9)."""
    return {
        "AlarmInfos": [
            {
                "StationID": station["StationID"],
                "OperatorID": operator_id,
                "EquipmentOwnerID": station.get("EquipmentOwnerID", operator_id),
                "StationName": station.get("StationName", ""),
                "EquipmentID": equipment_id,
                "ConnectorID": connector_id,
                "AlarmStatus": alarm_status,
                "AlarmTime": _fmt(at),
                "AlarmType": alarm_type,
                "AlarmLevel": alarm_level,
                "AlarmCode": alarm_code,
                "NoteString": note,
            }
        ]
    }


def event_payload(
    operator_id: str,
    station: Mapping[str, Any],
    *,
    at: datetime,
    event_type: int,
    event_code: int,
    equipment_id: str = "",
    connector_id: str = "",
    note: str = "",
) -> dict[str, Any]:
    """notification_eventInfo Data, Shenzhen shape (reference §10.9)."""
    return {
        "EventInfos": [
            {
                "StationID": station["StationID"],
                "OperatorID": operator_id,
                "EquipmentOwnerID": station.get("EquipmentOwnerID", operator_id),
                "EquipmentID": equipment_id,
                "ConnectorID": connector_id,
                "EventType": event_type,
                "EventCode": event_code,
                "EventTime": _fmt(at),
                "NoteString": note,
            }
        ]
    }


def _respell(value: Any) -> Any:
    if isinstance(value, dict):
        return {_SERVICE_SPELLING.get(k, k): _respell(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_respell(v) for v in value]
    return value


# --- push client ----------------------------------------------------------------------------------


class PushResult(NamedTuple):
    """The platform's answer: Ret, Msg and the decrypted business Data (``{}`` when there is none)."""

    ret: int
    msg: str
    data: dict[str, Any]


class PushError(Exception):
    """A push that got no authenticated answer (HTTP error, timeout, bad envelope or Sig, token refused)."""

    def __init__(self, msg: str, *, kind: str, interface: str, ret: int | None = None) -> None:
        super().__init__(f"{interface}: {msg}")
        self.msg = msg
        self.kind = kind
        self.interface = interface
        self.ret = ret


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OperatorClient:
    """An operator calling the platform (direction O→H): token, then signed and encrypted pushes.

    Applies the operator's wire ``variants`` so the platform's tolerant parsing can be exercised.
    """

    def __init__(
        self,
        operator: SimOperator,
        base_url: str,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = _utc_now,
        timeout: float = 15.0,
    ) -> None:
        self.operator = operator
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._seq = operator.seq
        self._token: tuple[str, datetime] | None = None
        self._lock = threading.Lock()
        self._orders: list[dict[str, Any]] = []  # orders pushed, for check_orders(day)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> OperatorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query_token(self, *, force: bool = False) -> str:
        """The platform's AccessToken, cached until ~60 s before TokenAvailableTime runs out."""
        with self._lock:
            now = self._clock()
            if not force and self._token is not None and now < self._token[1]:
                return self._token[0]
            payload = {"OperatorID": self.operator.operator_id, "OperatorSecret": self.operator.keys.operator_secret}
            result = self._exchange("query_token", payload, token=None)
            data = result.data
            if result.ret != Ret.OK or data.get("SuccStat") != 0 or not isinstance(data.get("AccessToken"), str):
                raise PushError(
                    f"token refused: Ret={result.ret} Msg={result.msg!r} SuccStat={data.get('SuccStat')!r} "
                    f"FailReason={data.get('FailReason')!r}",
                    kind="token",
                    interface="query_token",
                    ret=result.ret,
                )
            ttl = data.get("TokenAvailableTime")
            seconds = ttl if isinstance(ttl, int) and not isinstance(ttl, bool) and 0 < ttl < 10**11 else 7200
            self._token = (data["AccessToken"], now + timedelta(seconds=seconds - min(60, seconds // 2)))
            return self._token[0]

    def push(self, interface: str, payload: Mapping[str, Any]) -> PushResult:
        """Seal, send with the bearer token, verify the response Sig, decrypt; Ret 4002 → new token, one retry."""
        wire_name = interface
        if interface == "notification_stationStatus" and "station_status_alias" in self.operator.variants:
            wire_name = "notification_station_status"
        body = _respell(dict(payload)) if "service_money" in self.operator.variants else dict(payload)
        for attempt in range(2):
            token = self.query_token()
            result = self._exchange(wire_name, body, token=token)
            if result.ret == Ret.BAD_TOKEN and attempt == 0:
                with self._lock:
                    self._token = None
                continue
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _exchange(self, interface: str, payload: dict[str, Any], *, token: str | None) -> PushResult:
        now = self._clock()
        keys = self.operator.keys
        envelope = seal_request(self.operator.operator_id, payload, keys, now, self._seq.next(now))
        wire: dict[str, Any] = envelope.to_wire()
        variants = self.operator.variants
        if variants & {"epoch_ms_timestamp", "int_seq"}:
            if "epoch_ms_timestamp" in variants:
                wire["TimeStamp"] = str(int(now.timestamp() * 1000))
            if "int_seq" in variants:
                wire["Seq"] = int(envelope.seq)
            parts = (wire["OperatorID"], wire["Data"], str(wire["TimeStamp"]), str(wire["Seq"]))
            wire["Sig"] = sign(parts, keys.sig_secret)
        if "lower_sig" in variants:
            wire["Sig"] = wire["Sig"].lower()
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self.base_url}/{interface}"
        try:
            response = self._http.post(url, content=json.dumps(wire, ensure_ascii=False).encode(), headers=headers)
        except httpx.HTTPError as exc:
            kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "transport"
            raise PushError(repr(exc), kind=kind, interface=interface) from exc
        if response.status_code != httpx.codes.OK:
            raise PushError(f"HTTP {response.status_code}", kind="http", interface=interface)
        try:
            reply = parse_response(response.content)
            plaintext = open_response(reply, keys)
            data = load_payload(plaintext) if plaintext is not None else {}
        except TcecError as exc:
            kind = "sig" if exc.ret == Ret.BAD_SIG else "envelope"
            raise PushError(exc.msg, kind=kind, interface=interface) from None
        return PushResult(reply.ret, reply.msg, data)

    # --- helpers, one per interface ---------------------------------------------------------------

    def register_stations(self) -> list[PushResult]:
        """notification_stationInfo, one StationInfo per call."""
        return [self.push("notification_stationInfo", {"StationInfo": s}) for s in self.operator.stations]

    def push_status(self, connector_id: str, status: int, *, park_status: int = 0, lock_status: int = 0) -> PushResult:
        result = self.push(
            "notification_stationStatus",
            status_payload(connector_id, status, park_status=park_status, lock_status=lock_status),
        )
        self.operator.connector_status[connector_id] = status
        return result

    def push_charge_status(
        self,
        start_charge_seq: str,
        connector_id: str,
        *,
        start_time: datetime,
        sample_time: datetime,
        load_kw: float,
        dc: bool = True,
        soc: int = 50,
    ) -> PushResult:
        """notification_equip_charge_status for a session at ``sample_time``."""
        payload = charge_status_payload(
            start_charge_seq, connector_id, start_time=start_time, end_time=sample_time, load_kw=load_kw, dc=dc, soc=soc
        )
        return self.push("notification_equip_charge_status", payload)

    def push_order(
        self,
        start_charge_seq: str,
        connector_id: str,
        *,
        start_time: datetime,
        end_time: datetime,
        load_kw: float,
        stop_reason: int = 0,
    ) -> PushResult:
        """notification_charge_order_info; the answer carries ConfirmResult. Remembered for check_orders."""
        payload = order_payload(
            start_charge_seq,
            connector_id,
            start_time=start_time,
            end_time=end_time,
            load_kw=load_kw,
            stop_reason=stop_reason,
        )
        self._orders.append(payload)
        return self.push("notification_charge_order_info", payload)

    def check_orders(self, day: date, orders: Sequence[Mapping[str, Any]] | None = None) -> PushResult:
        """check_charge_orders for ``day`` (orders whose EndTime falls on it; default: those pushed here)."""
        start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
        end = start + timedelta(days=1) - timedelta(seconds=1)
        if orders is None:
            orders = [o for o in self._orders if o["EndTime"].startswith(day.isoformat())]
        seq = make_start_charge_seq(self.operator.operator_id, self._clock(), len(self._orders))
        return self.push("check_charge_orders", check_orders_payload(seq, start, end, orders))

    def push_alarm(
        self, connector_id: str, *, alarm_code: int, at: datetime, alarm_status: int = 1, note: str = ""
    ) -> PushResult:
        """notification_alarmInfo for one connector (payload key ``AlarmInfos``)."""
        station, equipment_id = self._locate(connector_id)
        payload = alarm_payload(
            self.operator.operator_id,
            station,
            equipment_id,
            connector_id,
            at=at,
            alarm_code=alarm_code,
            alarm_status=alarm_status,
            note=note,
        )
        return self.push("notification_alarmInfo", payload)

    def push_event(
        self, station_id: str, *, event_type: int, event_code: int, at: datetime, note: str = ""
    ) -> PushResult:
        """notification_eventInfo for one station (payload key ``EventInfos``)."""
        station = self.operator.station(station_id)
        if station is None:
            raise KeyError(station_id)
        payload = event_payload(
            self.operator.operator_id, station, at=at, event_type=event_type, event_code=event_code, note=note
        )
        return self.push("notification_eventInfo", payload)

    def _locate(self, connector_id: str) -> tuple[dict[str, Any], str]:
        for connector in self.operator.connectors():
            if connector.connector_id == connector_id:
                station = self.operator.station(connector.station_id)
                assert station is not None
                return station, connector.equipment_id
        raise KeyError(connector_id)


# --- simulation -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One push the simulation wants to make, at simulated time ``at``."""

    at: datetime
    operator_id: str
    interface: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SimRecord:
    """An acknowledged push: what was sent (key fields) and what the platform answered."""

    at: datetime
    operator_id: str
    interface: str
    key: dict[str, Any]
    ret: int
    msg: str
    answer: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SimFailure:
    """A push that got no authenticated answer."""

    at: datetime
    operator_id: str
    interface: str
    key: dict[str, Any]
    error: str


_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "notification_stationInfo": ("StationID",),
    "notification_stationStatus": ("ConnectorID", "Status"),
    "notification_equip_charge_status": ("StartChargeSeq", "ConnectorID", "TotalPower", "EndTime"),
    "notification_charge_order_info": ("StartChargeSeq", "ConnectorID", "TotalPower", "TotalMoney", "EndTime"),
    "check_charge_orders": (
        "CheckOrderSeq",
        "StartTime",
        "EndTime",
        "OrderCount",
        "TotalOrderPower",
        "TotalOrderMoney",
    ),
    "notification_alarmInfo": ("ConnectorID", "AlarmCode", "AlarmStatus"),
    "notification_eventInfo": ("StationID", "EventType", "EventCode"),
}


def key_fields(interface: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that identify a push, for comparing the simulation's records with the platform's store."""
    body: Mapping[str, Any] = payload
    for wrapper in ("StationInfo", "ConnectorStatusInfo"):
        inner = payload.get(wrapper)
        if isinstance(inner, dict):
            body = inner
    for array in ("AlarmInfos", "EventInfos"):
        items = payload.get(array)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            body = items[0]
    return {name: body[name] for name in _KEY_FIELDS.get(interface, ()) if name in body}


@dataclass(slots=True)
class _Session:
    seq: str
    start: datetime
    end: datetime
    load_kw: float
    start_soc: int
    capacity_kwh: float


@dataclass(slots=True)
class _Conn:
    operator_id: str
    info: SimConnector
    status: int = 1
    session: _Session | None = None
    category: str = "urban_public"  # SiteCategory value, used by a behaviour model
    frozen: bool = False  # a zombie: the initial status is never changed


_Kind = Literal["transition", "sample", "stop", "order", "check", "outage", "repair"]
_HeapItem = tuple[datetime, int, _Kind, int]


class _World:
    """The seeded event source: connector state machines plus a daily reconciliation, in simulated time."""

    def __init__(
        self,
        operators: Sequence[SimOperator],
        rng: random.Random,
        start: datetime,
        alarms: bool,
        *,
        behaviour: BehaviourModel | None = None,
        sites: Mapping[str, str] | None = None,
        np_rng: np.random.Generator | None = None,
    ) -> None:
        self.operators = {op.operator_id: op for op in operators}
        self.rng = rng
        self.start = start
        self.alarms = alarms
        self.behaviour = behaviour
        self.np_rng = np_rng if np_rng is not None else np.random.default_rng(0)
        sites = sites or {}
        self.conns = [
            _Conn(
                op.operator_id,
                c,
                category=sites.get(c.connector_id) or op.connector_sites.get(c.connector_id) or "urban_public",
                frozen=c.connector_id in op.frozen,
            )
            for op in operators
            for c in op.connectors()
        ]
        self.arrival_at: dict[int, datetime] = {}  # the pending arrival of each connector (behaviour model)
        self.serial: Counter[str] = Counter()
        self.orders: dict[str, list[dict[str, Any]]] = {op.operator_id: [] for op in operators}
        self.heap: list[_HeapItem] = []
        self.tie = 0
        self.pending_orders: dict[int, tuple[str, dict[str, Any]]] = {}
        self.order_ids = itertools.count(1)

    def _at(self, when: datetime, kind: _Kind, ref: int) -> None:
        self.tie += 1
        heapq.heappush(self.heap, (when, self.tie, kind, ref))

    def events(self) -> Iterator[SimEvent]:
        """Registration, initial status, then an endless, time-ordered stream of pushes."""
        for op in self.operators.values():
            for station in op.stations:
                yield SimEvent(self.start, op.operator_id, "notification_stationInfo", {"StationInfo": station})
        for index, conn in enumerate(self.conns):
            conn.status = self.operators[conn.operator_id].initial_status.get(conn.info.connector_id, 1)
            yield SimEvent(
                self.start,
                conn.operator_id,
                "notification_stationStatus",
                status_payload(conn.info.connector_id, conn.status),
            )
            if conn.frozen:
                continue
            if self.behaviour is None:
                self._at(self.start + self._idle(), "transition", index)
            elif conn.status == 1:
                self._arm(self.start, index, conn)
            else:  # down or occupied at the start: back to free after an outage or a short while
                if conn.status in (0, 255):
                    outage = self.behaviour.sample_outage(self.np_rng, dc=conn.info.dc, category=conn.category)
                    back = timedelta(seconds=round(outage.hours * 3600))
                else:
                    back = timedelta(minutes=int(self.np_rng.integers(5, 60)))
                self._at(self.start + back, "repair", index)
        local = self.start.astimezone(SHANGHAI)
        first_check = local.replace(hour=0, minute=5, second=0, microsecond=0)
        if first_check <= local:
            first_check += timedelta(days=1)
        self._at(first_check, "check", 0)
        while self.heap:
            when, _, kind, ref = heapq.heappop(self.heap)
            yield from self._handle(when, kind, ref)

    def _idle(self) -> timedelta:
        return timedelta(seconds=max(60, round(self.rng.expovariate(1 / 1800))))

    def _handle(self, when: datetime, kind: str, ref: int) -> Iterator[SimEvent]:
        if kind == "check":
            day = (when.astimezone(SHANGHAI) - timedelta(days=1)).date()
            yield from self.check_events(datetime(day.year, day.month, day.day, tzinfo=SHANGHAI), when, when)
            self._at(when + timedelta(days=1), "check", 0)
            return
        if kind == "order":
            op_id, payload = self.pending_orders.pop(ref)
            yield SimEvent(when, op_id, "notification_charge_order_info", payload)
            return
        conn = self.conns[ref]
        op_id, info = conn.operator_id, conn.info
        if kind == "transition" and self.behaviour is not None:
            yield from self._arrival(when, ref, conn)
        elif kind == "outage":
            yield from self._outage(when, ref, conn)
        elif kind == "repair":
            yield from self._repair(when, ref, conn)
        elif kind == "transition":
            yield from self._transition(when, ref, conn)
        elif kind == "sample" and conn.session is not None and when < conn.session.end:
            session = conn.session
            energy = session.load_kw * (when - session.start).total_seconds() / 3600
            soc = min(100, session.start_soc + int(energy / session.capacity_kwh * 100))
            payload = charge_status_payload(
                session.seq,
                info.connector_id,
                start_time=session.start,
                end_time=when,
                load_kw=session.load_kw,
                dc=info.dc,
                soc=soc,
            )
            yield SimEvent(when, op_id, "notification_equip_charge_status", payload)
            self._at(when + timedelta(seconds=50), "sample", ref)
        elif kind == "stop" and conn.session is not None and when >= conn.session.end:
            session, conn.session, conn.status = conn.session, None, 1
            yield SimEvent(when, op_id, "notification_stationStatus", status_payload(info.connector_id, 1))
            self._order(when, conn, session, session.end, self.rng.choice((0, 0, 0, 2)))
            if self.behaviour is None:
                self._at(when + self._idle(), "transition", ref)
            else:
                self._arm_arrival(when, ref, conn)

    def _order(self, when: datetime, conn: _Conn, session: _Session, end: datetime, stop_reason: int) -> None:
        """Queue the charge order of a finished session, pushed a few seconds after ``when``."""
        op_id = conn.operator_id
        payload = order_payload(
            session.seq,
            conn.info.connector_id,
            start_time=session.start,
            end_time=end,
            load_kw=session.load_kw,
            stop_reason=stop_reason,
        )
        self.orders[op_id].append(payload)
        order_id = next(self.order_ids)
        self.pending_orders[order_id] = (op_id, payload)
        self._at(when + timedelta(seconds=self.rng.randint(2, 20)), "order", order_id)

    # --- behaviour model (optional): Poisson arrivals by site and hour, sessions, outages and repairs ------

    def _arm(self, when: datetime, ref: int, conn: _Conn) -> None:
        """A connector just became free and online: its next arrival and its next outage."""
        assert self.behaviour is not None
        self._arm_arrival(when, ref, conn)
        hours = self.behaviour.time_to_outage(self.np_rng, dc=conn.info.dc)
        self._at(when + timedelta(seconds=max(1, round(hours * 3600))), "outage", ref)

    def _arm_arrival(self, when: datetime, ref: int, conn: _Conn) -> None:
        assert self.behaviour is not None
        at = self.behaviour.next_arrival(
            self.np_rng, conn.category, when, dc=conn.info.dc, power_kw=conn.info.power_kw
        ).replace(microsecond=0)
        at = max(at, when + timedelta(seconds=1))
        self.arrival_at[ref] = at
        self._at(at, "transition", ref)

    def _arrival(self, when: datetime, ref: int, conn: _Conn) -> Iterator[SimEvent]:
        """A driver arrives; only the connector's latest scheduled arrival counts, and only if it is free."""
        assert self.behaviour is not None
        if self.arrival_at.get(ref) != when or conn.status != 1 or conn.session is not None:
            return
        op_id, info = conn.operator_id, conn.info
        drawn = self.behaviour.sample_session(self.np_rng, info.power_kw, dc=info.dc, category=conn.category)
        self.serial[op_id] += 1
        conn.session = _Session(
            seq=make_start_charge_seq(op_id, when, self.serial[op_id]),
            start=when,
            end=when + timedelta(seconds=max(60, round(drawn.hours * 3600))),
            load_kw=round(drawn.load_kw, 2),
            start_soc=int(self.np_rng.integers(5, 60)),
            capacity_kwh=float(self.np_rng.choice((40.0, 55.0, 70.0))),
        )
        conn.status = 3
        yield SimEvent(when, op_id, "notification_stationStatus", status_payload(info.connector_id, 3))
        self._at(when + timedelta(seconds=50), "sample", ref)
        self._at(conn.session.end, "stop", ref)

    def _outage(self, when: datetime, ref: int, conn: _Conn) -> Iterator[SimEvent]:
        """The connector faults (255) or drops offline (0); a session in progress ends with StopReason 3."""
        assert self.behaviour is not None
        if conn.status in (0, 255) or conn.frozen:
            return
        outage = self.behaviour.sample_outage(self.np_rng, dc=conn.info.dc, category=conn.category)
        if conn.session is not None:
            session, conn.session = conn.session, None
            if when > session.start:
                self._order(when, conn, session, when, 3)  # 3 = 充电机设备故障
        conn.status = outage.status
        yield SimEvent(
            when, conn.operator_id, "notification_stationStatus", status_payload(conn.info.connector_id, conn.status)
        )
        if conn.status == 255 and self.alarms:
            yield self._alarm(when, conn, alarm_status=1)
        self._at(when + timedelta(seconds=max(60, round(outage.hours * 3600))), "repair", ref)

    def _repair(self, when: datetime, ref: int, conn: _Conn) -> Iterator[SimEvent]:
        """Back online and free (after an outage, or a start in an occupied state)."""
        if conn.status == 255 and self.alarms:
            yield self._alarm(when, conn, alarm_status=0)
        conn.status = 1
        yield SimEvent(when, conn.operator_id, "notification_stationStatus", status_payload(conn.info.connector_id, 1))
        self._arm(when, ref, conn)

    def _transition(self, when: datetime, ref: int, conn: _Conn) -> Iterator[SimEvent]:
        op_id, info = conn.operator_id, conn.info
        if conn.status in (0, 255):  # repaired / back online
            if conn.status == 255 and self.alarms:
                yield self._alarm(when, conn, alarm_status=0)
            conn.status = 1
            yield SimEvent(when, op_id, "notification_stationStatus", status_payload(info.connector_id, 1))
            self._at(when + self._idle(), "transition", ref)
            return
        roll = self.rng.random()
        if roll < 0.07:
            conn.status = 255 if roll < 0.04 else 0
            yield SimEvent(when, op_id, "notification_stationStatus", status_payload(info.connector_id, conn.status))
            if conn.status == 255 and self.alarms:
                yield self._alarm(when, conn, alarm_status=1)
            self._at(when + timedelta(minutes=self.rng.randint(10, 60)), "transition", ref)
            return
        self.serial[op_id] += 1
        duration = timedelta(minutes=self.rng.randint(15, 120), seconds=self.rng.randint(0, 59))
        rated = info.power_kw
        conn.session = _Session(
            seq=make_start_charge_seq(op_id, when, self.serial[op_id]),
            start=when,
            end=when + duration,
            load_kw=round(rated * self.rng.uniform(0.55, 0.95), 2),
            start_soc=self.rng.randint(5, 60),
            capacity_kwh=self.rng.choice((40.0, 55.0, 70.0)),
        )
        conn.status = 3
        yield SimEvent(when, op_id, "notification_stationStatus", status_payload(info.connector_id, 3))
        self._at(when + timedelta(seconds=50), "sample", ref)
        self._at(conn.session.end, "stop", ref)

    def _alarm(self, when: datetime, conn: _Conn, *, alarm_status: int) -> SimEvent:
        op = self.operators[conn.operator_id]
        station = op.station(conn.info.station_id) or {"StationID": conn.info.station_id}
        payload = alarm_payload(
            op.operator_id,
            station,
            conn.info.equipment_id,
            conn.info.connector_id,
            at=when,
            alarm_code=31,
            alarm_status=alarm_status,
            note="充电模块故障" if alarm_status else "故障恢复",
        )
        return SimEvent(when, op.operator_id, "notification_alarmInfo", payload)

    def check_events(self, start: datetime, end: datetime, at: datetime) -> Iterator[SimEvent]:
        """One check_charge_orders per operator for orders ending in ``[start, end)``."""
        last = min(end, start + timedelta(days=1)) - timedelta(seconds=1)
        for op_id, orders in self.orders.items():
            window = [o for o in orders if _fmt(start) <= o["EndTime"] <= _fmt(last)]
            self.serial[op_id] += 1
            seq = make_start_charge_seq(op_id, at, self.serial[op_id])
            yield SimEvent(at, op_id, "check_charge_orders", check_orders_payload(seq, start, last, window))


class Simulation:
    """Plays ``operators`` against the platform at ``base_url`` over real HTTP and records the answers.

    Simulated time runs ``speed`` times faster than real time (``math.inf`` = as fast as possible). The run
    stops after ``max_events`` pushes or ``duration`` real seconds, whichever comes first; at least one
    bound is required so that it always ends. By default simulated time starts ``duration × speed`` before
    now (or, bounded by ``max_events`` alone, the span of a dry run plus 10 min), so payload times do not lie
    in the platform's future. A final check_charge_orders for the
    current simulated day closes every run (``final_check``).

    With a ``behaviour`` model (:class:`evinfra.scenario.behaviour.BehaviourModel`) arrivals, session lengths
    and outages follow it, per connector site category (``connector_sites`` by ConnectorID, else the
    operator's own, else urban public) and rated power; without one the simple default play is unchanged.
    Connectors an operator marks ``frozen`` (zombies) keep their initial status either way.
    """

    def __init__(
        self,
        operators: Sequence[SimOperator],
        base_url: str,
        *,
        seed: int = 0,
        speed: float = 60.0,
        max_events: int | None = None,
        duration: float | None = None,
        start: datetime | None = None,
        final_check: bool = True,
        alarms: bool = False,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        behaviour: BehaviourModel | None = None,
        connector_sites: Mapping[str, str] | None = None,
    ) -> None:
        if max_events is None and duration is None:
            raise ValueError("give max_events or duration so the simulation stops by itself")
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.operators = list(operators)
        self.base_url = base_url
        self.seed = seed
        self.behaviour = behaviour
        self.connector_sites = dict(connector_sites or {})
        self.speed = speed
        self.max_events = max_events
        self.duration = duration
        self.alarms = alarms
        if start is None:
            now = clock().astimezone(SHANGHAI).replace(microsecond=0)
            if duration is not None and math.isfinite(speed):
                span = timedelta(seconds=duration * speed)
            elif max_events:  # bounded by max_events only: measure the span on a dry run started now
                span = self._plan(now, max_events)[-1].at - now + timedelta(minutes=10)
            else:
                span = timedelta(0)
            start = now - span
        self.start = start
        self.final_check = final_check
        self._http = http
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic
        self.records: list[SimRecord] = []
        self.failures: list[SimFailure] = []

    def plan(self, max_events: int) -> list[SimEvent]:
        """The first ``max_events`` pushes the run would make, without sending anything (deterministic)."""
        return self._plan(self.start, max_events)

    def _plan(self, start: datetime, max_events: int) -> list[SimEvent]:
        events = self._world(start).events()
        return [next(events) for _ in range(max_events)]

    def _world(self, start: datetime) -> _World:
        np_rng = np.random.default_rng([self.seed, 0xBE4]) if self.behaviour is not None else None
        return _World(
            self.operators,
            random.Random(self.seed),
            start,
            self.alarms,
            behaviour=self.behaviour,
            sites=self.connector_sites,
            np_rng=np_rng,
        )

    def run(self) -> list[SimRecord]:
        """Send the events in simulated-time order, paced by ``speed``; returns the acknowledged pushes."""
        world = self._world(self.start)
        http = self._http if self._http is not None else httpx.Client(timeout=15.0)
        clients = {
            op.operator_id: OperatorClient(op, self.base_url, http=http, clock=self._clock) for op in self.operators
        }
        real_start = self._monotonic()
        sim_now = self.start
        sent = 0
        try:
            for event in world.events():
                if self.max_events is not None and sent >= self.max_events:
                    break
                offset = (event.at - self.start).total_seconds()
                if math.isfinite(self.speed):
                    if self.duration is not None and offset / self.speed > self.duration:
                        sim_now = self.start + timedelta(seconds=self.duration * self.speed)
                        break
                    delay = real_start + offset / self.speed - self._monotonic()
                    if delay > 0:
                        self._sleep(delay)
                elif self.duration is not None and self._monotonic() - real_start > self.duration:
                    break
                self._send(clients[event.operator_id], event)
                sim_now = event.at
                sent += 1
            if self.final_check:
                local = sim_now.astimezone(SHANGHAI)
                day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
                for event in world.check_events(day_start, sim_now + timedelta(seconds=1), sim_now):
                    self._send(clients[event.operator_id], event)
        finally:
            if self._http is None:
                http.close()
        return self.records

    def _send(self, client: OperatorClient, event: SimEvent) -> None:
        key = key_fields(event.interface, event.payload)
        try:
            result = client.push(event.interface, event.payload)
        except PushError as exc:
            logger.warning("push failed: %s", exc)
            self.failures.append(SimFailure(event.at, event.operator_id, event.interface, key, str(exc)))
            return
        if event.interface == "notification_stationStatus":
            info = event.payload["ConnectorStatusInfo"]
            client.operator.connector_status[info["ConnectorID"]] = info["Status"]
        self.records.append(
            SimRecord(event.at, event.operator_id, event.interface, key, result.ret, result.msg, result.data)
        )

    def summary(self) -> dict[str, dict[str, int]]:
        """Pushes per interface and Ret (failures under ``"error"``)."""
        counts: dict[str, Counter[str]] = {}
        for record in self.records:
            counts.setdefault(record.interface, Counter())[str(record.ret)] += 1
        for failure in self.failures:
            counts.setdefault(failure.interface, Counter())["error"] += 1
        return {interface: dict(counter) for interface, counter in sorted(counts.items())}


# --- command line ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run a simulation from the command line; exit status 1 if any push failed or was refused."""
    parser = argparse.ArgumentParser(prog="python -m evinfra.scenario.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="platform base URL incl. version, e.g. http://h:8000/evcs/v1")
    parser.add_argument("--operators-file", required=True, type=Path, help="JSON as printed by `operator add --json`")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (inf = no pacing)")
    parser.add_argument("--duration", type=float, default=None, help="real seconds to run")
    parser.add_argument("--max-events", type=int, default=None, help="stop after this many pushes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stations", type=int, default=3, help="stations per operator")
    parser.add_argument("--alarms", action="store_true", help="also push notification_alarmInfo on faults")
    parser.add_argument("--records", type=Path, default=None, help="write the acknowledged pushes as JSON here")
    args = parser.parse_args(argv)
    if args.duration is None and args.max_events is None:
        args.duration = 30.0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per push would drown the failures
    operators = load_operators_file(args.operators_file, seed=args.seed, stations=args.stations)
    simulation = Simulation(
        operators,
        args.base_url,
        seed=args.seed,
        speed=args.speed,
        max_events=args.max_events,
        duration=args.duration,
        alarms=args.alarms,
    )
    simulation.run()
    print(json.dumps(simulation.summary(), ensure_ascii=False, indent=2))
    if args.records is not None:
        rows = [
            {"at": _fmt(r.at), "operator_id": r.operator_id, "interface": r.interface, "key": r.key, "ret": r.ret}
            for r in simulation.records
        ]
        args.records.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    refused = any(r.ret != Ret.OK for r in simulation.records)
    return 1 if simulation.failures or refused else 0


if __name__ == "__main__":
    sys.exit(main())
