"""Charging sessions as operators report them: orders (CDRs) and in-session samples."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import IntEnum

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.validation import enum_value, non_negative, pattern

START_CHARGE_SEQ = re.compile(r"[0-9A-Za-z]{9}[0-9A-Za-z_\-]{1,30}")  # OperatorID (9) + unique number


class StopReason(IntEnum):
    """T/CEC StopReason (5–99 are operator-defined and kept as OTHER with the raw code)."""

    USER = 0  # 用户手动停止
    MSP_PLATFORM = 1  # 客户归属地运营商平台停止
    BMS = 2  # BMS停止
    EQUIPMENT_FAULT = 3  # 充电机设备故障
    CONNECTOR_DISCONNECTED = 4  # 连接器断开
    OTHER = 99  # 5–99 自定义


class ChargeSeqStat(IntEnum):
    """T/CEC StartChargeSeqStat."""

    STARTING = 1
    CHARGING = 2
    STOPPING = 3
    ENDED = 4
    UNKNOWN = 5


def _aware(field: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise DomainValidationError(field, value, "带时区的时间", "a timezone-aware datetime")


def _money(field: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise DomainValidationError(field, value, "≥ 0 的金额 [元]", "an amount >= 0 [CNY]")


@dataclass(frozen=True, slots=True)
class ChargeDetail:
    """One tariff period of an order (ChargeDetails[])."""

    start: datetime
    end: datetime
    elec_price: Decimal  # [元/kWh]
    service_price: Decimal  # [元/kWh]
    energy_kwh: float
    elec_money: Decimal  # [元]
    service_money: Decimal  # [元]


@dataclass(frozen=True, slots=True)
class ChargeOrder:
    operator_id: str
    start_charge_seq: str
    connector_id: str
    start: datetime
    end: datetime
    energy_kwh: float  # TotalPower [kWh]
    elec_money: Decimal  # [元]
    service_money: Decimal  # [元]
    total_money: Decimal  # [元]
    stop_reason: StopReason = StopReason.USER
    stop_reason_code: int = 0  # the raw code, so that 5–99 survive
    details: tuple[ChargeDetail, ...] = ()

    def __post_init__(self) -> None:
        pattern("start_charge_seq", self.start_charge_seq, START_CHARGE_SEQ, "OperatorID(9)+唯一编号", "OperatorID+id")
        _aware("start", self.start)
        _aware("end", self.end)
        if self.end < self.start:
            raise DomainValidationError("end", self.end.isoformat(), f"≥ start {self.start.isoformat()}")
        non_negative("energy_kwh", self.energy_kwh, "kWh", 5000)
        for name in ("elec_money", "service_money", "total_money"):
            _money(name, getattr(self, name))
        if not 0 <= self.stop_reason_code <= 99:
            raise DomainValidationError("stop_reason_code", self.stop_reason_code, "0–99")
        code = self.stop_reason_code if self.stop_reason_code <= 4 else 99
        object.__setattr__(self, "stop_reason", enum_value(StopReason, "stop_reason", code))
        if len(self.details) > 32:
            raise DomainValidationError("details", len(self.details), "最多 32 个时段", "at most 32 periods")

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class ChargeStatusSample:
    """One in-session measurement (notification_equip_charge_status, every ~50 s while charging)."""

    operator_id: str
    start_charge_seq: str
    connector_id: str
    sampled_at: datetime
    seq_stat: ChargeSeqStat
    energy_kwh: float  # cumulative [kWh]
    current_a: float | None = None  # [A] (DC output on phase A)
    voltage_v: float | None = None  # [V]
    soc_pct: float | None = None  # [%]
    total_money: Decimal | None = None  # [元]

    def __post_init__(self) -> None:
        _aware("sampled_at", self.sampled_at)
        object.__setattr__(self, "seq_stat", enum_value(ChargeSeqStat, "seq_stat", self.seq_stat))
        non_negative("energy_kwh", self.energy_kwh, "kWh", 5000)
        non_negative("soc_pct", self.soc_pct, "%", 100)
        non_negative("voltage_v", self.voltage_v, "V", 1500)
        if self.current_a is not None and not -2000 <= self.current_a <= 2000:  # signed: a V2G pile discharges
            raise DomainValidationError("current_a", self.current_a, "−2000 到 2000 [A]", "-2000 to 2000 [A]")
