"""What happens at connectors: orders, in-session samples, alarms and events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evinfra.store.rows.base import Base
from evinfra.store.types import UTCDateTime

Money = Numeric(12, 2, asdecimal=True)


class ChargeOrderRow(Base):
    __tablename__ = "charge_orders"
    __table_args__ = (
        UniqueConstraint("operator_id", "start_charge_seq", name="uq_charge_orders_operator_seq"),
        CheckConstraint("ended_at >= started_at", name="ordered"),
        CheckConstraint("energy_kwh >= 0", name="energy"),
        CheckConstraint("elec_money >= 0 AND service_money >= 0 AND total_money >= 0", name="money"),
        Index("ix_charge_orders_connector_start", "connector_pk", "started_at"),
        Index("ix_charge_orders_operator_end", "operator_id", "ended_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"))
    start_charge_seq: Mapped[str] = mapped_column(String(40))
    connector_pk: Mapped[int] = mapped_column(ForeignKey("connectors.pk", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    energy_kwh: Mapped[float] = mapped_column(Float)
    elec_money: Mapped[Decimal] = mapped_column(Money)
    service_money: Mapped[Decimal] = mapped_column(Money)
    total_money: Mapped[Decimal] = mapped_column(Money)
    stop_reason_code: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChargeStatusSampleRow(Base):
    __tablename__ = "charge_status_samples"
    __table_args__ = (
        UniqueConstraint("operator_id", "start_charge_seq", "sampled_at", name="uq_samples_operator_seq_time"),
        Index("ix_samples_connector_time", "connector_pk", "sampled_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"))
    start_charge_seq: Mapped[str] = mapped_column(String(40))
    connector_pk: Mapped[int] = mapped_column(ForeignKey("connectors.pk", ondelete="CASCADE"))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seq_stat: Mapped[int] = mapped_column(Integer)
    energy_kwh: Mapped[float] = mapped_column(Float)
    current_a: Mapped[float | None] = mapped_column(Float)
    voltage_v: Mapped[float | None] = mapped_column(Float)
    soc_pct: Mapped[float | None] = mapped_column(Float)
    total_money: Mapped[Decimal | None] = mapped_column(Money)


class AlarmRow(Base):
    __tablename__ = "alarms"
    __table_args__ = (
        CheckConstraint("alarm_type BETWEEN 1 AND 3", name="type"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
        Index("ix_alarms_station_raised", "station_pk", "raised_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"))
    station_pk: Mapped[int] = mapped_column(ForeignKey("stations.pk", ondelete="CASCADE"))
    equipment_id: Mapped[str | None] = mapped_column(String(23))
    connector_id: Mapped[str | None] = mapped_column(String(30))
    alarm_type: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    code: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(255), default="")


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("event_type BETWEEN 1 AND 6", name="type"),
        Index("ix_events_station_time", "station_pk", "occurred_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"))
    station_pk: Mapped[int] = mapped_column(ForeignKey("stations.pk", ondelete="CASCADE"))
    equipment_id: Mapped[str | None] = mapped_column(String(23))
    event_type: Mapped[int] = mapped_column(Integer)
    code: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(255), default="")
