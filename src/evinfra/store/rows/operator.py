from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from evinfra.store.rows.base import Base
from evinfra.store.types import UTCDateTime


class OperatorRow(Base):
    __tablename__ = "operators"
    __table_args__ = (CheckConstraint("status IN ('active', 'suspended', 'exited')", name="status"),)

    operator_id: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    tel: Mapped[str] = mapped_column(String(32), default="")
    reg_address: Mapped[str] = mapped_column(String(200), default="")
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
