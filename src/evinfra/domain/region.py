"""GB/T 2260 administrative-division codes and the NBS 12-digit township/village codes.

The domain checks the shape of a code; whether it exists is a question for a ``RegionCatalog``
(implemented in ``evinfra.regions`` from the NBS data), so that the domain stays free of I/O.
"""

from __future__ import annotations

import re
from typing import Protocol

from evinfra.domain.errors import DomainValidationError

# GB/T 2260 province-level codes (first two digits).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
        "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
        "81", "82",
    }
)  # fmt: skip

_AREA = re.compile(r"\d{6}")
_TOWN_OR_VILLAGE = re.compile(r"\d{9}|\d{12}")


class RegionCatalog(Protocol):
    """What the domain needs to know of the division tree: does this code exist."""

    def exists(self, code: str) -> bool: ...


def check_area_code(field: str, code: str, catalog: RegionCatalog | None = None) -> None:
    """A 6-digit GB/T 2260 code (province, city or county), real if a catalog is given."""
    if not isinstance(code, str) or not _AREA.fullmatch(code) or code[:2] not in PROVINCE_CODES:
        raise DomainValidationError(
            field, code, "6 位 GB/T 2260 行政区划代码（如 140105）", "a 6-digit GB/T 2260 code such as 140105"
        )
    if catalog is not None and not catalog.exists(code):
        raise DomainValidationError(
            field, code, "存在的行政区划代码（NBS 2023）", "an existing division code (NBS 2023)"
        )


def check_town_code(field: str, code: str, catalog: RegionCatalog | None = None) -> None:
    """A 9-digit township or 12-digit village code (NBS 统计用区划代码)."""
    if not isinstance(code, str) or not _TOWN_OR_VILLAGE.fullmatch(code) or code[:2] not in PROVINCE_CODES:
        raise DomainValidationError(
            field, code, "9 位乡镇或 12 位村级统计用区划代码", "a 9-digit township or 12-digit village code"
        )
    if catalog is not None and not catalog.exists(code):
        raise DomainValidationError(
            field, code, "存在的乡镇/村级代码（NBS 2023）", "an existing township/village code (NBS 2023)"
        )


def region_prefix(code: str) -> str:
    """The prefix shared by every code inside a 6-digit province, city or county code."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code
