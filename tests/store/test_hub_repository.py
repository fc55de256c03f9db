"""Hub bookkeeping in the store: tokens expire, replayed signatures are caught and later purged,
real-time power samples are stored once."""

import os
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import bindparam, select, text

from evinfra.ingest.notifications import write_power
from evinfra.ingest.services import register_operator, save_station
from evinfra.regions.divisions import shanxi
from evinfra.store import migrate
from evinfra.store.engine import make_engine
from evinfra.store.rows import PowerSampleRow
from evinfra.store.scratch import scratch_database
from evinfra.store.types import UTCDateTime
from evinfra.store.uow import UnitOfWorkFactory
from tests.conftest import NOW, PG_ENV
from tests.networks import OP, tree


def test_tokens_expire_and_signatures_are_purged(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    with uow_factory() as uow:
        uow.hub.add_token("a" * 64, operator.operator_id, NOW, NOW + timedelta(hours=2))
        assert uow.hub.first_sighting(operator.operator_id, "S" * 32, NOW) is True
        assert uow.hub.first_sighting(operator.operator_id, "S" * 32, NOW) is False
        uow.commit()
    with uow_factory() as uow:
        assert uow.hub.token_owner("a" * 64, NOW + timedelta(hours=1))[0] == operator.operator_id
        assert uow.hub.token_owner("a" * 64, NOW + timedelta(hours=2)) is None
        uow.hub.purge_expired(NOW + timedelta(hours=3), replay_horizon=NOW + timedelta(minutes=1))
        uow.commit()
    with uow_factory() as uow:
        assert uow.hub.token_owner("a" * 64, NOW) is None  # gone, not only expired
        assert uow.hub.first_sighting(operator.operator_id, "S" * 32, NOW) is True  # purged: a new sighting


def test_quality_findings_are_counted_with_one_example(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    for _ in range(3):
        with uow_factory() as uow:
            uow.hub.count_finding(operator.operator_id, "notification_charge_order_info", "TotalSeviceMoney",
                                  "TotalServiceMoney", "12.50", NOW)  # fmt: skip
            uow.commit()
    with uow_factory() as uow:
        (finding,) = uow.hub.findings(operator.operator_id)
    assert (finding.field, finding.variant, finding.count, finding.example) == (
        "TotalSeviceMoney", "TotalServiceMoney", 3, "12.50",
    )  # fmt: skip


# --- real-time power -------------------------------------------------------------------------------------------------


def _power_rows(uow):
    q = select(
        PowerSampleRow.equipment_id, PowerSampleRow.connector_id, PowerSampleRow.sampled_at, PowerSampleRow.power_kw
    )
    return [tuple(r) for r in uow.session.execute(q.order_by(PowerSampleRow.pk))]


@pytest.fixture
def station_pk(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    save_station(tree("A", 1), uow_factory(), NOW, shanxi())
    with uow_factory() as uow:
        return uow.network.station_pk(OP, "A")


@pytest.mark.parametrize(
    ("equipment_id", "connector_id"),
    [(None, None), ("AE01", None), ("AE01", "AE01C1"), (None, "AE01C1")],
    ids=["station", "pile", "connector", "connector-without-pile"],
)
def test_a_resent_power_sample_is_stored_once_keeping_the_first_value(
    uow_factory, station_pk, equipment_id, connector_id
):
    with uow_factory() as uow:
        assert uow.hub.add_power(station_pk, equipment_id, connector_id, NOW, 42.5) is True
        assert uow.hub.add_power(station_pk, equipment_id, connector_id, NOW, 42.5) is False  # same transaction
        uow.commit()
    with uow_factory() as uow:
        assert uow.hub.add_power(station_pk, equipment_id, connector_id, NOW, 99.0) is False  # later, other value
        uow.commit()
    with uow_factory() as uow:
        assert _power_rows(uow) == [(equipment_id, connector_id, NOW, 42.5)]  # NULLs stay NULL, first value kept


def test_power_samples_differing_in_time_or_level_are_all_stored(uow_factory, station_pk):
    later = NOW + timedelta(minutes=1)
    samples = [
        (None, None, NOW, 10.0),
        (None, None, later, 11.0),
        ("AE01", None, NOW, 10.0),
        ("AE02", None, NOW, 0.0),
        ("AE01", "AE01C1", NOW, 10.0),
        ("AE01", "AE01C2", NOW, -3.5),  # V2G discharge, kept as sent
        ("AE01", "AE01C1", later, 11.0),
    ]
    with uow_factory() as uow:
        assert all(uow.hub.add_power(station_pk, e, c, at, kw) for e, c, at, kw in samples)
        uow.commit()
    with uow_factory() as uow:
        assert _power_rows(uow) == samples


def test_write_power_counts_only_new_samples(uow_factory, station_pk):
    batch = [("A", None, None, NOW, 10.0), ("A", "AE01", None, NOW, 10.0), ("A", "AE01", "AE01C1", NOW, 10.0)]
    with uow_factory() as uow:
        assert write_power(uow, OP, [*batch, batch[0]]) == 3  # a repeat inside one notification
        uow.commit()
    with uow_factory() as uow:
        assert write_power(uow, OP, batch) == 0  # the whole notification re-sent
        assert write_power(uow, OP, [("A", None, None, NOW + timedelta(minutes=1), 12.0)]) == 1
        uow.commit()
    with uow_factory() as uow:
        assert len(_power_rows(uow)) == 4


@pytest.fixture(params=["sqlite", "postgres"])
def unmigrated_url(request, tmp_path):
    """An empty database of its own (the session's PostgreSQL database is already at head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")  # skips or fails exactly like the other PostgreSQL tests
    with scratch_database(os.environ[PG_ENV], "evinfra_test") as url:
        yield url


def test_migration_0004_keeps_the_first_of_each_stored_power_sample(unmigrated_url, operator):
    migrate.upgrade(unmigrated_url, "0003")
    engine = make_engine(unmigrated_url)
    try:
        uow_factory = UnitOfWorkFactory(engine)
        register_operator(operator, uow_factory(), NOW)  # tables 0004 leaves alone
        save_station(tree("A", 1), uow_factory(), NOW, shanxi())
        with uow_factory() as uow:
            station_pk = uow.network.station_pk(OP, "A")
        later = NOW + timedelta(minutes=1)
        stored = [
            (None, None, NOW, 10.0),
            (None, None, NOW, 11.0),
            (None, None, NOW, 12.0),
            ("AE01", None, NOW, 20.0),
            ("AE01", None, NOW, 21.0),
            ("AE01", "AE01C1", NOW, 30.0),
            ("AE01", "AE01C1", NOW, 31.0),
            ("AE01", "AE01C1", later, 32.0),
        ]
        insert = text(
            "INSERT INTO power_samples (station_pk, equipment_id, connector_id, sampled_at, power_kw)"
            " VALUES (:station_pk, :equipment_id, :connector_id, :sampled_at, :power_kw)"
        ).bindparams(bindparam("sampled_at", type_=UTCDateTime()))  # stored as the application stores it
        with engine.begin() as conn:
            for e, c, at, kw in stored:
                conn.execute(
                    insert,
                    {"station_pk": station_pk, "equipment_id": e, "connector_id": c, "sampled_at": at, "power_kw": kw},
                )
        engine.dispose()

        migrate.upgrade(unmigrated_url)
        with uow_factory() as uow:
            assert _power_rows(uow) == [
                (None, None, NOW, 10.0),
                ("AE01", None, NOW, 20.0),
                ("AE01", "AE01C1", NOW, 30.0),
                ("AE01", "AE01C1", later, 32.0),
            ]
            assert uow.hub.add_power(station_pk, "AE01", None, NOW, 22.0) is False  # the index now holds
        engine.dispose()

        command.downgrade(migrate.alembic_config(unmigrated_url), "0003")  # reversible (the repeats stay gone)
        migrate.upgrade(unmigrated_url)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
