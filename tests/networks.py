"""Hand-made networks whose answers are worked out in the docstring."""

from __future__ import annotations

from evinfra.domain.connector import Connector, ConnectorType
from evinfra.domain.equipment import Equipment, EquipmentType
from evinfra.domain.geo import GeoPoint
from evinfra.domain.network import EquipmentTree, StationTree
from evinfra.domain.site import Construction, SiteCategory
from evinfra.domain.station import Station, StationStatus, StationType

OP = "MA0123456"


def station(station_id: str, area_code: str = "140105", *, public: bool = True, **kw: object) -> Station:
    fields: dict[str, object] = {
        "operator_id": OP,
        "station_id": station_id,
        "name": f"测试站{station_id}",
        "station_type": StationType.PUBLIC if public else StationType.BUS,
        "status": StationStatus.IN_SERVICE,
        "construction": Construction.TRANSPORT_HUB,
        "area_code": area_code,
        "location": GeoPoint(112.56, 37.74),
        "site_category": SiteCategory.URBAN_PUBLIC,
    }
    fields.update(kw)
    return Station(**fields)  # type: ignore[arg-type]


def tree(
    station_id: str,
    piles: int,
    connectors_per_pile: int = 1,
    area_code: str = "140105",
    operator_id: str = OP,
    **kw: object,
) -> StationTree:
    """``piles`` DC piles of 120 kW, each with ``connectors_per_pile`` connectors named <station>-<pile>-<n>."""
    equipment = []
    for p in range(1, piles + 1):
        eq_id = f"{station_id}E{p:02d}"
        equipment.append(
            EquipmentTree(
                Equipment(operator_id, station_id, eq_id, EquipmentType.DC, 120.0),
                tuple(
                    Connector(
                        operator_id,
                        station_id,
                        eq_id,
                        f"{eq_id}C{n}",
                        ConnectorType.DC_PLUG,
                        120.0 / connectors_per_pile,
                    )
                    for n in range(1, connectors_per_pile + 1)
                ),
            )
        )
    return StationTree(station(station_id, area_code, operator_id=operator_id, **kw), tuple(equipment))


def two_county_network() -> list[StationTree]:
    """Counties 140105 (小店区) and 140106 (迎泽区); 3 public stations and 1 bus depot.

    140105: A (2 piles), B (1 pile). 140106: C (3 piles, 2 connectors each). 140106: D, a bus depot (2 piles).
    Expected public piles: {"140105": 3, "140106": 3}; with the depot 140106 has 5.
    """
    return [
        tree("A", 2, area_code="140105"),
        tree("B", 1, area_code="140105"),
        tree("C", 3, connectors_per_pile=2, area_code="140106"),
        tree("D", 2, area_code="140106", public=False),
    ]
