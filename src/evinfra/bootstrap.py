"""Composition root: builds the engine, unit-of-work factory, registry, writer and clock once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from sqlalchemy import Engine

from evinfra.config import Settings
from evinfra.domain.region import RegionCatalog
from evinfra.ingest.keyring import load_master_key
from evinfra.ingest.registry import OperatorRegistry
from evinfra.ingest.writer import GroupCommitWriter, writer_for
from evinfra.regions.divisions import shanxi
from evinfra.store.engine import make_engine
from evinfra.store.uow import SqlUnitOfWork, UnitOfWorkFactory


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    uow: UnitOfWorkFactory
    regions: RegionCatalog
    master: Fernet
    registry: OperatorRegistry
    writer: GroupCommitWriter
    clock: Callable[[], datetime] = field(default=utc_now)

    def new_uow(self) -> SqlUnitOfWork:
        return self.uow()


def bootstrap(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now, engine: Engine | None = None
) -> Container:
    settings = settings or Settings()
    data_dir = settings.ensure_data_dir()
    engine = engine or make_engine(settings.resolved_database_url)
    uow = UnitOfWorkFactory(engine)
    master = load_master_key(data_dir, settings.master_key)
    return Container(
        settings=settings,
        engine=engine,
        uow=uow,
        regions=shanxi(),
        master=master,
        registry=OperatorRegistry(uow, master, clock, token_lifetime_s=settings.token_lifetime_s),
        writer=writer_for(uow, settings.writer),
        clock=clock,
    )
