"""Service functions: the one place where the network changes. CLI, API, hub and tests call these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.network import StationTree
from evinfra.domain.operator import Operator, OperatorStatus
from evinfra.domain.region import RegionCatalog, check_area_code, check_town_code
from evinfra.ingest.errors import OperatorExists, UnknownOperator
from evinfra.store.repositories.status import Applied, StatusReport
from evinfra.store.uow import SqlUnitOfWork

Clock = Callable[[], datetime]


def register_operator(operator: Operator, uow: SqlUnitOfWork, now: datetime) -> None:
    with uow:
        if uow.operators.get(operator.operator_id) is not None:
            raise OperatorExists(f"运营商 {operator.operator_id} 已存在 / operator already exists")
        uow.operators.add(operator, now)
        uow.commit()


def set_operator_status(operator_id: str, status: OperatorStatus, uow: SqlUnitOfWork, now: datetime) -> None:
    with uow:
        if not uow.operators.set_status(operator_id, status, now):
            raise UnknownOperator(operator_id)
        uow.commit()


def save_station(tree: StationTree, uow: SqlUnitOfWork, now: datetime, regions: RegionCatalog) -> int:
    """Register or update a station with its equipment and connectors, in its own transaction."""
    with uow:
        pk = add_station(tree, uow, now, regions)
        uow.commit()
    return pk


def add_station(tree: StationTree, uow: SqlUnitOfWork, now: datetime, regions: RegionCatalog) -> int:
    """The step of :func:`save_station` inside a transaction the caller owns (and commits), e.g. a file import.

    Region codes are checked against the division catalog here, the last step before the store, so that no
    row names a county that does not exist.
    """
    station = tree.station
    check_area_code("area_code", station.area_code, regions)
    if station.town_code is not None:
        check_town_code("town_code", station.town_code, regions)
    if uow.operators.get(station.operator_id) is None:
        raise DomainValidationError("operator_id", station.operator_id, "已注册的运营商", "a registered operator")
    return uow.network.save_tree(tree, now)


def record_status(report: StatusReport, uow: SqlUnitOfWork, received_at: datetime) -> Applied:
    with uow:
        applied = uow.status.apply(report, received_at)
        uow.commit()
    return applied
