from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from evinfra.store.rows.base import Base
from evinfra.store.types import UTCDateTime


class ConnectorStatusIntervalRow(Base):
    """(connector, state, start, end): uptime and utilisation are exact sums over these."""

    __tablename__ = "connector_status_intervals"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ordered"),
        CheckConstraint("operational IN ('online', 'offline', 'faulted', 'unknown')", name="operational"),
        CheckConstraint("occupancy IN ('free', 'occupied', 'charging', 'reserved', 'unknown')", name="occupancy"),
        Index("ix_intervals_connector_start", "connector_pk", "started_at"),
        # The open interval, which every status change closes (migration 0005).
        Index(
            "ix_intervals_open",
            "connector_pk",
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector_pk: Mapped[int] = mapped_column(ForeignKey("connectors.pk", ondelete="CASCADE"))
    operational: Mapped[str] = mapped_column(String(8))
    occupancy: Mapped[str] = mapped_column(String(8))
    raw_status: Mapped[int | None] = mapped_column(Integer)  # the protocol code as received
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
