"""T/CEC hub: operator key sets, access tokens, API keys, replay guard, data-quality findings, power, pull state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:11:47.543297
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "api_keys",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'supervisor', 'city', 'operator', 'public')", name=op.f("ck_api_keys_role")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "seen_envelopes",
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("sig", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("operator_id", "sig", name=op.f("pk_seen_envelopes")),
    )
    with op.batch_alter_table("seen_envelopes", schema=None) as batch_op:
        batch_op.create_index("ix_seen_envelopes_received", ["received_at"], unique=False)

    op.create_table(
        "access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_access_tokens_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_access_tokens")),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_access_tokens_expires", ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_tokens_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "operator_keys",
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("secrets_enc", sa.Text(), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=True),
        sa.Column("our_operator_id", sa.String(length=9), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("profile", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("rotated_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_operator_keys_direction")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_operator_keys_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("operator_id", "direction", name=op.f("pk_operator_keys")),
    )
    op.create_table(
        "pull_state",
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_query_time", sa.DateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_pull_state_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_pull_state")),
    )
    op.create_table(
        "quality_findings",
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("interface", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=120), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("example", sa.String(length=500), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_quality_findings_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("operator_id", "interface", "field", "variant", name=op.f("pk_quality_findings")),
    )
    op.create_table(
        "power_samples",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_pk", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.String(length=23), nullable=True),
        sa.Column("connector_id", sa.String(length=30), nullable=True),
        sa.Column("sampled_at", sa.DateTime(), nullable=False),
        sa.Column("power_kw", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_pk"], ["stations.pk"], name=op.f("fk_power_samples_station_pk_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_power_samples")),
    )
    with op.batch_alter_table("power_samples", schema=None) as batch_op:
        batch_op.create_index("ix_power_samples_station_time", ["station_pk", "sampled_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("power_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_power_samples_station_time")

    op.drop_table("power_samples")
    op.drop_table("quality_findings")
    op.drop_table("pull_state")
    op.drop_table("operator_keys")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_tokens_operator_id"))
        batch_op.drop_index("ix_access_tokens_expires")

    op.drop_table("access_tokens")
    with op.batch_alter_table("seen_envelopes", schema=None) as batch_op:
        batch_op.drop_index("ix_seen_envelopes_received")

    op.drop_table("seen_envelopes")
    op.drop_table("api_keys")
