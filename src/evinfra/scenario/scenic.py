"""Synthetic Shanxi scenic areas (景区) for the plan's scenic targets (T-7: ~500 covered; K-5 by A-level).

No public package lists Shanxi's scenic areas with locations, so the reference scenario draws 500
(``SCENIC_AREAS``). What is real and what is not:

* **Real names, real counties**: ~55 well-known scenic areas (五台山, 云冈石窟, 平遥古城 …) sit in the
  county that really holds them, looked up by county name in the NBS catalog.
* **Approximate**: their A-levels. 5A is given only to the long-standing 5A areas (GB/T 17775 list as
  generally known); the others get 4A or 3A from general knowledge, not from the official register,
  whose grants and withdrawals change yearly (乔家大院, for one, lost its 5A in 2019).
* **Synthetic** (seeded): every location (even for real names: a point within ~15 km of the county seat,
  inside the county polygon), parking spaces, and the other ~445 areas: generic "<county><kind>" names
  (森林公园, 湿地公园, 古村落, 红色教育基地 …) spread over all 117 counties, more in large and touristic
  (mountain, Great Wall, Yellow River, Taihang) counties, with a level mix of few 5A, ~20 % 4A and
  mostly 3A/2A or below A.

Deterministic in ``seed`` (NumPy ``default_rng``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from evinfra.domain.layers import ScenicArea
from evinfra.regions.geometry import counties
from evinfra.scenario.assumptions import SCENIC_AREAS
from evinfra.scenario.roads import TOURIST_ROADS, county_code, county_short_name, route_codes

REAL_SOURCE = "real scenic-area name and county; A-level approximate; location synthetic near the county seat (evinfra)"
SYNTH_SOURCE = "synthetic scenic area: name, A-level and location (evinfra scenario)"

# (name, county, A-level). Levels approximate: see the module docstring.
FAMOUS: tuple[tuple[str, str, int], ...] = (
    ("五台山", "五台", 5),
    ("云冈石窟", "云冈", 5),
    ("平遥古城", "平遥", 5),
    ("皇城相府", "阳城", 5),
    ("绵山", "介休", 5),
    ("雁门关", "代县", 5),
    ("洪洞大槐树寻根祭祖园", "洪洞", 5),
    ("太行山大峡谷八泉峡", "壶关", 5),
    ("云丘山", "乡宁", 5),
    ("乔家大院", "祁县", 4),
    ("黄河壶口瀑布", "吉县", 4),
    ("晋祠", "晋源", 4),
    ("天龙山", "晋源", 4),
    ("蒙山大佛", "晋源", 4),
    ("双塔寺", "迎泽", 3),
    ("北岳恒山", "浑源", 4),
    ("悬空寺", "浑源", 4),
    ("应县木塔", "应县", 4),
    ("大同古城", "平城", 4),
    ("王家大院", "灵石", 4),
    ("石膏山", "灵石", 4),
    ("张壁古堡", "介休", 4),
    ("常家庄园", "榆次", 4),
    ("榆次老城", "榆次", 4),
    ("渠家大院", "祁县", 3),
    ("解州关帝庙", "盐湖", 4),
    ("鹳雀楼", "永济", 4),
    ("五老峰", "永济", 4),
    ("普救寺", "永济", 4),
    ("永乐宫", "芮城", 4),
    ("李家大院", "万荣", 4),
    ("后土祠", "万荣", 3),
    ("司马光祠", "夏县", 4),
    ("望仙大峡谷", "垣曲", 4),
    ("碛口古镇", "临县", 4),
    ("北武当山", "方山", 4),
    ("芦芽山", "宁武", 4),
    ("万年冰洞", "宁武", 4),
    ("老牛湾", "偏关", 4),
    ("娘子关", "平定", 4),
    ("藏山", "盂县", 4),
    ("大寨", "昔阳", 4),
    ("王莽岭", "陵川", 4),
    ("蟒河", "阳城", 4),
    ("珏山", "泽州", 4),
    ("炎帝陵", "高平", 3),
    ("广胜寺", "洪洞", 4),
    ("尧庙", "尧都", 4),
    ("小西天", "隰县", 4),
    ("黄河乾坤湾", "永和", 4),
    ("人祖山", "吉县", 3),
    ("右玉杀虎口", "右玉", 4),
    ("崇福寺", "朔城", 3),
    ("佛光寺", "五台", 4),
    ("平型关", "灵丘", 4),
    ("八路军太行纪念馆", "武乡", 4),
    ("黄崖洞", "黎城", 4),
    ("通天峡", "平顺", 4),
    ("灵空山", "沁源", 4),
    ("庞泉沟", "交城", 4),
    ("玄中寺", "交城", 4),
    ("杏花村汾酒文化景区", "汾阳", 4),
    ("贾家庄", "汾阳", 4),
    ("刘胡兰纪念馆", "文水", 4),
    ("忻州古城", "忻府", 4),
    ("阎锡山故居", "定襄", 4),
    ("老顶山", "潞州", 3),
)

# Generic kinds of the synthetic areas; a county never gets the same kind twice.
KINDS: tuple[str, ...] = (
    "森林公园",
    "湿地公园",
    "古村落景区",
    "红色教育基地",
    "生态旅游区",
    "农业观光园",
    "温泉度假区",
    "古城遗址",
    "民俗文化村",
    "大峡谷景区",
    "水库风景区",
    "滑雪场",
    "地质公园",
    "文化园",
    "古寺景区",
    "康养小镇",
    "田园综合体",
    "革命纪念馆",
    "花海景区",
    "古堡景区",
    "窑洞民居景区",
    "博物馆",
    "植物园",
    "采摘园",
    "山水风景区",
    "古镇景区",
    "抗战遗址",
    "研学基地",
    "露营公园",
    "非遗文化街区",
)

# A-level totals over all 500 (ASSUMED mix: few 5A, ~20 % 4A, most 3A/2A, some below A).
LEVEL_SHARE: dict[int, float] = {4: 0.20, 3: 0.42, 2: 0.18, 1: 0.03, 0: 0.17}

_NEAR_SEAT_KM = 15.0
_TOURISTIC_WEIGHT = 2.0  # counties on a tourist road or with a famous area draw this many times more
_URBAN_WEIGHT = 0.5  # city districts (区) draw fewer


def _level_counts(total: int, famous: list[int]) -> dict[int, int]:
    """How many synthetic areas get each level so that all ``total`` areas follow ``LEVEL_SHARE``."""
    fives = sum(1 for lv in famous if lv == 5)
    rest = total - fives
    target = {lv: math.floor(share * total) for lv, share in LEVEL_SHARE.items()}
    target[3] += rest - sum(target.values())  # rounding remainder to the commonest level
    return {lv: max(0, n - sum(1 for f in famous if f == lv)) for lv, n in target.items()}


def _place(code: str, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """``n`` points inside county ``code``, within ~15 km of its seat where the polygon allows."""
    located = counties()
    sx, sy = located.seat(code)
    kx = 111.2 * math.cos(math.radians(sy))
    out: list[tuple[float, float]] = []
    while len(out) < n:
        r = _NEAR_SEAT_KM * np.sqrt(rng.uniform(0.02, 1.0, 64))
        a = rng.uniform(0.0, 2 * math.pi, 64)
        xs, ys = sx + r * np.cos(a) / kx, sy + r * np.sin(a) / 111.2
        ok = located.locate(xs, ys) == code
        if not ok.any():  # a seat on the edge of a thin county: sample the whole polygon instead
            x0, y0, x1, y1 = located.polygon(code).bounds
            xs, ys = rng.uniform(x0, x1, 256), rng.uniform(y0, y1, 256)
            ok = located.locate(xs, ys) == code
        i = int(np.flatnonzero(ok)[0])
        out.append((round(float(xs[i]), 6), round(float(ys[i]), 6)))
    return out


def _parking(level: int, rng: np.random.Generator) -> int:
    low, high = {5: (800, 2000), 4: (300, 1000), 3: (100, 400), 2: (50, 200)}.get(level, (30, 150))
    return int(rng.integers(low, high + 1))


def _weights(codes: tuple[str, ...], touristic: set[str]) -> NDArray[np.float64]:
    """Draw weights of the counties: √area, ×2 if touristic, ×0.5 for compact city districts (< 1,000 km²)."""
    area = np.asarray(counties().area_km2, dtype=float)
    w = np.sqrt(np.maximum(area, 1.0))
    for i, code in enumerate(codes):
        if code in touristic:
            w[i] *= _TOURISTIC_WEIGHT
        if int(code[4:6]) <= 20 and area[i] < 1000:  # NBS: county digits 01–20 are 市辖区
            w[i] *= _URBAN_WEIGHT
    return np.asarray(w, dtype=float)


def synth_scenic_areas(seed: int) -> list[ScenicArea]:
    """The 500 scenic areas of the reference scenario: the famous ones first (real names and counties,
    approximate levels, synthetic locations), then synthetic ones, at least one in every county.

    ``site_id`` is ``SCN-001``…; the famous ones keep their ids whatever the seed.
    """
    rng = np.random.default_rng([seed, 11])
    located = counties()
    codes = located.codes
    famous = [(name, county_code(county), level) for name, county, level in FAMOUS]
    touristic = {code for _, code, _ in famous}
    touristic |= {code for _, _, seats in TOURIST_ROADS for code in route_codes(seats)}
    has_famous = {code for _, code, _ in famous}

    counts = np.array([0 if code in has_famous else 1 for code in codes])
    weights = _weights(codes, touristic)
    counts += rng.multinomial(SCENIC_AREAS - len(famous) - int(counts.sum()), weights / weights.sum())
    while (over := counts > len(KINDS)).any():  # never in practice: a county has at most len(KINDS) kinds
        spill = int((counts[over] - len(KINDS)).sum())
        counts[over] = len(KINDS)
        free = np.where(counts < len(KINDS), weights, 0.0)
        counts += rng.multinomial(spill, free / free.sum())

    level_counts = _level_counts(SCENIC_AREAS, [lv for _, _, lv in famous])
    levels = rng.permutation(np.repeat(list(level_counts), list(level_counts.values())))

    areas: list[ScenicArea] = []
    for name, code, level in famous:
        ((x, y),) = _place(code, 1, rng)
        areas.append(
            ScenicArea(
                f"SCN-{len(areas) + 1:03d}",
                name,
                level,
                code,
                x,
                y,
                _parking(level, rng),
                synthetic=True,
                source=REAL_SOURCE,
            )
        )
    names = {a.name for a in areas}
    k = 0
    for code, n in zip(codes, counts, strict=True):
        if n == 0:
            continue
        short = county_short_name(code)
        kinds = [short + KINDS[i] for i in rng.permutation(len(KINDS))]
        picked = [kind for kind in kinds if kind not in names][: int(n)]
        for name, (x, y) in zip(picked, _place(code, int(n), rng), strict=True):
            level = int(levels[k])
            k += 1
            names.add(name)
            areas.append(
                ScenicArea(
                    f"SCN-{len(areas) + 1:03d}",
                    name,
                    level,
                    code,
                    x,
                    y,
                    _parking(level, rng),
                    synthetic=True,
                    source=SYNTH_SOURCE,
                )
            )
    return areas
