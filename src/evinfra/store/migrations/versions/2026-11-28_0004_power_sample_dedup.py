"""Power samples are unique per (station, equipment, connector, time): drop stored repeats, keep the first.

The identity columns equipment_id / connector_id are NULL for station- and pile-level samples, and a plain
UNIQUE treats NULLs as distinct on SQLite and PostgreSQL, so the unique index is over ``coalesce(…, '')``.
It leads with (station_pk, sampled_at) and so replaces ix_power_samples_station_time.

Created without batch mode on purpose: SQLite cannot reflect expression indexes, so a batch "move and copy"
of power_samples would silently lose this one; a later migration that recreates the table must re-create it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 19:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The earliest row (lowest pk) of each sample stays; EXISTS rather than NOT IN (… MIN(pk) …), so PostgreSQL
# can anti-join through ix_power_samples_station_time instead of a subplan that degrades past work_mem.
DELETE_REPEATS = """
DELETE FROM power_samples
WHERE EXISTS (
    SELECT 1 FROM power_samples AS earlier
    WHERE earlier.station_pk = power_samples.station_pk
      AND earlier.sampled_at = power_samples.sampled_at
      AND coalesce(earlier.equipment_id, '') = coalesce(power_samples.equipment_id, '')
      AND coalesce(earlier.connector_id, '') = coalesce(power_samples.connector_id, '')
      AND earlier.pk < power_samples.pk
)
"""


def upgrade() -> None:
    op.execute(DELETE_REPEATS)
    op.create_index(
        "ux_power_samples_sample",
        "power_samples",
        [
            "station_pk",
            "sampled_at",
            sa.text("coalesce(equipment_id, '')"),
            sa.text("coalesce(connector_id, '')"),
        ],
        unique=True,
    )
    op.drop_index("ix_power_samples_station_time", table_name="power_samples")


def downgrade() -> None:
    op.create_index("ix_power_samples_station_time", "power_samples", ["station_pk", "sampled_at"], unique=False)
    op.drop_index("ux_power_samples_sample", table_name="power_samples")
