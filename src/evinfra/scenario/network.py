"""The public charging network of the Shanxi reference scenario as it grows from the 2022 baseline to end-2025.

:func:`synth_network` places every public station of end-2025 with the year it opened and every pile with the
day it was commissioned, so that filtering by year-end reproduces the calibration: public piles exactly
PUBLIC_PILES [B-3, T-1], stations close to PUBLIC_STATIONS, DC share exactly DC_SHARE (to one pile).
:meth:`ScenarioNetwork.snapshot` returns the stations standing at a year-end as validated domain trees, with
the connector statuses an operator would report at that moment.

How it is built, category by category (plan-targets.md ids):

* highway service areas (T-13, K-8): 70 % in 2022, all 258 from 2023; high-power DC in HIGHWAY_HP_SHARE of
  them by year, and chargers for 15 % of the car spaces by 2025;
* toll-station central stations (K-8), trunk-road service areas (T-11, K-7), tourist-road stations (T-9),
  RV camps (T-10) and scenic areas (T-7, K-5 space ratios by A-level): the targets × COVERAGE_ATTAINMENT;
* a centralized commercial station per covered county (T-4), a second one by 2025 and ≥ 30 piles (K-2);
* a station per covered township (T-5; ≥ 5 piles by 2025, K-2) and per covered administrative village
  (T-6; 2 small piles), the most populous places first (with randomness);
* urban public stations take the rest of each year's piles and stations, in counties in proportion to
  their pile deficit against their EVs (× a per-city factor, so a few cities fall below their pile:EV
  ratio, K-1). With 130k piles of which ~60k go to the coverage rules, Taiyuan (40 % of the EVs) cannot
  reach 1:6 in 2025; that is a finding of the calibration, not a bug.

End-2022 has more stations than B-3's 1,753: VILLAGES_COVERED[2022] alone asks for ~1,100 village stations,
so the count there is the coverage rules plus as few urban stations as the 2022 piles allow
(URBAN_MAX_MEAN_PILES); from 2023 on the station targets are met exactly.

Imperfections the supervision features must find: coverage gaps (attainment < 1), FAULTED_SHARE and
OFFLINE_SHARE of connectors down at each snapshot, zombie stations holding ZOMBIE_SHARE of the piles with a
frozen status (F-1), and the stations of bad-data operators carrying their operator's BAD_DATA_KINDS problem.

All coordinates are WGS-84. A station's ``area_code`` is the county whose polygon holds its true point; only
the ``coords_*`` data problems move the reported ``location`` away from it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.ops import nearest_points

from evinfra.domain.connector import Connector, ConnectorType, NationalStandard
from evinfra.domain.equipment import Equipment, EquipmentType
from evinfra.domain.geo import GeoPoint
from evinfra.domain.layers import Place, RegionStat, RoadSite, ScenicArea
from evinfra.domain.network import EquipmentTree, StationTree
from evinfra.domain.site import Construction, ScenicLevel, SiteCategory
from evinfra.domain.station import Payment, Station, StationStatus, StationType
from evinfra.domain.status import TcecConnectorStatus
from evinfra.regions.coords import gcj02_to_wgs84
from evinfra.regions.divisions import shanxi
from evinfra.regions.geometry import Boundaries, counties
from evinfra.scenario.assumptions import (
    COUNTIES_WITH_CENTRAL_STATION,
    COVERAGE_ATTAINMENT,
    DC_SHARE,
    DISTRICT_EV_FACTOR,
    EVS_BY_YEAR,
    FAULTED_SHARE,
    HIGHWAY_FAST_DC_SHARE,
    OFFLINE_SHARE,
    PUBLIC_PILES,
    PUBLIC_STATIONS,
    RV_CAMPS_COVERED,
    SCENIC_COVERED,
    SNAPSHOTS,
    TOLL_STATIONS,
    TOURIST_STATIONS_COVERED,
    TOWNSHIPS_TOTAL,
    TRUNK_COVERED,
    VILLAGES_COVERED,
    ZOMBIE_SHARE,
)
from evinfra.scenario.operators import CITY_NAMES, CITY_PHONE_CODES, ScenarioOperator, city_ev_shares, org_code_check

__all__ = [
    "HIGH_POWER_DC_KW",
    "ScenarioNetwork",
    "ScenarioStation",
    "StationRow",
    "synth_network",
    "year_end",
]

SHANGHAI: Final = timezone(timedelta(hours=8), "Asia/Shanghai")

# --- ASSUMED parameters (no public figures; reasoning next to each) ------------------------------------
# Townships with a public station at end-2022: the rural build-out had barely begun (the plan's 2023 target
# is "all"); about a quarter, mostly county-seat towns and 街道.
TOWNSHIPS_COVERED_2022: Final = 300
# Highway service areas with any public pile at end-2022 (the 2022 entry of HIGHWAY_FAST_DC_SHARE, whose
# 2023 entry reads T-13 "all covered"); from 2023 all are covered.
HIGHWAY_COVERED_2022_SHARE: Final = HIGHWAY_FAST_DC_SHARE[2022]
# Share of highway service areas with high-power DC (≥ HIGH_POWER_DC_KW) by year-end: 2024/2025 are T-13
# (80 %, all); 2022/2023 ASSUMED (the early highway network was mostly 60 kW).
HIGHWAY_HP_SHARE: Final = {2022: 0.30, 2023: 0.50, 2024: HIGHWAY_FAST_DC_SHARE[2024], 2025: HIGHWAY_FAST_DC_SHARE[2025]}
# "大功率直流" threshold [kW]: 120 kW and above (the usual industry reading).
HIGH_POWER_DC_KW: Final = 120.0
# Chargers (connectors) for this share of a highway service area's car spaces by 2025 [K-8].
HIGHWAY_SPACE_RATIO: Final = 0.15
# Toll-station central stations by year-end [K-8 gives only 100 by 2025]; a linear ramp from 2023.
TOLL_COVERED: Final = {2022: 0, 2023: 20, 2024: 50, 2025: TOLL_STATIONS}
# K-5 charging-space ratios by A-level (4A+ 30 %, other A 15 %, below A 10 %) applied to the scenic area's
# parking; areas with unknown parking get SCENIC_DEFAULT_PILES piles.
SCENIC_SPACE_RATIO: Final = {0: 0.10, 1: 0.15, 2: 0.15, 3: 0.15, 4: 0.30, 5: 0.30}
SCENIC_DEFAULT_PILES: Final = (2, 8)
# Share of the K-5 charging spaces actually built at a covered scenic area (uniform range): the K-5 ratios
# are rarely met (a gap for the planning features), and full ratios would put ~11 % of all piles in scenic
# car parks.
SCENIC_SPACE_ATTAINMENT: Final = (0.4, 0.9)
SCENIC_MAX_PILES: Final = 60
# Urban stations at end-2022 averaged at most this many piles: the 2022 stock was dominated by large taxi,
# bus and hub stations (Taiyuan electrified its taxis in 2016). Later years are bounded by PUBLIC_STATIONS.
URBAN_MAX_MEAN_PILES: Final = {2022: 50.0, 2023: 40.0, 2024: 40.0, 2025: 40.0}
URBAN_MAX_PILES: Final = 150  # the largest urban hub [piles]
URBAN_SIZE_SIGMA: Final = 0.9  # lognormal spread of urban station sizes
# Share of each later year's new urban piles added to existing urban stations rather than new ones.
URBAN_EXPANSION_SHARE: Final = 0.15
# Per-city factor on urban building (lognormal sigma): some cities build faster than their EVs grow, a few
# fall below their pile:EV ratio (K-1).
CITY_URBAN_NOISE_SIGMA: Final = 0.15
# A county receives new urban stations in proportion to its pile deficit, but at least this share of its
# EV-proportional target, so county towns with many rural piles still get urban stations.
URBAN_DEFICIT_FLOOR: Final = 0.15
# Commissioning years of the end-2022 stock (B-3 was built mostly 2019–2022; national growth curve).
STOCK_2022_YEARS: Final = {2016: 0.04, 2017: 0.06, 2018: 0.09, 2019: 0.12, 2020: 0.16, 2021: 0.23, 2022: 0.30}
RURAL_2022_YEARS: Final = {2021: 0.4, 2022: 0.6}  # rural stations in the 2022 stock are recent
# Urban DC powers [kW] and their shares, end-2022 and end-2025 (interpolated between): power creeps up.
URBAN_DC_KW: Final = (60.0, 120.0, 160.0, 240.0)
URBAN_DC_MIX: Final = {2022: (0.35, 0.45, 0.15, 0.05), 2025: (0.15, 0.40, 0.30, 0.15)}
AC_KW: Final = 7.0  # per connector [kW]
# Snapshot occupancy of an online, non-zombie connector (probability of Status 3 and of Status 2).
CHARGING_SHARE: Final = {"dc": 0.12, "ac": 0.05, "village": 0.02}
OCCUPIED_SHARE: Final = 0.01
ZOMBIE_OFFLINE_SHARE: Final = 0.7  # a zombie connector is frozen offline (0), else in fault (255)
WRONG_COUNTY_DEPTH_KM: Final = (1.0, 4.0)  # how far into the neighbouring county a wrong point lies


@dataclass(frozen=True, slots=True)
class _Profile:
    """How the piles of one kind of batch are drawn: DC probability, DC powers and their shares, two-gun odds."""

    dc: float
    dc_kw: tuple[float, ...]
    dc_p: tuple[float, ...]
    two_gun_dc: float = 0.6
    two_gun_ac: float = 0.15


# ASSUMED pile mixes per site kind (village: small, mostly AC; roads: mainly high-power DC, K-6/K-7/K-8).
_PROFILES: Final = {
    "urban": _Profile(0.0, URBAN_DC_KW, URBAN_DC_MIX[2022]),  # DC count set exactly per year
    "central": _Profile(0.75, (60.0, 120.0, 160.0, 240.0), (0.15, 0.45, 0.25, 0.15)),
    "township": _Profile(0.5, (60.0, 120.0), (0.6, 0.4)),
    "village": _Profile(0.3, (60.0,), (1.0,), two_gun_dc=0.0, two_gun_ac=0.0),
    "highway_legacy": _Profile(0.8, (60.0,), (1.0,)),
    "highway_hp": _Profile(1.0, (160.0, 240.0, 360.0), (0.3, 0.5, 0.2), two_gun_dc=0.8),
    "highway_hp2": _Profile(1.0, (160.0, 240.0, 360.0), (0.3, 0.5, 0.2), two_gun_dc=1.0),
    "hp_dc": _Profile(1.0, (120.0, 160.0, 240.0), (0.4, 0.35, 0.25), two_gun_dc=0.7),
    "toll": _Profile(0.9, (120.0, 160.0, 240.0), (0.4, 0.3, 0.3)),
    "trunk": _Profile(0.7, (60.0, 120.0, 160.0), (0.4, 0.4, 0.2)),
    "road_hp": _Profile(0.85, (120.0, 160.0, 240.0), (0.3, 0.4, 0.3)),
    "rv": _Profile(0.5, (60.0, 120.0), (0.5, 0.5)),
    "scenic": _Profile(0.6, (60.0, 120.0, 160.0), (0.3, 0.5, 0.2)),
}
_PROFILE_NAMES: Final = tuple(_PROFILES)

# Construction codes (T/CEC 102.2) by category with their shares.
_CONSTRUCTION: Final[dict[SiteCategory, tuple[tuple[Construction, ...], tuple[float, ...]]]] = {
    SiteCategory.URBAN_PUBLIC: (
        (
            Construction.BUILDING_PARKING,
            Construction.ON_STREET,
            Construction.TRANSPORT_HUB,
            Construction.OFFICE,
            Construction.PUBLIC_INSTITUTION,
            Construction.SPORTS_CULTURE,
            Construction.URBAN_GREEN,
            Construction.INDUSTRIAL_PARK,
            Construction.RESIDENTIAL,
            Construction.FUEL_STATION,
            Construction.OTHER,
        ),
        (0.30, 0.10, 0.08, 0.08, 0.07, 0.04, 0.04, 0.08, 0.08, 0.05, 0.08),
    ),
    SiteCategory.BUS_DEPOT: ((Construction.BUS_DEPOT,), (1.0,)),
    SiteCategory.CENTRALIZED_COUNTY: (
        (Construction.BUILDING_PARKING, Construction.TRANSPORT_HUB, Construction.OTHER),
        (0.5, 0.3, 0.2),
    ),
    SiteCategory.TOWNSHIP: (
        (Construction.PUBLIC_INSTITUTION, Construction.ON_STREET, Construction.FUEL_STATION, Construction.OTHER),
        (0.5, 0.15, 0.15, 0.2),
    ),
    SiteCategory.VILLAGE: ((Construction.PUBLIC_INSTITUTION, Construction.OTHER), (0.7, 0.3)),
    SiteCategory.HIGHWAY_SERVICE_AREA: ((Construction.HIGHWAY_SERVICE_AREA,), (1.0,)),
    SiteCategory.TOLL_STATION: ((Construction.TRANSPORT_HUB, Construction.OTHER), (0.7, 0.3)),
    SiteCategory.TRUNK_ROAD_SERVICE: ((Construction.FUEL_STATION, Construction.OTHER), (0.5, 0.5)),
    SiteCategory.TOURIST_ROAD_STATION: ((Construction.SCENIC_AREA, Construction.OTHER), (0.5, 0.5)),
    SiteCategory.RV_CAMP: ((Construction.SCENIC_AREA, Construction.OTHER), (0.6, 0.4)),
    SiteCategory.SCENIC_AREA: ((Construction.SCENIC_AREA,), (1.0,)),
}
_CATEGORIES: Final = tuple(_CONSTRUCTION)
_CAT: Final = {c: i for i, c in enumerate(_CATEGORIES)}
_ROAD_CATEGORY: Final = {
    "highway_service_area": SiteCategory.HIGHWAY_SERVICE_AREA,
    "toll_station": SiteCategory.TOLL_STATION,
    "trunk_road_service": SiteCategory.TRUNK_ROAD_SERVICE,
    "tourist_road_station": SiteCategory.TOURIST_ROAD_STATION,
    "rv_camp": SiteCategory.RV_CAMP,
}
_RURAL: Final = frozenset({_CAT[SiteCategory.TOWNSHIP], _CAT[SiteCategory.VILLAGE]})
_HIGHWAY: Final = frozenset({_CAT[SiteCategory.HIGHWAY_SERVICE_AREA], _CAT[SiteCategory.TOLL_STATION]})

_LANDMARKS = (
    "市民中心", "汽车站", "高铁站", "体育中心", "科技园", "人民公园", "商业广场", "人民医院", "大学城", "会展中心",
    "物流园", "公交枢纽", "购物中心", "产业园", "文化中心", "滨河公园", "火车站", "政务中心", "万象城", "步行街",
)  # fmt: skip
_ROADS = (
    "长风街", "并州路", "学府街", "迎泽大街", "府西街", "建设路", "解放路", "新建路", "人民路", "文化路", "滨河路",
    "朝阳街", "和平路", "胜利街", "开发区大道", "振兴路", "府东街", "南环路", "北环路", "西环路",
)  # fmt: skip
_GUIDES = ("地面停车场入口右转", "地下停车场B1层", "停车场东侧", "主楼北侧停车场", "进入大门后左转", "加油站南侧")
_MANUFACTURERS = (
    ("晋新电气设备有限公司", "JXDQ"),
    ("汾河智能电力科技有限公司", "FHZN"),
    ("太行充电设备制造有限公司", "THCD"),
    ("龙城电力电子有限公司", "LCDZ"),
    ("并州新能源装备有限公司", "BZXN"),
    ("河东智能装备有限公司", "HDZB"),
    ("恒信充电技术有限公司", "HXCD"),
    ("三晋电源科技有限公司", "SJDY"),
)


def year_end(year: int) -> datetime:
    """The instant a year ends in Shanghai time, as aware UTC: snapshot(year) holds what was commissioned before."""
    return datetime(year + 1, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ScenarioStation:
    """A station as it stands at a snapshot, with what the scenario knows beyond the StationInfo.

    ``equipment_commissioned_at`` is parallel to ``tree.equipment``; ``initial_status`` holds the T/CEC Status of
    each connector in tree order at the snapshot. ``location`` in the tree is what the operator reports (moved by
    the ``coords_*`` problems); ``true_location`` where the station stands.
    """

    tree: StationTree
    commissioned_at: datetime
    equipment_commissioned_at: tuple[datetime, ...]
    initial_status: tuple[int, ...]
    zombie: bool
    quality_issue: str | None
    true_location: GeoPoint
    city_code: str
    year: int  # the snapshot

    @property
    def station_id(self) -> str:
        return self.tree.station.station_id

    @property
    def operator_id(self) -> str:
        return self.tree.station.operator_id

    @property
    def site_category(self) -> SiteCategory:
        return self.tree.station.site_category

    @property
    def late_pushes(self) -> bool:
        return self.quality_issue == "late_pushes"


@dataclass(frozen=True, slots=True)
class StationRow:
    """A station of the network as plain values: what it is, where, since when, and its piles per year-end."""

    station_id: str
    operator_id: str
    category: SiteCategory
    area_code: str
    town_code: str | None
    site_id: str | None
    opened: int  # the year-end snapshot it first appears in
    piles: dict[int, int]  # piles standing at each year-end
    zombie: bool
    quality_issue: str | None


@dataclass(eq=False)
class _Table:
    """Everything the snapshots are cut from: one row per station and one per pile (sorted by station)."""

    station_ids: list[str]
    operator: NDArray[np.int64]
    category: NDArray[np.int64]
    county: list[str]
    city: list[str]
    true_lng: NDArray[np.float64]
    true_lat: NDArray[np.float64]
    lng: NDArray[np.float64]
    lat: NDArray[np.float64]
    town: list[str | None]
    site: list[str | None]
    scenic_level: NDArray[np.int64]
    construction: NDArray[np.int64]
    opened: NDArray[np.int64]  # year bucket the station opened in
    commissioned: NDArray[np.float64]  # [s since epoch]
    zombie: NDArray[np.bool_]
    issue: list[str | None]
    texts: list[dict[str, str]]
    payment: list[frozenset[Payment]]
    first_pile: NDArray[np.int64]
    piles_by_year: NDArray[np.int64]  # [station, snapshot index], cumulative
    pile_year: NDArray[np.int64]
    pile_time: NDArray[np.float64]
    pile_dc: NDArray[np.bool_]
    pile_kw: NDArray[np.float64]
    pile_guns: NDArray[np.int64]
    pile_number: NDArray[np.int64]
    pile_maker: NDArray[np.int64]
    pile_made: NDArray[np.float64]
    conn_u: NDArray[np.float64]  # a fixed uniform per connector (zombie status), connectors in pile order
    conn_first: NDArray[np.int64]  # index of each pile's first connector


@dataclass(eq=False)
class ScenarioNetwork:
    """The public network to end-2025; cut it at a year-end with :meth:`snapshot`."""

    operators: tuple[ScenarioOperator, ...]
    seed: int
    years: tuple[int, ...]
    _t: _Table
    _equipment: dict[int, EquipmentTree] = field(default_factory=dict)
    _snapshots: dict[int, list[ScenarioStation]] = field(default_factory=dict)
    _rows: list[tuple[datetime, int, bool, float, int, int, date]] | None = None

    # --- summaries (no domain objects) -------------------------------------------------------------

    @property
    def station_count(self) -> int:
        return len(self._t.station_ids)

    @property
    def pile_count(self) -> int:
        return len(self._t.pile_year)

    def piles_by_year(self) -> dict[int, int]:
        """Public piles commissioned by each year-end (exactly the calibration targets)."""
        return {y: int(np.count_nonzero(self._t.pile_year <= y)) for y in self.years}

    def stations_by_year(self) -> dict[int, int]:
        return {y: int(np.count_nonzero(self._t.opened <= y)) for y in self.years}

    def dc_share_by_year(self) -> dict[int, float]:
        t = self._t
        return {y: float(t.pile_dc[t.pile_year <= y].mean()) for y in self.years}

    def station_rows(self) -> list[StationRow]:
        """One light row per station of the last year, without building domain objects."""
        t = self._t
        opened = t.opened.tolist()
        operator = t.operator.tolist()
        category = t.category.tolist()
        zombie = t.zombie.tolist()
        piles = t.piles_by_year.tolist()
        return [
            StationRow(
                station_id=t.station_ids[s],
                operator_id=self.operators[operator[s]].operator_id,
                category=_CATEGORIES[category[s]],
                area_code=t.county[s],
                town_code=t.town[s],
                site_id=t.site[s],
                opened=opened[s],
                piles=dict(zip(self.years, piles[s], strict=True)),
                zombie=zombie[s],
                quality_issue=t.issue[s],
            )
            for s in range(len(t.station_ids))
        ]

    # --- snapshots ---------------------------------------------------------------------------------

    def snapshot(self, year: int) -> list[ScenarioStation]:
        """The stations standing at the end of ``year`` with only the piles commissioned by then, in id order."""
        if year not in self.years:
            raise ValueError(f"snapshot year must be one of {self.years}, got {year}")
        if year not in self._snapshots:
            self._snapshots[year] = self._build_snapshot(year)
        return self._snapshots[year]

    def _build_snapshot(self, year: int) -> list[ScenarioStation]:
        t = self._t
        yi = self.years.index(year)
        stations = np.flatnonzero(t.opened <= year)
        counts = t.piles_by_year[stations, yi]
        piles = np.concatenate([np.arange(f, f + n) for f, n in zip(t.first_pile[stations], counts, strict=True)])
        status = self._statuses(year, piles)
        guns = t.pile_guns[piles]
        rows = self._pile_rows()
        out: list[ScenarioStation] = []
        p_at = 0
        c_at = 0
        for s, n in zip(stations.tolist(), counts.tolist(), strict=True):
            own = piles[p_at : p_at + n].tolist()
            n_conn = int(guns[p_at : p_at + n].sum())
            p_at += n
            station = self._station(s, n_conn)
            equipment = tuple(self._equipment_tree(p, station.station_id, station.operator_id) for p in own)
            out.append(
                ScenarioStation(
                    tree=StationTree(station, equipment),
                    commissioned_at=_utc(t.commissioned[s]),
                    equipment_commissioned_at=tuple(rows[p][0] for p in own),
                    initial_status=tuple(status[c_at : c_at + n_conn].tolist()),
                    zombie=bool(t.zombie[s]),
                    quality_issue=t.issue[s],
                    true_location=GeoPoint(float(t.true_lng[s]), float(t.true_lat[s])),
                    city_code=t.city[s],
                    year=year,
                )
            )
            c_at += n_conn
        return out

    def _statuses(self, year: int, piles: NDArray[np.int64]) -> NDArray[np.int64]:
        """T/CEC Status of every connector of ``piles`` at the end of ``year``: exact fault/offline shares."""
        t = self._t
        rng = np.random.default_rng([self.seed, year, 0x57A])
        guns = t.pile_guns[piles]
        pile_of = np.repeat(piles, guns)
        offsets = np.arange(len(pile_of)) - np.repeat(np.cumsum(guns) - guns, guns)
        conn = t.conn_first[pile_of] + offsets
        station_of = np.searchsorted(t.first_pile, pile_of, side="right") - 1
        n = len(conn)
        status = np.full(n, int(TcecConnectorStatus.FREE), dtype=np.int64)
        zombie = t.zombie[station_of]
        zombie_off = zombie & (t.conn_u[conn] < ZOMBIE_OFFLINE_SHARE)
        status[zombie_off] = int(TcecConnectorStatus.OFFLINE)
        status[zombie & ~zombie_off] = int(TcecConnectorStatus.FAULT)
        live = np.flatnonzero(~zombie)
        n_fault = max(0, min(len(live), round(FAULTED_SHARE * n) - int(np.count_nonzero(zombie & ~zombie_off))))
        n_off = max(0, min(len(live) - n_fault, round(OFFLINE_SHARE * n) - int(np.count_nonzero(zombie_off))))
        order = rng.permutation(live)
        status[order[:n_fault]] = int(TcecConnectorStatus.FAULT)
        status[order[n_fault : n_fault + n_off]] = int(TcecConnectorStatus.OFFLINE)
        rest = order[n_fault + n_off :]
        village = t.category[station_of[rest]] == _CAT[SiteCategory.VILLAGE]
        by_type = np.where(t.pile_dc[pile_of[rest]], CHARGING_SHARE["dc"], CHARGING_SHARE["ac"])
        p_charge = np.where(village, CHARGING_SHARE["village"], by_type)
        u = rng.random(len(rest))
        status[rest[u < p_charge]] = int(TcecConnectorStatus.CHARGING)
        status[rest[(u >= p_charge) & (u < p_charge + OCCUPIED_SHARE)]] = int(TcecConnectorStatus.OCCUPIED)
        return status

    def _station(self, s: int, n_conn: int) -> Station:
        t = self._t
        texts = t.texts[s]
        cat = _CATEGORIES[int(t.category[s])]
        level = int(t.scenic_level[s])
        return Station(
            operator_id=self.operators[int(t.operator[s])].operator_id,
            station_id=t.station_ids[s],
            name=texts["name"],
            station_type=StationType.PUBLIC,
            status=StationStatus.IN_SERVICE,
            construction=Construction(int(t.construction[s])),
            area_code=t.county[s],
            location=GeoPoint(float(t.lng[s]), float(t.lat[s])),
            address=texts["address"],
            equipment_owner_id=self.operators[int(t.operator[s])].operator_id,
            town_code=t.town[s],
            site_category=cat,
            scenic_level=ScenicLevel(level) if level >= 0 else None,
            park_nums=n_conn,
            station_tel=texts["station_tel"],
            service_tel=texts["service_tel"],
            site_guide=texts["site_guide"],
            business_hours=texts["business_hours"],
            electricity_fee=texts["electricity_fee"],
            service_fee=texts["service_fee"],
            park_fee=texts["park_fee"],
            payment=t.payment[s],
            support_order=False,
            remark="",
            synthetic=True,
            site_id=t.site[s],
        )

    def _equipment_tree(self, p: int, station_id: str, operator_id: str) -> EquipmentTree:
        cached = self._equipment.get(p)
        if cached is not None:
            return cached
        _, number, dc, kw, guns, maker_index, made = self._pile_rows()[p]
        maker, abbr = _MANUFACTURERS[maker_index]
        equipment_id = f"{station_id}E{number:02d}"
        equipment = Equipment(
            operator_id=operator_id,
            station_id=station_id,
            equipment_id=equipment_id,
            equipment_type=EquipmentType.DC if dc else EquipmentType.AC,
            power_kw=kw,
            name=f"{number}号{'直流' if dc else '交流'}桩",
            manufacturer_id=_MAKER_IDS[maker_index],
            manufacturer_name=maker,
            model=f"{abbr}-{'DC' if dc else 'AC'}{int(kw)}",
            production_date=made,
        )
        gun_kw = round(kw / guns, 1)
        connectors = tuple(
            Connector(
                operator_id=operator_id,
                station_id=station_id,
                equipment_id=equipment_id,
                connector_id=f"{equipment_id}C{j}",
                connector_type=ConnectorType.DC_PLUG if dc else ConnectorType.AC_PLUG,
                power_kw=gun_kw,
                national_standard=NationalStandard.GB_2015,
                voltage_upper_v=(1000 if kw >= 160 else 750) if dc else 220,
                voltage_lower_v=200 if dc else 220,
                current_a=min(600, int(round(gun_kw * 1000 / 400 / 10) * 10)) if dc else 32,
                name=f"{number}号桩{j}号枪",
                park_no=f"{number:02d}{j}",
            )
            for j in range(1, guns + 1)
        )
        tree = EquipmentTree(equipment, connectors)
        self._equipment[p] = tree
        return tree

    def _pile_rows(self) -> list[tuple[datetime, int, bool, float, int, int, date]]:
        """Per pile as plain Python values (numpy scalars are slow to index one by one): commissioned, number,
        DC, power [kW], guns, manufacturer, production date."""
        if self._rows is None:
            t = self._t
            epoch = date(1970, 1, 1).toordinal()
            made_days = ((t.pile_made + 8 * 3600) // 86_400).astype(np.int64).tolist()  # Shanghai calendar day
            self._rows = [
                (_utc(ts), number, dc, kw, guns, maker, date.fromordinal(epoch + day))
                for ts, number, dc, kw, guns, maker, day in zip(
                    t.pile_time.tolist(),
                    t.pile_number.tolist(),
                    t.pile_dc.tolist(),
                    t.pile_kw.tolist(),
                    t.pile_guns.tolist(),
                    t.pile_maker.tolist(),
                    made_days,
                    strict=True,
                )
            ]
        return self._rows


def _maker_id(abbr: str) -> str:
    """A fictional manufacturer's organisation code (ManufacturerID) from its abbreviation."""
    body = "MA0" + "".join(ch if ch not in "IOSVZ" else "X" for ch in abbr) + "9"
    return body + org_code_check(body)


_MAKER_IDS: Final = tuple(_maker_id(abbr) for _, abbr in _MANUFACTURERS)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


# --- building ----------------------------------------------------------------------------------------


@dataclass
class _Builder:
    """Stations and pile batches as they are laid out, before operators, ids and texts."""

    category: list[int] = field(default_factory=list)
    county: list[int] = field(default_factory=list)
    lng: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    town: list[str | None] = field(default_factory=list)
    site: list[str | None] = field(default_factory=list)
    scenic_level: list[int] = field(default_factory=list)
    label: list[str] = field(default_factory=list)
    b_station: list[int] = field(default_factory=list)
    b_year: list[int] = field(default_factory=list)
    b_count: list[int] = field(default_factory=list)
    b_profile: list[int] = field(default_factory=list)

    def station(
        self,
        category: SiteCategory,
        county: int,
        lng: float,
        lat: float,
        opened: int,
        *,
        town: str | None = None,
        site: str | None = None,
        scenic_level: int = -1,
        label: str = "",
    ) -> int:
        self.category.append(_CAT[category])
        self.county.append(county)
        self.lng.append(lng)
        self.lat.append(lat)
        self.opened.append(opened)
        self.town.append(town)
        self.site.append(site)
        self.scenic_level.append(scenic_level)
        self.label.append(label)
        return len(self.category) - 1

    def batch(self, station: int, year: int, count: int, profile: str) -> None:
        if count > 0:
            self.b_station.append(station)
            self.b_year.append(year)
            self.b_count.append(count)
            self.b_profile.append(_PROFILE_NAMES.index(profile))

    def piles_by_county(self, year: int, n_counties: int) -> NDArray[np.float64]:
        """Piles commissioned by the end of ``year`` per county index."""
        station = np.array(self.b_station, dtype=np.int64)
        keep = np.array(self.b_year, dtype=np.int64) <= year
        county = np.array(self.county, dtype=np.int64)[station[keep]]
        counts = np.array(self.b_count, dtype=float)[keep]
        return np.bincount(county, weights=counts, minlength=n_counties).astype(float)

    def piles_in(self, year: int, categories: frozenset[int] | None = None) -> int:
        total = 0
        for s, y, n in zip(self.b_station, self.b_year, self.b_count, strict=True):
            if y == year and (categories is None or self.category[s] in categories):
                total += n
        return total


@dataclass(frozen=True)
class _Geo:
    """The county polygons with interior seats and index look-ups."""

    b: Boundaries
    index: dict[str, int]
    seat_lng: NDArray[np.float64]
    seat_lat: NDArray[np.float64]
    names: tuple[str, ...]
    districts: NDArray[np.bool_]

    def locate(self, lng: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        """The county index holding each point, −1 outside Shanxi."""
        codes = self.b.locate(np.asarray(lng, dtype=float), np.asarray(lat, dtype=float))
        return np.array([self.index.get(c, -1) if c is not None else -1 for c in codes], dtype=np.int64)

    def city(self, county: int) -> str:
        return self.b.codes[county][:4] + "00"


def _geo() -> _Geo:
    b = counties()
    index = {c: i for i, c in enumerate(b.codes)}
    seat_lng = np.array([s[0] for s in b.seats])
    seat_lat = np.array([s[1] for s in b.seats])
    for i, poly in enumerate(b.polygons):  # a seat on a simplified border (保德县) is moved inside
        if not poly.contains(shapely.Point(seat_lng[i], seat_lat[i])):
            inner = poly.representative_point()
            edge = nearest_points(poly, shapely.Point(seat_lng[i], seat_lat[i]))[0]
            for f in (0.05, 0.1, 0.2, 0.4, 1.0):
                cand = shapely.Point(edge.x + f * (inner.x - edge.x), edge.y + f * (inner.y - edge.y))
                if poly.contains(cand):
                    seat_lng[i], seat_lat[i] = cand.x, cand.y
                    break
    catalog = shanxi()
    names = tuple((d.name if (d := catalog.get(c)) is not None else n) for c, n in zip(b.codes, b.names, strict=True))
    districts = np.array([n.endswith("区") for n in names])
    return _Geo(b, index, seat_lng, seat_lat, names, districts)


def synth_network(
    operators: Sequence[ScenarioOperator],
    places: Sequence[Place],
    stats: Sequence[RegionStat],
    road_sites: Sequence[RoadSite],
    scenic_areas: Sequence[ScenicArea],
    seed: int = 0,
    *,
    pile_targets: Mapping[int, int] = PUBLIC_PILES,
    station_targets: Mapping[int, int] = PUBLIC_STATIONS,
) -> ScenarioNetwork:
    """The public network to end-2025, deterministic in the inputs and ``seed``.

    Parameters
    ----------
    operators
        From :func:`evinfra.scenario.operators.synth_operators`; every one owns at least one station at end-2022.
    places
        Townships (9-digit codes) and villages (12-digit); the 街道/镇/乡 townships and the 村委会 villages are the
        ones the plan counts (T-5, T-6). Fewer places than the targets simply cover fewer.
    stats
        EVs by county and year (county rows are used where given; the rest follows the city EV shares and
        population, DISTRICT_EV_FACTOR).
    road_sites, scenic_areas
        The sites the plan wants covered (T-7, T-9..T-13, K-8).
    pile_targets, station_targets
        Year-end public piles (met exactly) and stations (met where the coverage rules allow).
    """
    years = tuple(sorted(pile_targets))
    if tuple(years) != tuple(sorted(station_targets)):
        raise ValueError("pile_targets and station_targets need the same years")
    if not operators:
        raise ValueError("no operators")
    rng = np.random.default_rng([seed, 0x4E7])
    geo = _geo()
    build = _Builder()
    attain = COVERAGE_ATTAINMENT

    def covered(targets: Mapping[int, int], available: int, attainment: float = attain) -> dict[int, int]:
        out: dict[int, int] = {}
        running = 0
        for y in years:
            running = max(running, min(available, round(targets.get(y, targets[max(targets)]) * attainment)))
            out[y] = running
        return out

    # --- road sites and scenic areas ---------------------------------------------------------------
    by_kind: dict[str, list[RoadSite]] = defaultdict(list)
    for site in sorted(road_sites, key=lambda r: r.site_id):
        by_kind[site.kind].append(site)
    hw = by_kind.get("highway_service_area", [])
    hw_targets = {y: (round(HIGHWAY_COVERED_2022_SHARE * len(hw)) if y <= 2022 else len(hw)) for y in years}
    _highways(build, rng, geo, hw, covered(hw_targets, len(hw), 1.0), years)
    road_plans: tuple[tuple[str, Mapping[int, int], str, tuple[int, int]], ...] = (
        ("toll_station", TOLL_COVERED, "toll", (6, 12)),
        ("trunk_road_service", TRUNK_COVERED, "trunk", (2, 5)),
        ("tourist_road_station", TOURIST_STATIONS_COVERED, "road_hp", (2, 6)),
        ("rv_camp", RV_CAMPS_COVERED, "rv", (2, 6)),
    )
    for kind, targets, profile, size in road_plans:
        sites = by_kind.get(kind, [])
        _road_stations(build, rng, geo, sites, covered(targets, len(sites)), years, profile, size)
    scenic = sorted(scenic_areas, key=lambda a: a.site_id)
    _scenic(build, rng, geo, scenic, covered(SCENIC_COVERED, len(scenic)), years)

    # --- counties, townships, villages ---------------------------------------------------------------
    county_evs = _county_evs(geo, places, stats, years)
    central = covered(COUNTIES_WITH_CENTRAL_STATION, len(geo.b.codes))
    _central(build, rng, geo, county_evs[years[-1]], central, years)
    townships, villages, anchors = _places(geo, places)
    township_targets = {y: (TOWNSHIPS_COVERED_2022 if y <= 2022 else TOWNSHIPS_TOTAL) for y in years}
    _townships(build, rng, geo, townships, covered(township_targets, len(townships.codes)), years)
    _villages(build, rng, geo, villages, covered(VILLAGES_COVERED, len(villages.codes)), years)

    # --- urban stations take the rest -------------------------------------------------------------
    _urban(build, rng, geo, county_evs, anchors, years, pile_targets, station_targets)
    table = _finish(build, rng, geo, list(operators), years, pile_targets)
    return ScenarioNetwork(tuple(operators), seed, years, table)


# --- helpers: sampling ----------------------------------------------------------------------------


def _priority(rng: np.random.Generator, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """A random order in which heavier items tend to come first (Efraimidis–Spirakis keys)."""
    w = np.clip(np.asarray(weights, dtype=float), 1e-9, None)
    keys = np.log(rng.random(len(w)) + 1e-300) / w
    return np.argsort(-keys, kind="stable")


def _open_years(order: NDArray[np.int64], counts: Mapping[int, int], years: Sequence[int]) -> NDArray[np.int64]:
    """Year each item opens in given cumulative counts by year (0 = never): items are taken in ``order``."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    cum = np.array([counts[y] for y in years])
    slot = np.searchsorted(cum, rank, side="right")
    year_arr = np.array([*years, 0])
    return year_arr[slot]


def _apportion(weights: NDArray[np.float64], total: int, lo: int = 1, hi: int | None = None) -> NDArray[np.int64]:
    """Integers ≥ lo (≤ hi) summing exactly to ``total``, proportional to ``weights`` (water-filling, largest
    remainder)."""
    n = len(weights)
    if n == 0:
        if total:
            raise ValueError(f"cannot place {total} items in 0 slots")
        return np.zeros(0, dtype=np.int64)
    if total < n * lo:
        raise ValueError(f"{total} items cannot give {n} slots at least {lo} each")
    cap = np.inf if hi is None else max(hi, math.ceil(total / n)) - lo
    w = np.clip(np.asarray(weights, dtype=float), 1e-12, None)
    remaining = float(total - n * lo)
    alloc = np.zeros(n)
    free = np.ones(n, dtype=bool)
    for _ in range(n + 1):
        alloc[free] = remaining * w[free] / w[free].sum()
        over = free & (alloc > cap)
        if not over.any():
            break
        alloc[over] = cap
        remaining -= float(cap) * int(over.sum())
        free &= ~over
        if not free.any():
            break
    base = np.floor(alloc + 1e-9).astype(np.int64)
    short = total - n * lo - int(base.sum())
    if short > 0:
        frac = alloc - base
        frac[base >= cap] = -1.0
        base[np.argsort(-frac, kind="stable")[:short]] += 1
    return base + lo


def _dates(
    rng: np.random.Generator, years: NDArray[np.int64], rural: NDArray[np.bool_] | None = None
) -> NDArray[np.float64]:
    """Commissioning instants [s since epoch] inside each year bucket (the 2022 bucket spread over the stock's
    years), kept 12 h clear of the year boundary so UTC and Shanghai year-ends agree."""
    years = np.asarray(years, dtype=np.int64)
    actual = years.copy()
    first = min(SNAPSHOTS)
    stock = years <= first
    if stock.any():
        ys = np.array(list(STOCK_2022_YEARS))
        ps = np.array(list(STOCK_2022_YEARS.values()))
        actual[stock] = rng.choice(ys, size=int(stock.sum()), p=ps / ps.sum())
        if rural is not None and (stock & rural).any():
            ry = np.array(list(RURAL_2022_YEARS))
            rp = np.array(list(RURAL_2022_YEARS.values()))
            actual[stock & rural] = rng.choice(ry, size=int((stock & rural).sum()), p=rp / rp.sum())
    span = np.arange(int(actual.min(initial=first)), int(actual.max(initial=first)) + 1)
    starts = np.array([datetime(int(y), 1, 1, 12, tzinfo=SHANGHAI).timestamp() for y in span])
    ends = np.array([datetime(int(y), 12, 31, 12, tzinfo=SHANGHAI).timestamp() for y in span])
    start, end = starts[actual - span[0]], ends[actual - span[0]]
    return np.asarray(np.floor(start + rng.random(len(actual)) * (end - start)), dtype=np.float64)


# --- helpers: geometry ----------------------------------------------------------------------------


def _km_to_deg(
    lat: NDArray[np.float64], km: NDArray[np.float64] | float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    dlat = np.asarray(km) / 111.0
    dlng = np.asarray(km) / (111.0 * np.cos(np.radians(lat)))
    return dlng, dlat


def _near(
    rng: np.random.Generator,
    geo: _Geo,
    lng: NDArray[np.float64],
    lat: NDArray[np.float64],
    county: NDArray[np.int64],
    sigma_km: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points scattered (Gaussian, ``sigma_km``) around anchors, each kept inside its county's polygon.

    Points that stay outside after a few draws fall back to the anchor when it is inside, else onto the segment
    from the anchor to the county's seat.
    """
    lng0, lat0 = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    out_lng, out_lat = lng0.copy(), lat0.copy()
    todo = np.arange(len(lng0))
    for _ in range(6):
        if not len(todo):
            break
        dlng, dlat = _km_to_deg(lat0[todo], sigma_km)
        cand_lng = lng0[todo] + rng.normal(0.0, 1.0, len(todo)) * dlng
        cand_lat = lat0[todo] + rng.normal(0.0, 1.0, len(todo)) * dlat
        ok = geo.locate(cand_lng, cand_lat) == county[todo]
        out_lng[todo[ok]], out_lat[todo[ok]] = cand_lng[ok], cand_lat[ok]
        todo = todo[~ok]
    if len(todo):
        fx, fy = _inside(geo, lng0[todo], lat0[todo], county[todo])
        out_lng[todo], out_lat[todo] = fx, fy
    return np.round(out_lng, 6), np.round(out_lat, 6)


def _inside(
    geo: _Geo, lng: NDArray[np.float64], lat: NDArray[np.float64], county: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each point if it lies in its county, else the first point inside on the way to the county's seat."""
    lng, lat = np.asarray(lng, dtype=float).copy(), np.asarray(lat, dtype=float).copy()
    seat_lng, seat_lat = geo.seat_lng[county], geo.seat_lat[county]
    todo = np.flatnonzero(geo.locate(lng, lat) != county)
    for f in (0.1, 0.25, 0.5, 0.75, 1.0):
        if not len(todo):
            break
        cand_lng = lng[todo] + f * (seat_lng[todo] - lng[todo])
        cand_lat = lat[todo] + f * (seat_lat[todo] - lat[todo])
        ok = geo.locate(cand_lng, cand_lat) == county[todo]
        lng[todo[ok]], lat[todo[ok]] = cand_lng[ok], cand_lat[ok]
        todo = todo[~ok]
    lng[todo], lat[todo] = seat_lng[todo], seat_lat[todo]
    return lng, lat


def _site_points(
    geo: _Geo, lng: Sequence[float], lat: Sequence[float], county_codes: Sequence[str | None]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """A site's point and the county holding it; a point outside Shanxi is pulled into its stated county (or
    the nearest county seat)."""
    lng_a, lat_a = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    county = geo.locate(lng_a, lat_a)
    for i in np.flatnonzero(county < 0).tolist():
        code = county_codes[i]
        if code is not None and code in geo.index:
            county[i] = geo.index[code]
        else:
            d = (geo.seat_lng - lng_a[i]) ** 2 + (geo.seat_lat - lat_a[i]) ** 2
            county[i] = int(np.argmin(d))
    lng_a, lat_a = _inside(geo, lng_a, lat_a, county)
    return np.round(lng_a, 6), np.round(lat_a, 6), county


# --- categories --------------------------------------------------------------------------------------


def _highways(
    build: _Builder,
    rng: np.random.Generator,
    geo: _Geo,
    sites: Sequence[RoadSite],
    counts: Mapping[int, int],
    years: Sequence[int],
) -> None:
    """Every highway service area: legacy 60 kW DC first, high-power DC by HIGHWAY_HP_SHARE, 15 % of spaces by
    the last year [T-13, K-8]."""
    if not sites:
        return
    n = len(sites)
    lng, lat, county = _site_points(geo, [s.lng for s in sites], [s.lat for s in sites], [s.county_code for s in sites])
    opened = _open_years(rng.permutation(n), counts, years)
    hp_counts = {y: min(n, round(HIGHWAY_HP_SHARE.get(y, 1.0) * n)) for y in years}
    # High-power DC comes to sites in order of opening (the older, busier ones first), never before opening.
    order = np.lexsort((rng.random(n), np.where(opened > 0, opened, 9999)))
    hp_year = _open_years(order, hp_counts, years)
    hp_year = np.where((hp_year > 0) & (hp_year < opened), opened, hp_year)
    last = years[-1]
    for i, site in enumerate(sites):
        y0 = int(opened[i])
        if y0 == 0:
            continue
        s = build.station(
            SiteCategory.HIGHWAY_SERVICE_AREA, int(county[i]), float(lng[i]), float(lat[i]), y0, site=site.site_id,
            label=site.name,
        )  # fmt: skip
        hy = int(hp_year[i]) or last
        if hy > y0:
            build.batch(s, y0, int(rng.integers(2, 5)), "highway_legacy")
        hp = int(rng.integers(2, 5))
        build.batch(s, hy, hp, "highway_hp")
        if site.parking_spaces > 0 and rng.random() < COVERAGE_ATTAINMENT:
            # two-gun piles so that the connectors reach the space ratio whatever the earlier piles' guns
            need = math.ceil(max(0.0, HIGHWAY_SPACE_RATIO * site.parking_spaces - hp) / 2)
            build.batch(s, max(last, hy), need, "highway_hp2")


def _road_stations(
    build: _Builder,
    rng: np.random.Generator,
    geo: _Geo,
    sites: Sequence[RoadSite],
    counts: Mapping[int, int],
    years: Sequence[int],
    profile: str,
    size: tuple[int, int],
) -> None:
    """Toll, trunk-road, tourist-road and RV-camp stations: sites covered in a random order [T-9..T-11, K-6..K-8].

    Trunk-road stations always get one high-power DC pile (K-7 "high-power DC by 2025")."""
    if not sites:
        return
    n = len(sites)
    lng, lat, county = _site_points(geo, [s.lng for s in sites], [s.lat for s in sites], [s.county_code for s in sites])
    opened = _open_years(rng.permutation(n), counts, years)
    sizes = rng.integers(size[0], size[1] + 1, n)
    for i, site in enumerate(sites):
        y0 = int(opened[i])
        if y0 == 0:
            continue
        category = _ROAD_CATEGORY[site.kind]
        s = build.station(
            category, int(county[i]), float(lng[i]), float(lat[i]), y0, site=site.site_id, label=site.name
        )
        if category is SiteCategory.TRUNK_ROAD_SERVICE:
            build.batch(s, y0, 1, "hp_dc")
            build.batch(s, y0, int(sizes[i]) - 1, profile)
        else:
            build.batch(s, y0, int(sizes[i]), profile)


def _scenic(
    build: _Builder,
    rng: np.random.Generator,
    geo: _Geo,
    areas: Sequence[ScenicArea],
    counts: Mapping[int, int],
    years: Sequence[int],
) -> None:
    """Scenic areas, higher A-levels first; piles towards the K-5 space ratio (partly attained), 40 % at opening,
    the rest by the end."""
    if not areas:
        return
    lng, lat, county = _site_points(geo, [a.lng for a in areas], [a.lat for a in areas], [a.county_code for a in areas])
    order = _priority(rng, np.array([1.0 + a.level**2 for a in areas]))
    opened = _open_years(order, counts, years)
    last = years[-1]
    for i, area in enumerate(areas):
        y0 = int(opened[i])
        if y0 == 0:
            continue
        if area.parking_spaces > 0:
            ratio = SCENIC_SPACE_RATIO.get(area.level, 0.10) * float(rng.uniform(*SCENIC_SPACE_ATTAINMENT))
            final = int(np.clip(math.ceil(ratio * area.parking_spaces / 1.4), 2, SCENIC_MAX_PILES))
        else:
            final = int(rng.integers(SCENIC_DEFAULT_PILES[0], SCENIC_DEFAULT_PILES[1] + 1))
        first = final if y0 == last else max(2, math.ceil(0.4 * final))
        s = build.station(
            SiteCategory.SCENIC_AREA, int(county[i]), float(lng[i]), float(lat[i]), y0, site=area.site_id,
            scenic_level=max(0, min(5, area.level)), label=area.name,
        )  # fmt: skip
        build.batch(s, y0, min(first, final), "scenic")
        build.batch(s, last, final - first, "scenic")


def _central(
    build: _Builder,
    rng: np.random.Generator,
    geo: _Geo,
    evs: NDArray[np.float64],
    counts: Mapping[int, int],
    years: Sequence[int],
) -> None:
    """A centralized public station per covered county near its seat, a second by the last year, ≥ 30 piles
    [T-4, K-2]."""
    opened = _open_years(_priority(rng, evs / evs.mean()), counts, years)
    last = years[-1]
    todo = np.flatnonzero(opened > 0)
    lng, lat = _near(rng, geo, geo.seat_lng[todo], geo.seat_lat[todo], todo, 1.5)
    lng2, lat2 = _near(rng, geo, geo.seat_lng[todo], geo.seat_lat[todo], todo, 2.5)
    for k, c in enumerate(todo.tolist()):
        y0 = int(opened[c])
        first = int(rng.integers(12, 21))
        s = build.station(SiteCategory.CENTRALIZED_COUNTY, c, float(lng[k]), float(lat[k]), y0, label="城区集中式")
        build.batch(s, y0, first, "central")
        y1 = max(y0 + 1, years[max(0, len(years) - 2)]) if y0 < last else last
        y1 = min(y1, last)
        second = max(30 - first, 8) + int(rng.integers(0, 7))
        s2 = build.station(SiteCategory.CENTRALIZED_COUNTY, c, float(lng2[k]), float(lat2[k]), y1, label="公共充电中心")
        build.batch(s2, y1, second, "central")


@dataclass(frozen=True)
class _PlaceSet:
    """Places of one level with their county (official county holding them) and weights."""

    codes: list[str]
    names: list[str]
    town_names: list[str]
    county: NDArray[np.int64]
    lng: NDArray[np.float64]
    lat: NDArray[np.float64]
    population: NDArray[np.float64]


def _places(geo: _Geo, places: Sequence[Place]) -> tuple[_PlaceSet, _PlaceSet, dict[int, _PlaceSet]]:
    """The townships and villages the plan counts, and the urban anchors (街道) of each county."""
    catalog = shanxi()
    ordered = sorted(places, key=lambda p: p.code)

    def subset(items: list[Place]) -> _PlaceSet:
        lng = np.array([p.lng for p in items], dtype=float)
        lat = np.array([p.lat for p in items], dtype=float)
        stated = [geo.index.get(p.county_code, -1) for p in items]
        located = geo.locate(lng, lat) if items else np.zeros(0, dtype=np.int64)
        county = np.array([s if s >= 0 else lc for s, lc in zip(stated, located, strict=True)], dtype=np.int64)
        keep = county >= 0
        town_names = []
        for p in items:
            t = catalog.get(p.code[:9]) if p.level == "village" else None
            town_names.append(t.name if t is not None else "")
        idx = np.flatnonzero(keep)
        lng_k, lat_k = _inside(geo, lng[idx], lat[idx], county[idx]) if len(idx) else (lng[idx], lat[idx])
        return _PlaceSet(
            codes=[items[i].code for i in idx],
            names=[items[i].name for i in idx],
            town_names=[town_names[i] for i in idx],
            county=county[idx],
            lng=lng_k,
            lat=lat_k,
            population=np.array([max(1, items[i].population) for i in idx], dtype=float),
        )

    towns = [p for p in ordered if p.level == "township"]
    official = [p for p in towns if p.kind in ("街道", "镇", "乡")] or towns
    villages = [p for p in ordered if p.level == "village"]
    admin = [p for p in villages if p.kind == "村委会"] or villages
    streets = subset([p for p in towns if p.kind == "街道"])
    anchors: dict[int, _PlaceSet] = {}
    for c in np.unique(streets.county).tolist():
        m = np.flatnonzero(streets.county == c)
        anchors[int(c)] = _PlaceSet(
            [streets.codes[i] for i in m],
            [streets.names[i] for i in m],
            ["" for _ in m],
            streets.county[m],
            streets.lng[m],
            streets.lat[m],
            streets.population[m],
        )
    return subset(official), subset(admin), anchors


def _town_code(code: str, county_code: str) -> str | None:
    return code if code.startswith(county_code) else None


def _townships(
    build: _Builder,
    rng: np.random.Generator,
    geo: _Geo,
    towns: _PlaceSet,
    counts: Mapping[int, int],
    years: Sequence[int],
) -> None:
    """A station per covered township, the most populous first; 2–4 piles, topped up to ≥ 5 by the end [T-5, K-2]."""
    n = len(towns.codes)
    if not n:
        return
    opened = _open_years(_priority(rng, towns.population / towns.population.mean()), counts, years)
    todo = np.flatnonzero(opened > 0)
    lng, lat = _near(rng, geo, towns.lng[todo], towns.lat[todo], towns.county[todo], 0.6)
    last = years[-1]
    for k, i in enumerate(todo.tolist()):
        y0 = int(opened[i])
        c = int(towns.county[i])
        s = build.station(
            SiteCategory.TOWNSHIP, c, float(lng[k]), float(lat[k]), y0,
            town=_town_code(towns.codes[i], geo.b.codes[c]), label=towns.names[i],
        )  # fmt: skip
        first = int(rng.integers(2, 5)) if y0 < last else int(rng.integers(5, 7))
        build.batch(s, y0, first, "township")
        if first < 5:
            top_year = (
                last if y0 >= years[max(0, len(years) - 2)] or rng.random() < 0.5 else years[max(0, len(years) - 2)]
            )
            build.batch(s, max(top_year, y0 + 1), 5 - first + int(rng.integers(0, 3)), "township")


def _villages(
    build: _Builder,
    rng: np.random.Generator,
    geo: _Geo,
    villages: _PlaceSet,
    counts: Mapping[int, int],
    years: Sequence[int],
) -> None:
    """Two small piles per covered administrative village, the more populous first [T-6, K-2]."""
    n = len(villages.codes)
    if not n:
        return
    opened = _open_years(_priority(rng, villages.population / villages.population.mean()), counts, years)
    todo = np.flatnonzero(opened > 0)
    lng, lat = _near(rng, geo, villages.lng[todo], villages.lat[todo], villages.county[todo], 0.25)
    for k, i in enumerate(todo.tolist()):
        c = int(villages.county[i])
        label = villages.names[i].replace("村民委员会", "村").replace("村委会", "村").replace("委会", "")
        s = build.station(
            SiteCategory.VILLAGE, c, float(lng[k]), float(lat[k]), int(opened[i]),
            town=_town_code(villages.codes[i], geo.b.codes[c]), label=villages.town_names[i] + label,
        )  # fmt: skip
        build.batch(s, int(opened[i]), 2, "village")


def _county_evs(
    geo: _Geo, places: Sequence[Place], stats: Sequence[RegionStat], years: Sequence[int]
) -> dict[int, NDArray[np.float64]]:
    """EVs per county and year: county rows of ``stats`` where given, else the city's EVs (B-2 shares) split by
    population (places) with DISTRICT_EV_FACTOR for districts."""
    n = len(geo.b.codes)
    pop = np.zeros(n)
    for p in places:
        i = geo.index.get(p.county_code, -1)
        if i >= 0:
            pop[i] += p.population
    shares = city_ev_shares()
    city_of = [geo.city(i) for i in range(n)]
    weight = np.where(pop > 0, pop, np.nan)
    fallback = float(np.nanmean(weight)) if np.isfinite(weight).any() else 1.0
    weight = np.where(np.isfinite(weight), weight, fallback) * np.where(geo.districts, DISTRICT_EV_FACTOR, 1.0)
    within = np.zeros(n)
    for city in set(city_of):
        m = np.array([c == city for c in city_of])
        within[m] = weight[m] / weight[m].sum()
    # statistical-only zones (e.g. 140171) have no polygon: their EVs go to the counties their places lie in
    zone_split: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    zone_places = [p for p in places if p.level == "township" and p.county_code not in geo.index]
    if zone_places:
        located = geo.locate(np.array([p.lng for p in zone_places]), np.array([p.lat for p in zone_places]))
        for p, c in zip(zone_places, located.tolist(), strict=True):
            if c >= 0:
                zone_split[p.county_code][c] += max(1, p.population)
    rows: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for r in stats:
        i = geo.index.get(r.region_code, -1)
        if i >= 0:
            rows[r.year][i] += float(r.evs)
        elif r.region_code in zone_split:
            split = zone_split[r.region_code]
            total_w = sum(split.values())
            for c, w in split.items():
                rows[r.year][c] += float(r.evs) * w / total_w
    out: dict[int, NDArray[np.float64]] = {}
    for y in years:
        total = EVS_BY_YEAR.get(y, EVS_BY_YEAR[max(EVS_BY_YEAR)])
        evs = np.array([total * shares.get(city_of[i], 0.0) * within[i] for i in range(n)])
        given: Mapping[int, float] | None = rows.get(y)
        if not given and rows:  # nearest year with county rows, scaled by the province's EV growth
            near = min(rows, key=lambda k: abs(k - y))
            scale = total / EVS_BY_YEAR.get(near, total)
            given = {i: v * scale for i, v in rows[near].items()}
        for i, v in (given or {}).items():
            evs[i] = v
        out[y] = np.clip(evs, 1.0, None)
    return out


def _urban(
    build: _Builder,
    rng: np.random.Generator,
    geo: _Geo,
    county_evs: Mapping[int, NDArray[np.float64]],
    anchors: Mapping[int, _PlaceSet],
    years: Sequence[int],
    pile_targets: Mapping[int, int],
    station_targets: Mapping[int, int],
) -> None:
    """Urban public stations: whatever piles and stations the year's targets leave.

    New stations go to counties in proportion to their pile deficit: the piles the county's EVs would have at
    the year's province-wide EV:pile ratio (× a per-city factor) minus the piles it already has, with a floor
    so every county town gets some. Rural coverage piles therefore count towards a county's share, and the
    cities' pile:EV ratios come out close to each other with a few below (K-1).
    """
    n_counties = len(geo.b.codes)
    city_codes = sorted({geo.city(i) for i in range(n_counties)})
    noise = dict(zip(city_codes, rng.lognormal(0.0, CITY_URBAN_NOISE_SIGMA, len(city_codes)), strict=True))
    city_factor = np.array([noise[geo.city(i)] for i in range(n_counties)])
    urban_ids: list[int] = []
    urban_size: dict[int, int] = {}
    prev_piles = 0
    urban_piles_cum = 0
    # the coverage piles each county will have by the end count from the start, in proportion to the year's
    # total, so that counties whose villages come late do not first collect urban stations they later exceed
    coverage = {y: build.piles_by_county(y, n_counties) for y in years}
    final_share = coverage[years[-1]] / pile_targets[years[-1]]
    for y in years:
        other_stations = sum(1 for o in build.opened if o and o <= y) - len(urban_ids)
        budget = pile_targets[y] - prev_piles - build.piles_in(y)
        if budget < 0:
            raise ValueError(
                f"{y}: the coverage rules alone need {build.piles_in(y)} new piles, more than the "
                f"{pile_targets[y] - prev_piles} the targets allow"
            )
        prev_piles = pile_targets[y]
        urban_piles_cum += budget
        wanted = station_targets[y] - other_stations
        floor = math.ceil(urban_piles_cum / URBAN_MAX_MEAN_PILES.get(y, 40.0))
        stations = max(len(urban_ids), wanted, floor)
        new = stations - len(urban_ids)
        expand = round(budget * URBAN_EXPANSION_SHARE) if urban_ids and new else (budget if not new else 0)
        new_budget = budget - expand
        if new_budget < new:  # too few piles for that many new stations: fewer, bigger ones
            new = new_budget
        if new == 0 and new_budget:
            expand, new_budget = budget, 0
        if expand and not urban_ids:
            raise ValueError(f"{y}: {expand} urban piles but no urban station to hold them")
        # new stations: counties ∝ pile deficit at the year's EV:pile ratio, sizes lognormal, exact total
        have = build.piles_by_county(y, n_counties) - coverage[y] + final_share * pile_targets[y]
        target = county_evs[y] * city_factor
        target = target / target.sum() * pile_targets[y]
        w = np.maximum(target - have, URBAN_DEFICIT_FLOOR * target)
        pressure = w / np.maximum(target, 1e-9)  # ≥ floor; > 1 where a county lags far behind its EVs
        per_county = rng.multinomial(new, w / w.sum()) if new else np.zeros(n_counties, dtype=np.int64)
        counties_new = np.repeat(np.arange(n_counties), per_county)
        size_w = rng.lognormal(0.0, URBAN_SIZE_SIGMA, new) * np.sqrt(pressure[counties_new])
        sizes = _apportion(size_w, new_budget, 1, URBAN_MAX_PILES)
        lng0, lat0, sigma = _urban_anchors(rng, geo, anchors, counties_new)
        lng, lat = _near(rng, geo, lng0, lat0, counties_new, 1.0) if new else (lng0, lat0)
        extra = np.flatnonzero(sigma > 1.0)  # the seat anchors scatter wider
        if len(extra):
            lng[extra], lat[extra] = _near(rng, geo, lng0[extra], lat0[extra], counties_new[extra], 2.5)
        bus = rng.random(new) < 0.04  # a few public stations in bus depots
        for k in range(new):
            cat = SiteCategory.BUS_DEPOT if bus[k] else SiteCategory.URBAN_PUBLIC
            s = build.station(cat, int(counties_new[k]), float(lng[k]), float(lat[k]), y, label="")
            build.batch(s, y, int(sizes[k]), "urban")
            urban_ids.append(s)
            urban_size[s] = int(sizes[k])
        if expand:  # existing stations grow in proportion to their size and their county's deficit
            old = urban_ids[: len(urban_ids) - new]
            old_sizes = np.array([urban_size[s] * pressure[build.county[s]] for s in old], dtype=float)
            add = rng.multinomial(expand, old_sizes / old_sizes.sum())
            for s, a in zip(old, add.tolist(), strict=True):
                if a:
                    build.batch(s, y, a, "urban")
                    urban_size[s] += a


def _urban_anchors(
    rng: np.random.Generator, geo: _Geo, anchors: Mapping[int, _PlaceSet], county: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """An anchor per new urban station: a 街道 of its county (by population) for 2/3 of them, else the seat."""
    n = len(county)
    lng, lat = geo.seat_lng[county].copy(), geo.seat_lat[county].copy()
    sigma = np.full(n, 2.5)
    use = rng.random(n) < 2 / 3
    for c in np.unique(county[use]).tolist():
        a = anchors.get(int(c))
        if a is None or not len(a.codes):
            continue
        m = np.flatnonzero(use & (county == c))
        pick = rng.choice(len(a.codes), size=len(m), p=a.population / a.population.sum())
        lng[m], lat[m], sigma[m] = a.lng[pick], a.lat[pick], 1.0
    return lng, lat, sigma


# --- finishing: piles, operators, imperfections, ids, texts -------------------------------------------


def _piles(
    build: _Builder, rng: np.random.Generator, years: Sequence[int], pile_targets: Mapping[int, int]
) -> dict[str, NDArray[Any]]:
    """One row per pile from the batches: DC or AC, power, guns; urban DC counts set so each year-end's DC share
    is DC_SHARE exactly (to one pile)."""
    b_station = np.array(build.b_station, dtype=np.int64)
    b_count = np.array(build.b_count, dtype=np.int64)
    station = np.repeat(b_station, b_count)
    year = np.repeat(np.array(build.b_year, dtype=np.int64), b_count)
    profile = np.repeat(np.array(build.b_profile, dtype=np.int64), b_count)
    batch = np.repeat(np.arange(len(b_count)), b_count)
    n = len(station)
    dc = np.zeros(n, dtype=bool)
    kw = np.full(n, AC_KW)
    two = np.zeros(n, dtype=bool)
    u = rng.random(n)
    urban = _PROFILE_NAMES.index("urban")
    for k, name in enumerate(_PROFILE_NAMES):
        m = np.flatnonzero(profile == k)
        if name == "urban" or not len(m):
            continue
        prof = _PROFILES[name]
        dc[m] = u[m] < prof.dc
    dc_before = 0
    for y in years:
        m = np.flatnonzero((profile == urban) & (year == y))
        target = round(DC_SHARE.get(y, DC_SHARE[max(DC_SHARE)]) * pile_targets[y])
        others = int(np.count_nonzero(dc[(year == y) & (profile != urban)]))
        k_dc = int(np.clip(target - dc_before - others, 0, len(m)))
        dc[rng.choice(m, size=k_dc, replace=False)] = True
        dc_before += int(np.count_nonzero(dc[year == y]))
    for k, name in enumerate(_PROFILE_NAMES):
        m = np.flatnonzero((profile == k) & dc)
        if not len(m):
            continue
        prof = _PROFILES[name]
        if name == "urban":
            for y in years:
                my = m[year[m] == y]
                mix = _urban_mix(y)
                kw[my] = rng.choice(np.array(URBAN_DC_KW), size=len(my), p=mix)
        else:
            p = np.array(prof.dc_p)
            kw[m] = rng.choice(np.array(prof.dc_kw), size=len(m), p=p / p.sum())
    u2 = rng.random(n)
    for k, name in enumerate(_PROFILE_NAMES):
        prof = _PROFILES[name]
        m = profile == k
        two[m & dc] = u2[m & dc] < prof.two_gun_dc
        two[m & ~dc] = u2[m & ~dc] < prof.two_gun_ac
    guns = np.where(two, 2, 1)
    kw = np.where(dc, kw, AC_KW * guns)
    return {"station": station, "year": year, "batch": batch, "dc": dc, "kw": kw, "guns": guns}


def _urban_mix(year: int) -> NDArray[np.float64]:
    lo, hi = min(URBAN_DC_MIX), max(URBAN_DC_MIX)
    f = float(np.clip((year - lo) / (hi - lo), 0.0, 1.0))
    mix = (1 - f) * np.array(URBAN_DC_MIX[lo]) + f * np.array(URBAN_DC_MIX[hi])
    return np.asarray(mix / mix.sum(), dtype=np.float64)


def _assign_operators(
    rng: np.random.Generator,
    operators: Sequence[ScenarioOperator],
    category: NDArray[np.int64],
    city: list[str],
    opened: NDArray[np.int64],
    piles: NDArray[np.int64],
    first_year: int,
) -> NDArray[np.int64]:
    """Operator per station: by city from a matrix fitted (IPF) to the operators' pile shares and each city's
    piles; local operators only in their home city; highway and toll stations among the province-wide ones,
    state-owned favoured. Then every operator gets at least one station of the first snapshot."""
    n_ops = len(operators)
    weight = np.array([o.weight for o in operators])
    weight = weight / weight.sum()
    cities = sorted(set(city))
    ci = {c: i for i, c in enumerate(cities)}
    station_city = np.array([ci[c] for c in city], dtype=np.int64)
    highway = np.isin(category, list(_HIGHWAY))
    wide = np.array([o.province_wide for o in operators])
    home = np.array([ci.get(o.home_city, -1) for o in operators])
    eligible = wide[:, None] | (home[:, None] == np.arange(len(cities))[None, :])
    state = np.array([o.state_owned for o in operators])
    highway_share = weight * wide * np.where(state, 3.0, 1.0)
    highway_share /= highway_share.sum()
    owner = np.zeros(len(city), dtype=np.int64)
    for y in np.unique(opened).tolist():  # each year's new stations keep every snapshot's shares on target
        new = opened == y
        hw_piles = float(piles[new & highway].sum())
        city_piles = np.bincount(
            station_city[new & ~highway], weights=piles[new & ~highway].astype(float), minlength=len(cities)
        ).astype(float)
        rows = np.clip(weight * (city_piles.sum() + hw_piles) - highway_share * hw_piles, 0.0, None)
        m = _ipf(eligible * (rows[:, None] + 1e-12) * (city_piles[None, :] + 1e-12), rows, city_piles)
        for c in range(len(cities)):
            sel = np.flatnonzero((station_city == c) & ~highway & new)
            _deal(rng, owner, sel, piles, m[:, c] if m[:, c].sum() > 0 else weight * wide)
        _deal(rng, owner, np.flatnonzero(highway & new), piles, highway_share)
    # every operator owns a station standing at the first snapshot: the smallest one of an owner with many
    first = opened <= first_year
    counts = np.bincount(owner[first], minlength=n_ops)
    for o in np.flatnonzero(counts == 0).tolist():
        op = operators[o]
        pool = np.flatnonzero(first & ~highway & (op.province_wide | (station_city == home[o])))
        pool = pool[counts[owner[pool]] >= 2]
        if not len(pool):
            pool = np.flatnonzero(first & (counts[owner] >= 2))
        if not len(pool):
            pool = np.flatnonzero(counts[owner] >= 2)
        if not len(pool):
            break  # fewer stations than operators
        score = piles[pool] * 1e6 - counts[owner[pool]] + rng.random(len(pool))
        pick = pool[int(np.argmin(score))]
        counts[owner[pick]] -= 1
        owner[pick] = o
        counts[o] += 1
    return owner


def _ipf(m: NDArray[np.float64], rows: NDArray[np.float64], cols: NDArray[np.float64]) -> NDArray[np.float64]:
    """Iterative proportional fitting of ``m`` to row and column sums (zeros stay zero)."""
    rows = rows * (cols.sum() / max(rows.sum(), 1e-12))
    for _ in range(200):
        r = m.sum(axis=1)
        m = m * np.divide(rows, r, out=np.zeros_like(rows), where=r > 0)[:, None]
        c = m.sum(axis=0)
        m = m * np.divide(cols, c, out=np.zeros_like(cols), where=c > 0)[None, :]
    return m


def _deal(
    rng: np.random.Generator,
    owner: NDArray[np.int64],
    stations: NDArray[np.int64],
    piles: NDArray[np.int64],
    share: NDArray[np.float64],
) -> None:
    """Give ``stations`` to operators by systematic sampling on piles: the operators' shares of the stations'
    piles are laid end to end in random order and each station (in random order) goes to the operator under its
    midpoint. Unbiased in piles (a small operator gets a big station with probability ∝ its share)."""
    if not len(stations):
        return
    total = float(piles[stations].sum())
    ops = rng.permutation(len(share))
    bounds = np.cumsum(share[ops] / share.sum() * total)
    order = rng.permutation(stations)
    size = piles[order].astype(float)
    mid = (np.cumsum(size) - size / 2 + rng.random() * size.min()) % max(total, 1.0)
    owner[order] = ops[np.minimum(np.searchsorted(bounds, mid, side="right"), len(ops) - 1)]


def _finish(
    build: _Builder,
    rng: np.random.Generator,
    geo: _Geo,
    operators: list[ScenarioOperator],
    years: Sequence[int],
    pile_targets: Mapping[int, int],
) -> _Table:
    n = len(build.category)
    category = np.array(build.category, dtype=np.int64)
    county = np.array(build.county, dtype=np.int64)
    opened = np.array(build.opened, dtype=np.int64)
    true_lng = np.array(build.lng, dtype=float)
    true_lat = np.array(build.lat, dtype=float)
    piles = _piles(build, rng, years, pile_targets)

    # station commissioning instants; piles of the opening batch share them, later batches get their own
    commissioned = _dates(rng, opened, np.isin(category, list(_RURAL)))
    p_station, p_year = piles["station"], piles["year"]
    p_time = _dates(rng, p_year)
    opening = p_year == opened[p_station]
    p_time = np.where(opening, commissioned[p_station], np.maximum(p_time, commissioned[p_station] + 86_400))

    per_station = np.bincount(p_station, minlength=n)
    by_year = np.stack([np.bincount(p_station[piles["year"] <= y], minlength=n) for y in years], axis=1).astype(
        np.int64
    )

    city = [geo.city(int(c)) for c in county]
    owner = _assign_operators(rng, operators, category, city, opened, per_station, years[0])

    # zombies: whole stations whose piles all came at opening, not on highways, until ZOMBIE_SHARE of the piles
    # (a station that grew later is alive); chosen year by year so that every snapshot has its share
    single = np.bincount(p_station, weights=(piles["year"] != opened[p_station]).astype(float), minlength=n) == 0
    zombie = np.zeros(n, dtype=bool)
    running = 0
    for y in years:
        target = ZOMBIE_SHARE * pile_targets[y]
        candidates = np.flatnonzero(single & (opened == y) & ~np.isin(category, list(_HIGHWAY)))
        for s in rng.permutation(candidates).tolist():
            if running >= target:
                break
            if running + per_station[s] > target + 2:
                continue
            zombie[s] = True
            running += int(per_station[s])

    # data problems of the operators, and the reported locations
    issue: list[str | None] = [operators[int(o)].data_quality for o in owner]
    lng, lat = true_lng.copy(), true_lat.copy()
    _misplace(rng, geo, issue, county, true_lng, true_lat, lng, lat)

    # ids: <county code><5 digits>, numbered by commissioning within the county; rows sorted by id
    ids = [""] * n
    seq: dict[int, int] = defaultdict(int)
    for s in np.lexsort((np.arange(n), commissioned)).tolist():
        c = int(county[s])
        seq[c] += 1
        ids[s] = f"{geo.b.codes[c]}{seq[c]:05d}"
    rows = sorted(range(n), key=lambda s: ids[s])
    texts, payment = _texts(rng, geo, build, operators, owner, county, issue)

    # re-index everything in id order
    perm = np.array(rows, dtype=np.int64)
    inverse = np.empty(n, dtype=np.int64)
    inverse[perm] = np.arange(n)
    new_station = inverse[p_station]
    p_order = np.lexsort((p_time, new_station))
    ps = new_station[p_order]
    per_new = per_station[perm]
    first_new = np.concatenate([[0], np.cumsum(per_new)[:-1]]).astype(np.int64)
    guns = piles["guns"][p_order]
    conn_first = np.concatenate([[0], np.cumsum(guns)[:-1]]).astype(np.int64)
    made = p_time[p_order] - rng.integers(30, 240, len(ps)) * 86_400.0
    return _Table(
        station_ids=[ids[s] for s in rows],
        operator=owner[perm],
        category=category[perm],
        county=[geo.b.codes[int(county[s])] for s in rows],
        city=[city[s] for s in rows],
        true_lng=true_lng[perm],
        true_lat=true_lat[perm],
        lng=lng[perm],
        lat=lat[perm],
        town=[build.town[s] for s in rows],
        site=[build.site[s] for s in rows],
        scenic_level=np.array(build.scenic_level, dtype=np.int64)[perm],
        construction=_constructions(rng, category)[perm],
        opened=opened[perm],
        commissioned=commissioned[perm],
        zombie=zombie[perm],
        issue=[issue[s] for s in rows],
        texts=[texts[s] for s in rows],
        payment=[payment[s] for s in rows],
        first_pile=first_new,
        piles_by_year=by_year[perm],
        pile_year=piles["year"][p_order],
        pile_time=p_time[p_order],
        pile_dc=piles["dc"][p_order],
        pile_kw=piles["kw"][p_order],
        pile_guns=guns,
        pile_number=(np.arange(len(ps)) - first_new[ps] + 1).astype(np.int64),
        pile_maker=rng.integers(0, len(_MANUFACTURERS), len(ps)),
        pile_made=made,
        conn_u=rng.random(int(guns.sum())),
        conn_first=conn_first,
    )


def _constructions(rng: np.random.Generator, category: NDArray[np.int64]) -> NDArray[np.int64]:
    out = np.full(len(category), int(Construction.OTHER), dtype=np.int64)
    for k, cat in enumerate(_CATEGORIES):
        m = np.flatnonzero(category == k)
        codes, shares = _CONSTRUCTION[cat]
        p = np.array(shares) / sum(shares)
        out[m] = rng.choice(np.array([int(c) for c in codes]), size=len(m), p=p)
    return out


def _neighbours(geo: _Geo) -> list[list[int]]:
    polys = np.array(geo.b.polygons, dtype=object)
    tree = shapely.STRtree(polys)
    grown = shapely.buffer(polys, 1e-4)
    a, b = tree.query(grown, predicate="intersects")
    out: list[list[int]] = [[] for _ in polys]
    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        if i != j:
            out[i].append(j)
    return out


def _misplace(
    rng: np.random.Generator,
    geo: _Geo,
    issue: list[str | None],
    county: NDArray[np.int64],
    true_lng: NDArray[np.float64],
    true_lat: NDArray[np.float64],
    lng: NDArray[np.float64],
    lat: NDArray[np.float64],
) -> None:
    """Apply the coordinate problems in place: WGS-84 sent as GCJ-02 (the platform's GCJ→WGS conversion moves
    the point ~550 m; kept inside the county so only the wrong-county problem crosses borders), and points in a
    neighbouring county with the real area code."""
    gcj = [s for s, i in enumerate(issue) if i == "coords_wgs84_as_gcj02"]
    for s in gcj:
        c = int(county[s])
        x, y = float(true_lng[s]), float(true_lat[s])
        for f in (0.0, 0.25, 0.5, 0.75, 1.0):
            tx, ty = x + f * (geo.seat_lng[c] - x), y + f * (geo.seat_lat[c] - y)
            gx, gy = gcj02_to_wgs84(tx, ty)
            inside = geo.b.contains(geo.b.codes[c], np.array([tx, gx]), np.array([ty, gy]))
            if inside.all():
                true_lng[s], true_lat[s] = round(tx, 6), round(ty, 6)
                lng[s], lat[s] = round(gx, 6), round(gy, 6)
                break
    wrong = [s for s, i in enumerate(issue) if i == "coords_wrong_county"]
    if not wrong:
        return
    neighbours = _neighbours(geo)
    for s in wrong:
        c = int(county[s])
        point = shapely.Point(float(true_lng[s]), float(true_lat[s]))
        options = neighbours[c]
        if not options:
            continue
        dist = [geo.b.polygons[j].distance(point) for j in options]
        j = options[int(np.argmin(dist))]
        poly = geo.b.polygons[j]
        edge = nearest_points(poly, point)[0]
        sx, sy = geo.seat_lng[j], geo.seat_lat[j]
        depth = rng.uniform(*WRONG_COUNTY_DEPTH_KM) / 111.0
        length = math.hypot(sx - edge.x, sy - edge.y) or 1.0
        placed = False
        for scale in (1.0, 0.5, 0.25, 2.0, 4.0):
            f = min(1.0, depth * scale / length)
            x, y = round(edge.x + f * (sx - edge.x), 6), round(edge.y + f * (sy - edge.y), 6)
            if geo.locate(np.array([x]), np.array([y]))[0] == j:
                lng[s], lat[s] = x, y
                placed = True
                break
        if not placed:
            lng[s], lat[s] = round(float(geo.seat_lng[j]), 6), round(float(geo.seat_lat[j]), 6)


def _texts(
    rng: np.random.Generator,
    geo: _Geo,
    build: _Builder,
    operators: Sequence[ScenarioOperator],
    owner: NDArray[np.int64],
    county: NDArray[np.int64],
    issue: Sequence[str | None],
) -> tuple[list[dict[str, str]], list[frozenset[Payment]]]:
    """Names, addresses, phones, hours, fees and payment means of every station."""
    n = len(build.category)
    u = rng.random((n, 8))
    texts: list[dict[str, str]] = []
    payment: list[frozenset[Payment]] = []
    rural = _RURAL | {_CAT[SiteCategory.SCENIC_AREA], _CAT[SiteCategory.RV_CAMP]}
    for s in range(n):
        op = operators[int(owner[s])]
        c = int(county[s])
        city_code = geo.city(c)
        city = CITY_NAMES.get(city_code, "")
        county_name = geo.names[c]
        cat = _CATEGORIES[build.category[s]]
        label = build.label[s]
        road = _ROADS[int(u[s, 0] * len(_ROADS))]
        number = 1 + int(u[s, 1] * 399)
        if cat in (SiteCategory.URBAN_PUBLIC, SiteCategory.BUS_DEPOT):
            landmark = "公交场站" if cat is SiteCategory.BUS_DEPOT else _LANDMARKS[int(u[s, 2] * len(_LANDMARKS))]
            name = f"{op.short_name}{county_name}{landmark}充电站"
            address = f"山西省{city}{county_name}{road}{number}号"
        elif cat is SiteCategory.CENTRALIZED_COUNTY:
            name = f"{op.short_name}{county_name}{label}充电站"
            address = f"山西省{city}{county_name}{road}{number}号"
        elif cat is SiteCategory.TOWNSHIP:
            name = f"{op.short_name}{label}充电站"
            address = f"山西省{city}{county_name}{label}{road}{number}号"
        elif cat is SiteCategory.VILLAGE:
            name = f"{label}充电站"
            address = f"山西省{city}{county_name}{label}村委会院内"
        else:
            name = f"{op.short_name}{label}充电站"
            address = f"山西省{city}{county_name}{label}"
        all_day = cat in (SiteCategory.HIGHWAY_SERVICE_AREA, SiteCategory.TOLL_STATION) or u[s, 3] < (
            0.4 if build.category[s] in rural else 0.8
        )
        hours = "00:00-24:00" if all_day else ("07:00-22:00" if u[s, 4] < 0.6 else "08:00-20:00")
        service = 0.4 + round(u[s, 5] * 8) * 0.05
        free_park = cat not in (SiteCategory.URBAN_PUBLIC, SiteCategory.CENTRALIZED_COUNTY) or u[s, 6] < 0.5
        texts.append(
            {
                "name": name[:50],
                "address": address[:200],
                "station_tel": f"{CITY_PHONE_CODES.get(city_code, '0351')}-{2_000_000 + int(u[s, 7] * 6_999_999)}",
                "service_tel": op.tel,
                "site_guide": _GUIDES[int(u[s, 2] * len(_GUIDES))],
                "business_hours": hours,
                "electricity_fee": "谷0.35/平0.65/峰1.05元/度（按国网山西分时电价）",
                "service_fee": f"{service:.2f}元/度",
                "park_fee": "免费停车" if free_park else "充电期间免费停车2小时，超时按当地标准收费",
            }
        )
        payment.append(frozenset({Payment.ONLINE, Payment.CARD}) if u[s, 4] < 0.3 else frozenset({Payment.ONLINE}))
        if issue[s] == "missing_fields":
            texts[-1].update(address="", business_hours="", service_tel="")
    return texts, payment
