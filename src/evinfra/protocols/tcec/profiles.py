"""Partner profiles: what a provincial platform's enumeration codes mean in the standard's terms.

Regional platforms reuse T/CEC field names with their own code lists (reference §10.2–10.3): Shenzhen
numbers EquipmentType from 0 (直流) and has ConnectorType 5 大功率交流 and 255 其他; Zhejiang adds
EquipmentType 5 有序, 6 V2G, 7 其他. An operator whose client was written for such a platform keeps
sending those codes to us, so the operator's key set names its profile and the adapter reads the codes
through it. The store and every answer keep the standard codes only. Where a partner's code has no
standard equivalent the nearest one is stored and the mapping is recorded as a data-quality finding
(variant ``<profile>:<code>→<standard code>``), so that supervisors can see what was folded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from evinfra.domain.connector import ConnectorType
from evinfra.domain.equipment import EquipmentType
from evinfra.domain.errors import DomainValidationError

STANDARD = "tcec2016"

_E = EquipmentType
_C = ConnectorType


@dataclass(frozen=True, slots=True)
class Profile:
    """One partner's code lists. Codes not listed are read with their standard meaning."""

    name: str
    title: str  # shown by `evinfra operator list`
    equipment_types: Mapping[int, EquipmentType] = field(default_factory=dict)
    connector_types: Mapping[int, ConnectorType] = field(default_factory=dict)
    lossy: frozenset[tuple[str, int]] = frozenset()  # (field, code) whose meaning the standard cannot hold


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(STANDARD, "T/CEC 102-2016 标准"),
        Profile(
            "shenzhen",
            "深圳市新能源汽车充电设施安全监控平台",
            # 0 直流, 1/2 交流, 3 交直流一体, 4 无线, 5 充放电设备, 255 其他 (cpmtBiz interface.xml)
            equipment_types={0: _E.DC, 1: _E.AC, 2: _E.AC, 3: _E.AC_DC, 4: _E.WIRELESS, 5: _E.OTHER, 255: _E.OTHER},
            # 5 大功率交流 (a cabled AC plug), 255 其他
            connector_types={5: _C.AC_PLUG, 255: _C.OTHER},
            lossy=frozenset({("EquipmentType", 5), ("ConnectorType", 5)}),
        ),
        Profile(
            "zhejiang",
            "浙江省充电设施监管平台",
            # 1 直流, 2 交流, 3 一体, 4 无线, 5 有序 (orderly-charging AC piles), 6 V2G (bidirectional DC), 7 其他
            equipment_types={5: _E.AC, 6: _E.DC, 7: _E.OTHER},
            lossy=frozenset({("EquipmentType", 5), ("EquipmentType", 6)}),
        ),
    )
}


def profile(name: str) -> Profile:
    """The profile called ``name``; a user error naming the known ones otherwise."""
    found = PROFILES.get(name)
    if found is None:
        known = ", ".join(PROFILES)
        raise DomainValidationError("profile", name, f"为以下之一：{known}", f"one of: {known}")
    return found


def standard_code(partner: Profile, name: str, code: int, note: Callable[[str, str, object], None]) -> int:
    """``code`` of field ``name`` (EquipmentType, ConnectorType) as the standard numbers it.

    A code the partner does not remap is returned as it is, for the caller's enum check.
    """
    table: Mapping[int, int] = partner.equipment_types if name == "EquipmentType" else partner.connector_types
    mapped = table.get(code)
    if mapped is None:
        return code
    if (name, code) in partner.lossy:
        note(name, f"{partner.name}:{code}→{int(mapped)}", {name: code})
    return int(mapped)
