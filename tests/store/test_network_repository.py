from datetime import timedelta

import pytest
from sqlalchemy import func, select

from evinfra.domain.errors import DomainValidationError
from evinfra.ingest.services import register_operator, save_station
from evinfra.regions.divisions import shanxi
from evinfra.store.rows import ConnectorRow, StationRow
from tests.conftest import NOW
from tests.networks import tree, two_county_network


@pytest.fixture
def loaded(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    for t in two_county_network():
        save_station(t, uow_factory(), NOW, shanxi())
    return uow_factory


def test_station_tree_round_trips(loaded):
    expected = two_county_network()[2]
    with loaded() as uow:
        got = uow.network.get_tree(expected.station.operator_id, "C")
    assert got == expected
    assert len(got.connectors) == 6


def test_public_pile_counts_per_county_as_of_a_date(loaded):
    with loaded() as uow:
        assert uow.network.pile_counts_as_of(NOW) == {"140105": 3, "140106": 3}
        assert uow.network.pile_counts_as_of(NOW, public_only=False) == {"140105": 3, "140106": 5}
        assert uow.network.pile_counts_as_of(NOW - timedelta(seconds=1)) == {}


def test_as_of_sees_the_network_as_it_stood(loaded):
    later = NOW + timedelta(days=30)
    with loaded() as uow:
        uow.network.decommission_station("MA0123456", "A", later)
        uow.network.save_tree(tree("B", 3, area_code="140105"), later)  # B grows from 1 to 3 piles
        uow.commit()
    with loaded() as uow:
        assert uow.network.pile_counts_as_of(later - timedelta(days=1)) == {"140105": 3, "140106": 3}
        assert uow.network.pile_counts_as_of(later) == {"140105": 3, "140106": 3}  # A's 2 gone, B's 2 new
        assert [s.station_id for s in uow.network.stations_as_of(later, region_code="140100")] == ["B", "C", "D"]
        assert [s.station_id for s in uow.network.stations_as_of(later, region_code="140106")] == ["C", "D"]
        assert len(uow.network.get_tree("MA0123456", "B").equipment) == 3
        assert len(uow.network.get_tree("MA0123456", "B", at=NOW).equipment) == 1


def test_dropped_equipment_is_decommissioned_not_deleted(loaded):
    later = NOW + timedelta(days=1)
    with loaded() as uow:
        uow.network.save_tree(tree("C", 1, connectors_per_pile=2, area_code="140106"), later)
        uow.commit()
    with loaded() as uow:
        assert len(uow.network.get_tree("MA0123456", "C").connectors) == 2
        assert len(uow.network.get_tree("MA0123456", "C", at=NOW).connectors) == 6
        assert uow.session.scalar(select(func.count()).select_from(ConnectorRow)) == 2 + 1 + 6 + 2


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (tree("X", 1, area_code="140199"), "area_code"),  # well-formed county code that does not exist
        (tree("X", 1, town_code="140105999"), "town_code"),
        (tree("X", 1, operator_id="ZZ0000000"), "operator_id"),  # not registered
    ],
    ids=["county", "township", "operator"],
)
def test_invalid_region_or_operator_is_refused_and_nothing_is_written(loaded, bad, field):
    with pytest.raises(DomainValidationError) as err:
        save_station(bad, loaded(), NOW, shanxi())
    assert err.value.field == field
    with loaded() as uow:
        assert uow.session.scalar(select(func.count()).select_from(StationRow).where(StationRow.station_id == "X")) == 0
