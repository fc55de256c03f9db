"""What the T/CEC hub keeps besides the network: key sets, tokens, API keys, replay guard, data quality."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from evinfra.store.rows.base import Base
from evinfra.store.types import UTCDateTime


class OperatorKeyRow(Base):
    """One key set per (operator, direction); secrets are encrypted at rest under the master key.

    direction 'in' = operator → platform (pushes; the platform issued the OperatorSecret),
    'out' = platform → operator (pulls; the operator issued it, and ``base_url`` says where to call).
    """

    __tablename__ = "operator_keys"
    __table_args__ = (CheckConstraint("direction IN ('in', 'out')", name="direction"),)

    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), primary_key=True)
    secrets_enc: Mapped[str] = mapped_column(Text)  # Fernet token over the JSON key set
    base_url: Mapped[str | None] = mapped_column(String(300))
    our_operator_id: Mapped[str | None] = mapped_column(String(9))  # the platform's ID towards this operator
    aliases: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    profile: Mapped[str] = mapped_column(String(32), default="tcec2016")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccessTokenRow(Base):
    """Bearer tokens issued by query_token; only a hash is stored, so a database leak leaks no token."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_expires", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('admin', 'supervisor', 'city', 'operator', 'public')", name="role"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SeenEnvelopeRow(Base):
    """Signatures of accepted envelopes inside the freshness window: a second arrival is a replay.

    Keyed by the envelope's own time first (migration 0006): the Sig signs the TimeStamp, so a replay repeats
    ``sent_at`` and meets its original under this key. One B-tree (on SQLite without a rowid) instead of three
    (rows, the random (operator, sig) key, a time index); an operator's new keys sit together near the current
    time, not on a random page each; and the purge of what has left the window is one range at its start.
    """

    __tablename__ = "seen_envelopes"
    __table_args__ = ({"sqlite_with_rowid": False},)

    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    operator_id: Mapped[str] = mapped_column(String(9), primary_key=True)
    sig: Mapped[str] = mapped_column(String(32), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QualityFindingRow(Base):
    """A deviation from the standard, counted per operator, interface, field and variant, with one example."""

    __tablename__ = "quality_findings"

    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"), primary_key=True)
    interface: Mapped[str] = mapped_column(String(64), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    variant: Mapped[str] = mapped_column(String(120), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    example: Mapped[str] = mapped_column(String(500), default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class PowerSampleRow(Base):
    """Real-time power (notification_realtime_power_info) per station, pile or connector [kW].

    A sample is identified by (station, equipment, connector, time); equipment and connector are NULL for a
    station-level sample and connector is NULL for a pile-level one. A plain UNIQUE would treat those NULLs as
    distinct (SQLite, PostgreSQL), so the unique index is over ``coalesce(…, '')`` instead, while the columns
    keep NULL. It leads with (station, time), so it also serves time-range reads per station.
    Expression indexes are not reflected on SQLite: a batch migration that recreates this table must
    re-create the index itself.
    """

    __tablename__ = "power_samples"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_pk: Mapped[int] = mapped_column(ForeignKey("stations.pk", ondelete="CASCADE"))
    equipment_id: Mapped[str | None] = mapped_column(String(23))
    connector_id: Mapped[str | None] = mapped_column(String(30))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    power_kw: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index(
            "ux_power_samples_sample",
            station_pk,
            sampled_at,
            func.coalesce(equipment_id, ""),
            func.coalesce(connector_id, ""),
            unique=True,
        ),
    )


class PullStateRow(Base):
    """Where the pull scheduler is with each operator, so a restart resumes incrementally."""

    __tablename__ = "pull_state"

    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.operator_id"), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_query_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
