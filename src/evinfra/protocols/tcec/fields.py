"""Tolerant reading of T/CEC business payloads: field lookup by variant spelling, type coercion, findings.

Operators' payloads deviate from the standard in known ways (reference §11, §16): other spellings
(``TotalServiceMoney``), lower-camel keys (``connectorID``), numbers sent as strings, one object where
an array belongs. A :class:`Reader` accepts those, returns canonical Python values and records each
deviation as a :class:`Finding`, so that the hub can score data quality instead of rejecting the
message. What cannot be read unambiguously raises :class:`WireFormatError` (answered with Ret 4004).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from evinfra.protocols.tcec.envelope import SHANGHAI, json_type

__all__ = ["Finding", "Findings", "Reader", "Translated", "WireFormatError", "format_datetime"]

T = TypeVar("T")

_MAX_EXAMPLE_CHARS = 80
_NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", re.ASCII)
_MAX_MAGNITUDE = Decimal("1e15")  # far above any money, energy, power, voltage or current on these interfaces
_INT_TEXT = re.compile(r"-?[0-9]+", re.ASCII)
_DATETIME_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})", re.ASCII)
_MOMENT_YEARS = (2000, 2099)  # a charging record outside these years is a sender's error
_DATE_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)


@dataclass(frozen=True)
class Finding:
    """One tolerated deviation from the standard wire form, for the data-quality record.

    ``field`` is the standard wire name, prefixed by its parent arrays without indices
    (``ChargeDetails.DetailSeviceMoney``) so that findings aggregate across messages. ``variant``
    is the spelling actually used (``TotalServiceMoney``) or a token naming the deviation:
    ``json_string``/``json_number``/``json_float`` (wrong JSON type, converted), ``empty_string``
    (``""`` for an absent value), ``object_not_array``, ``empty`` (102.2 §5.1 cardinality),
    ``absent`` (a default was used), ``scale>2`` (money with more than 2 decimals); the translator
    adds a few of its own (``zero_as_unknown``, ``town_code``, Payment synonyms, ``unrecognised``).
    ``example`` is a short excerpt of what was received.
    """

    interface: str
    field: str
    variant: str
    example: str


@dataclass(frozen=True)
class Translated(Generic[T]):
    """A domain value and the deviations tolerated while reading it (empty for a standard message)."""

    value: T
    findings: tuple[Finding, ...]


class WireFormatError(ValueError):
    """A payload that cannot be read: a required field is missing, or a value has a type or format
    that cannot be converted without guessing. The hub answers Ret 4004, like a DomainValidationError.

    ``field`` is the wire path with indices (``EquipmentInfos[0].Power``); ``reason`` is zh-CN,
    ``reason_en`` English.
    """

    def __init__(self, field: str, reason: str, reason_en: str) -> None:
        self.field = field
        self.reason = reason
        self.reason_en = reason_en
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"字段 {self.field} 格式错误：{self.reason}"

    @property
    def message_en(self) -> str:
        return f"bad wire format of field {self.field}: {self.reason_en}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason, "message": self.message, "message_en": self.message_en}


class Findings:
    """Findings of one message, one per (field, variant): the hub counts messages, not repetitions."""

    def __init__(self, interface: str) -> None:
        self.interface = interface
        self._items: dict[tuple[str, str], Finding] = {}

    def add(self, field: str, variant: str, example: object) -> None:
        key = (field, variant)
        if key not in self._items:
            self._items[key] = Finding(self.interface, field, variant, _example(example))

    def wrap(self, value: T) -> Translated[T]:
        return Translated(value, tuple(self._items.values()))


class Reader:
    """Reads one JSON object. Lookup order: the standard name, the listed variants, then any key that
    equals one of them ignoring case (lower-camel ``stationID``, Java-style ``stationId``).

    The ``opt_*`` methods return None for an absent key, JSON null or (recorded) a ``""`` in a
    non-text field; the required readers raise :class:`WireFormatError` for all three.
    """

    def __init__(self, obj: object, findings: Findings, path: str = "", group: str = "") -> None:
        if type(obj) is not dict and not isinstance(obj, Mapping):  # JSON gives dicts: skip the ABC check
            raise WireFormatError(
                path.rstrip(".") or "<Data>", f"应为JSON对象，实际为{json_type(obj)}", "not an object"
            )
        self.obj: Mapping[str, Any] = obj
        self.findings = findings
        self.path = path
        self.group = group
        self._folded: dict[str, str] | None = None

    # --- lookup ---------------------------------------------------------------------------------

    def has(self, name: str, *variants: str) -> bool:
        return self._find(name, variants, record=False) is not None

    def raw(self, name: str, *variants: str) -> object | None:
        """The value as sent (variant recorded), or None when absent or null."""
        found = self._find(name, variants)
        return None if found is None else found[1]

    def _find(self, name: str, variants: tuple[str, ...], *, record: bool = True) -> tuple[str, Any] | None:
        candidates = (name, *variants)
        for key in candidates:
            if key in self.obj and self.obj[key] is not None:
                if key != name and record:
                    self.findings.add(self.group + name, key, {key: self.obj[key]})
                return key, self.obj[key]
        if self._folded is None:
            self._folded = {}
            for key in self.obj:
                self._folded.setdefault(key.casefold() if isinstance(key, str) else str(key), key)
        for candidate in candidates:
            key = self._folded.get(candidate.casefold(), "")
            if key and self.obj[key] is not None:
                if record:
                    self.findings.add(self.group + name, key, {key: self.obj[key]})
                return key, self.obj[key]
        return None

    def _required(self, name: str, variants: tuple[str, ...]) -> tuple[str, Any]:
        found = self._find(name, variants)
        if found is None:
            raise self.error(name, "缺少必需字段", "required field is missing")
        return found

    def error(self, name: str, reason: str, reason_en: str) -> WireFormatError:
        return WireFormatError(self.path + name, reason, reason_en)

    def note(self, name: str, variant: str, example: object) -> None:
        """Record a deviation found by the caller (cardinality, defaults, free-text synonyms)."""
        self.findings.add(self.group + name, variant, example)

    # --- text -----------------------------------------------------------------------------------

    def text(self, name: str, *variants: str) -> str:
        return self._text(name, *self._required(name, variants))

    def opt_text(self, name: str, *variants: str) -> str | None:
        found = self._find(name, variants)
        return None if found is None else self._text(name, *found)

    def _text(self, name: str, key: str, value: object) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            self.findings.add(self.group + name, "json_number", {key: value})
            return str(value)
        raise self.error(
            name, f"应为字符串，实际为{json_type(value)}", f"expected a string, got {_json_type_en(value)}"
        )

    # --- numbers --------------------------------------------------------------------------------

    def integer(self, name: str, *variants: str) -> int:
        key, value = self._required(name, variants)
        result = self._int(name, key, value)
        if result is None:
            raise self.error(name, "缺少必需字段（空字符串）", "required field is an empty string")
        return result

    def opt_integer(self, name: str, *variants: str) -> int | None:
        found = self._find(name, variants)
        return None if found is None else self._int(name, *found)

    def _int(self, name: str, key: str, value: object) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            self.findings.add(self.group + name, "json_float", {key: value})
            return int(value)
        if isinstance(value, str):
            if value.strip() == "":
                self.findings.add(self.group + name, "empty_string", {key: value})
                return None
            if _INT_TEXT.fullmatch(value.strip()):
                self.findings.add(self.group + name, "json_string", {key: value})
                return int(value.strip())
        raise self.error(name, f"应为整数，实际为{echo(value)}", f"expected an integer, got {echo(value)}")

    def number(self, name: str, *variants: str) -> float:
        key, value = self._required(name, variants)
        result = self._float(name, key, value)
        if result is None:
            raise self.error(name, "缺少必需字段（空字符串）", "required field is an empty string")
        return result

    def opt_number(self, name: str, *variants: str) -> float | None:
        found = self._find(name, variants)
        return None if found is None else self._float(name, *found)

    def _float(self, name: str, key: str, value: object) -> float | None:
        result = self._decimal(name, key, value, money=False)
        return None if result is None else float(result)

    def decimal(self, name: str, *variants: str, money: bool = True) -> Decimal:
        """An exact decimal: JSON floats go through ``str()`` (shortest repr), so 0.1 stays 0.1."""
        key, value = self._required(name, variants)
        result = self._decimal(name, key, value, money)
        if result is None:
            raise self.error(name, "缺少必需字段（空字符串）", "required field is an empty string")
        return result

    def opt_decimal(self, name: str, *variants: str, money: bool = True) -> Decimal | None:
        found = self._find(name, variants)
        return None if found is None else self._decimal(name, *found, money)

    def _decimal(self, name: str, key: str, value: object, money: bool) -> Decimal | None:
        if isinstance(value, int) and not isinstance(value, bool):
            result = Decimal(value)
        elif isinstance(value, float):
            result = Decimal(str(value))
        elif isinstance(value, str):
            if value.strip() == "":
                self.findings.add(self.group + name, "empty_string", {key: value})
                return None
            if not _NUMBER_TEXT.fullmatch(value.strip()):
                raise self.error(name, f"应为数值，实际为{echo(value)}", f"expected a number, got {echo(value)}")
            self.findings.add(self.group + name, "json_string", {key: value})
            result = Decimal(value.strip())
        else:
            raise self.error(name, f"应为数值，实际为{echo(value)}", f"expected a number, got {echo(value)}")
        if not result.is_finite() or abs(result) >= _MAX_MAGNITUDE:  # 1e400 parses as an infinite float
            raise self.error(name, f"数值超出范围：{echo(value)}", f"number out of range: {echo(value)}")
        if money and _scale(result) > 2:
            self.findings.add(self.group + name, "scale>2", {key: value})
        return result

    # --- dates ----------------------------------------------------------------------------------

    def moment(self, name: str, *variants: str) -> datetime:
        """``yyyy-MM-dd HH:mm:ss`` in Asia/Shanghai, returned timezone-aware."""
        return self._moment(name, *self._required(name, variants))

    def opt_moment(self, name: str, *variants: str) -> datetime | None:
        found = self._find(name, variants)
        if found is None or self._blank(name, *found):
            return None
        return self._moment(name, *found)

    def _moment(self, name: str, key: str, value: object) -> datetime:
        match = _DATETIME_TEXT.fullmatch(value) if isinstance(value, str) else None
        if match is not None:
            year, month, day, hour, minute, second = (int(part) for part in match.groups())
            if not _MOMENT_YEARS[0] <= year <= _MOMENT_YEARS[1]:  # year 1 does not even convert to UTC
                first, last = _MOMENT_YEARS
                raise self.error(name, f"年份须在 {first}–{last} 之间：{echo(value)}", f"year not in {first}-{last}")
            try:
                return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
            except ValueError:
                pass
        raise self.error(
            name,
            f"应为 yyyy-MM-dd HH:mm:ss 格式的日期时间，实际为{echo(value)}",
            f"expected a 'yyyy-MM-dd HH:mm:ss' datetime, got {echo(value)}",
        )

    def opt_date(self, name: str, *variants: str) -> date | None:
        found = self._find(name, variants)
        if found is None or self._blank(name, *found):
            return None
        value = found[1]
        match = _DATE_TEXT.fullmatch(value) if isinstance(value, str) else None
        if match is not None:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        raise self.error(
            name,
            f"应为 yyyy-MM-dd 格式的日期，实际为{echo(value)}",
            f"expected a 'yyyy-MM-dd' date, got {echo(value)}",
        )

    def _blank(self, name: str, key: str, value: object) -> bool:
        if isinstance(value, str) and value.strip() == "":
            self.findings.add(self.group + name, "empty_string", {key: value})
            return True
        return False

    # --- nested objects -------------------------------------------------------------------------

    def objects(self, name: str, *variants: str) -> list[Reader]:
        """Readers for an array of objects; absent or null gives []. A lone object is taken as a one-item array."""
        found = self._find(name, variants)
        if found is None:
            return []
        key, value = found
        if isinstance(value, Mapping):
            self.findings.add(self.group + name, "object_not_array", {key: "{…}"})
            value = [value]
        if not isinstance(value, list):
            raise self.error(
                name, f"应为数组，实际为{json_type(value)}", f"expected an array, got {_json_type_en(value)}"
            )
        return [
            Reader(item, self.findings, f"{self.path}{name}[{index}].", f"{self.group}{name}.")
            for index, item in enumerate(value)
        ]


def format_datetime(value: datetime) -> str:
    """The wire form ``yyyy-MM-dd HH:mm:ss`` in Asia/Shanghai of an aware datetime."""
    if value.tzinfo is None:
        raise ValueError("format_datetime needs a timezone-aware datetime")
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _scale(value: Decimal) -> int:
    """Significant decimals: 0.30 has 1, 0.30000000000000004 has 17."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _example(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_EXAMPLE_CHARS else text[: _MAX_EXAMPLE_CHARS - 1] + "…"


def echo(value: object) -> str:
    """Sender-controlled text goes back in Msg and into logs: keep it short."""
    return _example(value)


def _json_type_en(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
