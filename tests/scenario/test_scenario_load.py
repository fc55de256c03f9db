"""The bulk load path: a built scenario lands in the store whole, as-of queries see the plan's year-end
counts, a rebuild replaces it, and a store with real operators' stations is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.networks import tree

from evinfra.bootstrap import utc_now
from evinfra.domain.operator import Operator
from evinfra.ingest.keyring import load_master_key
from evinfra.ingest.services import register_operator, save_station
from evinfra.regions.divisions import shanxi
from evinfra.scenario.assumptions import PUBLIC_PILES
from evinfra.scenario.build import Scenario, build_scenario
from evinfra.scenario.load import ScenarioConflict, load_scenario
from evinfra.scenario.network import year_end
from evinfra.store.rows import ConnectorStatusIntervalRow, OperatorKeyRow, StationRow


@pytest.fixture(scope="module")
def scenario_2023() -> Scenario:
    return build_scenario(2023, seed=7)


def test_same_seed_builds_the_same_scenario(scenario_2023):
    again = build_scenario(2023, seed=7)
    assert again.counts() == scenario_2023.counts()
    assert [s.tree for s in again.stations[:500]] == [s.tree for s in scenario_2023.stations[:500]]
    assert again.places == scenario_2023.places and again.road_sites == scenario_2023.road_sites


def test_load_writes_everything_and_as_of_queries_see_each_year_end(scenario_2023, uow_factory, tmp_path):
    master = load_master_key(tmp_path, None)
    summary = load_scenario(scenario_2023, uow_factory, master, utc_now())
    assert summary["piles"] == PUBLIC_PILES[2023]
    with uow_factory() as uow:
        assert sum(uow.network.pile_counts_as_of(year_end(2023)).values()) == PUBLIC_PILES[2023]
        assert sum(uow.network.pile_counts_as_of(year_end(2022)).values()) == PUBLIC_PILES[2022]
        assert uow.layers.counts()["places"] == 1_352 + 21_895
        assert uow.session.scalar(select(func.count()).select_from(OperatorKeyRow)) == len(scenario_2023.operators)
        intervals = uow.session.scalar(select(func.count()).select_from(ConnectorStatusIntervalRow))
        assert intervals == summary["connectors"]
        stations = uow.session.scalar(select(func.count()).select_from(StationRow).where(StationRow.synthetic))
        assert stations == summary["stations"]
        sample = scenario_2023.stations[0].tree
        assert uow.network.get_tree(sample.station.operator_id, sample.station.station_id) == sample


def test_rebuild_replaces_the_previous_scenario(scenario_2023, uow_factory, tmp_path):
    master = load_master_key(tmp_path, None)
    load_scenario(scenario_2023, uow_factory, master, utc_now())
    load_scenario(scenario_2023, uow_factory, master, utc_now())
    with uow_factory() as uow:
        assert sum(uow.network.pile_counts_as_of(year_end(2023)).values()) == PUBLIC_PILES[2023]


def test_a_store_with_real_stations_is_refused(scenario_2023, uow_factory, tmp_path):
    register_operator(Operator("MA0123456", "真实运营商"), uow_factory(), utc_now())
    save_station(tree("A", 1), uow_factory(), utc_now(), shanxi())
    with pytest.raises(ScenarioConflict):
        load_scenario(scenario_2023, uow_factory, load_master_key(tmp_path, None), utc_now())
