"""Stations, equipment and connectors, each with the period it was part of the network.

``commissioned_at`` / ``decommissioned_at`` answer "the network as it stood on date D", which every
plan target (actual vs target at year end) needs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from evinfra.store.rows.base import Base
from evinfra.store.types import UTCDateTime


class StationRow(Base):
    __tablename__ = "stations"
    __table_args__ = (
        UniqueConstraint("operator_id", "station_id", name="uq_stations_operator_station"),
        CheckConstraint("lng BETWEEN 73.4 AND 135.1 AND lat BETWEEN 3.8 AND 53.6", name="in_china"),
        CheckConstraint("station_type IN (1, 50, 100, 101, 102, 103, 104, 105, 106, 107, 255)", name="type"),
        CheckConstraint("status IN (0, 1, 5, 6, 50, 51)", name="status"),
        CheckConstraint("construction BETWEEN 1 AND 15 OR construction = 255", name="construction"),
        CheckConstraint("park_nums >= 0", name="park_nums"),
        Index("ix_stations_area_code", "area_code"),
        Index("ix_stations_as_of", "commissioned_at", "decommissioned_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"), index=True)
    station_id: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(50))
    station_type: Mapped[int] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(Integer)
    construction: Mapped[int] = mapped_column(Integer)
    site_category: Mapped[str] = mapped_column(String(32), default="other")
    scenic_level: Mapped[int | None] = mapped_column(Integer)
    area_code: Mapped[str] = mapped_column(String(6))
    town_code: Mapped[str | None] = mapped_column(String(12), index=True)
    lng: Mapped[float] = mapped_column(Float)  # WGS-84
    lat: Mapped[float] = mapped_column(Float)  # WGS-84
    address: Mapped[str] = mapped_column(String(200), default="")
    equipment_owner_id: Mapped[str | None] = mapped_column(String(9))
    country_code: Mapped[str] = mapped_column(String(2), default="CN")
    park_nums: Mapped[int] = mapped_column(Integer, default=0)
    station_tel: Mapped[str] = mapped_column(String(32), default="")
    service_tel: Mapped[str] = mapped_column(String(32), default="")
    site_guide: Mapped[str] = mapped_column(String(100), default="")
    business_hours: Mapped[str] = mapped_column(String(100), default="")
    electricity_fee: Mapped[str] = mapped_column(String(256), default="")
    service_fee: Mapped[str] = mapped_column(String(256), default="")
    park_fee: Mapped[str] = mapped_column(String(100), default="")
    payment: Mapped[str] = mapped_column(String(20), default="")  # comma-separated Payment codes
    support_order: Mapped[bool] = mapped_column(Boolean, default=False)
    remark: Mapped[str] = mapped_column(String(100), default="")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    site_id: Mapped[str | None] = mapped_column(String(40), index=True)  # road site / scenic area it serves
    commissioned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decommissioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EquipmentRow(Base):
    __tablename__ = "equipment"
    __table_args__ = (
        UniqueConstraint("operator_id", "equipment_id", name="uq_equipment_operator_equipment"),
        CheckConstraint("equipment_type BETWEEN 1 AND 5", name="type"),
        CheckConstraint("power_kw >= 0 AND power_kw <= 2000", name="power"),
        Index("ix_equipment_as_of", "commissioned_at", "decommissioned_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_pk: Mapped[int] = mapped_column(ForeignKey("stations.pk", ondelete="CASCADE"), index=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"))
    equipment_id: Mapped[str] = mapped_column(String(23))
    equipment_type: Mapped[int] = mapped_column(Integer)
    power_kw: Mapped[float] = mapped_column(Float)
    name: Mapped[str] = mapped_column(String(30), default="")
    manufacturer_id: Mapped[str | None] = mapped_column(String(9))
    manufacturer_name: Mapped[str] = mapped_column(String(30), default="")
    model: Mapped[str] = mapped_column(String(20), default="")
    production_date: Mapped[date | None] = mapped_column(Date)
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    commissioned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decommissioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConnectorRow(Base):
    """A connector with its current state, kept next to the history so that "now" is one read."""

    __tablename__ = "connectors"
    __table_args__ = (
        UniqueConstraint("operator_id", "connector_id", name="uq_connectors_operator_connector"),
        CheckConstraint("connector_type BETWEEN 1 AND 6", name="type"),
        CheckConstraint("national_standard BETWEEN 1 AND 4", name="national_standard"),
        CheckConstraint("power_kw >= 0 AND power_kw <= 2000", name="power"),
        CheckConstraint("state_operational IN ('online', 'offline', 'faulted', 'unknown')", name="operational"),
        CheckConstraint("state_occupancy IN ('free', 'occupied', 'charging', 'reserved', 'unknown')", name="occupancy"),
        Index("ix_connectors_as_of", "commissioned_at", "decommissioned_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    equipment_pk: Mapped[int] = mapped_column(ForeignKey("equipment.pk", ondelete="CASCADE"), index=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"))
    connector_id: Mapped[str] = mapped_column(String(30))
    connector_type: Mapped[int] = mapped_column(Integer)
    national_standard: Mapped[int] = mapped_column(Integer, default=2)
    power_kw: Mapped[float] = mapped_column(Float)
    voltage_upper_v: Mapped[int | None] = mapped_column(Integer)
    voltage_lower_v: Mapped[int | None] = mapped_column(Integer)
    current_a: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(30), default="")
    park_no: Mapped[str] = mapped_column(String(10), default="")
    commissioned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decommissioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state_operational: Mapped[str] = mapped_column(String(8), default="unknown")
    state_occupancy: Mapped[str] = mapped_column(String(8), default="unknown")
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Ordering key of the last applied report: (operator time, sequence). A report that sorts
    # before it is history, not news (out-of-order delivery).
    state_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state_report_seq: Mapped[int] = mapped_column(Integer, default=0)
    state_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
