"""Supervision read API (JSON): stations, connectors, status history, orders, data quality."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from evinfra.api.deps import ContainerDep, UowDep, require_role
from evinfra.domain.connector import CONNECTOR_ID
from evinfra.domain.operator import OPERATOR_ID
from evinfra.domain.station import STATION_ID
from evinfra.supervision import views

SUPERVISORS = ("admin", "supervisor", "city")
router = APIRouter(prefix="/api/v1", tags=["supervision"], dependencies=[Depends(require_role(*SUPERVISORS))])


# IDs as the domain writes them, checked here: a malformed one gets a 422 naming the parameter instead of reaching
# the store (PostgreSQL refuses NUL in text, which would end as a 503).
OperatorPath = Annotated[str, Path(pattern=f"^{OPERATOR_ID.pattern}$", description="9 位组织机构代码")]
StationPath = Annotated[str, Path(pattern=f"^{STATION_ID.pattern}$", description="运营商的充电站 ID")]
ConnectorPath = Annotated[str, Path(pattern=f"^{CONNECTOR_ID.pattern}$", description="运营商的充电接口 ID")]
OperatorFilter = Annotated[str | None, Query(pattern=f"^{OPERATOR_ID.pattern}$", description="9 位组织机构代码")]


_YEARS = (1900, 2200)  # what a time filter may name; beyond it lie only typing errors and overflows


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise HTTPException(422, f"{name} 需要带时区的 ISO 8601 时间，如 2025-06-01T08:00:00+08:00 / add a UTC offset")
    try:  # 9999-12-31T23:59:59-14:00 is past the last instant Python can hold in UTC
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not _YEARS[0] <= utc.year <= _YEARS[1]:
        first, last = _YEARS
        raise HTTPException(422, f"{name} 须在 {first}–{last} 年之间 / {name} must lie in the years {first}–{last}")
    return utc


@router.get("/stations", summary="站点列表（按日期回溯）/ stations as of a date")
def list_stations(
    uow: UowDep,
    container: ContainerDep,
    operator_id: OperatorFilter = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{6}$", description="6 位行政区划代码")] = None,
    as_of: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    at = _aware("as_of", as_of) or container.clock()
    return views.stations(uow, at, operator_id=operator_id, region_code=region_code, limit=limit, offset=offset)


@router.get("/stations/{operator_id}/{station_id}", summary="站点详情 / a station with piles and connectors")
def get_station(operator_id: OperatorPath, station_id: StationPath, uow: UowDep) -> dict[str, Any]:
    found = views.station_detail(uow, operator_id, station_id)
    if found is None:
        raise HTTPException(404, f"站点 {operator_id}/{station_id} 不存在 / no such station")
    return found


@router.get("/connectors/{operator_id}/{connector_id}", summary="接口当前状态 / a connector's current state")
def get_connector(operator_id: OperatorPath, connector_id: ConnectorPath, uow: UowDep) -> dict[str, Any]:
    found = views.connector_state(uow, operator_id, connector_id)
    if found is None:
        raise HTTPException(404, f"充电接口 {operator_id}/{connector_id} 不存在 / no such connector")
    return found


@router.get("/connectors/{operator_id}/{connector_id}/history", summary="状态历史 / status history intervals")
def get_history(
    operator_id: OperatorPath,
    connector_id: ConnectorPath,
    uow: UowDep,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    found = views.connector_history(uow, operator_id, connector_id, _aware("start", start), _aware("end", end))
    if found is None:
        raise HTTPException(404, f"充电接口 {operator_id}/{connector_id} 不存在 / no such connector")
    return found


@router.get("/orders", summary="充电订单 / charge orders by operator and time")
def list_orders(
    uow: UowDep,
    operator_id: OperatorFilter = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[dict[str, Any]]:
    return views.orders(uow, operator_id=operator_id, start=_aware("start", start), end=_aware("end", end), limit=limit)


@router.get("/quality", summary="数据质量问题 / data-quality findings per operator")
def list_quality(uow: UowDep, operator_id: OperatorFilter = None) -> list[dict[str, Any]]:
    return views.quality(uow, operator_id)
