"""Small checks shared by the entity constructors; each raises DomainValidationError."""

from __future__ import annotations

import math
import re
from enum import Enum, IntEnum
from typing import TypeVar

from evinfra.domain.errors import DomainValidationError

E = TypeVar("E", bound=Enum)


def enum_value(enum: type[E], field: str, value: object) -> E:
    """Coerce a standard code into ``enum``, naming the allowed codes when it is unknown.

    IntEnums take ints only (a bool or "1" is a wire-format error the adapter must fix first);
    other enums take their value type.
    """
    if isinstance(value, enum):
        return value
    wanted = int if issubclass(enum, IntEnum) else str
    if isinstance(value, bool) or not isinstance(value, wanted):
        raise DomainValidationError(field, value, _codes(enum), _codes(enum, en=True))
    try:
        return enum(value)
    except ValueError:
        raise DomainValidationError(field, value, _codes(enum), _codes(enum, en=True)) from None


def _codes(enum: type[Enum], *, en: bool = False) -> str:
    return ("codes " if en else "代码 ") + ", ".join(str(m.value) for m in enum)


def non_negative(field: str, value: float | None, unit: str, maximum: float | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DomainValidationError(field, value, f"有限数值 [{unit}]", f"a finite number [{unit}]")
    upper = "" if maximum is None else f" 且 ≤ {maximum}"
    upper_en = "" if maximum is None else f" and <= {maximum}"
    if value < 0 or (maximum is not None and value > maximum):
        raise DomainValidationError(field, value, f"≥ 0{upper} [{unit}]", f">= 0{upper_en} [{unit}]")


def text(field: str, value: str | None, max_len: int, *, required: bool = False) -> None:
    if value is None or value == "":
        if required:
            raise DomainValidationError(field, value, "非空字符串", "a non-empty string")
        return
    if not isinstance(value, str) or len(value) > max_len:
        raise DomainValidationError(field, value, f"不超过 {max_len} 个字符", f"at most {max_len} characters")


def pattern(field: str, value: str | None, regex: re.Pattern[str], allowed: str, allowed_en: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not regex.fullmatch(value):
        raise DomainValidationError(field, value, allowed, allowed_en)
