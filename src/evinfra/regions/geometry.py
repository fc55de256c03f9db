"""Real Shanxi boundaries (WGS-84 / CGCS2000) and fast point-in-county look-ups.

Province, 11 city and 117 county polygons ship in ``data/`` (provenance in ``data/PROVENANCE.md``;
simplified to ~100 vertices per county, so a point within a few hundred metres of a border may fall on
the neighbour's side). Look-ups are vectorised with a Shapely 2 STRtree: placing 130k stations takes
well under a second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Boundaries:
    """Polygons of one level, in a fixed order, with an STRtree over them."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    polygons: tuple[BaseGeometry, ...]
    seats: tuple[tuple[float, float], ...]  # WGS-84 (lng, lat) of the seat of government
    area_km2: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tree", shapely.STRtree(np.array(self.polygons, dtype=object)))
        object.__setattr__(self, "_index", {code: i for i, code in enumerate(self.codes)})

    def polygon(self, code: str) -> BaseGeometry:
        return self.polygons[self._index[code]]  # type: ignore[attr-defined]

    def seat(self, code: str) -> tuple[float, float]:
        return self.seats[self._index[code]]  # type: ignore[attr-defined]

    def locate(self, lng: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.object_]:
        """The code of the polygon holding each point, or None outside every polygon."""
        points = shapely.points(np.asarray(lng, dtype=float), np.asarray(lat, dtype=float))
        hits = self._tree.query(points, predicate="within")  # type: ignore[attr-defined]
        out = np.full(len(points), None, dtype=object)
        codes = np.array(self.codes, dtype=object)
        out[hits[0]] = codes[hits[1]]
        return out

    def contains(self, code: str, lng: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether each point lies inside the polygon of ``code`` (vectorised)."""
        poly = self.polygon(code)
        shapely.prepare(poly)
        return np.asarray(shapely.contains_xy(poly, np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)))


def _load(name: str) -> Boundaries:
    raw = json.loads(resources.files("evinfra.regions").joinpath(f"data/{name}").read_bytes())
    features = sorted(raw["features"], key=lambda f: f["properties"]["adcode"])
    return Boundaries(
        codes=tuple(f["properties"]["adcode"] for f in features),
        names=tuple(f["properties"]["name"] for f in features),
        polygons=tuple(shapely.make_valid(shape(f["geometry"])) for f in features),
        seats=tuple(_seat(f["properties"]) for f in features),
        area_km2=tuple(float(f["properties"].get("area_km2", 0.0)) for f in features),
    )


def _seat(props: dict[str, object]) -> tuple[float, float]:
    seat = props.get("seat_wgs84")
    if isinstance(seat, list) and len(seat) == 2:
        return float(seat[0]), float(seat[1])
    return (0.0, 0.0)


@cache
def counties() -> Boundaries:
    """The 117 official county units (NBS statistical-only zones have no polygon of their own)."""
    return _load("shanxi_counties.geojson")


@cache
def cities() -> Boundaries:
    return _load("shanxi_cities.geojson")


@cache
def province() -> BaseGeometry:
    raw = json.loads(resources.files("evinfra.regions").joinpath("data/shanxi_province.geojson").read_bytes())
    return shapely.make_valid(shape(raw["features"][0]["geometry"]))
