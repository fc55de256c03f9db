"""Bad domain values: one typed error that names the field, the value and what is allowed."""

from dataclasses import replace

import pytest

from evinfra.domain.alarm import Alarm, AlarmLevel, AlarmType
from evinfra.domain.connector import Connector, ConnectorType
from evinfra.domain.equipment import Equipment, EquipmentType
from evinfra.domain.errors import DomainValidationError
from evinfra.domain.geo import GeoPoint
from evinfra.domain.operator import Operator
from evinfra.domain.region import check_area_code, region_prefix
from evinfra.regions.divisions import shanxi
from tests.conftest import NOW
from tests.networks import station


@pytest.mark.parametrize(
    ("make", "field", "value"),
    [
        (lambda: GeoPoint(0.0, 0.0), "lng", 0.0),
        (lambda: GeoPoint(112.5, 60.0), "lat", 60.0),
        (lambda: GeoPoint(-112.5, 37.8), "lng", -112.5),
        (lambda: Equipment("MA0123456", "S1", "E1", EquipmentType.DC, -7.0), "power_kw", -7.0),
        (lambda: Equipment("MA0123456", "S1", "E1", 9, 60.0), "equipment_type", 9),
        (lambda: Equipment("MA0123456", "S1", "E1", EquipmentType.DC, 120000.0), "power_kw", 120000.0),
        (lambda: Connector("MA0123456", "S1", "E1", "C1", 7, 7.0), "connector_type", 7),
        (lambda: Connector("MA0123456", "S1", "E1", "C1", ConnectorType.AC_PLUG, float("nan")), "power_kw", None),
        (lambda: station("S1", station_type=3), "station_type", 3),
        (lambda: station("S1", status=2), "status", 2),
        (lambda: station("S1", construction=16), "construction", 16),
        (lambda: station("S1", area_code="999999"), "area_code", "999999"),
        (lambda: station("S1", area_code="1401"), "area_code", "1401"),
        (lambda: station("S1", town_code="140106001"), "town_code", "140106001"),
        (lambda: station("S1", park_nums=-3), "park_nums", -3),
        (lambda: station("S" * 21), "station_id", "S" * 21),
        (lambda: Operator("12345678", "短代码"), "operator_id", "12345678"),
        (lambda: Operator("MA0123456", "X", uscc="91140100XX01234567"), "uscc", "91140100XX01234567"),
        (lambda: Operator("MA0123456", "X", status="closed"), "status", "closed"),
        (lambda: Alarm("MA0123456", "S1", AlarmType.BATTERY_SYSTEM, AlarmLevel.NOTICE, 5, NOW), "code", 5),
    ],
)
def test_invalid_value_raises_one_typed_error_naming_field_value_and_range(make, field, value):
    with pytest.raises(DomainValidationError) as err:
        make()
    assert err.value.field == field
    if value is not None:
        assert err.value.value == value
    assert err.value.allowed
    assert field in err.value.message and field in err.value.message_en
    assert "允许" in err.value.message


def test_region_code_must_exist_when_a_catalog_is_given():
    catalog = shanxi()
    check_area_code("area_code", "140105", catalog)
    with pytest.raises(DomainValidationError) as err:
        check_area_code("area_code", "140199", catalog)  # well-formed, but no such county
    assert "NBS" in err.value.allowed


def test_region_prefix_selects_everything_inside_a_division():
    assert region_prefix("140000") == "14"
    assert region_prefix("140100") == "1401"
    assert region_prefix("140110") == "140110"


def test_valid_station_is_built_and_replace_revalidates():
    s = station("S1")
    assert s.is_public
    with pytest.raises(DomainValidationError):
        replace(s, area_code="99")
