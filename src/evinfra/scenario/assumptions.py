"""Every number the Shanxi reference scenario is calibrated to, in one place, with its source.

Ids in brackets refer to ``shared/reference/plan-targets.md`` (the plan 晋政办发〔2023〕38号). Numbers the
plan does not give are assumptions, marked ``ASSUMED`` with the reasoning; docs/scenario.md lists them.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

SNAPSHOTS: Final = (2022, 2023, 2024, 2025)

# --- population: 7th national census 2020 (山西省第七次全国人口普查公报), city totals -------------------
CITY_POPULATION_2020: Final = MappingProxyType(
    {
        "140100": 5_304_061,  # 太原
        "140200": 3_105_591,  # 大同
        "140300": 1_318_505,  # 阳泉
        "140400": 3_180_884,  # 长治
        "140500": 2_194_545,  # 晋城
        "140600": 1_593_444,  # 朔州
        "140700": 3_379_498,  # 晋中
        "140800": 4_774_508,  # 运城
        "140900": 2_689_668,  # 忻州
        "141000": 3_976_481,  # 临汾
        "141100": 3_398_431,  # 吕梁
    }
)
URBAN_SHARE: Final = 0.6312  # 城镇化率 2020 census; ASSUMED to hold for the scenario years

# --- EVs [B-2, T-3] -----------------------------------------------------------------------------------
EVS_BY_YEAR: Final = MappingProxyType({2022: 287_500, 2023: 400_000, 2024: 550_000, 2025: 800_000})
# City shares of EVs at end-2022 given by the plan [B-2]; the other eight cities share the rest by
# population (ASSUMED), and shares are held constant over 2023–2025 (ASSUMED).
EV_CITY_SHARE_2022: Final = MappingProxyType({"140100": 0.40, "140800": 0.1482, "141000": 0.1061})
# Within a city, an urban district (区) resident owns this many times the EVs of a county (县/市) resident
# (ASSUMED: EVs concentrate where charging and income are).
DISTRICT_EV_FACTOR: Final = 3.0

# --- public network [B-3, T-1] ------------------------------------------------------------------------
PUBLIC_PILES: Final = MappingProxyType({2022: 33_593, 2023: 60_000, 2024: 90_000, 2025: 130_000})
PUBLIC_STATIONS: Final = MappingProxyType(
    {
        2022: 1_753,  # [B-3]
        2023: 9_000,  # ASSUMED: rural build-out adds many small stations (townships, villages) …
        2024: 16_000,  # ASSUMED
        2025: 25_000,  # ASSUMED (issue #4: "~25k stations" at ~130k piles)
    }
)
# Fraction of public piles that are DC (快充). ASSUMED from national averages (~42 % in 2022, rising).
DC_SHARE: Final = MappingProxyType({2022: 0.42, 2023: 0.45, 2024: 0.48, 2025: 0.50})

# --- operators [B-5] ----------------------------------------------------------------------------------
OPERATORS: Final = 240
PRIVATE_SHARE: Final = 0.85
TOP3_PILE_SHARE: Final = 0.40

# --- coverage targets by year-end [T-4..T-13]; the scenario reaches them only partly (ASSUMED shares) ---
COUNTIES_WITH_CENTRAL_STATION: Final = MappingProxyType({2022: 30, 2023: 50, 2024: 100, 2025: 117})  # 2022 ASSUMED
TOWNSHIPS_TOTAL: Final = 1_278
VILLAGES_COVERED: Final = MappingProxyType(
    {2022: 300, 2023: 4_000, 2024: 10_000, 2025: 18_824}
)  # 2022 ASSUMED: few villages had a public pile before the rural drive; 300 keeps the real 1,753 stations
SCENIC_AREAS: Final = 500
SCENIC_COVERED: Final = MappingProxyType({2022: 120, 2023: 200, 2024: 300, 2025: 500})  # 2022 ASSUMED
TOURIST_ROAD_STATIONS: Final = 208
TOURIST_STATIONS_COVERED: Final = MappingProxyType({2022: 20, 2023: 44, 2024: 122, 2025: 208})
RV_CAMPS: Final = 131
RV_CAMPS_COVERED: Final = MappingProxyType({2022: 5, 2023: 14, 2024: 60, 2025: 131})
TRUNK_SERVICE_AREAS: Final = 310
TRUNK_COVERED: Final = MappingProxyType({2022: 10, 2023: 21, 2024: 67, 2025: 310})
HIGHWAY_SERVICE_AREAS: Final = 258
HIGHWAY_FAST_DC_SHARE: Final = MappingProxyType({2022: 0.7, 2023: 1.0, 2024: 0.8, 2025: 1.0})  # 2023: T-13 "covered"
TOLL_STATIONS: Final = 100  # centralised stations at toll stations by 2025 [K-8]
# The plan's targets are rarely met exactly: this share of each coverage target is actually built
# (ASSUMED), leaving the gaps that the supervision and planning features must find.
COVERAGE_ATTAINMENT: Final = 0.93

# --- realistic imperfections (ASSUMED; no public figures) --------------------------------------------
FAULTED_SHARE: Final = 0.03  # connectors in fault (Status 255) at the snapshot
OFFLINE_SHARE: Final = 0.05  # connectors offline (Status 0)
ZOMBIE_SHARE: Final = 0.04  # piles with no order in 30 days and a frozen status (僵尸桩, F-1)
BAD_DATA_OPERATOR_SHARE: Final = 0.10  # operators with data-quality problems
# Among stations of a bad-data operator: WGS-84 sent as GCJ-02 (~550 m off), coordinates in the wrong
# county, missing optional fields (address, business hours, tel), pushes arriving late.
BAD_DATA_KINDS: Final = ("coords_wgs84_as_gcj02", "coords_wrong_county", "missing_fields", "late_pushes")
