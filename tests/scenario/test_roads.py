"""Synthetic roads and road sites: the plan's counts (T-9..T-13, K-6..K-8), real seats, inside Shanxi, seeded."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import shapely

from evinfra.domain.layers import SITE_KINDS, Road, RoadSite
from evinfra.regions.distance import haversine_km
from evinfra.regions.geometry import counties, province
from evinfra.scenario.assumptions import (
    HIGHWAY_SERVICE_AREAS,
    RV_CAMPS,
    TOLL_STATIONS,
    TOURIST_ROAD_STATIONS,
    TRUNK_SERVICE_AREAS,
)
from evinfra.scenario.roads import (
    ROAD_KINDS,
    county_code,
    county_short_name,
    route_codes,
    synth_road_sites,
    synth_roads,
)

SEED = 20250601
KM_PER_DEG = 111.2  # a distance in degrees times this over-estimates km in Shanxi (a degree of longitude is shorter)

COUNTS = {
    "highway_service_area": HIGHWAY_SERVICE_AREAS,
    "toll_station": TOLL_STATIONS,
    "tourist_road_station": TOURIST_ROAD_STATIONS,
    "rv_camp": RV_CAMPS,
    "trunk_road_service": TRUNK_SERVICE_AREAS,
}
ID_PREFIX = {
    "highway_service_area": "HSA-",
    "toll_station": "TOLL-",
    "tourist_road_station": "TRS-",
    "rv_camp": "RVC-",
    "trunk_road_service": "TRK-",
}
ROAD_KIND_OF_SITE = {
    "highway_service_area": "expressway",
    "toll_station": "expressway",
    "tourist_road_station": "tourist",
    "rv_camp": "tourist",
    "trunk_road_service": "trunk",
}


@pytest.fixture(scope="module")
def roads() -> list[Road]:
    return synth_roads(SEED)


@pytest.fixture(scope="module")
def sites(roads: list[Road]) -> list[RoadSite]:
    return synth_road_sites(roads, SEED)


def _line(road: Road) -> shapely.LineString:
    return shapely.LineString(road.coords)


# --- roads --------------------------------------------------------------------------------------------


def test_the_main_routes_are_modelled_with_their_real_numbers(roads: list[Road]) -> None:
    by_id = {r.road_id: r for r in roads}
    assert len(by_id) == len(roads)
    for road_id in ("G5", "G20", "G22", "G55", "G18", "G59"):
        assert by_id[road_id].kind == "expressway"
    for road_id in ("G108", "G207", "G208", "G209", "G307", "G309"):
        assert by_id[road_id].kind == "trunk"
    assert {r.road_id for r in roads if r.kind == "tourist"} == {"黄河一号", "长城一号", "太行一号"}
    assert "京昆" in by_id["G5"].name and "旅游公路" in by_id["黄河一号"].name
    assert all(r.synthetic and "approximate" in r.source for r in roads)


def test_roads_pass_through_the_real_seats_they_name_and_stay_in_shanxi(roads: list[Road]) -> None:
    by_id = {r.road_id: r for r in roads}
    shanxi = province()
    for _, table in ROAD_KINDS:
        for road_id, _, seats in table:
            line = _line(by_id[road_id])
            for code in route_codes(seats):
                # 保德's seat lies on the Yellow River just outside the simplified border: pulled ~1 km in
                assert line.distance(shapely.Point(counties().seat(code))) * KM_PER_DEG < 2.0, (road_id, code)
    for road in roads:
        xy = np.asarray(road.coords)
        assert shapely.contains_xy(shanxi, xy[:, 0], xy[:, 1]).all(), road.road_id


def test_road_length_is_the_great_circle_length_of_the_polyline(roads: list[Road]) -> None:
    for road in roads:
        xy = np.asarray(road.coords)
        length = haversine_km(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]).sum()
        assert road.length_km == pytest.approx(length, abs=0.1)
        straight = haversine_km(*xy[0], *xy[-1])
        assert road.length_km >= straight
    total = {kind: sum(r.length_km for r in roads if r.kind == kind) for kind in ("expressway", "trunk", "tourist")}
    assert 2_500 < total["expressway"] < 6_000  # real network ~5,800 km; the model draws its trunk lines
    assert total["trunk"] > 2_500
    assert total["tourist"] > 1_500


def test_county_names_resolve_through_the_catalog() -> None:
    assert county_code("平遥") == county_code("平遥县") == "140728"
    assert county_code("阳泉城区") != county_code("晋城城区")
    with pytest.raises(KeyError, match="ambiguous"):
        county_code("城区")
    with pytest.raises(KeyError):
        county_code("不存在")
    assert county_short_name("140728") == "平遥"
    assert county_short_name("140622") == "应县"
    assert county_short_name(county_code("阳泉城区")) == "阳泉城区"


# --- sites --------------------------------------------------------------------------------------------


def test_exact_plan_counts_per_kind(sites: list[RoadSite]) -> None:
    assert Counter(s.kind for s in sites) == COUNTS
    assert set(COUNTS) == set(SITE_KINDS)


def test_ids_and_names_are_unique_per_kind(sites: list[RoadSite]) -> None:
    assert len({s.site_id for s in sites}) == len(sites)
    for kind, prefix in ID_PREFIX.items():
        of_kind = [s for s in sites if s.kind == kind]
        assert all(s.site_id.startswith(prefix) for s in of_kind)
        assert len({s.name for s in of_kind}) == len(of_kind), kind


def test_names_say_what_the_site_is(sites: list[RoadSite]) -> None:
    suffixes = {
        "highway_service_area": ("服务区",),
        "toll_station": ("收费站",),
        "tourist_road_station": ("驿站",),
        "rv_camp": ("房车营地",),
        "trunk_road_service": ("服务区", "停车区"),
    }
    for s in sites:
        assert s.name.endswith(suffixes[s.kind]), s
    # named after the county they are in
    for s in sites:
        assert county_short_name(s.county_code or "") in s.name, s


def test_every_site_lies_inside_the_county_it_names(sites: list[RoadSite]) -> None:
    lng = np.array([s.lng for s in sites])
    lat = np.array([s.lat for s in sites])
    located = counties().locate(lng, lat)
    assert all(code is not None for code in located)
    assert [s.county_code for s in sites] == list(located)
    assert shapely.contains_xy(province(), lng, lat).all()


def test_sites_lie_on_a_road_of_their_kind(roads: list[Road], sites: list[RoadSite]) -> None:
    by_id = {r.road_id: r for r in roads}
    for s in sites:
        road = by_id[s.road_id or ""]
        assert road.kind == ROAD_KIND_OF_SITE[s.kind], s
        assert _line(road).distance(shapely.Point(s.lng, s.lat)) * KM_PER_DEG < 2.0, s


def test_tourist_sites_are_shared_by_length(roads: list[Road], sites: list[RoadSite]) -> None:
    tourist = [r for r in roads if r.kind == "tourist"]
    total_km = sum(r.length_km for r in tourist)
    for kind, total in (("tourist_road_station", TOURIST_ROAD_STATIONS), ("rv_camp", RV_CAMPS)):
        per_road = Counter(s.road_id for s in sites if s.kind == kind)
        for road in tourist:
            assert per_road[road.road_id] == pytest.approx(total * road.length_km / total_km, abs=2), (kind, road)


def _max_gap_km(road: Road, points: list[RoadSite]) -> float:
    """Longest stretch of ``road`` (ends included) without a site on it; sites of any road on it count."""
    line = _line(road)
    pts = shapely.points([(s.lng, s.lat) for s in points])
    on = shapely.distance(pts, line) * KM_PER_DEG < 2.0
    along = np.sort(shapely.line_locate_point(line, pts[on], normalized=True)) * road.length_km
    return float(np.diff(np.concatenate(([0.0], along, [road.length_km]))).max())


@pytest.mark.parametrize(
    ("road_kind", "site_kind", "max_gap_km"),
    [
        ("expressway", "highway_service_area", 50.0),  # T-14: charging distance < 50 km along highways
        ("tourist", "tourist_road_station", 50.0),  # T-12 / K-6 (2025)
        ("tourist", "rv_camp", 50.0),
        ("trunk", "trunk_road_service", 50.0),  # T-12 / K-7 (2025)
    ],
)
def test_sites_are_spaced_along_every_road(
    roads: list[Road], sites: list[RoadSite], road_kind: str, site_kind: str, max_gap_km: float
) -> None:
    of_kind = [s for s in sites if s.kind == site_kind]
    for road in (r for r in roads if r.kind == road_kind):
        assert _max_gap_km(road, of_kind) < max_gap_km, road.road_id


def test_service_areas_are_not_crowded(sites: list[RoadSite]) -> None:
    hsa = [s for s in sites if s.kind == "highway_service_area"]
    lng = np.array([s.lng for s in hsa])
    lat = np.array([s.lat for s in hsa])
    d = haversine_km(lng[:, None], lat[:, None], lng[None, :], lat[None, :])
    np.fill_diagonal(d, np.inf)
    assert np.median(d.min(axis=1)) > 5.0  # spread out, not piled where two expressways share a stretch


def test_toll_stations_sit_at_county_towns(sites: list[RoadSite]) -> None:
    tolls = [s for s in sites if s.kind == "toll_station"]
    c = counties()
    near_seat = [haversine_km(s.lng, s.lat, *c.seat(s.county_code or "")) < 20.0 for s in tolls]
    assert sum(near_seat) >= 0.8 * len(tolls)
    assert len({s.county_code for s in tolls}) >= 70


def test_parking_spaces_are_plausible(sites: list[RoadSite]) -> None:
    for s in sites:
        if s.kind == "highway_service_area":
            assert 80 <= s.parking_spaces <= 300
        else:
            assert 20 <= s.parking_spaces <= 150
    assert all(s.synthetic and s.source for s in sites)


# --- determinism --------------------------------------------------------------------------------------


def test_same_seed_same_layers(roads: list[Road], sites: list[RoadSite]) -> None:
    again = synth_roads(SEED)
    assert again == roads
    assert synth_road_sites(again, SEED) == sites


def test_another_seed_moves_the_synthetic_parts_only(roads: list[Road], sites: list[RoadSite]) -> None:
    other_roads = synth_roads(SEED + 1)
    assert [(r.road_id, r.kind, r.name) for r in other_roads] == [(r.road_id, r.kind, r.name) for r in roads]
    assert [r.coords for r in other_roads] != [r.coords for r in roads]
    assert other_roads[0].coords[0] == roads[0].coords[0]  # a route still starts at its real seat
    other_sites = synth_road_sites(other_roads, SEED + 1)
    assert Counter(s.kind for s in other_sites) == COUNTS
    assert [(s.lng, s.lat) for s in other_sites] != [(s.lng, s.lat) for s in sites]


def test_the_store_takes_the_layers_as_they_are(uow_factory, roads: list[Road], sites: list[RoadSite]) -> None:
    with uow_factory() as uow:
        assert uow.layers.replace_roads(roads) == len(roads)
        assert uow.layers.replace_road_sites(sites) == len(sites)
        uow.commit()
    with uow_factory() as uow:
        assert sorted(uow.layers.roads(), key=lambda r: r.road_id) == sorted(roads, key=lambda r: r.road_id)
        assert uow.layers.road_sites() == sorted(sites, key=lambda s: s.site_id)
