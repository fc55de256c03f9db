"""Key the replay guard by the envelope's time: (sent_at, operator_id, sig), without a rowid on SQLite.

Under (operator_id, sig) every accepted envelope wrote a random page of the key's B-tree (a Sig is random)
besides the rows' own and ix_seen_envelopes_received, and the minutely purge deleted rows scattered over all
three. Keyed in time order the guard is one B-tree, an operator's new keys sit together near the present, and
the purge is one range at its start (docs/operations.md: 8 times less CPU).

The table is recreated empty: the envelope TimeStamp was not kept, and the new key cannot be filled from
the old rows. For one freshness window (±5 minutes) after the upgrade, an envelope accepted before it is
therefore not recognised as a replay if it is sent again. Every hub write is idempotent (a repeated status
report is a duplicate, an order is keyed by StartChargeSeq), so such a replay changes nothing; keep the hub
stopped for five minutes around the upgrade to close even that (docs/operations.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 07:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_seen_envelopes_received", table_name="seen_envelopes")
    op.drop_table("seen_envelopes")
    op.create_table(
        "seen_envelopes",
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("sig", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sent_at", "operator_id", "sig", name=op.f("pk_seen_envelopes")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("seen_envelopes")
    op.create_table(
        "seen_envelopes",
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("sig", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("operator_id", "sig", name=op.f("pk_seen_envelopes")),
    )
    op.create_index("ix_seen_envelopes_received", "seen_envelopes", ["received_at"], unique=False)
