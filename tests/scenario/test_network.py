"""The scenario's public network: exact year-end calibration, nested snapshots, valid trees, placement rules,
operators and the deliberate imperfections.

Most tests use a small hand-made world (three counties with a few places and sites); the calibration itself
does not depend on it, because urban stations take whatever piles the coverage rules leave. The last test runs
the real place, population, road and scenic generators.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import UTC

import numpy as np
import pytest
import shapely

from evinfra.domain.connector import ConnectorType
from evinfra.domain.equipment import EquipmentType
from evinfra.domain.layers import Place, RegionStat, RoadSite, ScenicArea
from evinfra.domain.site import Construction, ScenicLevel, SiteCategory
from evinfra.domain.station import StationType
from evinfra.regions.coords import gcj02_to_wgs84
from evinfra.regions.distance import haversine_km
from evinfra.regions.geometry import counties
from evinfra.scenario.assumptions import (
    COUNTIES_WITH_CENTRAL_STATION,
    COVERAGE_ATTAINMENT,
    DC_SHARE,
    FAULTED_SHARE,
    HIGHWAY_SERVICE_AREAS,
    OFFLINE_SHARE,
    PUBLIC_PILES,
    PUBLIC_STATIONS,
    SCENIC_COVERED,
    TOP3_PILE_SHARE,
    TOWNSHIPS_TOTAL,
    TRUNK_COVERED,
    VILLAGES_COVERED,
    ZOMBIE_SHARE,
)
from evinfra.scenario.network import TOLL_COVERED, ScenarioNetwork, ScenarioStation, synth_network, year_end
from evinfra.scenario.operators import ScenarioOperator, synth_operators
from evinfra.scenario.places import synth_places
from evinfra.scenario.population import synth_population
from evinfra.scenario.roads import synth_road_sites, synth_roads
from evinfra.scenario.scenic import synth_scenic_areas

YEARS = (2022, 2023, 2024, 2025)
SMALL_PILES = {2022: 3_359, 2023: 6_000, 2024: 9_000, 2025: 13_000}
SMALL_STATIONS = {2022: 175, 2023: 900, 2024: 1_600, 2025: 2_500}


def _places() -> list[Place]:
    """小店区 (two 街道), 清徐县 (three 镇, four 村委会 and a 居委会), 盐湖区 (a 街道, a 镇, two 村委会)."""
    return [
        Place("140105001", "township", "坞城街道", "街道", "140105", 112.565, 37.745, 108_900),
        Place("140105002", "township", "营盘街道", "街道", "140105", 112.575, 37.752, 95_000),
        Place("140121100", "township", "清源镇", "镇", "140121", 112.355, 37.610, 60_000),
        Place("140121101", "township", "徐沟镇", "镇", "140121", 112.450, 37.550, 45_000),
        Place("140121102", "township", "东于镇", "镇", "140121", 112.400, 37.520, 30_000),
        Place("140121101001", "village", "徐沟社区居委会", "居委会", "140121", 112.451, 37.551, 6_000),
        Place("140121101200", "village", "东北坊村委会", "村委会", "140121", 112.452, 37.548, 2_100),
        Place("140121101201", "village", "东南坊村委会", "村委会", "140121", 112.455, 37.545, 1_800),
        Place("140121102200", "village", "东于村委会", "村委会", "140121", 112.402, 37.518, 2_500),
        Place("140121102201", "village", "水屯营村委会", "村委会", "140121", 112.405, 37.522, 900),
        Place("140802001", "township", "中城街道", "街道", "140802", 110.995, 35.020, 80_000),
        Place("140802100", "township", "解州镇", "镇", "140802", 110.850, 34.920, 50_000),
        Place("140802100200", "village", "曲村村委会", "村委会", "140802", 110.860, 34.930, 1_500),
        Place("140802100201", "village", "常平村委会", "村委会", "140802", 110.870, 34.910, 1_700),
    ]


def _stats() -> list[RegionStat]:
    evs = {"140105": 60_000, "140121": 4_000, "140802": 25_000}
    growth = {2022: 1.0, 2023: 1.39, 2024: 1.91, 2025: 2.78}
    return [RegionStat(c, y, 500_000, round(n * g)) for c, n in evs.items() for y, g in growth.items()]


def _road_sites() -> list[RoadSite]:
    return [
        RoadSite("HSA-T1", "highway_service_area", "清徐服务区", "G5", "140121", 112.30, 37.65, 240),
        RoadSite("HSA-T2", "highway_service_area", "盐湖服务区", "G59", "140802", 110.95, 35.05, 160),
        RoadSite("TOL-T1", "toll_station", "小店收费站", "G5", "140105", 112.60, 37.70),
        RoadSite("TRK-T1", "trunk_road_service", "徐沟停车区", "G108", None, 112.46, 37.56),
        RoadSite("TOU-T1", "tourist_road_station", "太行一号驿站", "TH1", "140121", 112.41, 37.53),
        RoadSite("RVC-T1", "rv_camp", "汾河房车营地", "TH1", "140121", 112.36, 37.62),
    ]


def _scenic() -> list[ScenicArea]:
    return [
        ScenicArea("SCN-T1", "关帝庙", 4, "140802", 110.855, 34.925, 300),
        ScenicArea("SCN-T2", "清泉湖公园", 0, "140121", 112.357, 37.612, 0),
    ]


@pytest.fixture(scope="module")
def full_operators() -> list[ScenarioOperator]:
    return synth_operators(seed=11)


@pytest.fixture(scope="module")
def full(full_operators: list[ScenarioOperator]) -> ScenarioNetwork:
    """The calibrated network (PUBLIC_PILES, PUBLIC_STATIONS, 240 operators) on the hand-made world."""
    return synth_network(full_operators, _places(), _stats(), _road_sites(), _scenic(), 11)


def _small(seed: int = 5) -> ScenarioNetwork:
    return synth_network(
        synth_operators(seed, count=40),
        _places(),
        _stats(),
        _road_sites(),
        _scenic(),
        seed,
        pile_targets=SMALL_PILES,
        station_targets=SMALL_STATIONS,
    )


@pytest.fixture(scope="module")
def small() -> ScenarioNetwork:
    """A tenth of the calibration with 40 operators: every snapshot is cheap to build."""
    return _small()


def _piles(stations: list[ScenarioStation]) -> int:
    return sum(len(s.tree.equipment) for s in stations)


# --- calibration ------------------------------------------------------------------------------------


def test_year_end_pile_counts_are_exact(full: ScenarioNetwork) -> None:
    assert full.piles_by_year() == dict(PUBLIC_PILES)
    assert _piles(full.snapshot(2022)) == PUBLIC_PILES[2022]


def test_station_counts_follow_the_targets(full: ScenarioNetwork) -> None:
    by_year = full.stations_by_year()
    for year in (2023, 2024, 2025):
        assert by_year[year] == PUBLIC_STATIONS[year]
    # end-2022: the B-3 count plus what the 2022 village coverage adds (see the report on the conflict)
    assert PUBLIC_STATIONS[2022] <= by_year[2022] <= 1.4 * PUBLIC_STATIONS[2022]
    assert len(full.snapshot(2022)) == by_year[2022]


def test_dc_share_per_year(full: ScenarioNetwork) -> None:
    for year, share in full.dc_share_by_year().items():
        assert share == pytest.approx(DC_SHARE[year], abs=1 / PUBLIC_PILES[year] + 1e-9)
    snap = full.snapshot(2022)
    dc = sum(e.equipment.equipment_type is EquipmentType.DC for s in snap for e in s.tree.equipment)
    assert dc == round(DC_SHARE[2022] * PUBLIC_PILES[2022])


def test_small_targets_are_met_exactly(small: ScenarioNetwork) -> None:
    assert small.piles_by_year() == SMALL_PILES
    assert small.stations_by_year() == SMALL_STATIONS
    assert {y: _piles(small.snapshot(y)) for y in YEARS} == SMALL_PILES


# --- snapshots -----------------------------------------------------------------------------------------


def test_snapshots_nest_and_filter_by_year_end(small: ScenarioNetwork) -> None:
    previous: dict[str, ScenarioStation] = {}
    for year in YEARS:
        snap = {s.station_id: s for s in small.snapshot(year)}
        assert set(previous) <= set(snap)
        for sid, before in previous.items():
            after = snap[sid]
            assert after.tree.equipment[: len(before.tree.equipment)] == before.tree.equipment
            assert after.commissioned_at == before.commissioned_at
        for s in snap.values():
            assert s.commissioned_at.tzinfo is UTC and s.commissioned_at < year_end(year)
            assert len(s.equipment_commissioned_at) == len(s.tree.equipment) >= 1
            assert all(s.commissioned_at <= t < year_end(year) for t in s.equipment_commissioned_at)
            assert list(s.equipment_commissioned_at) == sorted(s.equipment_commissioned_at)
            assert s.year == year
        previous = snap
    assert list(previous) == sorted(previous)  # snapshots come in station-id order


def test_piles_added_later_are_commissioned_in_their_year(small: ScenarioNetwork) -> None:
    grown = 0
    old = {s.station_id: len(s.tree.equipment) for s in small.snapshot(2023)}
    for s in small.snapshot(2024):
        n = old.get(s.station_id)
        if n is not None and len(s.tree.equipment) > n:
            grown += 1
            assert all(year_end(2023) <= t < year_end(2024) for t in s.equipment_commissioned_at[n:])
    assert grown > 0


def test_unknown_snapshot_year(small: ScenarioNetwork) -> None:
    with pytest.raises(ValueError):
        small.snapshot(2021)


# --- trees, ids, categories ------------------------------------------------------------------------


def test_trees_are_valid_with_stable_ids(small: ScenarioNetwork) -> None:
    snap = small.snapshot(2025)
    ids = [s.station_id for s in snap]
    assert len(set(ids)) == len(ids)
    for s in snap:
        st = s.tree.station
        assert re.fullmatch(r"\d{11}", st.station_id) and st.station_id.startswith(st.area_code)
        assert st.station_type is StationType.PUBLIC and st.synthetic
        assert st.park_nums == len(s.tree.connectors) > 0
        assert st.town_code is None or st.town_code.startswith(st.area_code)
        assert len(s.initial_status) == len(s.tree.connectors)
        for number, e in enumerate(s.tree.equipment, start=1):
            eq = e.equipment
            assert eq.equipment_id == f"{st.station_id}E{number:02d}" and len(eq.equipment_id) <= 23
            assert (eq.operator_id, eq.station_id) == (st.operator_id, st.station_id)
            assert 1 <= len(e.connectors) <= 2
            assert [c.connector_id for c in e.connectors] == [
                f"{eq.equipment_id}C{j + 1}" for j in range(len(e.connectors))
            ]
            if eq.equipment_type is EquipmentType.AC:
                assert all(c.power_kw == 7.0 and c.connector_type is ConnectorType.AC_PLUG for c in e.connectors)
            else:
                assert eq.power_kw in (60.0, 120.0, 160.0, 240.0, 360.0)
                assert all(c.connector_type is ConnectorType.DC_PLUG for c in e.connectors)
                assert sum(c.power_kw for c in e.connectors) == pytest.approx(eq.power_kw, abs=0.11)


def test_sites_and_categories_are_consistent(small: ScenarioNetwork) -> None:
    snap = small.snapshot(2025)
    by_cat: dict[SiteCategory, list[ScenarioStation]] = defaultdict(list)
    for s in snap:
        by_cat[s.site_category].append(s)
    site_ids = {r.site_id: r for r in _road_sites()} | {a.site_id: a for a in _scenic()}
    expected = {
        SiteCategory.HIGHWAY_SERVICE_AREA: {Construction.HIGHWAY_SERVICE_AREA},
        SiteCategory.SCENIC_AREA: {Construction.SCENIC_AREA},
        SiteCategory.VILLAGE: {Construction.PUBLIC_INSTITUTION, Construction.OTHER},
        SiteCategory.BUS_DEPOT: {Construction.BUS_DEPOT},
    }
    for cat, constructions in expected.items():
        assert {s.tree.station.construction for s in by_cat[cat]} <= constructions
    for s in snap:
        st = s.tree.station
        if st.site_id is not None:
            assert st.site_id in site_ids
        if s.site_category in (SiteCategory.URBAN_PUBLIC, SiteCategory.CENTRALIZED_COUNTY, SiteCategory.TOWNSHIP):
            assert st.site_id is None
    assert {s.tree.station.site_id for s in by_cat[SiteCategory.HIGHWAY_SERVICE_AREA]} == {"HSA-T1", "HSA-T2"}
    scenic = {s.tree.station.site_id: s.tree.station.scenic_level for s in by_cat[SiteCategory.SCENIC_AREA]}
    assert scenic == {"SCN-T1": ScenicLevel.A4, "SCN-T2": ScenicLevel.NONE}
    # townships and villages carry their codes; the 居委会 is not an administrative village
    towns = {s.tree.station.town_code for s in by_cat[SiteCategory.TOWNSHIP]}
    villages = {s.tree.station.town_code for s in by_cat[SiteCategory.VILLAGE]}
    assert towns == {p.code for p in _places() if p.level == "township"}
    assert villages == {p.code for p in _places() if p.kind == "村委会"}
    assert all(len(s.tree.equipment) == 2 for s in by_cat[SiteCategory.VILLAGE])
    assert all(len(s.tree.equipment) >= 5 for s in by_cat[SiteCategory.TOWNSHIP])  # K-2


def test_highway_service_areas_get_high_power_dc_and_their_space_ratio(small: ScenarioNetwork) -> None:
    spaces = {r.site_id: r.parking_spaces for r in _road_sites()}
    stations = [s for s in small.snapshot(2025) if s.site_category is SiteCategory.HIGHWAY_SERVICE_AREA]
    for s in stations:
        powers = [e.equipment.power_kw for e in s.tree.equipment if e.equipment.equipment_type is EquipmentType.DC]
        assert max(powers) >= 160.0
    # K-8: connectors for 15 % of the car spaces where attained (both sites here, or one: 0.93 attainment)
    met = [len(s.tree.connectors) >= 0.15 * spaces[s.tree.station.site_id or ""] for s in stations]
    assert sum(met) >= 1


def test_central_stations_per_county_by_2025(small: ScenarioNetwork) -> None:
    per_county: dict[str, list[int]] = defaultdict(list)
    for s in small.snapshot(2025):
        if s.site_category is SiteCategory.CENTRALIZED_COUNTY:
            per_county[s.tree.station.area_code].append(len(s.tree.equipment))
    assert len(per_county) == round(COUNTIES_WITH_CENTRAL_STATION[2025] * COVERAGE_ATTAINMENT)
    assert all(len(v) == 2 and sum(v) >= 30 for v in per_county.values())  # K-2


# --- placement ------------------------------------------------------------------------------------


def _located(stations: list[ScenarioStation]) -> tuple[np.ndarray, np.ndarray]:
    b = counties()
    reported = b.locate(
        np.array([s.tree.station.location.lng for s in stations]),
        np.array([s.tree.station.location.lat for s in stations]),
    )
    true = b.locate(
        np.array([s.true_location.lng for s in stations]), np.array([s.true_location.lat for s in stations])
    )
    return reported, true


def _check_placement(stations: list[ScenarioStation]) -> int:
    """Every true point lies in its area_code's county; only wrong-county stations report a point outside it,
    and that point is in a neighbouring county. Returns the number of wrong-county stations."""
    b = counties()
    reported, true = _located(stations)
    wrong = 0
    for s, rep, tru in zip(stations, reported, true, strict=True):
        st = s.tree.station
        assert tru == st.area_code
        if s.quality_issue == "coords_wrong_county":
            wrong += 1
            assert rep is not None and rep != st.area_code
            assert shapely.intersects(b.polygon(rep), shapely.buffer(b.polygon(st.area_code), 1e-3))
        else:
            assert rep == st.area_code, (st.station_id, s.quality_issue)
    return wrong


def test_stations_lie_in_their_county_except_the_wrong_county_ones(full: ScenarioNetwork) -> None:
    snap = full.snapshot(2022)
    wrong = _check_placement(snap)
    wrong_ops = {o.operator_id for o in full.operators if o.data_quality == "coords_wrong_county"}
    assert wrong == sum(s.operator_id in wrong_ops for s in snap) > 0


def test_gcj_problem_moves_the_point_about_550_m(full: ScenarioNetwork) -> None:
    moved = [s for s in full.snapshot(2022) if s.quality_issue == "coords_wgs84_as_gcj02"]
    assert moved
    for s in moved:
        loc, true = s.tree.station.location, s.true_location
        assert (loc.lng, loc.lat) == pytest.approx(gcj02_to_wgs84(true.lng, true.lat), abs=2e-6)
        assert 0.3 < float(haversine_km(loc.lng, loc.lat, true.lng, true.lat)) < 0.9


def test_data_problems_follow_the_operator(full: ScenarioNetwork) -> None:
    quality = {o.operator_id: o.data_quality for o in full.operators}
    snap = full.snapshot(2022)
    for s in snap:
        assert s.quality_issue == quality[s.operator_id]
        st = s.tree.station
        if s.quality_issue == "missing_fields":
            assert st.address == st.business_hours == st.service_tel == ""
        else:
            assert st.address and st.business_hours and st.service_tel
        if s.quality_issue not in ("coords_wgs84_as_gcj02", "coords_wrong_county"):
            assert (st.location.lng, st.location.lat) == (s.true_location.lng, s.true_location.lat)
    assert any(s.late_pushes for s in snap)


# --- operators ----------------------------------------------------------------------------------------


def test_every_operator_owns_a_station_from_2022(full: ScenarioNetwork) -> None:
    owners = Counter(s.operator_id for s in full.snapshot(2022))
    assert set(owners) == {o.operator_id for o in full.operators}


def test_pile_shares_follow_the_operator_weights(full: ScenarioNetwork) -> None:
    rows = full.station_rows()
    top3 = {o.operator_id for o in full.operators[:3]}
    home = {o.operator_id: (o.province_wide, o.home_city) for o in full.operators}
    for year in YEARS:
        piles: Counter[str] = Counter()
        for r in rows:
            piles[r.operator_id] += r.piles[year]
        share = sum(piles[o] for o in top3) / PUBLIC_PILES[year]
        assert share == pytest.approx(TOP3_PILE_SHARE, abs=0.035), (year, share)
    for r in rows:  # local operators build only in their home city
        wide, city = home[r.operator_id]
        assert wide or r.area_code[:4] == city[:4]


# --- imperfections ------------------------------------------------------------------------------------


def test_status_and_zombie_shares(small: ScenarioNetwork) -> None:
    for year in YEARS:
        snap = small.snapshot(year)
        statuses = Counter(code for s in snap for code in s.initial_status)
        n = sum(statuses.values())
        assert set(statuses) <= {0, 1, 2, 3, 255}
        assert statuses[255] == pytest.approx(FAULTED_SHARE * n, abs=1)
        assert statuses[0] == pytest.approx(OFFLINE_SHARE * n, abs=1)
        assert 0.02 < statuses[3] / n < 0.15
        assert statuses[1] > 0.75 * n
        zombie_piles = sum(len(s.tree.equipment) for s in snap if s.zombie)
        assert zombie_piles / SMALL_PILES[year] == pytest.approx(ZOMBIE_SHARE, abs=0.01)
        for s in snap:
            if s.zombie:
                assert set(s.initial_status) <= {0, 255}
                assert s.site_category not in (SiteCategory.HIGHWAY_SERVICE_AREA, SiteCategory.TOLL_STATION)


def test_zombies_stay_zombies(small: ScenarioNetwork) -> None:
    zombies = {y: {s.station_id for s in small.snapshot(y) if s.zombie} for y in YEARS}
    for a, b in itertools.pairwise(YEARS):
        assert zombies[a] <= zombies[b]


def test_deterministic_in_the_seed(small: ScenarioNetwork) -> None:
    again = _small()
    assert again.station_rows() == small.station_rows()
    assert [s.initial_status for s in again.snapshot(2023)] == [s.initial_status for s in small.snapshot(2023)]
    assert [s.tree for s in again.snapshot(2022)] == [s.tree for s in small.snapshot(2022)]
    assert _small(6).station_rows() != small.station_rows()


# --- with the real generators -------------------------------------------------------------------------


def test_with_the_real_generators() -> None:
    """Places, population, roads and scenic areas from their generators: coverage with its gaps, placement and
    valid trees for the 25k stations of end-2025."""
    seed = 0
    places = synth_places(seed)
    stats = synth_population(places, seed)
    sites = synth_road_sites(synth_roads(seed), seed)
    scenic = synth_scenic_areas(seed)
    network = synth_network(synth_operators(seed), places, stats, sites, scenic, seed)
    assert network.piles_by_year() == dict(PUBLIC_PILES)
    assert {y: n for y, n in network.stations_by_year().items() if y > 2022} == {
        y: n for y, n in PUBLIC_STATIONS.items() if y > 2022
    }

    rows = network.station_rows()
    opened: dict[SiteCategory, Counter[int]] = defaultdict(Counter)
    for r in rows:
        opened[r.category][r.opened] += 1

    def covered(category: SiteCategory, year: int) -> int:
        return sum(n for y, n in opened[category].items() if y <= year)

    a = COVERAGE_ATTAINMENT
    for year in YEARS:
        assert covered(SiteCategory.VILLAGE, year) == round(VILLAGES_COVERED[year] * a)
        assert covered(SiteCategory.SCENIC_AREA, year) == round(SCENIC_COVERED[year] * a)
        assert covered(SiteCategory.TRUNK_ROAD_SERVICE, year) == round(TRUNK_COVERED[year] * a)
        assert covered(SiteCategory.TOLL_STATION, year) == round(TOLL_COVERED[year] * a)
        if year >= 2023:
            assert covered(SiteCategory.TOWNSHIP, year) == round(TOWNSHIPS_TOTAL * a)
            assert covered(SiteCategory.HIGHWAY_SERVICE_AREA, year) == HIGHWAY_SERVICE_AREAS
    # coverage gaps: some official townships and villages are left without a station
    assert covered(SiteCategory.TOWNSHIP, 2025) < TOWNSHIPS_TOTAL
    assert covered(SiteCategory.VILLAGE, 2025) < sum(p.kind == "村委会" for p in places)

    snap = network.snapshot(2025)
    assert len(snap) == PUBLIC_STATIONS[2025] and _piles(snap) == PUBLIC_PILES[2025]
    assert 150_000 < sum(len(s.tree.connectors) for s in snap) < 200_000
    wrong = _check_placement(snap)
    wrong_ops = {o.operator_id for o in network.operators if o.data_quality == "coords_wrong_county"}
    assert wrong == sum(s.operator_id in wrong_ops for s in snap) > 0
    assert {s.operator_id for s in snap} == {o.operator_id for o in network.operators}
    place_codes = {p.code for p in places}
    assert all(s.tree.station.town_code in place_codes for s in snap if s.tree.station.town_code is not None)
    site_ids = {r.site_id for r in sites} | {a.site_id for a in scenic}
    assert all(s.tree.station.site_id in site_ids for s in snap if s.tree.station.site_id is not None)
