"""Connectors (充电接口, "guns"): the smallest unit whose status T/CEC reports (102.2 §5.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from evinfra.domain.equipment import MAX_PILE_POWER_KW
from evinfra.domain.errors import DomainValidationError
from evinfra.domain.validation import enum_value, non_negative, pattern, text

CONNECTOR_ID = re.compile(r"[0-9A-Za-z_\-]{1,30}")


class ConnectorType(IntEnum):
    """T/CEC ConnectorType."""

    DOMESTIC_SOCKET = 1  # 家用插座(模式2)
    AC_SOCKET = 2  # 交流接口插座(模式3, 连接方式B)
    AC_PLUG = 3  # 交流接口插头(带枪线, 模式3, 连接方式C)
    DC_PLUG = 4  # 直流接口枪头(带枪线, 模式4)
    WIRELESS = 5  # 无线充电座
    OTHER = 6  # 其他


class NationalStandard(IntEnum):
    """GB/T 20234 edition the connector follows (3, 4: Zhejiang extension)."""

    GB_2011 = 1
    GB_2015 = 2
    COMPATIBLE = 3  # 兼容
    GB_2023 = 4


@dataclass(frozen=True, slots=True)
class Connector:
    operator_id: str
    station_id: str
    equipment_id: str
    connector_id: str
    connector_type: ConnectorType
    power_kw: float  # [kW]
    national_standard: NationalStandard = NationalStandard.GB_2015
    voltage_upper_v: int | None = None  # [V]
    voltage_lower_v: int | None = None  # [V]
    current_a: int | None = None  # [A]
    name: str = ""
    park_no: str = ""

    def __post_init__(self) -> None:
        pattern("connector_id", self.connector_id, CONNECTOR_ID, "1–30 位字母数字", "1-30 letters or digits")
        object.__setattr__(self, "connector_type", enum_value(ConnectorType, "connector_type", self.connector_type))
        object.__setattr__(
            self, "national_standard", enum_value(NationalStandard, "national_standard", self.national_standard)
        )
        non_negative("power_kw", self.power_kw, "kW", MAX_PILE_POWER_KW)
        non_negative("voltage_upper_v", self.voltage_upper_v, "V", 1500)
        non_negative("voltage_lower_v", self.voltage_lower_v, "V", 1500)
        non_negative("current_a", self.current_a, "A", 2000)
        if (
            self.voltage_upper_v is not None
            and self.voltage_lower_v is not None
            and self.voltage_lower_v > self.voltage_upper_v
        ):
            raise DomainValidationError(
                "voltage_lower_v",
                self.voltage_lower_v,
                f"≤ voltage_upper_v ({self.voltage_upper_v} V)",
                f"<= voltage_upper_v ({self.voltage_upper_v} V)",
            )
        text("name", self.name, 30)
        text("park_no", self.park_no, 10)
