"""A station with everything under it, as operators register it (StationInfo → EquipmentInfos → ConnectorInfos)."""

from __future__ import annotations

from dataclasses import dataclass

from evinfra.domain.connector import Connector
from evinfra.domain.equipment import Equipment
from evinfra.domain.errors import DomainValidationError
from evinfra.domain.station import Station


@dataclass(frozen=True, slots=True)
class EquipmentTree:
    equipment: Equipment
    connectors: tuple[Connector, ...]

    def __post_init__(self) -> None:
        for c in self.connectors:
            if (c.operator_id, c.equipment_id) != (self.equipment.operator_id, self.equipment.equipment_id):
                raise DomainValidationError(
                    "connector.equipment_id", c.equipment_id, f"所属设备 {self.equipment.equipment_id}"
                )


@dataclass(frozen=True, slots=True)
class StationTree:
    station: Station
    equipment: tuple[EquipmentTree, ...]

    def __post_init__(self) -> None:
        for e in self.equipment:
            eq = e.equipment
            if (eq.operator_id, eq.station_id) != (self.station.operator_id, self.station.station_id):
                raise DomainValidationError(
                    "equipment.station_id", eq.station_id, f"所属站点 {self.station.station_id}"
                )

    @property
    def connectors(self) -> tuple[Connector, ...]:
        return tuple(c for e in self.equipment for c in e.connectors)
