"""The station → equipment → connector tree, with as-of queries over commissioning periods."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from evinfra.domain.connector import Connector, ConnectorType, NationalStandard
from evinfra.domain.equipment import Equipment, EquipmentType
from evinfra.domain.geo import GeoPoint
from evinfra.domain.network import EquipmentTree, StationTree
from evinfra.domain.region import region_prefix
from evinfra.domain.site import Construction, ScenicLevel, SiteCategory
from evinfra.domain.station import Payment, Station, StationStatus, StationType
from evinfra.store.rows import ConnectorRow, EquipmentRow, StationRow

_STATION_FIELDS = (
    "name", "address", "equipment_owner_id", "country_code", "area_code", "town_code", "park_nums",
    "station_tel", "service_tel", "site_guide", "business_hours", "electricity_fee", "service_fee",
    "park_fee", "support_order", "remark", "synthetic", "site_id",
)  # fmt: skip


def live_at(model: type[StationRow] | type[EquipmentRow] | type[ConnectorRow], at: datetime) -> ColumnElement[bool]:
    """Rows that were part of the network at ``at``."""
    return and_(
        model.commissioned_at <= at,
        or_(model.decommissioned_at.is_(None), model.decommissioned_at > at),
    )


class NetworkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- writes -------------------------------------------------------------------------------
    def upsert_station(self, station: Station, now: datetime) -> int:
        """Insert or update a station; the first sighting is its commissioning time."""
        row = self.session.scalar(
            select(StationRow).where(
                StationRow.operator_id == station.operator_id, StationRow.station_id == station.station_id
            )
        )
        if row is None:
            row = StationRow(operator_id=station.operator_id, station_id=station.station_id, commissioned_at=now)
            self.session.add(row)
        for name in _STATION_FIELDS:
            setattr(row, name, getattr(station, name))
        row.station_type = int(station.station_type)
        row.status = int(station.status)
        row.construction = int(station.construction)
        row.site_category = station.site_category.value
        row.scenic_level = None if station.scenic_level is None else int(station.scenic_level)
        row.lng, row.lat = station.location.lng, station.location.lat
        row.payment = ",".join(str(int(p)) for p in sorted(station.payment))
        row.decommissioned_at = None
        row.updated_at = now
        self.session.flush()
        return row.pk

    def upsert_equipment(self, equipment: Equipment, station_pk: int, now: datetime) -> int:
        row = self.session.scalar(
            select(EquipmentRow).where(
                EquipmentRow.operator_id == equipment.operator_id,
                EquipmentRow.equipment_id == equipment.equipment_id,
            )
        )
        if row is None:
            row = EquipmentRow(
                operator_id=equipment.operator_id, equipment_id=equipment.equipment_id, commissioned_at=now
            )
            self.session.add(row)
        row.station_pk = station_pk
        row.equipment_type = int(equipment.equipment_type)
        row.power_kw = equipment.power_kw
        row.name = equipment.name
        row.manufacturer_id = equipment.manufacturer_id
        row.manufacturer_name = equipment.manufacturer_name
        row.model = equipment.model
        row.production_date = equipment.production_date
        row.lng = None if equipment.location is None else equipment.location.lng
        row.lat = None if equipment.location is None else equipment.location.lat
        row.decommissioned_at = None
        self.session.flush()
        return row.pk

    def upsert_connector(self, connector: Connector, equipment_pk: int, now: datetime) -> int:
        row = self.session.scalar(
            select(ConnectorRow).where(
                ConnectorRow.operator_id == connector.operator_id,
                ConnectorRow.connector_id == connector.connector_id,
            )
        )
        if row is None:
            row = ConnectorRow(
                operator_id=connector.operator_id, connector_id=connector.connector_id, commissioned_at=now
            )
            self.session.add(row)
        row.equipment_pk = equipment_pk
        row.connector_type = int(connector.connector_type)
        row.national_standard = int(connector.national_standard)
        row.power_kw = connector.power_kw
        row.voltage_upper_v = connector.voltage_upper_v
        row.voltage_lower_v = connector.voltage_lower_v
        row.current_a = connector.current_a
        row.name = connector.name
        row.park_no = connector.park_no
        row.decommissioned_at = None
        self.session.flush()
        return row.pk

    def save_tree(self, tree: StationTree, now: datetime) -> int:
        """Store a whole StationInfo; equipment and connectors it no longer lists are decommissioned."""
        station_pk = self.upsert_station(tree.station, now)
        kept_equipment: set[int] = set()
        kept_connectors: set[int] = set()
        for e in tree.equipment:
            equipment_pk = self.upsert_equipment(e.equipment, station_pk, now)
            kept_equipment.add(equipment_pk)
            for c in e.connectors:
                kept_connectors.add(self.upsert_connector(c, equipment_pk, now))
        for eq_row in self.session.scalars(
            select(EquipmentRow).where(EquipmentRow.station_pk == station_pk, EquipmentRow.decommissioned_at.is_(None))
        ):
            if eq_row.pk not in kept_equipment:
                eq_row.decommissioned_at = now
            for c_row in self.session.scalars(
                select(ConnectorRow).where(
                    ConnectorRow.equipment_pk == eq_row.pk, ConnectorRow.decommissioned_at.is_(None)
                )
            ):
                if c_row.pk not in kept_connectors:
                    c_row.decommissioned_at = now
        self.session.flush()
        return station_pk

    def decommission_station(self, operator_id: str, station_id: str, at: datetime) -> bool:
        row = self.session.scalar(
            select(StationRow).where(StationRow.operator_id == operator_id, StationRow.station_id == station_id)
        )
        if row is None:
            return False
        row.decommissioned_at = at
        for eq_row in self.session.scalars(select(EquipmentRow).where(EquipmentRow.station_pk == row.pk)):
            eq_row.decommissioned_at = eq_row.decommissioned_at or at
            for c_row in self.session.scalars(select(ConnectorRow).where(ConnectorRow.equipment_pk == eq_row.pk)):
                c_row.decommissioned_at = c_row.decommissioned_at or at
        self.session.flush()
        return True

    # --- reads --------------------------------------------------------------------------------
    def station_pk(self, operator_id: str, station_id: str) -> int | None:
        return self.session.scalar(
            select(StationRow.pk).where(StationRow.operator_id == operator_id, StationRow.station_id == station_id)
        )

    def connector_pk(self, operator_id: str, connector_id: str) -> int | None:
        return self.session.scalar(
            select(ConnectorRow.pk).where(
                ConnectorRow.operator_id == operator_id, ConnectorRow.connector_id == connector_id
            )
        )

    def get_tree(self, operator_id: str, station_id: str, at: datetime | None = None) -> StationTree | None:
        """The station and what was installed under it at ``at`` (default: what is installed now)."""
        row = self.session.scalar(
            select(StationRow).where(StationRow.operator_id == operator_id, StationRow.station_id == station_id)
        )
        if row is None:
            return None
        eq_query = select(EquipmentRow).where(EquipmentRow.station_pk == row.pk)
        eq_query = eq_query.where(EquipmentRow.decommissioned_at.is_(None) if at is None else live_at(EquipmentRow, at))
        equipment_rows = list(self.session.scalars(eq_query.order_by(EquipmentRow.equipment_id)))
        conn_query = select(ConnectorRow).where(ConnectorRow.equipment_pk.in_([e.pk for e in equipment_rows]))
        conn_query = conn_query.where(
            ConnectorRow.decommissioned_at.is_(None) if at is None else live_at(ConnectorRow, at)
        )
        by_equipment: dict[int, list[Connector]] = defaultdict(list)
        for c in self.session.scalars(conn_query.order_by(ConnectorRow.connector_id)):
            by_equipment[c.equipment_pk].append(
                connector_to_domain(c, row.station_id, _equipment_id(equipment_rows, c))
            )
        return StationTree(
            station=station_to_domain(row),
            equipment=tuple(
                EquipmentTree(equipment_to_domain(e, row.station_id), tuple(by_equipment[e.pk])) for e in equipment_rows
            ),
        )

    def stations_as_of(
        self, at: datetime, *, region_code: str | None = None, operator_id: str | None = None
    ) -> list[Station]:
        query = select(StationRow).where(live_at(StationRow, at))
        if region_code:
            query = query.where(StationRow.area_code.startswith(region_prefix(region_code)))
        if operator_id:
            query = query.where(StationRow.operator_id == operator_id)
        return [station_to_domain(r) for r in self.session.scalars(query.order_by(StationRow.pk))]

    def pile_counts_as_of(self, at: datetime, *, public_only: bool = True) -> dict[str, int]:
        """Piles (equipment) per county code in the network at ``at``; the input of T-1, T-2, K-2."""
        query = (
            select(StationRow.area_code, func.count(EquipmentRow.pk))
            .join(EquipmentRow, EquipmentRow.station_pk == StationRow.pk)
            .where(live_at(StationRow, at), live_at(EquipmentRow, at))
            .group_by(StationRow.area_code)
        )
        if public_only:
            query = query.where(StationRow.station_type == int(StationType.PUBLIC))
        return {area: count for area, count in self.session.execute(query)}


def _equipment_id(rows: list[EquipmentRow], connector: ConnectorRow) -> str:
    return next(e.equipment_id for e in rows if e.pk == connector.equipment_pk)


def station_to_domain(row: StationRow) -> Station:
    return Station(
        operator_id=row.operator_id,
        station_id=row.station_id,
        name=row.name,
        station_type=StationType(row.station_type),
        status=StationStatus(row.status),
        construction=Construction(row.construction),
        area_code=row.area_code,
        location=GeoPoint(row.lng, row.lat),
        address=row.address,
        equipment_owner_id=row.equipment_owner_id,
        country_code=row.country_code,
        town_code=row.town_code,
        site_category=SiteCategory(row.site_category),
        scenic_level=None if row.scenic_level is None else ScenicLevel(row.scenic_level),
        park_nums=row.park_nums,
        station_tel=row.station_tel,
        service_tel=row.service_tel,
        site_guide=row.site_guide,
        business_hours=row.business_hours,
        electricity_fee=row.electricity_fee,
        service_fee=row.service_fee,
        park_fee=row.park_fee,
        payment=frozenset(Payment(int(p)) for p in row.payment.split(",") if p),
        support_order=row.support_order,
        remark=row.remark,
        synthetic=row.synthetic,
        site_id=row.site_id,
    )


def equipment_to_domain(row: EquipmentRow, station_id: str) -> Equipment:
    return Equipment(
        operator_id=row.operator_id,
        station_id=station_id,
        equipment_id=row.equipment_id,
        equipment_type=EquipmentType(row.equipment_type),
        power_kw=row.power_kw,
        name=row.name,
        manufacturer_id=row.manufacturer_id,
        manufacturer_name=row.manufacturer_name,
        model=row.model,
        production_date=row.production_date,
        location=None if row.lng is None or row.lat is None else GeoPoint(row.lng, row.lat),
    )


def connector_to_domain(row: ConnectorRow, station_id: str, equipment_id: str) -> Connector:
    return Connector(
        operator_id=row.operator_id,
        station_id=station_id,
        equipment_id=equipment_id,
        connector_id=row.connector_id,
        connector_type=ConnectorType(row.connector_type),
        power_kw=row.power_kw,
        national_standard=NationalStandard(row.national_standard),
        voltage_upper_v=row.voltage_upper_v,
        voltage_lower_v=row.voltage_lower_v,
        current_a=row.current_a,
        name=row.name,
        park_no=row.park_no,
    )
