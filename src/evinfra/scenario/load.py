"""Bulk-load a built scenario into the store in one transaction.

The generic repositories write one aggregate at a time; a province is 25k stations, 130k piles and
180k connectors, so this loader writes rows with Core ``executemany`` and assigns primary keys itself
(PostgreSQL sequences are moved past them afterwards). A previous scenario is replaced; a store that
holds real (non-synthetic) operators' stations is refused, so a production database is never mixed with
synthetic data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.engine import Connection

from evinfra.domain.status import from_tcec
from evinfra.ingest.keyring import generate_key_set, seal_keys
from evinfra.scenario.build import Scenario
from evinfra.store.bulk import bulk_insert
from evinfra.store.rows import Base, OperatorRow, ScenarioRunRow, StationRow
from evinfra.store.uow import UnitOfWorkFactory

ZOMBIE_FROZEN_FOR = timedelta(days=60)  # a zombie pile's status has not changed for this long at the snapshot


class ScenarioConflict(RuntimeError):
    """The store holds real operators' stations: loading synthetic data there would mix the two."""


def _t(name: str) -> Table:
    return Base.metadata.tables[name]


def _next_pk(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.pk), 0))).scalar_one()) + 1


def clear_synthetic(conn: Connection) -> None:
    """Remove the previous scenario. Only called when no real operator owns a station, so every row of the
    network tables is synthetic and whole tables can go (far faster than per-operator deletes)."""
    network = (
        "connector_status_intervals",
        "charge_orders",
        "charge_status_samples",
        "alarms",
        "events",
        "power_samples",
        "connectors",
        "equipment",
        "stations",
    )  # fmt: skip  (children first)
    if conn.dialect.name == "postgresql":  # row-by-row DELETE with FK checks is slow for 170k connectors
        conn.execute(text(f"TRUNCATE {', '.join(network)}"))
    else:
        for name in network:
            conn.execute(delete(_t(name)))
    synthetic_ops = select(OperatorRow.operator_id).where(OperatorRow.synthetic.is_(True)).scalar_subquery()
    for name in ("operator_keys", "access_tokens", "quality_findings", "pull_state", "seen_envelopes"):
        conn.execute(delete(_t(name)).where(_t(name).c.operator_id.in_(synthetic_ops)))
    conn.execute(delete(OperatorRow).where(OperatorRow.synthetic.is_(True)))
    conn.execute(delete(ScenarioRunRow))


def load_scenario(
    scenario: Scenario,
    uow_factory: UnitOfWorkFactory,
    master: Fernet,
    now: datetime,
    step: Callable[[str], None] = lambda _: None,
) -> dict[str, int]:
    """Replace the store's scenario with ``scenario``; returns row counts. Operators get fresh key sets."""
    with uow_factory() as uow:
        conn = uow.session.connection()
        real = conn.execute(
            select(func.count())
            .select_from(StationRow)
            .join(OperatorRow, OperatorRow.operator_id == StationRow.operator_id)
            .where(OperatorRow.synthetic.is_(False))
        ).scalar_one()
        if real:
            raise ScenarioConflict(
                f"数据库中已有 {real} 个真实运营商的站点，拒绝写入模拟数据 / the store holds {real} real stations"
            )
        step("清除旧的模拟数据 / clearing the previous scenario")
        clear_synthetic(conn)
        step("写入运营商与密钥 / operators and key sets")
        _operators(conn, scenario, master, now)
        step("写入站点、桩、枪 / stations, piles, connectors")
        counts = _network(conn, scenario, now)
        step("写入地图图层 / map layers")
        uow.layers.replace_places(scenario.places)
        uow.layers.replace_region_stats(scenario.stats)
        uow.layers.replace_roads(scenario.roads)
        uow.layers.replace_road_sites(scenario.road_sites)
        uow.layers.replace_scenic_areas(scenario.scenic_areas)
        summary = {**scenario.counts(), **counts}
        conn.execute(
            insert(_t("scenario_runs")),
            [{"snapshot": scenario.snapshot, "seed": scenario.seed, "built_at": now, "stats": summary}],
        )
        if conn.dialect.name == "postgresql":
            for table in ("stations", "equipment", "connectors", "connector_status_intervals", "scenario_runs"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'pk'), (SELECT max(pk) FROM {table}))")
                )
        step("提交 / committing")
        uow.commit()
    return summary


def _operators(conn: Connection, scenario: Scenario, master: Fernet, now: datetime) -> None:
    rows: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for op in scenario.operators:
        d = op.operator
        rows.append(
            {"operator_id": d.operator_id, "name": d.name, "uscc": d.uscc, "status": d.status.value, "tel": d.tel,
             "reg_address": d.reg_address, "contacts": [], "synthetic": True, "created_at": now, "updated_at": now}
        )  # fmt: skip
        keys.append(
            {"operator_id": d.operator_id, "direction": "in", "secrets_enc": seal_keys(generate_key_set(), master),
             "base_url": None, "our_operator_id": None, "aliases": {}, "profile": "tcec2016", "created_at": now}
        )  # fmt: skip
    conn.execute(insert(_t("operators")), rows)  # JSON columns: let SQLAlchemy bind them
    conn.execute(insert(_t("operator_keys")), keys)


def _network(conn: Connection, scenario: Scenario, now: datetime) -> dict[str, int]:
    as_of = scenario.as_of
    station_pk = _next_pk(conn, _t("stations"))
    equipment_pk = _next_pk(conn, _t("equipment"))
    connector_pk = _next_pk(conn, _t("connectors"))
    stations: list[dict[str, Any]] = []
    equipment: list[dict[str, Any]] = []
    connectors: list[dict[str, Any]] = []
    intervals: list[dict[str, Any]] = []
    for scn in scenario.stations:
        s = scn.tree.station
        stations.append(
            {"pk": station_pk, "operator_id": s.operator_id, "station_id": s.station_id, "name": s.name,
             "station_type": int(s.station_type), "status": int(s.status), "construction": int(s.construction),
             "site_category": s.site_category.value,
             "scenic_level": None if s.scenic_level is None else int(s.scenic_level),
             "area_code": s.area_code, "town_code": s.town_code, "lng": s.location.lng, "lat": s.location.lat,
             "address": s.address, "equipment_owner_id": s.equipment_owner_id, "country_code": s.country_code,
             "park_nums": s.park_nums, "station_tel": s.station_tel, "service_tel": s.service_tel,
             "site_guide": s.site_guide, "business_hours": s.business_hours, "electricity_fee": s.electricity_fee,
             "service_fee": s.service_fee, "park_fee": s.park_fee,
             "payment": ",".join(str(int(p)) for p in sorted(s.payment)), "support_order": s.support_order,
             "remark": s.remark, "synthetic": True, "site_id": s.site_id, "commissioned_at": scn.commissioned_at,
             "decommissioned_at": None, "updated_at": now}
        )  # fmt: skip
        statuses = iter(scn.initial_status)
        for e_tree, commissioned in zip(scn.tree.equipment, scn.equipment_commissioned_at, strict=True):
            e = e_tree.equipment
            equipment.append(
                {"pk": equipment_pk, "station_pk": station_pk, "operator_id": e.operator_id,
                 "equipment_id": e.equipment_id, "equipment_type": int(e.equipment_type), "power_kw": e.power_kw,
                 "name": e.name, "manufacturer_id": e.manufacturer_id, "manufacturer_name": e.manufacturer_name,
                 "model": e.model, "production_date": e.production_date,
                 "lng": None if e.location is None else e.location.lng,
                 "lat": None if e.location is None else e.location.lat,
                 "commissioned_at": commissioned, "decommissioned_at": None}
            )  # fmt: skip
            for c in e_tree.connectors:
                raw = next(statuses)
                state = from_tcec(raw)
                since = as_of - ZOMBIE_FROZEN_FOR if scn.zombie else as_of
                since = max(since, commissioned)
                connectors.append(
                    {"pk": connector_pk, "equipment_pk": equipment_pk, "operator_id": c.operator_id,
                     "connector_id": c.connector_id, "connector_type": int(c.connector_type),
                     "national_standard": int(c.national_standard), "power_kw": c.power_kw,
                     "voltage_upper_v": c.voltage_upper_v, "voltage_lower_v": c.voltage_lower_v,
                     "current_a": c.current_a, "name": c.name, "park_no": c.park_no,
                     "commissioned_at": commissioned, "decommissioned_at": None,
                     "state_operational": state.operational.value, "state_occupancy": state.occupancy.value,
                     "state_since": since, "state_reported_at": since, "state_report_seq": 0,
                     "state_received_at": since}
                )  # fmt: skip
                intervals.append(
                    {"connector_pk": connector_pk, "operational": state.operational.value,
                     "occupancy": state.occupancy.value, "raw_status": raw, "started_at": since, "ended_at": None}
                )  # fmt: skip
                connector_pk += 1
            equipment_pk += 1
        station_pk += 1
    bulk_insert(conn, _t("stations"), stations)
    bulk_insert(conn, _t("equipment"), equipment)
    bulk_insert(conn, _t("connectors"), connectors)
    bulk_insert(conn, _t("connector_status_intervals"), intervals)
    return {"stations": len(stations), "piles": len(equipment), "connectors": len(connectors)}
