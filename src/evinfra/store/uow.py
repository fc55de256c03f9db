"""The unit of work: one transaction, the repositories that share it, and one place that commits."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from evinfra.store.engine import READ_ONLY
from evinfra.store.repositories.hub import FindingTally, HubRepository
from evinfra.store.repositories.layers import LayerRepository
from evinfra.store.repositories.network import NetworkRepository
from evinfra.store.repositories.operators import OperatorRepository
from evinfra.store.repositories.sessions import SessionRepository
from evinfra.store.repositories.status import StatusRepository


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()``. Leaving the block without commit rolls back.

    Services commit before they acknowledge anything, so "acknowledged" means "durable".
    """

    operators: OperatorRepository
    network: NetworkRepository
    status: StatusRepository
    sessions: SessionRepository
    hub: HubRepository
    layers: LayerRepository

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.read_only = read_only
        # Data-quality findings to count at commit (the hub's writes add theirs here, not row by row).
        self.finding_tally = FindingTally()

    def __enter__(self) -> Self:
        self._session = self._session_factory()
        self.finding_tally.clear()
        if self.read_only:  # procure the connection with the option before its transaction begins
            self._session.connection(execution_options={READ_ONLY: True})
        self.operators = OperatorRepository(self._session)
        self.network = NetworkRepository(self._session)
        self.status = StatusRepository(self._session)
        self.sessions = SessionRepository(self._session)
        self.hub = HubRepository(self._session)
        self.layers = LayerRepository(self._session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    @property
    def session(self) -> Session:
        assert self._session is not None, "use the unit of work inside a with-block"
        return self._session

    def begin(self) -> None:
        """Start the transaction now (on SQLite: take the write lock) rather than at the first statement."""
        self.session.connection()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self.finding_tally.counts:
            self.hub.count_findings(self.finding_tally)
            self.finding_tally.clear()
        self.session.commit()

    def rollback(self) -> None:
        self.finding_tally.clear()
        self.session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case; holds the engine's session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)

    def read(self) -> SqlUnitOfWork:
        """A unit of work for queries only: on SQLite it never waits for the writer's lock."""
        return SqlUnitOfWork(self._sessions, read_only=True)
