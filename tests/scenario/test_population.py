"""Population and EVs per division: census city totals, plan EV totals and shares, exact sums at every level."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np
import pytest

from evinfra.domain.layers import Place, RegionStat
from evinfra.regions.divisions import shanxi
from evinfra.scenario.assumptions import CITY_POPULATION_2020, DISTRICT_EV_FACTOR, EVS_BY_YEAR
from evinfra.scenario.places import synth_places
from evinfra.scenario.population import (
    by_level,
    grouped_largest_remainder,
    is_urban_county,
    largest_remainder,
    province_totals,
    split_population,
    synth_population,
)

SEED = 7
YEARS = (2022, 2023, 2024, 2025)
PARENT_LEVEL = {"county": "city", "township": "county", "village": "township"}


@pytest.fixture(scope="module")
def places() -> list[Place]:
    return synth_places(SEED)


@pytest.fixture(scope="module")
def stats(places: list[Place]) -> list[RegionStat]:
    return synth_population(places, SEED)


def _parent(level: str, code: str) -> str:
    return {"county": code[:4] + "00", "township": code[:6], "village": code[:9]}[level]


def test_one_row_per_division_and_year(stats: list[RegionStat]) -> None:
    catalog = shanxi()
    codes = {d.code for level in ("city", "county", "township", "village") for d in catalog.level(level)}
    assert len(codes) == 11 + 121 + 1352 + 21895
    for year in YEARS:
        assert {s.region_code for s in stats if s.year == year} == codes
    assert len(stats) == 4 * len(codes)
    assert {s.year for s in stats} == set(EVS_BY_YEAR) == set(YEARS)


def test_city_rows_are_the_census_and_flagged_real(stats: list[RegionStat]) -> None:
    for year in YEARS:
        city = by_level(stats, "city", year)
        assert {c: s.population for c, s in city.items()} == dict(CITY_POPULATION_2020)
        assert all(not s.synthetic and "人口普查" in s.source for s in city.values())
    assert all(s.synthetic and s.source == f"evinfra scenario seed={SEED}" for s in stats if len(s.region_code) > 6)


def test_ev_totals_per_year_are_exact(stats: list[RegionStat]) -> None:
    assert {y: province_totals(stats, y)[1] for y in YEARS} == {
        2022: 287_500,
        2023: 400_000,
        2024: 550_000,
        2025: 800_000,
    }
    assert all(province_totals(stats, y)[0] == sum(CITY_POPULATION_2020.values()) for y in YEARS)


def test_2022_city_ev_shares_match_the_plan(stats: list[RegionStat]) -> None:
    city = by_level(stats, "city", 2022)
    share = {code: 100 * s.evs / 287_500 for code, s in city.items()}
    assert share["140100"] == pytest.approx(40.00, abs=0.01)  # 太原
    assert share["140800"] == pytest.approx(14.82, abs=0.01)  # 运城
    assert share["141000"] == pytest.approx(10.61, abs=0.01)  # 临汾
    # the other eight split the rest by population: more people, more EVs
    others = sorted((c for c in city if c not in ("140100", "140800", "141000")), key=CITY_POPULATION_2020.get)
    assert [city[c].evs for c in others] == sorted(city[c].evs for c in others)


@pytest.mark.parametrize("level", ["county", "township", "village"])
def test_population_and_evs_sum_exactly_to_the_parent(stats: list[RegionStat], level: str) -> None:
    for year in YEARS:
        parents = by_level(stats, PARENT_LEVEL[level], year)
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for code, s in by_level(stats, level, year).items():
            sums[_parent(level, code)][0] += s.population
            sums[_parent(level, code)][1] += s.evs
        assert set(sums) <= set(parents)
        assert all([parents[c].population, parents[c].evs] == v for c, v in sums.items())
        assert len(sums) == len(parents)  # every parent has children (no township without villages)


def test_population_is_constant_over_the_years_and_carried_by_places(
    stats: list[RegionStat], places: list[Place]
) -> None:
    population = {p.code: p.population for p in places}
    for s in stats:
        if len(s.region_code) > 6:
            assert s.population == population[s.region_code]
    assert population == {c: v for c, v in split_population(SEED).items() if len(c) > 6}


def test_density_ordering_of_kinds() -> None:
    population = split_population(SEED)
    catalog = shanxi()
    mean: dict[str, list[int]] = defaultdict(list)
    for d in (*catalog.level("township"), *catalog.level("village")):
        mean[d.kind].append(population[d.code])
    m = {k: float(np.mean(v)) for k, v in mean.items()}
    assert m["街道"] > m["镇"] > m["乡"]
    assert m["居委会"] > 4 * m["村委会"] and m["类似居委会"] > m["村委会"]
    assert 300 < m["村委会"] < 2_000  # Shanxi's rural population / administrative villages ≈ 690
    assert min(population.values()) > 0


def test_districts_are_denser_and_own_more_evs_per_resident(stats: list[RegionStat]) -> None:
    county = by_level(stats, "county", 2025)
    xiaodian, yangqu = county["140105"], county["140122"]  # 太原 小店区 (289 km²) vs 阳曲县 (2,079 km²)
    assert xiaodian.population > 2 * yangqu.population
    ratio = (xiaodian.evs / xiaodian.population) / (yangqu.evs / yangqu.population)
    assert ratio == pytest.approx(DISTRICT_EV_FACTOR, rel=0.01)
    assert is_urban_county("140105") and not is_urban_county("140122")
    assert is_urban_county("140171") and not is_urban_county("140971")  # 示范区 urban, 五台山 rural


def test_split_is_deterministic_in_the_seed() -> None:
    assert split_population(SEED) == split_population(SEED)
    a, b = split_population(SEED), split_population(SEED + 1)
    assert all(a[c] == b[c] for c in CITY_POPULATION_2020)
    assert sum(a[c] != b[c] for c in a if len(c) == 12) > 0.9 * 21895


def test_foreign_or_partial_places_are_refused(places: list[Place]) -> None:
    with pytest.raises(ValueError, match="lack"):
        synth_population(places[:-1], SEED)
    bumped = [dataclasses.replace(p, population=p.population + 1) if p.level == "township" else p for p in places]
    with pytest.raises(ValueError):
        synth_population(bumped, SEED)


def test_largest_remainder_is_exact_and_stable() -> None:
    assert largest_remainder(10, [1, 1, 1]).tolist() == [4, 3, 3]
    assert largest_remainder(7, [0, 0]).tolist() == [4, 3]
    assert largest_remainder(100, [0.5, 0.25, 0.25]).tolist() == [50, 25, 25]
    out = grouped_largest_remainder(np.array([5, 0, 9]), np.array([0, 0, 1, 2, 2]), [3.0, 1.0, 2.0, 1.0, 1.0])
    assert out.tolist() == [4, 1, 0, 5, 4]
    rng = np.random.default_rng(0)
    w = rng.random(1000)
    assert int(largest_remainder(123_457, w).sum()) == 123_457
    with pytest.raises(ValueError):
        largest_remainder(5, [1.0, -1.0])
