"""Charging equipment (充电设备, "pile"), as T/CEC 102.2 EquipmentInfo describes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.geo import GeoPoint
from evinfra.domain.validation import enum_value, non_negative, pattern, text

EQUIPMENT_ID = re.compile(r"[0-9A-Za-z_\-]{1,23}")
MAX_PILE_POWER_KW = 2000.0  # above any megawatt charger on the market; larger is a unit error (W sent as kW)


class EquipmentType(IntEnum):
    """T/CEC EquipmentType. Provincial variants (Shenzhen 0 = DC) are mapped by the protocol adapter."""

    DC = 1  # 直流
    AC = 2  # 交流
    AC_DC = 3  # 交直流一体
    WIRELESS = 4  # 无线
    OTHER = 5  # 其他

    @property
    def is_fast(self) -> bool:
        """The plan's 快充 / 大功率直流 counts DC-capable piles (T-13, K-7, K-8)."""
        return self in (EquipmentType.DC, EquipmentType.AC_DC)


@dataclass(frozen=True, slots=True)
class Equipment:
    operator_id: str
    station_id: str
    equipment_id: str
    equipment_type: EquipmentType
    power_kw: float  # rated total output [kW]
    name: str = ""
    manufacturer_id: str | None = None
    manufacturer_name: str = ""
    model: str = ""
    production_date: date | None = None
    location: GeoPoint | None = None  # WGS-84; None = at the station's position

    def __post_init__(self) -> None:
        pattern("equipment_id", self.equipment_id, EQUIPMENT_ID, "1–23 位字母数字", "1-23 letters or digits")
        object.__setattr__(self, "equipment_type", enum_value(EquipmentType, "equipment_type", self.equipment_type))
        non_negative("power_kw", self.power_kw, "kW", MAX_PILE_POWER_KW)
        text("name", self.name, 30)
        text("manufacturer_name", self.manufacturer_name, 30)
        text("model", self.model, 20)
        if self.production_date is not None and not isinstance(self.production_date, date):
            raise DomainValidationError("production_date", self.production_date, "日期 yyyy-MM-dd", "a date")
