"""Hub bookkeeping in the store: tokens expire, replayed signatures are caught and later purged,
real-time power samples are stored once."""

import os
import threading
import time
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import bindparam, select, text

from evinfra.domain.status import from_tcec
from evinfra.ingest.notifications import write_power
from evinfra.ingest.services import register_operator, save_station
from evinfra.regions.divisions import shanxi
from evinfra.store import migrate
from evinfra.store.engine import make_engine
from evinfra.store.repositories.status import StatusReport
from evinfra.store.rows import PowerSampleRow
from evinfra.store.scratch import scratch_database
from evinfra.store.types import UTCDateTime
from evinfra.store.uow import UnitOfWorkFactory
from tests.conftest import NOW, PG_ENV
from tests.networks import OP, tree


def test_tokens_expire_and_signatures_are_purged(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    op, later = operator.operator_id, NOW + timedelta(minutes=10)
    with uow_factory() as uow:
        uow.hub.add_token("a" * 64, op, NOW, NOW + timedelta(hours=2))
        assert uow.hub.first_sighting(op, "S" * 32, NOW, NOW) is True
        assert uow.hub.first_sighting(op, "S" * 32, NOW, NOW + timedelta(seconds=3)) is False  # a replay
        assert uow.hub.first_sighting(op, "T" * 32, later, later) is True
        uow.commit()
    with uow_factory() as uow:
        assert uow.hub.token_owner("a" * 64, NOW + timedelta(hours=1))[0] == op
        assert uow.hub.token_owner("a" * 64, NOW + timedelta(hours=2)) is None
        # what was sent before the horizon goes, whenever it arrived; what was sent after it stays
        uow.hub.purge_expired(NOW + timedelta(hours=3), replay_horizon=NOW + timedelta(minutes=1))
        uow.commit()
    with uow_factory() as uow:
        assert uow.hub.token_owner("a" * 64, NOW) is None  # gone, not only expired
        assert uow.hub.first_sighting(op, "S" * 32, NOW, NOW) is True  # purged: a new sighting
        assert uow.hub.first_sighting(op, "T" * 32, later, later) is False  # kept: still a replay


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


def _count(uow, operator_id, variant="TotalServiceMoney", example="12.50"):
    uow.hub.count_finding(operator_id, "notification_charge_order_info", "TotalSeviceMoney", variant, example, NOW)


def _counts(uow_factory, operator_id):
    with uow_factory() as uow:
        return {(f.variant, f.example): f.count for f in uow.hub.findings(operator_id)}


def test_concurrent_counts_of_one_finding_all_land(uow_factory, operator):
    """Two writers counting the same finding at once (several workers on PostgreSQL): the second waits for the
    first and adds to its count. A read-then-write lost one increment, or failed the second writer on the
    primary key when both saw the finding first."""
    register_operator(operator, uow_factory(), NOW)
    op = operator.operator_id
    errors: list[BaseException] = []
    for expected in (2, 4):  # first sightings racing, then increments of a stored row racing
        with uow_factory() as first:
            _count(first, op)  # holds the row (or the key) until it commits

            def second() -> None:
                try:
                    with uow_factory() as uow:
                        _count(uow, op, example="99.00")
                        uow.commit()
                except BaseException as exc:  # reported below, on the test's thread
                    errors.append(exc)

            thread = threading.Thread(target=second)
            thread.start()
            thread.join(0.5)  # it waits for the first writer's row lock (PostgreSQL) or write lock (SQLite)
            first.commit()
        thread.join(10)
        assert not thread.is_alive() and errors == []
        assert _counts(uow_factory, op) == {("TotalServiceMoney", "12.50"): expected}  # the first example stays


def test_findings_tallied_in_a_unit_of_work_are_counted_at_its_commit(uow_factory, operator):
    register_operator(operator, uow_factory(), NOW)
    op = operator.operator_id
    with uow_factory() as uow:
        for variant, at in (("B", NOW), ("A", NOW + timedelta(seconds=2)), ("B", NOW + timedelta(seconds=1))):
            uow.finding_tally.add(op, "notification_stationStatus", "Status", variant, f"ex {variant}", at)
        assert _counts(uow_factory, op) == {}  # nothing written before the commit
        uow.commit()
        assert uow.finding_tally.counts == {}
    with uow_factory() as uow:
        uow.finding_tally.add(op, "notification_stationStatus", "Status", "A", "later", NOW + timedelta(seconds=5))
        # left without commit: rolled back, nothing counted
    with uow_factory() as uow:
        found = {f.variant: (f.count, f.example, f.first_seen, f.last_seen) for f in uow.hub.findings(op)}
    assert found == {
        "A": (1, "ex A", NOW + timedelta(seconds=2), NOW + timedelta(seconds=2)),
        "B": (2, "ex B", NOW, NOW + timedelta(seconds=1)),
    }


def test_a_finding_quoting_nul_or_a_lone_surrogate_still_commits(uow_factory, operator):
    """PostgreSQL refuses NUL in text and no driver encodes a lone surrogate: stored replaced, not failing the
    commit (which would fail every write of the batch)."""
    register_operator(operator, uow_factory(), NOW)
    op = operator.operator_id
    with uow_factory() as uow:
        uow.finding_tally.add(op, "notification_stationStatus", "Extra\x00", "extra_field", "a\x00b\ud800c", NOW)
        uow.commit()
    with uow_factory() as uow:
        [found] = uow.hub.findings(op)
    assert (found.field, found.example) == ("Extra\ufffd", "a\ufffdb?c")


def test_a_batch_counts_its_findings_after_its_row_locks(uow_factory, operator):
    """Two batches that lock connectors in one order and count the same finding cannot deadlock: the count is
    written at the commit, after every connector lock. Counted where it arose (batch A: after connector 1,
    before connector 2), A would hold the finding's row while waiting for connector 2, which B holds while
    waiting for the finding's row: PostgreSQL aborts one of them."""
    if uow_factory.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: two batches cannot wait for each other")
    register_operator(operator, uow_factory(), NOW)
    save_station(tree("A", 2), uow_factory(), NOW, shanxi())
    with uow_factory() as uow:
        one, two = (uow.network.connector_pk(OP, c) for c in ("AE01C1", "AE02C1"))
    b_holds_two = threading.Event()
    errors: list[BaseException] = []

    def status(uow, pk, minute):
        at = NOW + timedelta(minutes=minute)
        uow.status.apply(StatusReport(pk, from_tcec(2), at, 1, 2), at)

    def batch_b() -> None:
        try:
            with uow_factory() as uow:
                status(uow, two, 1)
                b_holds_two.set()
                time.sleep(0.3)  # A now waits for connector 2
                uow.finding_tally.add(OP, "notification_stationStatus", "Status", "v", "x", NOW)
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=batch_b)
    with uow_factory() as uow:
        status(uow, one, 1)
        uow.finding_tally.add(OP, "notification_stationStatus", "Status", "v", "x", NOW)
        thread.start()
        assert b_holds_two.wait(10), errors
        status(uow, two, 2)  # waits until B commits
        uow.commit()
    thread.join(10)
    assert errors == []
    assert _counts(uow_factory, OP) == {("v", "x"): 2}


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
