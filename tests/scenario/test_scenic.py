"""Synthetic scenic areas: 500 (T-7), famous real names in their real county, level mix for K-5, seeded."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import shapely

from evinfra.domain.layers import ScenicArea
from evinfra.regions.distance import haversine_km
from evinfra.regions.divisions import shanxi
from evinfra.regions.geometry import counties, province
from evinfra.scenario.assumptions import SCENIC_AREAS
from evinfra.scenario.roads import TOURIST_ROADS, route_codes
from evinfra.scenario.scenic import FAMOUS, synth_scenic_areas

SEED = 20250601

# Checked against the catalog by full county name, independently of the module's own name look-up.
REAL_COUNTY = {
    "五台山": "五台县",
    "云冈石窟": "云冈区",
    "平遥古城": "平遥县",
    "皇城相府": "阳城县",
    "绵山": "介休市",
    "乔家大院": "祁县",
    "黄河壶口瀑布": "吉县",
    "雁门关": "代县",
    "洪洞大槐树寻根祭祖园": "洪洞县",
    "晋祠": "晋源区",
    "悬空寺": "浑源县",
    "北岳恒山": "浑源县",
    "应县木塔": "应县",
    "王家大院": "灵石县",
    "太行山大峡谷八泉峡": "壶关县",
    "解州关帝庙": "盐湖区",
    "鹳雀楼": "永济市",
    "永乐宫": "芮城县",
    "碛口古镇": "临县",
    "芦芽山": "宁武县",
    "娘子关": "平定县",
    "王莽岭": "陵川县",
    "蟒河": "阳城县",
    "广胜寺": "洪洞县",
    "老牛湾": "偏关县",
    "云丘山": "乡宁县",
}
FIVE_A = {
    "五台山",
    "云冈石窟",
    "平遥古城",
    "皇城相府",
    "绵山",
    "雁门关",
    "洪洞大槐树寻根祭祖园",
    "太行山大峡谷八泉峡",
    "云丘山",
}


@pytest.fixture(scope="module")
def areas() -> list[ScenicArea]:
    return synth_scenic_areas(SEED)


def test_exactly_the_plans_500_with_unique_ids_and_names(areas: list[ScenicArea]) -> None:
    assert len(areas) == SCENIC_AREAS == 500
    assert len({a.site_id for a in areas}) == len(areas)
    assert len({a.name for a in areas}) == len(areas)
    assert all(a.site_id.startswith("SCN-") for a in areas)
    assert all(a.synthetic and a.source for a in areas)


def test_famous_areas_carry_real_names_in_their_real_county(areas: list[ScenicArea]) -> None:
    code_of = {d.name: d.code for d in shanxi().level("county") if d.official}
    by_name = {a.name: a for a in areas}
    for name, county in REAL_COUNTY.items():
        assert by_name[name].county_code == code_of[county], name
    assert 40 <= len(FAMOUS) <= 70
    for name, _, _ in FAMOUS:
        assert "real" in by_name[name].source and "approximate" in by_name[name].source
        assert "synthetic" in by_name[name].source  # the location is


def test_every_area_lies_inside_the_county_it_names(areas: list[ScenicArea]) -> None:
    lng = np.array([a.lng for a in areas])
    lat = np.array([a.lat for a in areas])
    assert [a.county_code for a in areas] == list(counties().locate(lng, lat))
    assert shapely.contains_xy(province(), lng, lat).all()


def test_areas_are_near_their_county_seat(areas: list[ScenicArea]) -> None:
    c = counties()
    d = np.array([haversine_km(a.lng, a.lat, *c.seat(a.county_code or "")) for a in areas])
    assert (d <= 15.5).mean() > 0.95  # the rest: seats on the edge of their county polygon


def test_every_county_has_one_and_touristic_counties_more(areas: list[ScenicArea]) -> None:
    per_county = Counter(a.county_code for a in areas)
    assert set(per_county) == set(counties().codes)
    on_tourist_roads = {code for _, _, seats in TOURIST_ROADS for code in route_codes(seats)}
    synthetic = Counter(a.county_code for a in areas[len(FAMOUS) :])
    touristic = np.mean([synthetic[c] for c in counties().codes if c in on_tourist_roads])
    other = np.mean([synthetic[c] for c in counties().codes if c not in on_tourist_roads])
    assert touristic > 1.15 * other  # weights: ×2 on tourist roads (and for famous counties, in both groups)
    assert max(per_county.values()) <= 20


def test_level_mix_is_realistic(areas: list[ScenicArea]) -> None:
    levels = Counter(a.level for a in areas)
    assert set(levels) <= {0, 1, 2, 3, 4, 5}
    five = {a.name for a in areas if a.level == 5}
    assert five == FIVE_A  # only the famous, long-standing 5A areas
    assert 0.15 <= levels[4] / len(areas) <= 0.25
    assert levels[3] + levels[2] > len(areas) / 2
    assert levels[0] > 0.1 * len(areas)  # below-A areas exist (K-5's third tier)


def test_parking_grows_with_level(areas: list[ScenicArea]) -> None:
    mean = {lv: np.mean([a.parking_spaces for a in areas if a.level == lv]) for lv in (5, 4, 3, 0)}
    assert mean[5] > mean[4] > mean[3] > mean[0] > 0


def test_same_seed_same_areas_another_seed_moves_synthetic_parts(areas: list[ScenicArea]) -> None:
    assert synth_scenic_areas(SEED) == areas
    other = synth_scenic_areas(SEED + 1)
    assert len(other) == SCENIC_AREAS
    famous = len(FAMOUS)
    # the famous ones keep ids, names, counties and levels; their points move
    key = [(a.site_id, a.name, a.county_code, a.level) for a in areas[:famous]]
    assert [(a.site_id, a.name, a.county_code, a.level) for a in other[:famous]] == key
    assert [(a.lng, a.lat) for a in other[:famous]] != [(a.lng, a.lat) for a in areas[:famous]]
    assert [a.name for a in other[famous:]] != [a.name for a in areas[famous:]]
    assert Counter(a.level for a in other) == Counter(a.level for a in areas)


def test_the_store_takes_the_areas_as_they_are(uow_factory, areas: list[ScenicArea]) -> None:
    with uow_factory() as uow:
        assert uow.layers.replace_scenic_areas(areas) == len(areas)
        uow.commit()
    with uow_factory() as uow:
        assert uow.layers.scenic_areas() == sorted(areas, key=lambda a: a.site_id)
