"""Initial schema: operators, the station/equipment/connector tree, status intervals, sessions, alarms.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:05:04.013473
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "operators",
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tel", sa.String(length=32), nullable=False),
        sa.Column("reg_address", sa.String(length=200), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended', 'exited')", name=op.f("ck_operators_status")),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_operators")),
        sa.UniqueConstraint("uscc", name=op.f("uq_operators_uscc")),
    )
    op.create_table(
        "stations",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("station_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("station_type", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("construction", sa.Integer(), nullable=False),
        sa.Column("site_category", sa.String(length=32), nullable=False),
        sa.Column("scenic_level", sa.Integer(), nullable=True),
        sa.Column("area_code", sa.String(length=6), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("equipment_owner_id", sa.String(length=9), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("park_nums", sa.Integer(), nullable=False),
        sa.Column("station_tel", sa.String(length=32), nullable=False),
        sa.Column("service_tel", sa.String(length=32), nullable=False),
        sa.Column("site_guide", sa.String(length=100), nullable=False),
        sa.Column("business_hours", sa.String(length=100), nullable=False),
        sa.Column("electricity_fee", sa.String(length=256), nullable=False),
        sa.Column("service_fee", sa.String(length=256), nullable=False),
        sa.Column("park_fee", sa.String(length=100), nullable=False),
        sa.Column("payment", sa.String(length=20), nullable=False),
        sa.Column("support_order", sa.Boolean(), nullable=False),
        sa.Column("remark", sa.String(length=100), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("commissioned_at", sa.DateTime(), nullable=False),
        sa.Column("decommissioned_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "construction BETWEEN 1 AND 15 OR construction = 255", name=op.f("ck_stations_construction")
        ),
        sa.CheckConstraint(
            "lng BETWEEN 73.4 AND 135.1 AND lat BETWEEN 3.8 AND 53.6", name=op.f("ck_stations_in_china")
        ),
        sa.CheckConstraint("park_nums >= 0", name=op.f("ck_stations_park_nums")),
        sa.CheckConstraint(
            "station_type IN (1, 50, 100, 101, 102, 103, 104, 105, 106, 107, 255)", name=op.f("ck_stations_type")
        ),
        sa.CheckConstraint("status IN (0, 1, 5, 6, 50, 51)", name=op.f("ck_stations_status")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_stations_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_stations")),
        sa.UniqueConstraint("operator_id", "station_id", name="uq_stations_operator_station"),
    )
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.create_index("ix_stations_area_code", ["area_code"], unique=False)
        batch_op.create_index("ix_stations_as_of", ["commissioned_at", "decommissioned_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_stations_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stations_town_code"), ["town_code"], unique=False)

    op.create_table(
        "alarms",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("station_pk", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.String(length=23), nullable=True),
        sa.Column("connector_id", sa.String(length=30), nullable=True),
        sa.Column("alarm_type", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.CheckConstraint("alarm_type BETWEEN 1 AND 3", name=op.f("ck_alarms_type")),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name=op.f("ck_alarms_level")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_alarms_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["station_pk"], ["stations.pk"], name=op.f("fk_alarms_station_pk_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_alarms")),
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.create_index("ix_alarms_station_raised", ["station_pk", "raised_at"], unique=False)

    op.create_table(
        "equipment",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_pk", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("equipment_id", sa.String(length=23), nullable=False),
        sa.Column("equipment_type", sa.Integer(), nullable=False),
        sa.Column("power_kw", sa.Float(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("manufacturer_id", sa.String(length=9), nullable=True),
        sa.Column("manufacturer_name", sa.String(length=30), nullable=False),
        sa.Column("model", sa.String(length=20), nullable=False),
        sa.Column("production_date", sa.Date(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("commissioned_at", sa.DateTime(), nullable=False),
        sa.Column("decommissioned_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("equipment_type BETWEEN 1 AND 5", name=op.f("ck_equipment_type")),
        sa.CheckConstraint("power_kw >= 0 AND power_kw <= 2000", name=op.f("ck_equipment_power")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_equipment_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["station_pk"], ["stations.pk"], name=op.f("fk_equipment_station_pk_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_equipment")),
        sa.UniqueConstraint("operator_id", "equipment_id", name="uq_equipment_operator_equipment"),
    )
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.create_index("ix_equipment_as_of", ["commissioned_at", "decommissioned_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_equipment_station_pk"), ["station_pk"], unique=False)

    op.create_table(
        "events",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("station_pk", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.String(length=23), nullable=True),
        sa.Column("event_type", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.CheckConstraint("event_type BETWEEN 1 AND 6", name=op.f("ck_events_type")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_events_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["station_pk"], ["stations.pk"], name=op.f("fk_events_station_pk_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_station_time", ["station_pk", "occurred_at"], unique=False)

    op.create_table(
        "connectors",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("equipment_pk", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("connector_id", sa.String(length=30), nullable=False),
        sa.Column("connector_type", sa.Integer(), nullable=False),
        sa.Column("national_standard", sa.Integer(), nullable=False),
        sa.Column("power_kw", sa.Float(), nullable=False),
        sa.Column("voltage_upper_v", sa.Integer(), nullable=True),
        sa.Column("voltage_lower_v", sa.Integer(), nullable=True),
        sa.Column("current_a", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("park_no", sa.String(length=10), nullable=False),
        sa.Column("commissioned_at", sa.DateTime(), nullable=False),
        sa.Column("decommissioned_at", sa.DateTime(), nullable=True),
        sa.Column("state_operational", sa.String(length=8), nullable=False),
        sa.Column("state_occupancy", sa.String(length=8), nullable=False),
        sa.Column("state_since", sa.DateTime(), nullable=True),
        sa.Column("state_reported_at", sa.DateTime(), nullable=True),
        sa.Column("state_report_seq", sa.Integer(), nullable=False),
        sa.Column("state_received_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "state_occupancy IN ('free', 'occupied', 'charging', 'reserved', 'unknown')",
            name=op.f("ck_connectors_occupancy"),
        ),
        sa.CheckConstraint(
            "state_operational IN ('online', 'offline', 'faulted', 'unknown')", name=op.f("ck_connectors_operational")
        ),
        sa.CheckConstraint("connector_type BETWEEN 1 AND 6", name=op.f("ck_connectors_type")),
        sa.CheckConstraint("national_standard BETWEEN 1 AND 4", name=op.f("ck_connectors_national_standard")),
        sa.CheckConstraint("power_kw >= 0 AND power_kw <= 2000", name=op.f("ck_connectors_power")),
        sa.ForeignKeyConstraint(
            ["equipment_pk"], ["equipment.pk"], name=op.f("fk_connectors_equipment_pk_equipment"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_connectors_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_connectors")),
        sa.UniqueConstraint("operator_id", "connector_id", name="uq_connectors_operator_connector"),
    )
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.create_index("ix_connectors_as_of", ["commissioned_at", "decommissioned_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_connectors_equipment_pk"), ["equipment_pk"], unique=False)

    op.create_table(
        "charge_orders",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("start_charge_seq", sa.String(length=40), nullable=False),
        sa.Column("connector_pk", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        sa.Column("energy_kwh", sa.Float(), nullable=False),
        sa.Column("elec_money", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("service_money", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total_money", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("stop_reason_code", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "elec_money >= 0 AND service_money >= 0 AND total_money >= 0", name=op.f("ck_charge_orders_money")
        ),
        sa.CheckConstraint("ended_at >= started_at", name=op.f("ck_charge_orders_ordered")),
        sa.CheckConstraint("energy_kwh >= 0", name=op.f("ck_charge_orders_energy")),
        sa.ForeignKeyConstraint(
            ["connector_pk"],
            ["connectors.pk"],
            name=op.f("fk_charge_orders_connector_pk_connectors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_charge_orders_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_charge_orders")),
        sa.UniqueConstraint("operator_id", "start_charge_seq", name="uq_charge_orders_operator_seq"),
    )
    with op.batch_alter_table("charge_orders", schema=None) as batch_op:
        batch_op.create_index("ix_charge_orders_connector_start", ["connector_pk", "started_at"], unique=False)
        batch_op.create_index("ix_charge_orders_operator_end", ["operator_id", "ended_at"], unique=False)

    op.create_table(
        "charge_status_samples",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operator_id", sa.String(length=9), nullable=False),
        sa.Column("start_charge_seq", sa.String(length=40), nullable=False),
        sa.Column("connector_pk", sa.Integer(), nullable=False),
        sa.Column("sampled_at", sa.DateTime(), nullable=False),
        sa.Column("seq_stat", sa.Integer(), nullable=False),
        sa.Column("energy_kwh", sa.Float(), nullable=False),
        sa.Column("current_a", sa.Float(), nullable=True),
        sa.Column("voltage_v", sa.Float(), nullable=True),
        sa.Column("soc_pct", sa.Float(), nullable=True),
        sa.Column("total_money", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["connector_pk"],
            ["connectors.pk"],
            name=op.f("fk_charge_status_samples_connector_pk_connectors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.operator_id"], name=op.f("fk_charge_status_samples_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_charge_status_samples")),
        sa.UniqueConstraint("operator_id", "start_charge_seq", "sampled_at", name="uq_samples_operator_seq_time"),
    )
    with op.batch_alter_table("charge_status_samples", schema=None) as batch_op:
        batch_op.create_index("ix_samples_connector_time", ["connector_pk", "sampled_at"], unique=False)

    op.create_table(
        "connector_status_intervals",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connector_pk", sa.Integer(), nullable=False),
        sa.Column("operational", sa.String(length=8), nullable=False),
        sa.Column("occupancy", sa.String(length=8), nullable=False),
        sa.Column("raw_status", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "occupancy IN ('free', 'occupied', 'charging', 'reserved', 'unknown')",
            name=op.f("ck_connector_status_intervals_occupancy"),
        ),
        sa.CheckConstraint(
            "operational IN ('online', 'offline', 'faulted', 'unknown')",
            name=op.f("ck_connector_status_intervals_operational"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_connector_status_intervals_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["connector_pk"],
            ["connectors.pk"],
            name=op.f("fk_connector_status_intervals_connector_pk_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_connector_status_intervals")),
    )
    with op.batch_alter_table("connector_status_intervals", schema=None) as batch_op:
        batch_op.create_index("ix_intervals_connector_start", ["connector_pk", "started_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("connector_status_intervals", schema=None) as batch_op:
        batch_op.drop_index("ix_intervals_connector_start")

    op.drop_table("connector_status_intervals")
    with op.batch_alter_table("charge_status_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_samples_connector_time")

    op.drop_table("charge_status_samples")
    with op.batch_alter_table("charge_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_charge_orders_operator_end")
        batch_op.drop_index("ix_charge_orders_connector_start")

    op.drop_table("charge_orders")
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connectors_equipment_pk"))
        batch_op.drop_index("ix_connectors_as_of")

    op.drop_table("connectors")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_station_time")

    op.drop_table("events")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_station_pk"))
        batch_op.drop_index("ix_equipment_as_of")

    op.drop_table("equipment")
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index("ix_alarms_station_raised")

    op.drop_table("alarms")
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stations_town_code"))
        batch_op.drop_index(batch_op.f("ix_stations_operator_id"))
        batch_op.drop_index("ix_stations_as_of")
        batch_op.drop_index("ix_stations_area_code")

    op.drop_table("stations")
    op.drop_table("operators")
