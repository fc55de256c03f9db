"""The unit of work: one transaction, the repositories that share it, and one place that commits."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from evinfra.store.repositories.hub import HubRepository
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

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> Self:
        self._session = self._session_factory()
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

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case; holds the engine's session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)
