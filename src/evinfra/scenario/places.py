"""Synthetic points for Shanxi's 1,352 township units and 21,895 village units (real names and codes).

No public package has coordinates below county level (``shared/data/shanxi/README.md``), so every
township and village gets a seeded point inside its real county polygon, flagged ``synthetic``. The
layout imitates how Chinese counties are built, because the plan's distance indicators (T-8, K-2) are
computed from these points:

* **街道** (urban sub-districts) cluster around the county seat: uniform in a disc of
  ``STREET_RADIUS_KM`` around the seat, clipped to the county, with a minimum spacing.
* **The seat town**: a county without 街道 governs from a 镇; NBS numbers it first (code …100, usually
  the 城关镇), so the lowest-coded 镇 of such a county sits within ``SEAT_TOWN_RADIUS_KM`` of the seat.
* **Other 镇, 乡 and 类似乡级单位** are spread over the whole county by Poisson-disc sampling: uniform
  candidates inside the polygon, accepted only at least ``TOWNSHIP_SPACING`` × √(county area / townships)
  from every township already placed (the spacing shrinks by 15 % after 50 straight rejections, so
  awkward shapes still fill).
* **Villages** scatter uniformly in a disc around their township's point, of the radius of the
  township's share of the county seen as a disc, r = √(area / (π · townships)); residents' committees
  (居委会/类似居委会, the township's built-up core) use ``RESIDENTS_RADIUS_FACTOR`` × r. Candidates
  outside the county are redrawn in vectorised rounds of 8 per village (from the third round on with the
  radius halved each round, so villages of a township on the border stay near it; after 12 rounds a
  village would take its township's own point, which never happens in practice).
* **The four NBS statistical-only zones** (140171 山西转型综合改革示范区, 140271 山西大同经济开发区,
  140671 山西朔州经济开发区, 140971 五台山风景名胜区) have no polygon. Their townships go in a disc of
  ``ZONE_RADIUS_KM`` around the zone's seat: the parent city's seat for the three development zones
  (they are urban parks around the city), and for 五台山 the scenic area's own seat at 台怀镇
  (``ZONE_SEATS_WGS84``), in 五台县 near the 繁峙县 border. Their points must lie inside the parent city's
  polygon and in one of that city's counties; villages follow the rule above with the city's area and
  township count.

Determinism: ``numpy.random.default_rng([seed, 0, i])`` (PCG64, stable across platforms) for the i-th
county unit in code order, so a county's points do not depend on any other county. Discs are sampled by
rejection from a square, so per-point arithmetic is IEEE +, ×, ÷ only (no libm trigonometry that may
differ between CPUs); the one cosine per county is rounded away by storing coordinates at 1e-6° (≈0.1 m),
done *before* the inside test, so the stored values are exactly the tested ones. Distances use a local
equirectangular frame around the anchor (error ≪ 1 % inside one county).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from evinfra.domain.layers import Place
from evinfra.regions.distance import EARTH_RADIUS_KM
from evinfra.regions.divisions import Division, shanxi
from evinfra.regions.geometry import Boundaries, cities, counties
from evinfra.scenario.population import check_seed, scenario_source, split_population

# ASSUMED: 街道 are the county seat's built-up area; a Shanxi county seat or city district spans a few
# km, so 6 km covers the urban core without reaching the neighbouring towns.
STREET_RADIUS_KM: Final = 6.0
# ASSUMED: the seat town's government is in the county seat itself.
SEAT_TOWN_RADIUS_KM: Final = 2.0
# ASSUMED: minimum township spacing as a fraction of the mean spacing √(area / n). 0.6 keeps townships
# visibly apart (no two seats in one valley) while staying well below the ~0.83 saturation limit of
# random sequential packing, so the sampler rarely has to shrink it.
TOWNSHIP_SPACING: Final = 0.6
# ASSUMED: residents' committees sit in the township's built-up core, a third of its territory's radius.
RESIDENTS_RADIUS_FACTOR: Final = 0.35
# ASSUMED: radius around a statistical-only zone's seat that holds its townships (Taiyuan's 示范区 parks
# ring the city centre; 五台山's three townships lie in the valleys around 台怀).
ZONE_RADIUS_KM: Final = 10.0
# ASSUMED: seat of 五台山风景名胜区 at 台怀镇, approximate (WGS-84, ±3 km) from public maps: no package
# ships it, and the county seat of 五台县 is ~45 km away from the scenic area. Other zones use their
# city's seat.
ZONE_SEATS_WGS84: Final = MappingProxyType({"140971": (113.594, 39.008)})

_GEOMETRY_STREAM: Final = 0  # population.py uses stream 1
_DECIMALS: Final = 6
_KM_PER_DEG: Final = EARTH_RADIUS_KM * math.pi / 180.0
_MAX_REJECTIONS: Final = 50  # straight rejections before the township spacing shrinks
_MAX_DRAWS: Final = 10_000

InsideFn = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.bool_]]


@dataclass(frozen=True)
class _Region:
    """Where one county unit's points may go, with a local km frame centred on its anchor."""

    anchor: tuple[float, float]  # seat (lng, lat), guaranteed inside
    area_km2: float  # area that the county's townships share (the city's for a statistical-only zone)
    townships_sharing: int  # townships sharing area_km2
    bounds: tuple[float, float, float, float]  # lng/lat box to draw spread townships from
    inside: InsideFn

    @property
    def kx(self) -> float:
        return _KM_PER_DEG * math.cos(math.radians(self.anchor[1]))

    def to_xy(self, lng: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.stack([(lng - self.anchor[0]) * self.kx, (lat - self.anchor[1]) * _KM_PER_DEG], axis=-1)

    def to_lnglat(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        lng = np.round(self.anchor[0] + x / self.kx, _DECIMALS)
        lat = np.round(self.anchor[1] + y / _KM_PER_DEG, _DECIMALS)
        return lng, lat

    @property
    def township_radius_km(self) -> float:
        """Radius of a township's territory seen as a disc."""
        return float(np.sqrt(self.area_km2 / (np.pi * max(self.townships_sharing, 1))))


def _contains(geom: BaseGeometry) -> InsideFn:
    shapely.prepare(geom)

    def inside(lng: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        return np.asarray(shapely.contains_xy(geom, lng, lat), dtype=bool)

    return inside


def _anchor_inside(seat: tuple[float, float], geom: BaseGeometry, inside: InsideFn) -> tuple[float, float]:
    """The seat, or (simplified borders: 保德县's seat is 100 m outside) the nearest point ~200 m inside."""
    lng, lat = round(seat[0], _DECIMALS), round(seat[1], _DECIMALS)
    if inside(np.array([lng]), np.array([lat]))[0]:
        return lng, lat
    inner = geom.buffer(-0.002)
    target = inner if not inner.is_empty else geom
    p = nearest_points(target, Point(seat))[0]
    lng, lat = round(p.x, _DECIMALS), round(p.y, _DECIMALS)
    if not inside(np.array([lng]), np.array([lat]))[0]:
        q = geom.representative_point()
        lng, lat = round(q.x, _DECIMALS), round(q.y, _DECIMALS)
    return lng, lat


def _regions(units: list[Division], n_townships: dict[str, int]) -> dict[str, _Region]:
    county_b, city_b = counties(), cities()
    city_area = dict(zip(city_b.codes, city_b.area_km2, strict=True))
    city_townships: dict[str, int] = {}
    for unit in units:
        city_townships[str(unit.parent)] = city_townships.get(str(unit.parent), 0) + n_townships.get(unit.code, 0)
    out: dict[str, _Region] = {}
    for unit in units:
        if unit.code in county_b.codes:
            geom = county_b.polygon(unit.code)
            inside = _contains(geom)
            out[unit.code] = _Region(
                anchor=_anchor_inside(county_b.seat(unit.code), geom, inside),
                area_km2=county_b.area_km2[county_b.codes.index(unit.code)],
                townships_sharing=n_townships.get(unit.code, 0),
                bounds=tuple(geom.bounds),
                inside=inside,
            )
        else:
            city = str(unit.parent)
            geom = city_b.polygon(city)
            inside = _zone_inside(geom, city, county_b)
            seat = ZONE_SEATS_WGS84.get(unit.code, city_b.seat(city))
            out[unit.code] = _Region(
                anchor=_anchor_inside(seat, geom, inside),
                area_km2=city_area[city],
                townships_sharing=city_townships[city],
                bounds=tuple(geom.bounds),
                inside=inside,
            )
    return out


def _zone_inside(city_geom: BaseGeometry, city: str, county_b: Boundaries) -> InsideFn:
    """Inside the city polygon *and* in one of its counties (city and county borders are simplified apart)."""
    in_city = _contains(city_geom)

    def inside(lng: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        ok = in_city(lng, lat)
        if ok.any():
            located = county_b.locate(lng[ok], lat[ok])
            ok[np.flatnonzero(ok)] = np.array([c is not None and c[:4] == city[:4] for c in located], dtype=bool)
        return ok

    return inside


def _disc_draw(
    rng: np.random.Generator, region: _Region, center: tuple[float, float], radius_km: float
) -> Callable[[int], tuple[NDArray[np.float64], NDArray[np.float64]]]:
    cx, cy = region.to_xy(np.array([center[0]]), np.array([center[1]]))[0]

    def draw(m: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        u, v = _unit_square(rng, (m,))
        in_disc = u * u + v * v <= 1.0
        lng, lat = region.to_lnglat(cx + radius_km * u[in_disc], cy + radius_km * v[in_disc])
        ok = region.inside(lng, lat)
        return lng[ok], lat[ok]

    return draw


def _unit_square(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Uniform points in [-1, 1)²; callers keep those in the unit disc (no trigonometry: bit-stable)."""
    uv = 2.0 * rng.random((2, *shape)) - 1.0
    return uv[0], uv[1]


def _area_draw(
    rng: np.random.Generator, region: _Region
) -> Callable[[int], tuple[NDArray[np.float64], NDArray[np.float64]]]:
    west, south, east, north = region.bounds

    def draw(m: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lng = np.round(west + (east - west) * rng.random(m), _DECIMALS)
        lat = np.round(south + (north - south) * rng.random(m), _DECIMALS)
        ok = region.inside(lng, lat)
        return lng[ok], lat[ok]

    return draw


def _spread(
    draw: Callable[[int], tuple[NDArray[np.float64], NDArray[np.float64]]],
    region: _Region,
    n: int,
    spacing_km: float,
    placed: list[tuple[float, float]],
) -> list[tuple[float, float]]:
    """Poisson-disc: ``n`` inside points at least ``spacing_km`` from each other and from ``placed``."""
    if n == 0:
        return []
    xy = np.empty((len(placed) + n, 2))
    count = len(placed)
    if placed:
        xy[:count] = region.to_xy(np.array([p[0] for p in placed]), np.array([p[1] for p in placed]))
    out: list[tuple[float, float]] = []
    rejections = 0
    for _ in range(_MAX_DRAWS):
        lng, lat = draw(max(16, 4 * n))
        cand = region.to_xy(lng, lat)
        for j in range(lng.size):
            if count == 0 or np.min(np.hypot(*(xy[:count] - cand[j]).T)) >= spacing_km:
                xy[count] = cand[j]
                count += 1
                out.append((float(lng[j]), float(lat[j])))
                rejections = 0
                if len(out) == n:
                    return out
            else:
                rejections += 1
                if rejections >= _MAX_REJECTIONS:
                    spacing_km *= 0.85
                    rejections = 0
    raise RuntimeError("could not place townships inside the region")  # pragma: no cover


def _scatter(
    rng: np.random.Generator,
    region: _Region,
    center_lng: NDArray[np.float64],
    center_lat: NDArray[np.float64],
    radius_km: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One inside point per row, uniform in a disc around its centre (vectorised rejection in batches)."""
    n, per_round = center_lng.size, 8
    centre = region.to_xy(center_lng, center_lat)
    lng_out, lat_out = center_lng.copy(), center_lat.copy()  # fallback: the township's own point
    radius = radius_km.astype(float).copy()
    pending = np.arange(n)
    for attempt in range(12):
        if pending.size == 0:
            break
        shape = (pending.size, per_round)
        u, v = _unit_square(rng, shape)
        r = radius[pending, None]
        lng, lat = region.to_lnglat(centre[pending, 0, None] + r * u, centre[pending, 1, None] + r * v)
        ok = (u * u + v * v <= 1.0) & region.inside(lng.ravel(), lat.ravel()).reshape(shape)
        hit = ok.any(axis=1)
        first = ok.argmax(axis=1)
        rows = pending[hit]
        lng_out[rows] = lng[hit, first[hit]]
        lat_out[rows] = lat[hit, first[hit]]
        pending = pending[~hit]
        if attempt >= 2:
            radius[pending] *= 0.5
    return lng_out, lat_out


def _place_townships(
    rng: np.random.Generator, region: _Region, townships: list[Division], official: bool
) -> dict[str, tuple[float, float]]:
    n = len(townships)
    if n == 0:
        return {}
    mean_spacing = np.sqrt(region.area_km2 / region.townships_sharing)
    if not official:  # statistical-only zone: every township near the zone's seat
        draw = _disc_draw(rng, region, region.anchor, ZONE_RADIUS_KM)
        spacing = TOWNSHIP_SPACING * np.sqrt(np.pi * ZONE_RADIUS_KM**2 / n)
        return dict(zip((t.code for t in townships), _spread(draw, region, n, spacing, []), strict=True))

    streets = [t for t in townships if t.kind == "街道"]
    towns = [t for t in townships if t.kind == "镇"]
    seat_town = [towns[0]] if not streets and towns else []
    rest = [t for t in townships if t.kind != "街道" and t not in seat_town]

    placed: list[tuple[float, float]] = []
    if streets:
        spacing = TOWNSHIP_SPACING * np.sqrt(_usable_disc_km2(region, STREET_RADIUS_KM) / len(streets))
        placed += _spread(_disc_draw(rng, region, region.anchor, STREET_RADIUS_KM), region, len(streets), spacing, [])
    if seat_town:
        placed += _spread(_disc_draw(rng, region, region.anchor, SEAT_TOWN_RADIUS_KM), region, 1, 0.0, [])
    placed += _spread(_area_draw(rng, region), region, len(rest), TOWNSHIP_SPACING * mean_spacing, placed)
    order = [*streets, *seat_town, *rest]
    return dict(zip((t.code for t in order), placed, strict=True))


def _usable_disc_km2(region: _Region, radius_km: float, k: int = 41) -> float:
    """Area [km²] of the disc around the anchor that lies inside the region (fixed lattice, no randomness)."""
    x, y = np.meshgrid(np.linspace(-radius_km, radius_km, k), np.linspace(-radius_km, radius_km, k))
    in_disc = x * x + y * y <= radius_km * radius_km
    lng, lat = region.to_lnglat(x[in_disc], y[in_disc])
    share = float(np.count_nonzero(region.inside(lng, lat))) / (k * k)  # share of the lattice's square
    return max(share * (2 * radius_km) ** 2, 1.0)


def synth_places(seed: int) -> list[Place]:
    """Every township unit then every village unit (each in code order) as a seeded synthetic ``Place``.

    Names and kinds are the real NBS 2023 ones; points follow the module docstring; ``population`` comes
    from ``split_population(seed)`` (so ``synth_population(places, seed)`` reproduces it exactly).
    """
    check_seed(seed)
    catalog = shanxi()
    population = split_population(seed)
    units = sorted(catalog.level("county"), key=lambda d: d.code)
    townships_of: dict[str, list[Division]] = {}
    for t in sorted(catalog.level("township"), key=lambda d: d.code):
        townships_of.setdefault(str(t.parent), []).append(t)
    villages_of: dict[str, list[Division]] = {}
    for v in sorted(catalog.level("village"), key=lambda d: d.code):
        villages_of.setdefault(str(v.parent)[:6], []).append(v)
    regions = _regions(units, {code: len(ts) for code, ts in townships_of.items()})
    source = scenario_source(seed)

    township_points: dict[str, tuple[float, float]] = {}
    village_points: dict[str, tuple[float, float]] = {}
    for i, unit in enumerate(units):
        rng = np.random.default_rng([int(seed), _GEOMETRY_STREAM, i])
        region = regions[unit.code]
        points = _place_townships(rng, region, townships_of.get(unit.code, []), unit.official)
        township_points.update(points)
        villages = villages_of.get(unit.code, [])
        if not villages:
            continue
        home = np.array([points[str(v.parent)] for v in villages])
        factor = np.array([RESIDENTS_RADIUS_FACTOR if v.kind != "村委会" else 1.0 for v in villages])
        lng, lat = _scatter(rng, region, home[:, 0], home[:, 1], factor * region.township_radius_km)
        village_points.update(
            zip((v.code for v in villages), zip(lng.tolist(), lat.tolist(), strict=True), strict=True)
        )

    out: list[Place] = []
    for level, points in (("township", township_points), ("village", village_points)):
        for code in sorted(points):
            d = catalog.get(code)
            assert d is not None
            lng_, lat_ = points[code]
            out.append(Place(code, level, d.name, d.kind, code[:6], lng_, lat_, population[code], True, source))
    return out
