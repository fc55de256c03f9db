"""The migrations build exactly the schema the code declares, and the schema itself refuses bad rows."""

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, bindparam, text
from sqlalchemy.exc import IntegrityError, SAWarning
from sqlalchemy.schema import CreateIndex

from evinfra.store import migrate
from evinfra.store.engine import make_engine
from evinfra.store.rows import Base


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn, warnings.catch_warnings():
        if engine.dialect.name == "sqlite":  # SQLite cannot reflect expression indexes: compared by DDL below
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_expression_and_partial_indexes_match_the_models_on_sqlite(sqlite_template):
    """What compare_metadata skips: the migrated DDL of each expression or partial index equals the model's."""
    engine = make_engine(f"sqlite:///{sqlite_template}")
    expected = {
        index.name: " ".join(str(CreateIndex(index).compile(dialect=engine.dialect)).split())
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if any(not isinstance(e, Column) for e in index.expressions)
        or index.dialect_options["sqlite"]["where"] is not None
    }
    assert {"ux_power_samples_sample", "ix_intervals_open"} <= set(expected)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN :names").bindparams(
                bindparam("names", expanding=True)
            ),
            {"names": list(expected)},
        ).all()
    engine.dispose()
    assert {name: " ".join(sql.split()) for name, sql in stored} == expected


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
