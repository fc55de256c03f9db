"""Connector status: operational state kept apart from occupancy.

T/CEC folds both into one code (0 offline, 1 free, 2 occupied-not-charging, 3 charging, 4 reserved,
255 fault); OCPI and OCPP split them differently. Uptime is a question about the operational state
and utilisation about occupancy, so the platform stores the pair and maps each protocol onto it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from functools import cache

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.validation import enum_value


class OperationalState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    FAULTED = "faulted"
    UNKNOWN = "unknown"


class Occupancy(StrEnum):
    FREE = "free"
    OCCUPIED = "occupied"  # plugged in / parked, not charging
    CHARGING = "charging"
    RESERVED = "reserved"
    UNKNOWN = "unknown"


class TcecConnectorStatus(IntEnum):
    """T/CEC 102.2 ConnectorStatusInfo.Status."""

    OFFLINE = 0  # 离网
    FREE = 1  # 空闲
    OCCUPIED = 2  # 占用(未充电)
    CHARGING = 3  # 占用(充电中)
    RESERVED = 4  # 占用(预约锁定)
    FAULT = 255  # 故障


@dataclass(frozen=True, slots=True)
class ConnectorState:
    operational: OperationalState
    occupancy: Occupancy

    @property
    def available(self) -> bool:
        """Usable by a driver now: online and free."""
        return self.operational is OperationalState.ONLINE and self.occupancy is Occupancy.FREE

    @property
    def in_service(self) -> bool:
        """Counts as up for uptime: online, whatever the occupancy."""
        return self.operational is OperationalState.ONLINE

    def __reduce__(self) -> tuple[Callable[[str, str], ConnectorState], tuple[str, str]]:
        """Pickled as its two values: every status write crosses into the writer process, and a dataclass's
        own pickling (Python-level state functions, then each enum's lookup) cost twice as much."""
        return _state_of, (self.operational.value, self.occupancy.value)


@cache
def _state_of(operational: str, occupancy: str) -> ConnectorState:
    return ConnectorState(OperationalState(operational), Occupancy(occupancy))


_FROM_TCEC: dict[TcecConnectorStatus, ConnectorState] = {
    TcecConnectorStatus.OFFLINE: ConnectorState(OperationalState.OFFLINE, Occupancy.UNKNOWN),
    TcecConnectorStatus.FREE: ConnectorState(OperationalState.ONLINE, Occupancy.FREE),
    TcecConnectorStatus.OCCUPIED: ConnectorState(OperationalState.ONLINE, Occupancy.OCCUPIED),
    TcecConnectorStatus.CHARGING: ConnectorState(OperationalState.ONLINE, Occupancy.CHARGING),
    TcecConnectorStatus.RESERVED: ConnectorState(OperationalState.ONLINE, Occupancy.RESERVED),
    TcecConnectorStatus.FAULT: ConnectorState(OperationalState.FAULTED, Occupancy.UNKNOWN),
}

# OCPI 2.2 EVSE.status. BLOCKED (physically blocked, e.g. an ICE car: 油车占位) and the
# planned/removed states have no T/CEC code.
_FROM_OCPI: dict[str, ConnectorState] = {
    "AVAILABLE": ConnectorState(OperationalState.ONLINE, Occupancy.FREE),
    "BLOCKED": ConnectorState(OperationalState.ONLINE, Occupancy.OCCUPIED),
    "CHARGING": ConnectorState(OperationalState.ONLINE, Occupancy.CHARGING),
    "INOPERATIVE": ConnectorState(OperationalState.OFFLINE, Occupancy.UNKNOWN),
    "OUTOFORDER": ConnectorState(OperationalState.FAULTED, Occupancy.UNKNOWN),
    "PLANNED": ConnectorState(OperationalState.OFFLINE, Occupancy.UNKNOWN),
    "REMOVED": ConnectorState(OperationalState.OFFLINE, Occupancy.UNKNOWN),
    "RESERVED": ConnectorState(OperationalState.ONLINE, Occupancy.RESERVED),
    "UNKNOWN": ConnectorState(OperationalState.UNKNOWN, Occupancy.UNKNOWN),
}

# OCPP 1.6 StatusNotification.status.
_FROM_OCPP16: dict[str, ConnectorState] = {
    "Available": ConnectorState(OperationalState.ONLINE, Occupancy.FREE),
    "Preparing": ConnectorState(OperationalState.ONLINE, Occupancy.OCCUPIED),
    "Charging": ConnectorState(OperationalState.ONLINE, Occupancy.CHARGING),
    "SuspendedEVSE": ConnectorState(OperationalState.ONLINE, Occupancy.OCCUPIED),
    "SuspendedEV": ConnectorState(OperationalState.ONLINE, Occupancy.OCCUPIED),
    "Finishing": ConnectorState(OperationalState.ONLINE, Occupancy.OCCUPIED),
    "Reserved": ConnectorState(OperationalState.ONLINE, Occupancy.RESERVED),
    "Unavailable": ConnectorState(OperationalState.OFFLINE, Occupancy.UNKNOWN),
    "Faulted": ConnectorState(OperationalState.FAULTED, Occupancy.UNKNOWN),
}

UNKNOWN_STATE = ConnectorState(OperationalState.UNKNOWN, Occupancy.UNKNOWN)


def from_tcec(status: object) -> ConnectorState:
    return _FROM_TCEC[enum_value(TcecConnectorStatus, "Status", status)]


def to_tcec(state: ConnectorState) -> TcecConnectorStatus:
    """The T/CEC code a state is emitted as (unknown states are reported as offline, the safe side)."""
    if state.operational is OperationalState.FAULTED:
        return TcecConnectorStatus.FAULT
    if state.operational is not OperationalState.ONLINE:
        return TcecConnectorStatus.OFFLINE
    return {
        Occupancy.FREE: TcecConnectorStatus.FREE,
        Occupancy.OCCUPIED: TcecConnectorStatus.OCCUPIED,
        Occupancy.CHARGING: TcecConnectorStatus.CHARGING,
        Occupancy.RESERVED: TcecConnectorStatus.RESERVED,
        Occupancy.UNKNOWN: TcecConnectorStatus.OCCUPIED,
    }[state.occupancy]


def from_ocpi(status: str) -> ConnectorState:
    try:
        return _FROM_OCPI[status]
    except KeyError:
        raise DomainValidationError("status", status, ", ".join(_FROM_OCPI)) from None


def from_ocpp16(status: str) -> ConnectorState:
    try:
        return _FROM_OCPP16[status]
    except KeyError:
        raise DomainValidationError("status", status, ", ".join(_FROM_OCPP16)) from None


@dataclass(frozen=True, slots=True)
class StatusInterval:
    """A connector held ``state`` from ``start`` until ``end`` (None = still holds it). Times are UTC-aware.

    History kept as intervals makes uptime and utilisation an exact sum over any window.
    """

    connector_key: tuple[str, str]  # (operator_id, connector_id)
    state: ConnectorState
    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise DomainValidationError("start", self.start, "带时区的时间", "a timezone-aware datetime")
        if self.end is not None and self.end < self.start:
            raise DomainValidationError("end", self.end, f"≥ start {self.start.isoformat()}")

    def overlap_seconds(self, window_start: datetime, window_end: datetime) -> float:
        """Seconds of this interval inside [window_start, window_end); an open interval runs to window_end."""
        end = window_end if self.end is None else min(self.end, window_end)
        start = max(self.start, window_start)
        return max(0.0, (end - start).total_seconds())
