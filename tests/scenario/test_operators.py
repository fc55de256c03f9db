"""Synthetic operators [B-5]: ids, names, ownership, heavy-tailed pile shares, home cities, data problems."""

from __future__ import annotations

from collections import Counter

import pytest

from evinfra.domain.operator import OPERATOR_ID, USCC
from evinfra.scenario.assumptions import (
    BAD_DATA_KINDS,
    BAD_DATA_OPERATOR_SHARE,
    CITY_POPULATION_2020,
    OPERATORS,
    PRIVATE_SHARE,
    TOP3_PILE_SHARE,
)
from evinfra.scenario.operators import (
    PROVINCE_WIDE_OPERATORS,
    ScenarioOperator,
    city_ev_shares,
    org_code_check,
    synth_operators,
    uscc_check,
)

REAL_BRANDS = ("特来电", "星星充电", "云快充", "国家电网", "国网", "南方电网", "小桔", "蔚来", "晋能", "万帮")


@pytest.fixture(scope="module")
def operators() -> list[ScenarioOperator]:
    return synth_operators(seed=7)


def test_check_characters_match_published_codes() -> None:
    # GB 11714 worked by hand: 1·3+2·7+3·9+4·10+5·5+6·8+7·4+8·2 = 201; 201 mod 11 = 3; 11 − 3 = 8.
    assert org_code_check("12345678") == "8"
    # Published credit codes (Tencent, Alibaba): the organisation-code part and the final character.
    assert org_code_check("71526726") == "X"
    assert uscc_check("9144030071526726X") == "G"
    assert uscc_check("91330100716105852") == "F"


def test_count_and_ids(operators: list[ScenarioOperator]) -> None:
    assert len(operators) == OPERATORS
    ids = [o.operator_id for o in operators]
    assert len(set(ids)) == len(ids)
    for o in operators:
        assert OPERATOR_ID.fullmatch(o.operator_id)
        assert o.operator_id[8] == org_code_check(o.operator_id[:8])
        assert USCC.fullmatch(o.uscc) and o.uscc[8:17] == o.operator_id
        assert o.uscc[17] == uscc_check(o.uscc[:17])


def test_domain_operators_are_valid_and_synthetic(operators: list[ScenarioOperator]) -> None:
    domain = [o.operator for o in operators]
    assert all(d.synthetic for d in domain)
    assert [d.operator_id for d in domain] == [o.operator_id for o in operators]
    assert all(d.tel and d.reg_address.startswith("山西省") for d in domain)


def test_names_are_unique_fictional_company_names(operators: list[ScenarioOperator]) -> None:
    names = [o.name for o in operators]
    assert len(set(names)) == len(names)
    assert len({o.short_name for o in operators}) == len(operators)
    for o in operators:
        assert o.name.endswith("公司") and o.short_name in o.name
        assert not any(real in o.name for real in REAL_BRANDS)


def test_top_three_hold_the_plan_share_and_the_tail_is_heavy(operators: list[ScenarioOperator]) -> None:
    weights = [o.weight for o in operators]
    assert sum(weights) == pytest.approx(1.0)
    assert weights == sorted(weights, reverse=True)
    assert [o.rank for o in operators] == list(range(1, OPERATORS + 1))
    assert sum(weights[:3]) == pytest.approx(TOP3_PILE_SHARE)
    assert weights[3] < weights[2]
    # heavy tail: the median operator holds well under the mean share, the smallest far less
    assert weights[OPERATORS // 2] < 0.5 / OPERATORS
    assert 0 < weights[-1] < weights[OPERATORS // 2] and weights[0] / weights[-1] > 100


def test_ownership_and_scope(operators: list[ScenarioOperator]) -> None:
    private = sum(o.private for o in operators)
    assert private == OPERATORS - round(OPERATORS * (1 - PRIVATE_SHARE))
    assert [o.province_wide for o in operators] == [i < PROVINCE_WIDE_OPERATORS for i in range(OPERATORS)]
    assert {o.home_city for o in operators} == set(CITY_POPULATION_2020)  # every city has local operators
    assert Counter(o.home_city for o in operators).most_common(1)[0][0] == "140100"  # Taiyuan has the most


def test_bad_data_operators(operators: list[ScenarioOperator]) -> None:
    bad = [o for o in operators if o.data_quality is not None]
    assert len(bad) == round(OPERATORS * BAD_DATA_OPERATOR_SHARE)
    kinds = Counter(o.data_quality for o in bad)
    assert set(kinds) == set(BAD_DATA_KINDS)
    assert max(kinds.values()) - min(kinds.values()) <= 1
    assert all(not o.province_wide for o in bad)  # the big networks report clean data


def test_city_ev_shares_sum_to_one_with_the_plan_shares() -> None:
    shares = city_ev_shares()
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["140100"] == pytest.approx(0.40)
    assert shares["140800"] == pytest.approx(0.1482)


def test_deterministic_in_the_seed() -> None:
    assert synth_operators(3) == synth_operators(3)
    assert [o.operator_id for o in synth_operators(3)] != [o.operator_id for o in synth_operators(4)]


def test_smaller_count() -> None:
    ops = synth_operators(1, count=30)
    assert len(ops) == 30
    assert sum(o.weight for o in ops[:3]) == pytest.approx(TOP3_PILE_SHARE)
    with pytest.raises(ValueError):
        synth_operators(1, count=5)
