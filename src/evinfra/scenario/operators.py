"""The ~240 synthetic charging operators of the Shanxi reference scenario [B-5].

Every operator is fictional: a GB 11714 organisation code with a valid check character (and the matching
GB 32100 credit code), a made-up Chinese company name, state-owned or private (PRIVATE_SHARE), a share of the
province's public piles drawn from a heavy-tailed distribution in which the top three hold TOP3_PILE_SHARE,
a home city, and for BAD_DATA_OPERATOR_SHARE of them one data-quality problem (BAD_DATA_KINDS).

The big operators (the first PROVINCE_WIDE_OPERATORS by share) build everywhere; the others are local to their
home city, which is drawn in proportion to the city's EVs with a cap so that no city's local operators need
more than LOCAL_CAPACITY of its piles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from evinfra.domain.operator import Operator
from evinfra.scenario.assumptions import (
    BAD_DATA_KINDS,
    BAD_DATA_OPERATOR_SHARE,
    CITY_POPULATION_2020,
    EV_CITY_SHARE_2022,
    OPERATORS,
    PRIVATE_SHARE,
    TOP3_PILE_SHARE,
)

__all__ = [
    "CITY_NAMES",
    "CITY_PHONE_CODES",
    "PROVINCE_WIDE_OPERATORS",
    "ScenarioOperator",
    "city_ev_shares",
    "org_code_check",
    "synth_operators",
    "uscc_check",
]

# --- ASSUMED parameters (no public figures) -----------------------------------------------------------
# The top three (national operators) split TOP3_PILE_SHARE 42.5 : 32.5 : 25, roughly the ratio of the
# three largest national networks in the China Charging Alliance monthly reports.
TOP3_SPLIT: Final = (0.425, 0.325, 0.25)
# The other operators' shares fall off like a Zipf law in rank, ∝ (rank + ZIPF_OFFSET) ** -ZIPF_EXPONENT,
# with lognormal noise of ZIPF_NOISE_SIGMA: a handful of regional players with a few % each and a long tail of
# local operators with a few dozen piles (ASSUMED; typical of provincial registers).
ZIPF_EXPONENT: Final = 1.15
ZIPF_OFFSET: Final = 2.0
ZIPF_NOISE_SIGMA: Final = 0.25
# Operators ranked 1..PROVINCE_WIDE_OPERATORS by share build in every city; the rest only in their home city
# (ASSUMED: national operators plus the provincial state-owned energy and transport groups).
PROVINCE_WIDE_OPERATORS: Final = 12
# Local operators of one city may hold at most this share of that city's piles, so that the province-wide
# operators are present everywhere (ASSUMED).
LOCAL_CAPACITY: Final = 0.6
# Share of the province-wide operators that are state-owned (ASSUMED: grid, energy and transport groups).
PROVINCE_WIDE_STATE_SHARE: Final = 0.4

CITY_NAMES: Final = {
    "140100": "太原市",
    "140200": "大同市",
    "140300": "阳泉市",
    "140400": "长治市",
    "140500": "晋城市",
    "140600": "朔州市",
    "140700": "晋中市",
    "140800": "运城市",
    "140900": "忻州市",
    "141000": "临汾市",
    "141100": "吕梁市",
}
CITY_PHONE_CODES: Final = {
    "140100": "0351",
    "140200": "0352",
    "140300": "0353",
    "140400": "0355",
    "140500": "0356",
    "140600": "0349",
    "140700": "0354",
    "140800": "0359",
    "140900": "0350",
    "141000": "0357",
    "141100": "0358",
}

# Name parts: regional words, a brand core and a company-form suffix. Combinations are checked against a
# short list of real operator brands so that no generated name is a real company's.
_REGION_WORDS = (
    "三晋", "晋阳", "并州", "龙城", "汾水", "太行", "吕梁", "河东", "晋北", "云冈", "雁门", "上党", "晋韵",
    "黄河", "五台", "恒山", "中条", "沁水", "绵山", "晋源", "汾阳", "晋南", "桑干", "丹河", "漳泽", "滹沱",
)  # fmt: skip
_BRAND_WORDS = (
    "快充", "易充", "绿能", "电驰", "星桩", "智充", "通达", "恒源", "畅行", "驿充", "速电", "蓝途", "聚能",
    "云充", "新程", "益行", "安充", "优电", "瑞能", "鼎电", "锦程", "博能", "泰和", "宏途", "众联", "金桩",
    "惠充", "启航", "领驰", "润泽", "德行", "捷充", "闪充", "源动", "驰远", "悦充", "电港", "迅能",
)  # fmt: skip
_PRIVATE_SUFFIXES = (
    "新能源有限公司", "充电科技有限公司", "新能源科技有限公司", "能源科技有限公司", "电动汽车服务有限公司",
    "新能源汽车服务有限公司", "智慧能源有限公司", "充电服务有限公司",
)  # fmt: skip
_STATE_SUFFIXES = (
    "交通能源发展有限公司", "电力能源有限公司", "城市能源投资有限公司", "公交新能源有限公司",
    "综合能源服务有限公司", "新能源产业投资有限公司",
)  # fmt: skip
_NATIONAL_SUFFIXES = ("充电网络科技股份有限公司", "智能充电集团有限公司", "新能源网络技术有限公司")
_REAL_BRANDS = ("特来电", "星星", "云快充", "国网", "南网", "小桔", "蔚来", "晋能", "依威", "万帮", "普天", "开迈斯")

# GB 11714 organisation codes: 8 body characters, weights 3 7 9 10 5 8 4 2, check = 11 − Σ mod 11 (10 → X).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# GB 32100 credit codes use 31 characters (no I, O, S, V, Z); weights 3**i mod 31, check = 31 − Σ mod 31.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWY"  # USCC-safe characters, X kept for the check character


def org_code_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation-code body."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def uscc_check(body: str) -> str:
    """The GB 32100 check character of a 17-character unified social credit code body."""
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def city_ev_shares() -> dict[str, float]:
    """Each city's share of the province's EVs: the plan's three shares [B-2], the rest by population (ASSUMED)."""
    given = dict(EV_CITY_SHARE_2022)
    rest = 1.0 - sum(given.values())
    others = {code: pop for code, pop in CITY_POPULATION_2020.items() if code not in given}
    total = sum(others.values())
    return {code: given.get(code, rest * others.get(code, 0) / total) for code in CITY_POPULATION_2020}


@dataclass(frozen=True, slots=True)
class ScenarioOperator:
    """A synthetic operator with what the network generator needs to know about it.

    ``weight`` is its share of public piles (all weights sum to 1); ``home_city`` the 6-digit code of the city
    of its registered office; ``province_wide`` whether it builds outside its home city; ``data_quality`` None
    or one of BAD_DATA_KINDS; ``rank`` its position by weight (1 = largest).
    """

    operator_id: str
    name: str
    short_name: str
    state_owned: bool
    weight: float
    home_city: str
    province_wide: bool
    rank: int
    uscc: str
    tel: str
    reg_address: str
    data_quality: str | None = None

    @property
    def private(self) -> bool:
        return not self.state_owned

    @property
    def operator(self) -> Operator:
        """The domain Operator (validated, ``synthetic=True``)."""
        return Operator(
            self.operator_id, self.name, uscc=self.uscc, tel=self.tel, reg_address=self.reg_address, synthetic=True
        )


def synth_operators(seed: int = 0, count: int = OPERATORS) -> list[ScenarioOperator]:
    """``count`` fictional operators, largest first; deterministic in ``seed``.

    Exactly round(count × (1 − PRIVATE_SHARE)) are state-owned and round(count × BAD_DATA_OPERATOR_SHARE) have a
    data-quality problem (kinds in turn, only among the local operators); the weights sum to 1 and the top three
    hold TOP3_PILE_SHARE.
    """
    if count < PROVINCE_WIDE_OPERATORS + 1:
        raise ValueError(f"need at least {PROVINCE_WIDE_OPERATORS + 1} operators, got {count}")
    rng = np.random.default_rng([seed, 0x0B5])
    weights = _weights(rng, count)
    wide = PROVINCE_WIDE_OPERATORS
    cities = city_ev_shares()
    home = _home_cities(rng, weights, cities)

    # State ownership: the 2nd national operator is state-owned (the grid company's network), a share of the
    # other province-wide ones, and the rest among local operators (city bus and investment companies).
    state_total = round(count * (1.0 - PRIVATE_SHARE))
    state = np.zeros(count, dtype=bool)
    state[1] = True
    wide_state = max(0, min(state_total - 1, round((wide - 3) * PROVINCE_WIDE_STATE_SHARE)))
    state[3 + rng.choice(wide - 3, size=wide_state, replace=False)] = True
    remaining = state_total - int(state.sum())
    state[wide + rng.choice(count - wide, size=remaining, replace=False)] = True

    bad_count = round(count * BAD_DATA_OPERATOR_SHARE)
    bad = wide + rng.choice(count - wide, size=bad_count, replace=False)
    quality: dict[int, str] = {int(i): BAD_DATA_KINDS[n % len(BAD_DATA_KINDS)] for n, i in enumerate(sorted(bad))}

    ids = _operator_ids(rng, count, state)
    names = _names(rng, count, state, home)
    operators = []
    for i in range(count):
        city = home[i]
        name, short = names[i]
        tel = f"400-{rng.integers(100, 999)}-{rng.integers(1000, 9999)}" if i < wide else _landline(rng, city)
        operators.append(
            ScenarioOperator(
                operator_id=ids[i],
                name=name,
                short_name=short,
                state_owned=bool(state[i]),
                weight=float(weights[i]),
                home_city=city,
                province_wide=i < wide,
                rank=i + 1,
                uscc=_uscc(city, ids[i]),
                tel=tel,
                reg_address=f"山西省{CITY_NAMES[city]}{rng.choice(_STREETS)}{rng.integers(1, 400)}号",
                data_quality=quality.get(i),
            )
        )
    return operators


_STREETS = ("长风街", "并州路", "学府街", "迎泽大街", "府西街", "建设路", "解放路", "新建路", "人民路", "文化路")


def _weights(rng: np.random.Generator, count: int) -> np.ndarray:
    """Pile shares, descending: the top three fixed [B-5], then a noisy Zipf tail that stays below the third."""
    top = TOP3_PILE_SHARE * np.asarray(TOP3_SPLIT)
    ranks = np.arange(1, count - 2, dtype=float)
    tail = (ranks + ZIPF_OFFSET) ** -ZIPF_EXPONENT * rng.lognormal(0.0, ZIPF_NOISE_SIGMA, count - 3)
    tail = np.sort(tail)[::-1]
    tail *= (1.0 - TOP3_PILE_SHARE) / tail.sum()
    for _ in range(50):  # keep the 4th below the 3rd: cap and spread the excess over the rest
        cap = 0.9 * top[-1]
        excess = np.clip(tail - cap, 0.0, None)
        if excess.sum() <= 0:
            break
        tail = np.minimum(tail, cap)
        free = tail < cap
        tail[free] += excess.sum() * tail[free] / tail[free].sum()
    return np.concatenate([top, tail])


def _home_cities(rng: np.random.Generator, weights: np.ndarray, shares: Mapping[str, float]) -> list[str]:
    """Province-wide operators sit in Taiyuan or a big city; local ones fill each city's local capacity."""
    codes = list(shares)
    share = np.array([shares[c] for c in codes])
    home: list[str] = []
    for i in range(PROVINCE_WIDE_OPERATORS):
        home.append("140100" if i < 3 or rng.random() < 0.6 else codes[int(rng.choice(len(codes), p=share))])
    # Local operators, largest first, each to a city drawn ∝ its remaining capacity (so small cities get some).
    local_total = weights[PROVINCE_WIDE_OPERATORS:].sum()
    capacity = share * LOCAL_CAPACITY
    if capacity.sum() < local_total:  # more local weight than the cap allows: scale the cap up
        capacity *= local_total / capacity.sum() * 1.05
    for w in weights[PROVINCE_WIDE_OPERATORS:]:
        room = np.clip(capacity - w, 0.0, None)
        p = room / room.sum() if room.sum() > 0 else share
        k = int(rng.choice(len(codes), p=p))
        capacity[k] -= w
        home.append(codes[k])
    return home


def _operator_ids(rng: np.random.Generator, count: int, state: np.ndarray) -> list[str]:
    """Unique 9-character codes: state-owned ones in the old all-digit form, private ones as MA… (post-2015)."""
    seen: set[str] = set()
    ids: list[str] = []
    chars = np.array(list(_BODY_CHARS))
    while len(ids) < count:
        i = len(ids)
        if state[i]:
            body = "".join(str(d) for d in rng.integers(0, 10, 8))
            body = str(rng.integers(1, 8)) + body[1:]
        else:
            body = "MA0" + "".join(rng.choice(chars, 5))
        code = body + org_code_check(body)
        if code not in seen:
            seen.add(code)
            ids.append(code)
    return ids


def _uscc(city: str, operator_id: str) -> str:
    body = "91" + city + operator_id  # 91 = enterprise registered with the market regulator
    return body + uscc_check(body)


def _landline(rng: np.random.Generator, city: str) -> str:
    return f"{CITY_PHONE_CODES[city]}-{rng.integers(2_000_000, 8_999_999)}"


def _names(rng: np.random.Generator, count: int, state: np.ndarray, home: list[str]) -> list[tuple[str, str]]:
    """(full name, short brand) per operator, unique, none containing a real brand."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < count:
        i = len(out)
        region = str(rng.choice(_REGION_WORDS))
        brand = str(rng.choice(_BRAND_WORDS))
        city = CITY_NAMES[home[i]]
        if i < 3:
            second = str(rng.choice(_BRAND_WORDS))
            short = brand + second if brand != second else brand + "联"
            name = short + str(rng.choice(_NATIONAL_SUFFIXES))
        elif state[i]:
            short = region + brand
            prefix = "山西" if i < PROVINCE_WIDE_OPERATORS else city
            name = prefix + short + str(rng.choice(_STATE_SUFFIXES))
        else:
            short = region + brand
            prefix = "山西" if i < PROVINCE_WIDE_OPERATORS or rng.random() < 0.5 else city
            name = prefix + short + str(rng.choice(_PRIVATE_SUFFIXES))
        if short in seen or name in seen or any(real in name for real in _REAL_BRANDS):
            continue
        seen.update((short, name))
        out.append((name, short))
    return out
