"""Index the open status interval of each connector.

Every status change closes its connector's open interval (``ended_at IS NULL``). Through
ix_intervals_connector_start that UPDATE read every interval the connector ever had, so a status change
cost more the longer a connector had been reporting; this partial index finds the open one directly.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_intervals_open", "connector_status_intervals", ["connector_pk"], sqlite_where=OPEN, postgresql_where=OPEN
    )


def downgrade() -> None:
    op.drop_index("ix_intervals_open", table_name="connector_status_intervals")
