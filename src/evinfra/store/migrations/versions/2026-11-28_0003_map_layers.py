"""Map layers for the plan targets: places, region statistics, roads, road sites, scenic areas,
scenario runs; stations.site_id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:44:51.664931
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "places",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint("level IN ('township', 'village')", name=op.f("ck_places_level")),
        sa.CheckConstraint("lng BETWEEN 73.4 AND 135.1 AND lat BETWEEN 3.8 AND 53.6", name=op.f("ck_places_in_china")),
        sa.CheckConstraint("population >= 0", name=op.f("ck_places_population")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_places")),
    )
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.create_index("ix_places_county", ["county_code", "level"], unique=False)

    op.create_table(
        "region_stats",
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("evs", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint("evs >= 0 AND population >= 0", name=op.f("ck_region_stats_non_negative")),
        sa.PrimaryKeyConstraint("region_code", "year", name=op.f("pk_region_stats")),
    )
    op.create_table(
        "road_sites",
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("road_id", sa.String(length=40), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("parking_spaces", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "kind IN ('highway_service_area', 'toll_station', 'tourist_road_station', 'rv_camp', 'trunk_road_service')",
            name=op.f("ck_road_sites_kind"),
        ),
        sa.CheckConstraint(
            "lng BETWEEN 73.4 AND 135.1 AND lat BETWEEN 3.8 AND 53.6", name=op.f("ck_road_sites_in_china")
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_road_sites")),
    )
    with op.batch_alter_table("road_sites", schema=None) as batch_op:
        batch_op.create_index("ix_road_sites_kind", ["kind"], unique=False)

    op.create_table(
        "roads",
        sa.Column("road_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("length_km", sa.Float(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('expressway', 'tourist', 'trunk')", name=op.f("ck_roads_kind")),
        sa.PrimaryKeyConstraint("road_id", name=op.f("pk_roads")),
    )
    op.create_table(
        "scenario_runs",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("snapshot", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scenario_runs")),
    )
    op.create_table(
        "scenic_areas",
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("parking_spaces", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint("level BETWEEN 0 AND 5", name=op.f("ck_scenic_areas_level")),
        sa.CheckConstraint(
            "lng BETWEEN 73.4 AND 135.1 AND lat BETWEEN 3.8 AND 53.6", name=op.f("ck_scenic_areas_in_china")
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_scenic_areas")),
    )
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_id", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_stations_site_id"), ["site_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stations_site_id"))
        batch_op.drop_column("site_id")

    op.drop_table("scenic_areas")
    op.drop_table("scenario_runs")
    op.drop_table("roads")
    with op.batch_alter_table("road_sites", schema=None) as batch_op:
        batch_op.drop_index("ix_road_sites_kind")

    op.drop_table("road_sites")
    op.drop_table("region_stats")
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_index("ix_places_county")

    op.drop_table("places")
