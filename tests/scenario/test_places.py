"""Synthetic township and village points: real NBS counts, inside the real polygons, plausible layout."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely

from evinfra.domain.layers import Place
from evinfra.regions.distance import haversine_km
from evinfra.regions.divisions import shanxi
from evinfra.regions.geometry import cities, counties
from evinfra.scenario.places import STREET_RADIUS_KM, synth_places
from evinfra.scenario.population import split_population

SEED = 20230
ZONES = ("140171", "140271", "140671", "140971")


@pytest.fixture(scope="module")
def places() -> list[Place]:
    return synth_places(SEED)


def _xy(items: list[Place]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([p.lng for p in items]), np.array([p.lat for p in items])


def test_one_place_per_real_township_and_village(places: list[Place]) -> None:
    townships = [p for p in places if p.level == "township"]
    villages = [p for p in places if p.level == "village"]
    assert len(townships) == 1352 and len(villages) == 21895
    assert sum(1 for p in townships if p.kind in ("街道", "镇", "乡")) == 1278
    assert Counter(p.kind for p in townships) == {"街道": 217, "镇": 631, "乡": 430, "类似乡级单位": 74}
    assert sum(1 for p in villages if p.kind == "村委会") == 18851
    assert all(len(p.code) == 9 for p in townships) and all(len(p.code) == 12 for p in villages)
    assert len({p.code for p in places}) == len(places)


def test_names_kinds_and_flags_come_from_the_catalog(places: list[Place]) -> None:
    catalog = shanxi()
    for p in places:
        d = catalog.get(p.code)
        assert d is not None and (d.name, d.kind, d.level) == (p.name, p.kind, p.level)
        assert p.county_code == p.code[:6] and catalog.exists(p.county_code)
        assert p.synthetic and p.source == f"evinfra scenario seed={SEED}"


def test_every_point_lies_inside_its_county_or_for_the_four_zones_its_city(places: list[Place]) -> None:
    by_county: dict[str, list[Place]] = defaultdict(list)
    for p in places:
        by_county[p.county_code].append(p)
    assert len(by_county) == 121
    county_b, city_b = counties(), cities()
    outside: list[str] = []
    for code, items in by_county.items():
        lng, lat = _xy(items)
        polygon = city_b.polygon(code[:4] + "00") if code in ZONES else county_b.polygon(code)
        inside = shapely.contains_xy(polygon, lng, lat)
        outside += [p.code for p, ok in zip(items, inside, strict=True) if not ok]
    assert outside == []


def test_zone_places_sit_in_a_county_of_their_own_city(places: list[Place]) -> None:
    zone_places = [p for p in places if p.county_code in ZONES]
    assert len(zone_places) == 6 + 1 + 1 + 3 + 51 + 8 + 4 + 26
    located = counties().locate(*_xy(zone_places))
    assert all(c is not None and c[:4] == p.code[:4] for p, c in zip(zone_places, located, strict=True))
    wutai = [p for p in zone_places if p.level == "township" and p.county_code == "140971"]
    assert set(counties().locate(*_xy(wutai))) <= {"140922", "140924"}  # 五台山 spans 五台县 and 繁峙县


def test_streets_cluster_at_the_county_seat_and_xiang_spread_out(places: list[Place]) -> None:
    county_b = counties()
    dist: dict[str, list[float]] = defaultdict(list)
    for p in places:
        if p.level == "township" and p.county_code in county_b.codes:
            dist[p.kind].append(float(haversine_km(p.lng, p.lat, *county_b.seat(p.county_code))))
    assert max(dist["街道"]) <= STREET_RADIUS_KM + 0.5  # 保德县's seat is nudged ~100 m into its polygon
    assert np.mean(dist["街道"]) < np.mean(dist["镇"]) and np.mean(dist["街道"]) * 3 < np.mean(dist["乡"])


def test_townships_are_spread_not_stacked(places: list[Place]) -> None:
    by_county: dict[str, list[Place]] = defaultdict(list)
    for p in places:
        if p.level == "township":
            by_county[p.county_code].append(p)
    nearest: list[float] = []
    for items in by_county.values():
        if len(items) > 1:
            lng, lat = _xy(items)
            d = haversine_km(lng[:, None], lat[:, None], lng[None, :], lat[None, :])
            np.fill_diagonal(d, np.inf)
            nearest += d.min(axis=1).tolist()
    assert min(nearest) > 0.5  # even the 11 km² 阳泉矿区 keeps its six townships apart
    assert np.median(nearest) > 3.0


def test_villages_scatter_around_their_township_residents_committees_closer(places: list[Place]) -> None:
    home = {p.code: p for p in places if p.level == "township"}
    dist: dict[str, list[float]] = defaultdict(list)
    for p in places:
        if p.level == "village":
            t = home[p.code[:9]]
            dist[p.kind].append(float(haversine_km(p.lng, p.lat, t.lng, t.lat)))
    assert np.mean(dist["居委会"]) < np.mean(dist["村委会"]) / 2
    assert np.mean(dist["类似居委会"]) < np.mean(dist["村委会"])
    assert 1.0 < np.mean(dist["村委会"]) < 10.0 and max(dist["村委会"]) < 25.0


def test_population_is_the_seeded_split(places: list[Place]) -> None:
    population = split_population(SEED)
    assert all(p.population == population[p.code] and p.population > 0 for p in places)


def test_same_seed_same_places_other_seed_other_points(places: list[Place]) -> None:
    assert synth_places(SEED) == places
    other = synth_places(SEED + 1)
    assert [p.code for p in other] == [p.code for p in places]
    moved = sum((a.lng, a.lat) != (b.lng, b.lat) for a, b in zip(places, other, strict=True))
    assert moved > 0.99 * len(places)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_seed_must_be_a_non_negative_int(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        synth_places(seed)  # type: ignore[arg-type]
