"""Population and EVs of every Shanxi division for the reference scenario (cities real, below synthetic).

Top-down, so that every level sums exactly to its parent:

* **Cities**: the real 2020 census totals (``CITY_POPULATION_2020``), rows flagged ``synthetic=False``.
  Population is held at the 2020 census for 2022–2025 (Shanxi's population barely moved: the census is
  the latest full count, and re-using it avoids inventing a trend).
* **Counties, townships, villages**: no public package has them, so they are split from the city total
  by one resident weight per village unit (see :func:`split_population`): every residents' committee
  (居委会/类似居委会) counts ``urban_unit_weight()`` times an administrative village (村委会), with a
  seeded log-normal size spread. A county's share of its city is the sum of its village weights, a
  township's share of its county likewise. So districts (区), which are full of residents' committees on a
  small area, come out far denser than rural counties; 街道 come out larger than 镇, and 镇 larger than 乡,
  because that is how their residents' committees and villages are distributed in the real NBS tree.
* **EVs**: the province total of each year [B-2, T-3], split to cities by the plan's 2022 shares
  (Taiyuan, Yuncheng, Linfen [B-2]; the other eight by population, shares held for 2023–2025, both
  ASSUMED in ``assumptions.py``), to counties by population × ``DISTRICT_EV_FACTOR`` for urban units,
  then to townships and villages by population.

All integer splits use largest-remainder rounding (ties go to the lower code), so sums are exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evinfra.domain.layers import Place, RegionStat
from evinfra.regions.divisions import Division, shanxi
from evinfra.scenario.assumptions import (
    CITY_POPULATION_2020,
    DISTRICT_EV_FACTOR,
    EV_CITY_SHARE_2022,
    EVS_BY_YEAR,
    URBAN_SHARE,
)

CENSUS_SOURCE: Final = "山西省第七次全国人口普查公报 (2020); EVs: 晋政办发〔2023〕38号 [B-2, T-3]"
LEVELS: Final = ("city", "county", "township", "village")
URBAN_VILLAGE_KINDS: Final = frozenset({"居委会", "类似居委会"})

# ASSUMED: spread of village-unit sizes around their kind's mean, as the σ of a mean-preserving
# log-normal factor. Chinese administrative villages and communities differ by a factor of ~3 between the
# 10th and 90th percentile (exp(±1.28·0.45) ≈ 0.56–1.78); no Shanxi figure is published below county level.
VILLAGE_SIZE_SIGMA: Final = 0.45

_POPULATION_STREAM: Final = 1  # numpy seed-sequence stream of the population spread (places.py uses 0)


def scenario_source(seed: int) -> str:
    return f"evinfra scenario seed={seed}"


def check_seed(seed: int) -> None:
    """Seeds feed ``numpy.random.default_rng([seed, stream, ...])``, which needs a non-negative int."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def largest_remainder(total: int, weights: ArrayLike) -> NDArray[np.int64]:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (ties go to the earlier index)."""
    w = np.asarray(weights, dtype=np.float64)
    return grouped_largest_remainder(np.array([total]), np.zeros(w.size, dtype=np.int64), w)


def grouped_largest_remainder(
    totals: NDArray[np.int64], parent: NDArray[np.int64], weights: ArrayLike
) -> NDArray[np.int64]:
    """Split ``totals[g]`` over the children ``i`` with ``parent[i] == g`` in proportion to ``weights[i]``.

    Vectorised largest-remainder rounding: floors first, then one extra unit to the children with the
    largest fractional parts, ties broken by child index, so the result is exact and deterministic. A
    group whose weights are all zero is split evenly.
    """
    totals = np.asarray(totals, dtype=np.int64)
    parent = np.asarray(parent, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and non-negative")
    groups = totals.size
    sums = np.bincount(parent, weights=w, minlength=groups)
    empty = sums[parent] <= 0
    w = np.where(empty, 1.0, w)
    sums = np.bincount(parent, weights=w, minlength=groups)
    quota = totals[parent] * (w / sums[parent])
    base = np.floor(quota).astype(np.int64)
    left = totals - np.bincount(parent, weights=base, minlength=groups).astype(np.int64)
    frac = quota - base
    order = np.lexsort((np.arange(parent.size), -frac, parent))  # by group, largest fraction, index
    sorted_parent = parent[order]
    starts = np.searchsorted(sorted_parent, np.arange(groups))
    rank = np.arange(parent.size) - starts[sorted_parent]
    base[order] += (rank < left[sorted_parent]).astype(np.int64)
    return base


@dataclass(frozen=True)
class _Tree:
    """The NBS tree as index arrays (each level sorted by code)."""

    cities: tuple[Division, ...]
    counties: tuple[Division, ...]
    townships: tuple[Division, ...]
    villages: tuple[Division, ...]
    county_city: NDArray[np.int64]  # index into cities
    township_county: NDArray[np.int64]
    village_township: NDArray[np.int64]


@cache
def _tree() -> _Tree:
    catalog = shanxi()
    levels = {lv: tuple(sorted(catalog.level(lv), key=lambda d: d.code)) for lv in LEVELS}

    def parents(children: tuple[Division, ...], of: tuple[Division, ...]) -> NDArray[np.int64]:
        index = {d.code: i for i, d in enumerate(of)}
        return np.array([index[str(c.parent)] for c in children], dtype=np.int64)

    return _Tree(
        cities=levels["city"],
        counties=levels["county"],
        townships=levels["township"],
        villages=levels["village"],
        county_city=parents(levels["county"], levels["city"]),
        township_county=parents(levels["township"], levels["county"]),
        village_township=parents(levels["village"], levels["township"]),
    )


def urban_unit_weight() -> float:
    """Residents per residents' committee relative to an administrative village (ASSUMED rule, no new number).

    Chosen so that, province-wide and before the size spread, the share of people living in residents'
    committees (居委会/类似居委会) equals the census urban share ``URBAN_SHARE`` (63.12 %): with 2,957 + 87
    committees and 18,851 villages this is ≈ 10.6, i.e. ≈ 7,300 residents per committee and ≈ 690 per
    village, close to Shanxi's 2020 rural population (12.9 M) over its administrative villages.
    """
    villages = _tree().villages
    urban = sum(1 for v in villages if v.kind in URBAN_VILLAGE_KINDS)
    rural = len(villages) - urban
    return URBAN_SHARE / (1.0 - URBAN_SHARE) * rural / urban


def is_urban_county(code: str) -> bool:
    """Whether a county unit counts as urban (区-like) for densities and ``DISTRICT_EV_FACTOR``.

    Official units: the 市辖区 (name ends in 区). The four NBS statistical-only zones (140171 …) are named
    …区 whatever they are, so they count as urban when most of their village units are residents'
    committees: the three development zones are, 五台山风景名胜区 (26 村委会) is not.
    """
    return code in _urban_counties()


@cache
def _urban_counties() -> frozenset[str]:
    tree = _tree()
    urban_villages: dict[str, list[bool]] = {}
    for v in tree.villages:
        urban_villages.setdefault(v.code[:6], []).append(v.kind in URBAN_VILLAGE_KINDS)
    return frozenset(
        c.code
        for c in tree.counties
        if (c.name.endswith("区") if c.official else sum(urban_villages[c.code]) * 2 > len(urban_villages[c.code]))
    )


def split_population(seed: int) -> dict[str, int]:
    """Resident population of every city, county, township and village code; deterministic in ``seed``.

    Each village unit gets the weight ``urban_unit_weight()`` (residents' committees) or 1 (villages)
    times ``exp(σ·z − σ²/2)`` with ``z`` standard normal from ``default_rng([seed, 1])`` in code order and
    σ = ``VILLAGE_SIZE_SIGMA``; the census city totals are then split down the tree by summed weights.
    """
    check_seed(seed)
    tree = _tree()
    rng = np.random.default_rng([int(seed), _POPULATION_STREAM])
    z = rng.standard_normal(len(tree.villages))
    urban_weight = urban_unit_weight()
    kind_weight = np.array([urban_weight if v.kind in URBAN_VILLAGE_KINDS else 1.0 for v in tree.villages])
    w_village = kind_weight * np.exp(VILLAGE_SIZE_SIGMA * z - VILLAGE_SIZE_SIGMA**2 / 2)
    w_township = np.bincount(tree.village_township, weights=w_village, minlength=len(tree.townships))
    w_county = np.bincount(tree.township_county, weights=w_township, minlength=len(tree.counties))

    city_pop = np.array([CITY_POPULATION_2020[c.code] for c in tree.cities], dtype=np.int64)
    county_pop = grouped_largest_remainder(city_pop, tree.county_city, w_county)
    township_pop = grouped_largest_remainder(county_pop, tree.township_county, w_township)
    village_pop = grouped_largest_remainder(township_pop, tree.village_township, w_village)
    out: dict[str, int] = {}
    for divisions, values in (
        (tree.cities, city_pop),
        (tree.counties, county_pop),
        (tree.townships, township_pop),
        (tree.villages, village_pop),
    ):
        out.update(zip((d.code for d in divisions), values.tolist(), strict=True))
    return out


def city_ev_shares() -> dict[str, float]:
    """The plan's 2022 shares [B-2] for three cities; the other eight share the rest by census population."""
    fixed = dict(EV_CITY_SHARE_2022)
    rest = 1.0 - sum(fixed.values())
    others = {code: pop for code, pop in CITY_POPULATION_2020.items() if code not in fixed}
    total = sum(others.values())
    return {code: fixed.get(code, rest * others.get(code, 0) / total) for code in sorted(CITY_POPULATION_2020)}


def synth_population(places: Iterable[Place], seed: int) -> list[RegionStat]:
    """``RegionStat`` rows (population and EVs) for every city, county, township and village, 2022–2025.

    Township and village populations are read from ``places`` (as made by ``synth_places(seed)``, which
    fills them from :func:`split_population`); counties are the sums of their townships and cities must
    then equal the census, else ``ValueError`` (a partial or foreign place list). The EV split needs no
    randomness; ``seed`` labels the synthetic rows' ``source``. Rows come by year, then level, then code.
    City rows are ``synthetic=False``: their population is the census and their EVs are the plan's
    province totals split by the plan's shares (the eight cities the plan does not name are split by
    population, ASSUMED).
    """
    check_seed(seed)
    tree = _tree()
    given = {p.code: p.population for p in places}
    missing = [d.code for d in (*tree.townships, *tree.villages) if d.code not in given]
    if missing:
        raise ValueError(f"places lack {len(missing)} township/village codes, e.g. {missing[:3]}")
    township_pop = np.array([given[t.code] for t in tree.townships], dtype=np.int64)
    village_pop = np.array([given[v.code] for v in tree.villages], dtype=np.int64)
    county_pop = np.bincount(tree.township_county, weights=township_pop, minlength=len(tree.counties))
    county_pop = county_pop.astype(np.int64)
    city_pop = np.bincount(tree.county_city, weights=county_pop, minlength=len(tree.cities)).astype(np.int64)
    village_sums = np.bincount(tree.village_township, weights=village_pop, minlength=len(tree.townships))
    if np.any(village_sums.astype(np.int64) != township_pop):
        raise ValueError("village populations do not sum to their township's")
    census = np.array([CITY_POPULATION_2020[c.code] for c in tree.cities], dtype=np.int64)
    if np.any(city_pop != census):
        raise ValueError("places do not sum to the 2020 census city totals; make them with synth_places()")

    shares = city_ev_shares()
    city_w = np.array([shares[c.code] for c in tree.cities])
    urban = np.array([is_urban_county(c.code) for c in tree.counties])
    county_w = county_pop * np.where(urban, DISTRICT_EV_FACTOR, 1.0)
    source = scenario_source(seed)
    rows: list[RegionStat] = []
    for year in sorted(EVS_BY_YEAR):
        city_ev = largest_remainder(EVS_BY_YEAR[year], city_w)
        county_ev = grouped_largest_remainder(city_ev, tree.county_city, county_w)
        township_ev = grouped_largest_remainder(county_ev, tree.township_county, township_pop.astype(np.float64))
        village_ev = grouped_largest_remainder(township_ev, tree.village_township, village_pop.astype(np.float64))
        for divisions, pops, evs, synthetic in (
            (tree.cities, city_pop, city_ev, False),
            (tree.counties, county_pop, county_ev, True),
            (tree.townships, township_pop, township_ev, True),
            (tree.villages, village_pop, village_ev, True),
        ):
            src = CENSUS_SOURCE if not synthetic else source
            rows.extend(
                RegionStat(d.code, year, p, e, synthetic, src)
                for d, p, e in zip(divisions, pops.tolist(), evs.tolist(), strict=True)
            )
    return rows


def level_of(code: str) -> str:
    """city / county / township / village from an NBS code (6 digits ending in 00 are cities)."""
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if len(code) == 6:
        return "city" if code.endswith("00") else "county"
    raise ValueError(f"not a city, county, township or village code: {code!r}")


def by_level(stats: Iterable[RegionStat], level: str, year: int) -> dict[str, RegionStat]:
    """The rows of one level (``city``/``county``/``township``/``village``) and ``year``, keyed by code."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    return {s.region_code: s for s in stats if s.year == year and level_of(s.region_code) == level}


def province_totals(stats: Iterable[RegionStat], year: int) -> tuple[int, int]:
    """(population, EVs) of the province at the end of ``year``: the sum of the city rows."""
    cities = by_level(stats, "city", year).values()
    return sum(s.population for s in cities), sum(s.evs for s in cities)
