"""Read-only views for the supervision API. They read SQL straight into plain dicts (a read model)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evinfra.domain.station import Station
from evinfra.domain.status import to_tcec
from evinfra.store.rows import ConnectorRow
from evinfra.store.uow import SqlUnitOfWork


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def connector_state(uow: SqlUnitOfWork, operator_id: str, connector_id: str) -> dict[str, Any] | None:
    pk = uow.network.connector_pk(operator_id, connector_id)
    if pk is None:
        return None
    row = uow.session.get(ConnectorRow, pk)
    assert row is not None
    state, since, reported = uow.status.current(pk)
    return {
        "operator_id": operator_id,
        "connector_id": connector_id,
        "operational": state.operational.value,
        "occupancy": state.occupancy.value,
        "tcec_status": int(to_tcec(state)),
        "available": state.available,
        "since": _iso(since),
        "last_report_at": _iso(reported),
        "last_received_at": _iso(row.state_received_at),
    }


def connector_history(
    uow: SqlUnitOfWork, operator_id: str, connector_id: str, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]] | None:
    pk = uow.network.connector_pk(operator_id, connector_id)
    if pk is None:
        return None
    return [
        {
            "operational": i.state.operational.value,
            "occupancy": i.state.occupancy.value,
            "start": i.start.isoformat(),
            "end": _iso(i.end),
        }
        for i in uow.status.history(pk, start, end)
    ]


def station_detail(uow: SqlUnitOfWork, operator_id: str, station_id: str) -> dict[str, Any] | None:
    tree = uow.network.get_tree(operator_id, station_id)
    if tree is None:
        return None
    s = tree.station
    return {
        **station_summary(s),
        "equipment": [
            {
                "equipment_id": e.equipment.equipment_id,
                "equipment_type": int(e.equipment.equipment_type),
                "power_kw": e.equipment.power_kw,
                "manufacturer_name": e.equipment.manufacturer_name,
                "model": e.equipment.model,
                "production_date": None
                if e.equipment.production_date is None
                else e.equipment.production_date.isoformat(),
                "connectors": [
                    {
                        "connector_id": c.connector_id,
                        "connector_type": int(c.connector_type),
                        "national_standard": int(c.national_standard),
                        "power_kw": c.power_kw,
                        "voltage_upper_v": c.voltage_upper_v,
                        "voltage_lower_v": c.voltage_lower_v,
                        "current_a": c.current_a,
                        "state": connector_state(uow, operator_id, c.connector_id),
                    }
                    for c in e.connectors
                ],
            }
            for e in tree.equipment
        ],
    }


def station_summary(s: Station) -> dict[str, Any]:
    return {
        "operator_id": s.operator_id,
        "station_id": s.station_id,
        "name": s.name,
        "station_type": int(s.station_type),
        "status": int(s.status),
        "construction": int(s.construction),
        "site_category": s.site_category.value,
        "area_code": s.area_code,
        "town_code": s.town_code,
        "lng_wgs84": s.location.lng,
        "lat_wgs84": s.location.lat,
        "address": s.address,
        "park_nums": s.park_nums,
        "business_hours": s.business_hours,
        "synthetic": s.synthetic,
    }


def stations(
    uow: SqlUnitOfWork, at: datetime, *, operator_id: str | None, region_code: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    found = uow.network.stations_as_of(at, region_code=region_code, operator_id=operator_id)
    return [station_summary(s) for s in found[offset : offset + limit]]


def orders(
    uow: SqlUnitOfWork, *, operator_id: str | None, start: datetime | None, end: datetime | None, limit: int
) -> list[dict[str, Any]]:
    return [
        {
            "operator_id": o.operator_id,
            "start_charge_seq": o.start_charge_seq,
            "connector_id": o.connector_id,
            "start": o.start.isoformat(),
            "end": o.end.isoformat(),
            "energy_kwh": o.energy_kwh,
            "elec_money": str(o.elec_money),
            "service_money": str(o.service_money),
            "total_money": str(o.total_money),
            "stop_reason_code": o.stop_reason_code,
        }
        for o in uow.sessions.orders(operator_id=operator_id, ended_from=start, ended_to=end, limit=limit)
    ]


def quality(uow: SqlUnitOfWork, operator_id: str | None) -> list[dict[str, Any]]:
    return [
        {
            "operator_id": f.operator_id,
            "interface": f.interface,
            "field": f.field,
            "variant": f.variant,
            "count": f.count,
            "example": f.example,
            "first_seen": f.first_seen.isoformat(),
            "last_seen": f.last_seen.isoformat(),
        }
        for f in uow.hub.findings(operator_id)
    ]
