"""Composition root: builds the engine, unit-of-work factory, catalog and clock once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from evinfra.config import Settings
from evinfra.domain.region import RegionCatalog
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
    clock: Callable[[], datetime] = field(default=utc_now)

    def new_uow(self) -> SqlUnitOfWork:
        return self.uow()


def bootstrap(settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now) -> Container:
    settings = settings or Settings()
    settings.ensure_data_dir()
    engine = make_engine(settings.resolved_database_url)
    return Container(settings=settings, engine=engine, uow=UnitOfWorkFactory(engine), regions=shanxi(), clock=clock)
