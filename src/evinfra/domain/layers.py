"""The map layers of the reference scenario as plain values (WGS-84 everywhere).

The scenario generators produce these, the importer reads real ones into the same shapes, and
``store/repositories/layers.py`` persists them; a row's ``synthetic`` flag says which it was.
"""

from __future__ import annotations

from dataclasses import dataclass

SITE_KINDS = ("highway_service_area", "toll_station", "tourist_road_station", "rv_camp", "trunk_road_service")


@dataclass(frozen=True, slots=True)
class Place:
    """A township (9-digit code) or village (12-digit code) with a point and its resident population."""

    code: str
    level: str  # township / village
    name: str
    kind: str  # 街道/镇/乡/类似乡级单位, 居委会/村委会/类似居委会
    county_code: str
    lng: float
    lat: float
    population: int
    synthetic: bool = True
    source: str = ""


@dataclass(frozen=True, slots=True)
class RegionStat:
    """Population and EVs of a division (city, county, township or village code) at the end of ``year``."""

    region_code: str
    year: int
    population: int
    evs: int
    synthetic: bool = True
    source: str = ""


@dataclass(frozen=True, slots=True)
class Road:
    road_id: str  # G5, G108, 黄河一号 …
    kind: str  # expressway / tourist / trunk
    name: str
    coords: tuple[tuple[float, float], ...]  # WGS-84 (lng, lat) polyline
    length_km: float
    synthetic: bool = True
    source: str = ""


@dataclass(frozen=True, slots=True)
class RoadSite:
    """A place along a road the plan wants covered (T-9..T-13, K-6..K-8)."""

    site_id: str
    kind: str  # one of SITE_KINDS
    name: str
    road_id: str | None
    county_code: str | None
    lng: float
    lat: float
    parking_spaces: int = 0
    synthetic: bool = True
    source: str = ""


@dataclass(frozen=True, slots=True)
class ScenicArea:
    site_id: str
    name: str
    level: int  # A-level 1–5, 0 = below A (K-5)
    county_code: str | None
    lng: float
    lat: float
    parking_spaces: int = 0
    synthetic: bool = True
    source: str = ""
