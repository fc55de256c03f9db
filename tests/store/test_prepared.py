"""Prepared statements write and read exactly what SQLAlchemy's own execution does, on both backends."""

from datetime import timedelta

from sqlalchemy import bindparam, insert, select

from evinfra.store.prepared import Prepared, Statements, driver_connection
from evinfra.store.rows import SeenEnvelopeRow
from tests.conftest import NOW

SEEN = SeenEnvelopeRow.__table__
AT = bindparam("at", type_=SEEN.c.received_at.type)
INSERT = insert(SEEN).values(sent_at=AT, operator_id=bindparam("op"), sig=bindparam("sig"), received_at=AT)
LATEST = (
    select(SEEN.c.sig, SEEN.c.received_at)
    .where(SEEN.c.operator_id == bindparam("op"))
    .order_by(SEEN.c.received_at.desc())
    .limit(1)  # a value fixed in the statement: Prepared binds it itself
)


def test_round_trip_matches_core_execution(uow_factory):
    later = NOW + timedelta(hours=3, microseconds=250)
    with uow_factory() as uow:
        dialect = uow.session.get_bind().dialect
        db = driver_connection(uow.session)
        Prepared(INSERT, dialect).run(db, {"op": "MA0123456", "sig": "A" * 32, "at": NOW})
        Prepared(INSERT, dialect).run(db, {"op": "MA0123456", "sig": "B" * 32, "at": later})
        uow.commit()
    with uow_factory() as uow:
        dialect = uow.session.get_bind().dialect
        prepared = Prepared(LATEST, dialect).one_or_none(driver_connection(uow.session), {"op": "MA0123456"})
        core = uow.session.execute(LATEST, {"op": "MA0123456"}).one()
        assert prepared == tuple(core) == ("B" * 32, later)  # aware UTC datetimes, microseconds kept
        assert Prepared(LATEST, dialect).one_or_none(driver_connection(uow.session), {"op": "nobody"}) is None


def test_statements_prepare_once_per_dialect(uow_factory):
    statements = Statements(latest=LATEST)
    with uow_factory() as uow:
        dialect = uow.session.get_bind().dialect
        assert statements.for_dialect(dialect) is statements.for_dialect(dialect)


def test_the_driver_connection_follows_savepoints_and_transactions(uow_factory):
    """It is remembered per transaction; a SAVEPOINT opened later still wraps what runs on it."""

    def sigs(uow) -> set[str]:
        return set(uow.session.scalars(select(SEEN.c.sig)))

    def insert_sig(uow, sig: str) -> None:
        dialect = uow.session.get_bind().dialect
        Prepared(INSERT, dialect).run(driver_connection(uow.session), {"op": "MA0123456", "sig": sig, "at": NOW})

    with uow_factory() as uow:
        insert_sig(uow, "A" * 32)
        savepoint = uow.session.begin_nested()
        insert_sig(uow, "B" * 32)
        savepoint.rollback()  # B was inside the SAVEPOINT: gone, A stays
        insert_sig(uow, "C" * 32)
        assert sigs(uow) == {"A" * 32, "C" * 32}
        uow.commit()
        insert_sig(uow, "D" * 32)  # the session's next transaction
        uow.commit()
    with uow_factory() as uow:
        assert sigs(uow) == {"A" * 32, "C" * 32, "D" * 32}
