"""The real Shanxi division tree (NBS 统计用区划代码 2023): 11 cities, 121 county units, 1,352 township
units, 21,895 village units. Provenance: ``data/PROVENANCE.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

VINTAGE = "NBS 2023 (2023-06-30)"


@dataclass(frozen=True, slots=True)
class Division:
    code: str  # 6 digits for province/city/county, 9 for township, 12 for village
    name: str
    level: str  # province / city / county / township / village
    parent: str | None
    kind: str = ""  # 街道/镇/乡 for townships, 居委会/村委会 for villages
    official: bool = True  # False for the NBS statistical-only zones (e.g. 140171)


class DivisionCatalog:
    """Look-ups by code; implements the domain's ``RegionCatalog``."""

    def __init__(self, divisions: list[Division]) -> None:
        self._by_code = {d.code: d for d in divisions}

    def exists(self, code: str) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Division | None:
        return self._by_code.get(code)

    def level(self, level: str) -> list[Division]:
        return [d for d in self._by_code.values() if d.level == level]

    def __len__(self) -> int:
        return len(self._by_code)


@cache
def shanxi() -> DivisionCatalog:
    """Loaded once per process (≈0.2 s): the file ships in the package, so this works offline."""
    raw = json.loads(resources.files("evinfra.regions").joinpath("data/shanxi_divisions.json").read_bytes())
    province = raw["province"]
    items = [Division(province["code"], province["name"], "province", None)]
    items += [Division(c["code"], c["name"], "city", province["code"]) for c in raw["cities"]]
    items += [
        Division(c["code"], c["name"], "county", c["city_code"], official=c["official_county"]) for c in raw["counties"]
    ]
    items += [Division(t["code"], t["name"], "township", t["county_code"], t["kind"]) for t in raw["townships"]]
    items += [Division(v["code"], v["name"], "village", v["township_code"], v["kind"]) for v in raw["villages"]]
    return DivisionCatalog(items)
