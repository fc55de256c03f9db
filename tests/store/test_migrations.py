"""The migrations build exactly the schema the code declares, and the schema itself refuses bad rows."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from evinfra.store import migrate
from evinfra.store.rows import Base


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_upgrade_is_idempotent(engine):
    migrate.upgrade(engine.url.render_as_string(hide_password=False))
    assert migrate.current_revision(engine) == migrate.head_revision()


@pytest.mark.parametrize(
    "bad_sql",
    [
        "INSERT INTO operators (operator_id, name, status, tel, reg_address, contacts, synthetic, created_at,"
        " updated_at) VALUES ('MA0000001', 'x', 'zombie', '', '', '[]', false, '2025-01-01', '2025-01-01')",
        "INSERT INTO stations (operator_id, station_id, name, station_type, status, construction, site_category,"
        " area_code, lng, lat, address, country_code, park_nums, station_tel, service_tel, site_guide,"
        " business_hours, electricity_fee, service_fee, park_fee, payment, support_order, remark, synthetic,"
        " commissioned_at, updated_at) VALUES ('MA0000002', 'S', 'n', 1, 50, 6, 'other', '140105', 0, 0, '',"
        " 'CN', 0, '', '', '', '', '', '', '', '', false, '', false, '2025-01-01', '2025-01-01')",
    ],
    ids=["operator-status", "station-outside-china"],
)
def test_check_constraints_refuse_rows_that_bypass_the_domain(engine, bad_sql):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO operators (operator_id, name, status, tel, reg_address, contacts, synthetic,"
                " created_at, updated_at) VALUES ('MA0000002', 'y', 'active', '', '', '[]', false,"
                " '2025-01-01', '2025-01-01')"
            )
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(bad_sql))
