"""Synthetic Shanxi roads and the road sites the plan wants covered (T-9..T-14, K-6..K-8).

No public package ships Shanxi's road network, its 258 highway service areas, its toll stations, the
208 驿站 and 131 RV camps of the three 一号旅游公路 or the 310 service/parking areas of the 普通国省干线,
so the reference scenario draws them. What is real and what is not:

* **Real**: the route numbers and names (G5 京昆, G108 …), and the county seats a route passes, looked up
  by name in the NBS catalog and the shipped seats (``regions``). No coordinate is typed in this module.
* **Approximate**: the order of the seats along a route, from general knowledge of the network. Where a
  real route shares a section with another (G5 and G20 between 旧关 and 太原) the section is drawn once.
  Provincial roads are given by their end towns, not by a number (their numbers are not known here).
* **Synthetic** (seeded): the alignment between two seats (a smooth lateral bend of a few km so a road
  is not a ruler line; the same seat pair always bends the same way, so routes that share a section
  share it exactly), and every site: its position, name, parking spaces. Vertices that would leave
  Shanxi are pulled back inside, and every site lies on its road inside a county polygon.

The modelled network is the trunk of the real one: ~3,400 km of expressway against ~5,800 km real,
~3,800 km of trunk road and ~2,000 km of tourist road (seat-to-seat, so shorter than the real routes).
The plan's full counts on fewer kilometres put sites closer than in reality: ~13 km between highway
service areas, ~11 km between trunk-road sites, ~9 km between 驿站. The distance targets (T-12,
T-14: < 50 km) are judged on gaps, which stay far below them.

Everything is deterministic in ``seed`` (NumPy ``default_rng``; nothing depends on Python's ``hash``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from numpy.typing import NDArray

from evinfra.domain.layers import Road, RoadSite
from evinfra.regions.distance import haversine_km
from evinfra.regions.divisions import shanxi
from evinfra.regions.geometry import counties, province
from evinfra.scenario.assumptions import (
    HIGHWAY_SERVICE_AREAS,
    RV_CAMPS,
    TOLL_STATIONS,
    TOURIST_ROAD_STATIONS,
    TRUNK_SERVICE_AREAS,
)

ROAD_SOURCE = "approximate alignment through real county seats (evinfra scenario)"
SITE_SOURCE = "synthetic position on an approximate road alignment (evinfra scenario)"

# (road_id, name, seats in order). Seats are county names as the NBS catalog spells them, separated by
# spaces, with the suffix 县/市/区 optional; the two 城区 are qualified by their city (阳泉城区, 晋城城区).
EXPRESSWAYS: tuple[tuple[str, str, str], ...] = (
    ("G5", "G5 京昆高速", "平定 阳泉城区 寿阳 榆次 小店 祁县 平遥 介休 灵石 霍州 洪洞 尧都 襄汾 侯马 闻喜 盐湖 永济"),
    (
        "G55",
        "G55 二广高速",
        "新荣 平城 怀仁 山阴 原平 忻府 阳曲 尖草坪 小店 榆次 太谷 沁县 襄垣 潞州 上党 高平 晋城城区 泽州",
    ),
    ("G20", "G20 青银高速", "小店 清徐 文水 汾阳 离石 柳林"),
    ("G22", "G22 青兰高速", "黎城 潞城 潞州 屯留 安泽 古县 尧都 吉县"),
    ("G18", "G18 荣乌高速", "灵丘 浑源 应县 朔城 平鲁 偏关"),
    (
        "G59",
        "G59 呼北高速",
        "右玉 平鲁 神池 五寨 岢岚 岚县 方山 离石 中阳 石楼 隰县 大宁 吉县 乡宁 河津 万荣 临猗 盐湖 平陆",
    ),
    ("G3511", "G3511 菏宝高速", "晋城城区 阳城 沁水 翼城 曲沃 侯马 新绛 稷山 河津"),
    ("宣大高速", "宣大高速（大同–宣化）", "平城 云州 阳高 天镇"),
    ("忻阜高速", "忻阜高速（忻州–阜平）", "忻府 定襄 五台"),
    ("太佳高速", "太佳高速（太原–佳县）", "万柏林 古交 娄烦 方山 临县"),
    ("阳五高速", "阳五高速（阳泉–五台）", "阳泉郊区 盂县 五台"),
    ("祁临高速", "祁临高速（祁县–临汾）", "祁县 沁源 古县"),
    ("晋陵高速", "晋陵高速（晋城–陵川）", "晋城城区 陵川"),
)

TRUNK_ROADS: tuple[tuple[str, str, str], ...] = (
    (
        "G108",
        "G108 京昆线",
        "灵丘 繁峙 代县 原平 忻府 阳曲 尖草坪 晋源 清徐 祁县 平遥 介休 灵石 霍州 洪洞 尧都 襄汾 侯马 闻喜 盐湖 永济",
    ),
    ("G207", "G207 锡海线", "新荣 平城 浑源 五台 盂县 阳泉郊区 平定 昔阳 和顺 左权 黎城 潞城 潞州 高平 晋城城区 泽州"),
    ("G208", "G208 二长线", "平城 怀仁 应县 山阴 原平 忻府 阳曲 杏花岭 榆次 太谷 沁县 襄垣 潞州"),
    (
        "G209",
        "G209 呼北线",
        "右玉 平鲁 神池 五寨 岢岚 岚县 方山 离石 中阳 交口 隰县 蒲县 乡宁 河津 万荣 临猗 盐湖 平陆",
    ),
    ("G307", "G307 歧银线", "平定 阳泉城区 寿阳 榆次 小店 晋源 交城 文水 汾阳 离石 柳林"),
    ("G309", "G309 荣兰线", "黎城 潞城 潞州 屯留 安泽 古县 洪洞 尧都 蒲县 大宁"),
    ("省道·河曲–原平", "省道 河曲–五寨–宁武–原平（编号从略）", "河曲 五寨 宁武 原平"),
    ("省道·忻州–太原西", "省道 忻州–静乐–娄烦–古交–太原（编号从略）", "忻府 静乐 娄烦 古交 万柏林"),
    ("省道·沁水–垣曲", "省道 沁水–翼城–绛县–垣曲（编号从略）", "沁水 翼城 绛县 垣曲"),
    ("省道·平遥–安泽", "省道 平遥–沁源–安泽（编号从略）", "平遥 沁源 安泽"),
    ("省道·太谷–左权", "省道 太谷–榆社–左权（编号从略）", "太谷 榆社 左权"),
)

TOURIST_ROADS: tuple[tuple[str, str, str], ...] = (
    (
        "黄河一号",
        "黄河一号旅游公路",
        "偏关 河曲 保德 兴县 临县 柳林 石楼 永和 大宁 吉县 乡宁 河津 万荣 临猗 永济 芮城 平陆 垣曲",
    ),
    ("长城一号", "长城一号旅游公路", "天镇 阳高 新荣 左云 右玉 平鲁 偏关 神池 宁武 代县 繁峙 灵丘 广灵"),
    ("太行一号", "太行一号旅游公路", "灵丘 五台 盂县 平定 昔阳 和顺 左权 黎城 平顺 壶关 陵川 泽州 阳城 沁水"),
)

ROAD_KINDS = (("expressway", EXPRESSWAYS), ("trunk", TRUNK_ROADS), ("tourist", TOURIST_ROADS))

_STEP_KM = 4.0  # vertex spacing of a drawn road
_BEND = 0.08  # peak lateral bend between two seats, as a share of their distance (≤ _BEND_MAX_KM)
_BEND_MAX_KM = 8.0
_MEANDER = (0.03, 0.07)  # amplitude range of a shorter meander (3 half-waves), share of the distance
_INSET_DEG = 0.01  # vertices leaving Shanxi are pulled this far (~1 km) inside the border
_SHARED_KM = 1.0  # a stretch closer than this to an earlier road of the same kind is "shared"
_KM_PER_DEG = 111.2


# --- county names -------------------------------------------------------------------------------------


@cache
def _county_index() -> tuple[dict[str, list[str]], dict[str, str], dict[str, str]]:
    """(names → codes, code → name, code → city short name) over the 117 official counties."""
    catalog = shanxi()
    city_short = {c.code: c.name.removesuffix("市") for c in catalog.level("city")}
    by_name: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    cities: dict[str, str] = {}
    for d in catalog.level("county"):
        if not d.official:
            continue
        names[d.code] = d.name
        cities[d.code] = city_short[d.parent or ""]
        by_name.setdefault(d.name, []).append(d.code)
        by_name.setdefault(cities[d.code] + d.name, []).append(d.code)
    return by_name, names, cities


def county_code(name: str) -> str:
    """The code of an official county by its name, suffix 县/市/区 optional (``平遥`` → ``140728``).

    Raises ``KeyError`` when the name is unknown or ambiguous (``城区``: say ``阳泉城区`` or ``晋城城区``).
    """
    by_name, _, _ = _county_index()
    for candidate in (name, name + "县", name + "市", name + "区"):
        codes = by_name.get(candidate, [])
        if len(codes) == 1:
            return codes[0]
        if len(codes) > 1:
            raise KeyError(f"county name {name!r} is ambiguous: {codes}")
    raise KeyError(f"no Shanxi county named {name!r}")


def county_short_name(code: str) -> str:
    """How a county is called in a site name: 平遥县 → 平遥, 应县 stays 应县, 城区 → 阳泉城区."""
    _, names, cities = _county_index()
    name = names[code]
    if name in ("城区", "郊区", "矿区"):
        return cities[code] + name
    if len(name) > 2 and name[-1] in "县市区":
        return name[:-1]
    return name


# --- geometry helpers ---------------------------------------------------------------------------------


def _seat(code: str) -> tuple[float, float]:
    return counties().seat(code)


def _km_per_deg_lng(lat: float) -> float:
    return _KM_PER_DEG * math.cos(math.radians(lat))


def _segment(code_a: str, code_b: str, seed: int) -> NDArray[np.float64]:
    """Vertices from the seat of ``code_a`` towards ``code_b`` (end excluded), with a seeded bend.

    The bend is drawn for the unordered pair, so every route through the same two seats shares it.
    """
    lo, hi = sorted((code_a, code_b))
    (x0, y0), (x1, y1) = _seat(lo), _seat(hi)
    kx = _km_per_deg_lng((y0 + y1) / 2)
    dx, dy = (x1 - x0) * kx, (y1 - y0) * _KM_PER_DEG
    dist = math.hypot(dx, dy)
    n = max(6, math.ceil(dist / _STEP_KM))
    t = np.linspace(0.0, 1.0, n + 1)
    rng = np.random.default_rng([seed, int(lo), int(hi)])
    amp = float(np.clip(rng.uniform(-_BEND, _BEND) * dist, -_BEND_MAX_KM, _BEND_MAX_KM))
    amp3 = float(rng.choice([-1.0, 1.0]) * min(rng.uniform(*_MEANDER) * dist, _BEND_MAX_KM / 2))
    offset = amp * np.sin(np.pi * t) + amp3 * np.sin(3 * np.pi * t)  # km, zero at both seats
    nx, ny = (-dy / dist, dx / dist) if dist > 0 else (0.0, 0.0)
    pts = np.column_stack((x0 + t * (x1 - x0) + offset * nx / kx, y0 + t * (y1 - y0) + offset * ny / _KM_PER_DEG))
    if lo != code_a:
        pts = pts[::-1]
    return pts[:-1]


@cache
def _inner_province() -> object:
    inner = province().buffer(-_INSET_DEG)
    shapely.prepare(inner)
    return inner


def _keep_inside(pts: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pull vertices that fall outside Shanxi (or within ~1 km of its border) just inside it."""
    inner = _inner_province()
    outside = ~shapely.contains_xy(inner, pts[:, 0], pts[:, 1])
    if outside.any():
        lines = shapely.shortest_line(shapely.points(pts[outside]), inner)
        pts = pts.copy()
        pts[outside] = shapely.get_coordinates(lines)[1::2]
    return pts


def route_codes(seats: str) -> list[str]:
    """The county codes of a route's seats (``"平定 阳泉城区 寿阳"`` → ``["140321", "140302", "140725"]``)."""
    return [county_code(name) for name in seats.split()]


def _polyline(seats: str, seed: int) -> NDArray[np.float64]:
    codes = route_codes(seats)
    parts = [_segment(a, b, seed) for a, b in itertools.pairwise(codes)]
    parts.append(np.array([_seat(codes[-1])]))
    return _keep_inside(np.vstack(parts))


def _cumulative_km(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    steps = haversine_km(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    return np.concatenate(([0.0], np.cumsum(steps)))


def synth_roads(seed: int) -> list[Road]:
    """Expressways, trunk roads and the three tourist roads of Shanxi (approximate, synthetic).

    13 expressways (7 national, 6 provincial), 11 trunk roads (6 national, 5 provincial) and the
    黄河/长城/太行 一号旅游公路, each a WGS-84 polyline through the real seats of the counties it serves
    (see the module docstring for what is approximate); ``length_km`` is the great-circle length of
    the drawn polyline. The seed only moves the bends between seats.
    """
    roads: list[Road] = []
    for kind, table in ROAD_KINDS:
        for road_id, name, seats in table:
            pts = np.round(_polyline(seats, seed), 6)
            coords = tuple((float(x), float(y)) for x, y in pts)
            length = float(_cumulative_km(pts)[-1])
            roads.append(Road(road_id, kind, name, coords, round(length, 1), synthetic=True, source=ROAD_SOURCE))
    return roads


# --- sites along roads --------------------------------------------------------------------------------


@dataclass
class _Line:
    """A road as arrays: vertices, cumulative km, and which stretches an earlier road already carries."""

    road: Road
    xy: NDArray[np.float64]
    km: NDArray[np.float64]
    own: NDArray[np.bool_]  # per segment: not shared with an earlier road of the same group

    @property
    def own_km(self) -> float:
        return float(np.diff(self.km)[self.own].sum())

    def at(self, s_km: NDArray[np.float64]) -> NDArray[np.float64]:
        s = np.clip(s_km, 0.0, self.km[-1])
        return np.column_stack((np.interp(s, self.km, self.xy[:, 0]), np.interp(s, self.km, self.xy[:, 1])))

    def own_to_km(self, u_km: NDArray[np.float64]) -> NDArray[np.float64]:
        """Map a position on the road's own (unshared) length to a position on the whole road."""
        seg = np.diff(self.km)
        own_cum = np.concatenate(([0.0], np.cumsum(np.where(self.own, seg, 0.0))))
        # side="left": a position falls in the segment whose own length it ends in; shared segments
        # (zero own length) are never chosen for a position > 0
        idx = np.clip(np.searchsorted(own_cum, u_km, side="left") - 1, 0, len(seg) - 1)
        safe = np.where(seg[idx] > 0, seg[idx], 1.0)
        frac = np.where(self.own[idx], (u_km - own_cum[idx]) / safe, 0.0)
        return np.asarray(self.km[idx] + np.clip(frac, 0.0, 1.0) * seg[idx])


def _lines(roads: Sequence[Road]) -> list[_Line]:
    """Arrays for each road; a segment whose midpoint lies within ``_SHARED_KM`` of an earlier road is shared."""
    out: list[_Line] = []
    earlier: list[object] = []
    for road in roads:
        xy = np.asarray(road.coords, dtype=float)
        km = _cumulative_km(xy)
        mid = (xy[:-1] + xy[1:]) / 2
        own = np.ones(len(mid), dtype=bool)
        if earlier:
            union = shapely.union_all(earlier)
            deg = shapely.distance(shapely.points(mid), union)  # degrees; scaled as if east–west (≤ ~25 % short)
            own = deg * _KM_PER_DEG * np.cos(np.radians(mid[:, 1])) > _SHARED_KM
        out.append(_Line(road, xy, km, own))
        earlier.append(shapely.linestrings(xy))
    return out


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; ties by order)."""
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() <= 0:
        return [0] * len(w)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return [int(v) for v in base]


def _spread(lines: Sequence[_Line], total: int, rng: np.random.Generator) -> list[tuple[_Line, float]]:
    """``total`` positions (line, km) spread evenly over the lines' own lengths, jittered by ±25 % of a gap."""
    out: list[tuple[_Line, float]] = []
    for line, n in zip(lines, _allocate(total, [ln.own_km for ln in lines]), strict=True):
        if n == 0:
            continue
        gap = line.own_km / n
        u = (np.arange(n) + 0.5 + rng.uniform(-0.25, 0.25, n)) * gap
        out += [(line, float(s)) for s in line.own_to_km(u)]
    return out


def _inside(line: _Line, s_km: float) -> tuple[float, float, str]:
    """The point at ``s_km`` on the line, nudged along it (≤ 15 km) until it lies inside a county."""
    located = counties()
    for step in (0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 5.0, -5.0, 8.0, -8.0, 12.0, -12.0, 15.0, -15.0):
        ((x, y),) = line.at(np.array([s_km + step]))
        code = located.locate(np.array([x]), np.array([y]))[0]
        if code is not None:
            return float(x), float(y), str(code)
    raise ValueError(f"no point of {line.road.road_id} near km {s_km:.1f} lies inside Shanxi")


_DIR4 = ("东", "北", "西", "南")
_DIR8 = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")
_ORDINALS = ("二", "三", "四", "五", "六", "七", "八", "九", "十")


def _unique_name(code: str, suffix: str, x: float, y: float, used: set[str]) -> str:
    """``<county>``+suffix; if taken, the bearing from the county seat (东/西北 …), then numerals.

    Real service areas and toll stations are mostly named after the nearest county town in this way.
    """
    short = county_short_name(code)
    sx, sy = _seat(code)
    angle = math.degrees(math.atan2(y - sy, (x - sx) * math.cos(math.radians(sy)))) % 360
    d4 = _DIR4[int(((angle + 45) % 360) // 90)]
    d8 = _DIR8[int(((angle + 22.5) % 360) // 45)]
    candidates = [short + suffix, short + d4 + suffix, short + d8 + suffix]
    candidates += [short + d4 + o + suffix for o in _ORDINALS]
    candidates += [f"{short}{k}号{suffix}" for k in range(1, 100)]
    for name in candidates:
        if name not in used:
            used.add(name)
            return name
    raise ValueError(f"ran out of names for {short}{suffix}")


def _by_kind(roads: Iterable[Road], kind: str) -> list[Road]:
    return [r for r in roads if r.kind == kind and len(r.coords) >= 2]


def _sites_on(
    lines: Sequence[_Line],
    total: int,
    *,
    kind: str,
    prefix: str,
    suffix: str,
    parking: tuple[int, int],
    rng: np.random.Generator,
    source: str = SITE_SOURCE,
) -> list[RoadSite]:
    used: set[str] = set()
    out = []
    for i, (line, s) in enumerate(_spread(lines, total, rng), start=1):
        x, y, code = _inside(line, s)
        name = _unique_name(code, suffix, x, y, used)
        spaces = int(rng.integers(parking[0], parking[1] + 1))
        out.append(
            RoadSite(
                f"{prefix}-{i:03d}",
                kind,
                name,
                line.road.road_id,
                code,
                round(x, 6),
                round(y, 6),
                spaces,
                synthetic=True,
                source=source,
            )
        )
    return out


def _toll_stations(lines: Sequence[_Line], total: int, rng: np.random.Generator) -> list[RoadSite]:
    """Toll stations on the expressways (K-8: centralised stations at 100 toll stations).

    First the exits that serve a county town: for each (expressway, county) pair with the seat within
    15 km of the road, the road point nearest the seat, closest seats first, at least 5 km apart. If
    that gives fewer than ``total``, further stations go into the middle of the longest stretch of an
    expressway without one, as real intermediate exits do.
    """
    located = counties()
    codes = list(located.codes)
    seats = np.array([located.seat(c) for c in codes])
    seat_pts = shapely.points(seats)
    candidates: list[tuple[float, int, float, str]] = []  # (seat distance km, line index, km along, code)
    for li, line in enumerate(lines):
        geom = shapely.linestrings(line.xy)
        frac = shapely.line_locate_point(geom, seat_pts, normalized=True)
        proj = shapely.get_coordinates(shapely.line_interpolate_point(geom, frac, normalized=True))
        dist = haversine_km(seats[:, 0], seats[:, 1], proj[:, 0], proj[:, 1])
        for ci in np.flatnonzero(dist < 15.0):
            candidates.append((float(dist[ci]), li, float(frac[ci] * line.km[-1]), codes[ci]))
    candidates.sort(key=lambda c: (c[0], c[1], c[3]))
    chosen: list[tuple[int, float, float, float, str]] = []  # (line index, km along, lng, lat, county)
    for _, li, s, code in candidates:
        if len(chosen) == total:
            break
        point = _toll_point(lines[li], s, code)
        if point is None:
            continue
        x, y = point
        if any(haversine_km(x, y, cx, cy) < 5.0 for _, _, cx, cy, _ in chosen):
            continue
        chosen.append((li, s, x, y, code))
    while len(chosen) < total:
        li, s = _longest_gap(lines, [(x, y) for _, _, x, y, _ in chosen])
        x, y, code = _inside(lines[li], s)
        chosen.append((li, s, x, y, code))
    chosen.sort(key=lambda c: (c[0], c[1]))
    used: set[str] = set()
    out = []
    for i, (li, _, x, y, code) in enumerate(chosen, start=1):
        name = _unique_name(code, "收费站", x, y, used)
        out.append(
            RoadSite(
                f"TOLL-{i:03d}",
                "toll_station",
                name,
                lines[li].road.road_id,
                code,
                round(x, 6),
                round(y, 6),
                int(rng.integers(20, 61)),
                synthetic=True,
                source=SITE_SOURCE + "; exits nearest a real county seat first",
            )
        )
    return out


def _longest_gap(lines: Sequence[_Line], points: Sequence[tuple[float, float]]) -> tuple[int, float]:
    """(line index, km along) of the middle of the longest stretch of any line with none of ``points`` on it."""
    pts = shapely.points(np.asarray(points, dtype=float).reshape(-1, 2))
    best = (-1.0, 0, 0.0)
    for li, line in enumerate(lines):
        geom = shapely.linestrings(line.xy)
        near = shapely.distance(pts, geom) * _KM_PER_DEG < 1.5 if len(points) else np.zeros(0, dtype=bool)
        along = np.sort(shapely.line_locate_point(geom, pts[near], normalized=True) * line.km[-1])
        stops = np.concatenate(([0.0], along, [line.km[-1]]))
        gaps = np.diff(stops)
        # an end stretch has a station on one side only: weigh it double, like a gap that continues
        gaps[0] *= 2
        gaps[-1] *= 2
        k = int(np.argmax(gaps))
        if gaps[k] > best[0]:
            mid = (stops[k] + stops[k + 1]) / 2
            best = (float(gaps[k]), li, float(mid))
    return best[1], best[2]


def _toll_point(line: _Line, s_km: float, code: str) -> tuple[float, float] | None:
    """The point near ``s_km`` on the line that lies inside county ``code``, if any within 8 km."""
    for step in (0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 5.0, -5.0, 8.0, -8.0):
        ((x, y),) = line.at(np.array([s_km + step]))
        if counties().locate(np.array([x]), np.array([y]))[0] == code:
            return float(x), float(y)
    return None


def synth_road_sites(roads: Sequence[Road], seed: int) -> list[RoadSite]:
    """The plan's road sites on ``roads``: 258 highway service areas and 100 toll stations on the
    expressways, 208 驿站 and 131 RV camps on the tourist roads, 310 service/parking areas on the trunk
    roads (counts from ``assumptions``; T-9..T-13, K-6..K-8).

    Sites of a kind are spread evenly (±25 % jitter) over the roads of that kind in proportion to length;
    a stretch two roads share carries the sites of the first road only. Each site lies on its road
    polyline inside a county polygon and is named after that county (bearing or numeral if taken).
    Positions, names and parking spaces are synthetic.
    """
    expressways = _lines(_by_kind(roads, "expressway"))
    tourist = _lines(_by_kind(roads, "tourist"))
    trunk = _lines(_by_kind(roads, "trunk"))
    sites: list[RoadSite] = []
    if expressways:
        sites += _sites_on(
            expressways,
            HIGHWAY_SERVICE_AREAS,
            kind="highway_service_area",
            prefix="HSA",
            suffix="服务区",
            parking=(80, 300),
            rng=np.random.default_rng([seed, 1]),
        )
        sites += _toll_stations(expressways, TOLL_STATIONS, np.random.default_rng([seed, 2]))
    if tourist:
        sites += _sites_on(
            tourist,
            TOURIST_ROAD_STATIONS,
            kind="tourist_road_station",
            prefix="TRS",
            suffix="驿站",
            parking=(20, 80),
            rng=np.random.default_rng([seed, 3]),
        )
        sites += _sites_on(
            tourist,
            RV_CAMPS,
            kind="rv_camp",
            prefix="RVC",
            suffix="房车营地",
            parking=(30, 120),
            rng=np.random.default_rng([seed, 4]),
        )
    if trunk:
        sites += _trunk_sites(trunk, np.random.default_rng([seed, 5]))
    return sites


def _trunk_sites(lines: Sequence[_Line], rng: np.random.Generator) -> list[RoadSite]:
    """Trunk-road 服务区 (~1 in 3, 40–150 spaces) and 停车区 (20–60 spaces), named "<road><county>…"."""
    used: dict[str, set[str]] = {}  # names taken, per road prefix
    out = []
    for i, (line, s) in enumerate(_spread(lines, TRUNK_SERVICE_AREAS, rng), start=1):
        x, y, code = _inside(line, s)
        service = bool(rng.random() < 0.35)
        suffix = "服务区" if service else "停车区"
        road_id = line.road.road_id
        prefix = road_id if road_id.startswith("G") else "省道"
        name = prefix + _unique_name(code, suffix, x, y, used.setdefault(prefix, set()))
        spaces = int(rng.integers(40, 151)) if service else int(rng.integers(20, 61))
        out.append(
            RoadSite(
                f"TRK-{i:03d}",
                "trunk_road_service",
                name,
                road_id,
                code,
                round(x, 6),
                round(y, 6),
                spaces,
                synthetic=True,
                source=SITE_SOURCE,
            )
        )
    return out
