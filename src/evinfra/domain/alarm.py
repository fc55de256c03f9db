"""Safety alarms and supervision events (Shenzhen AlarmInfos/EventInfos, the richest public profile)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.validation import enum_value, text


class AlarmType(IntEnum):
    CHARGING_SYSTEM = 1  # 充电系统
    BATTERY_SYSTEM = 2  # 电池系统
    DISTRIBUTION_SYSTEM = 3  # 配电系统


class AlarmLevel(IntEnum):
    PERSONAL_SAFETY = 1  # 人身安全级
    EQUIPMENT_SAFETY = 2  # 设备安全级
    NOTICE = 3  # 告警提示级


# AlarmCode ranges by AlarmType (charging 1–31, battery 101–122, distribution 201–206).
ALARM_CODE_RANGES: dict[AlarmType, range] = {
    AlarmType.CHARGING_SYSTEM: range(1, 32),
    AlarmType.BATTERY_SYSTEM: range(101, 123),
    AlarmType.DISTRIBUTION_SYSTEM: range(201, 207),
}


class EventType(IntEnum):
    FILING = 1  # 备案
    ACCEPTANCE = 2  # 验收
    SAFETY_CHECK = 3  # 安全检查
    EQUIPMENT_CHECK = 4  # 设备核查
    SELF_CHECK = 5  # 自查
    OTHER = 6  # 其他


def _aware(field: str, value: datetime | None) -> None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise DomainValidationError(field, value, "带时区的时间", "a timezone-aware datetime")


@dataclass(frozen=True, slots=True)
class Alarm:
    """An alarm raised at ``raised_at``; ``cleared_at`` is set when the operator reports recovery."""

    operator_id: str
    station_id: str
    alarm_type: AlarmType
    level: AlarmLevel
    code: int
    raised_at: datetime
    equipment_id: str | None = None
    connector_id: str | None = None
    cleared_at: datetime | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "alarm_type", enum_value(AlarmType, "alarm_type", self.alarm_type))
        object.__setattr__(self, "level", enum_value(AlarmLevel, "level", self.level))
        allowed = ALARM_CODE_RANGES[self.alarm_type]
        if isinstance(self.code, bool) or not isinstance(self.code, int) or self.code not in allowed:
            raise DomainValidationError("code", self.code, f"{allowed.start}–{allowed.stop - 1}")
        _aware("raised_at", self.raised_at)
        _aware("cleared_at", self.cleared_at)
        if self.cleared_at is not None and self.cleared_at < self.raised_at:
            raise DomainValidationError("cleared_at", self.cleared_at.isoformat(), "≥ raised_at")
        text("note", self.note, 255)


@dataclass(frozen=True, slots=True)
class Event:
    operator_id: str
    station_id: str
    event_type: EventType
    code: int
    occurred_at: datetime
    equipment_id: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "event_type", enum_value(EventType, "event_type", self.event_type))
        if isinstance(self.code, bool) or not isinstance(self.code, int) or not 1000 <= self.code <= 9999:
            raise DomainValidationError("code", self.code, "1000–9999")
        _aware("occurred_at", self.occurred_at)
        text("note", self.note, 255)
