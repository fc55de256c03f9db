"""Behaviour model of the live simulation, and the simulator playing scenario stations with it."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from evinfra.domain.connector import Connector, ConnectorType
from evinfra.domain.equipment import Equipment, EquipmentType
from evinfra.domain.geo import GeoPoint
from evinfra.domain.network import EquipmentTree, StationTree
from evinfra.domain.site import Construction, SiteCategory
from evinfra.domain.station import Station, StationStatus, StationType
from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import SHANGHAI
from evinfra.protocols.tcec.translate import station_info_to_wire
from evinfra.scenario.behaviour import DEFAULT_BEHAVIOUR, BehaviourModel, is_holiday, simulate_connector
from evinfra.scenario.network import ScenarioStation
from evinfra.scenario.simulator import SimOperator, Simulation

MODEL = DEFAULT_BEHAVIOUR
START = datetime(2025, 3, 3, tzinfo=SHANGHAI)  # a Monday outside holidays
KEYS = KeySet("00112233445566778899AABBCCDDEEFF", "opdatakey1234567", "opdataiv12345678", "OPSIGSECRET00001")


# --- the model ---------------------------------------------------------------------------------------


def test_arrival_rates_follow_site_and_hour() -> None:
    urban = [MODEL.arrival_rate(SiteCategory.URBAN_PUBLIC, h, dc=True) for h in range(24)]
    assert max(range(24), key=urban.__getitem__) in (18, 19, 20)  # evening peak
    assert urban[3] < urban[19] / 4
    assert sum(urban) == pytest.approx(5.6, rel=1e-9)  # sessions per connector-day at 60 kW
    highway = [MODEL.arrival_rate("highway_service_area", h, dc=True) for h in range(24)]
    assert max(range(24), key=highway.__getitem__) in range(9, 17)  # daytime travel
    holiday = MODEL.arrival_rate("highway_service_area", 12, dc=True, holiday=True)
    assert holiday == pytest.approx(2.5 * highway[12])
    village = sum(MODEL.arrival_rate(SiteCategory.VILLAGE, h, dc=False) for h in range(24))
    assert village < sum(MODEL.arrival_rate(SiteCategory.URBAN_PUBLIC, h, dc=False) for h in range(24)) / 5
    # faster DC connectors draw more drivers, within the factor's bounds
    assert MODEL.arrival_rate("urban_public", 19, dc=True, power_kw=120) > urban[19]
    assert MODEL.arrival_rate("urban_public", 19, dc=True, power_kw=1000) == pytest.approx(2.0 * urban[19])


def test_holidays() -> None:
    assert is_holiday(date(2025, 10, 3)) and is_holiday(date(2024, 2, 12))
    assert not is_holiday(date(2025, 10, 10)) and not is_holiday(date(2025, 3, 3))
    assert is_holiday(date(2030, 10, 1)) and not is_holiday(date(2030, 3, 1))


def test_next_arrival_is_after_start_and_faster_where_busier() -> None:
    rng = np.random.default_rng(1)
    urban = [MODEL.next_arrival(rng, "urban_public", START, dc=True, power_kw=60) - START for _ in range(300)]
    village = [MODEL.next_arrival(rng, "village", START, dc=False, power_kw=7) - START for _ in range(300)]
    assert min(urban) > timedelta(0)
    mean_urban = sum(urban, timedelta(0)) / len(urban)
    mean_village = sum(village, timedelta(0)) / len(village)
    assert timedelta(hours=2) < mean_urban < timedelta(hours=8)  # ≈ 24 h / 5.6
    assert mean_village > 10 * mean_urban
    assert MODEL.next_arrival(rng, "urban_public", START.astimezone(UTC), dc=True, power_kw=60).tzinfo is UTC


def test_sessions_are_capped_by_power_and_time() -> None:
    rng = np.random.default_rng(2)
    dc = [MODEL.sample_session(rng, 60.0, dc=True) for _ in range(500)]
    ac = [MODEL.sample_session(rng, 7.0, dc=False) for _ in range(500)]
    for s in dc:
        assert 5 / 60 <= s.hours <= MODEL.max_dc_hours and s.energy_kwh <= 60.0 * s.hours + 1e-6
    for s in ac:
        assert s.hours <= MODEL.max_ac_hours and s.load_kw <= MODEL.vehicle_ac_kw + 1e-9
    assert np.median([s.hours for s in ac]) > 3 * np.median([s.hours for s in dc])
    assert 15 < np.mean([s.energy_kwh for s in dc]) < 35
    highway = [MODEL.sample_session(rng, 60.0, dc=True, category="highway_service_area") for _ in range(500)]
    assert np.mean([s.energy_kwh for s in highway]) > np.mean([s.energy_kwh for s in dc])


def test_outages() -> None:
    rng = np.random.default_rng(3)
    outages = [MODEL.sample_outage(rng, dc=True) for _ in range(2000)]
    faults = [o for o in outages if o.status == 255]
    assert {o.status for o in outages} == {0, 255}
    assert len(faults) / len(outages) == pytest.approx(MODEL.fault_per_day_dc / MODEL.outage_rate(dc=True), abs=0.04)
    assert np.median([o.hours for o in faults]) > 5 * np.median([o.hours for o in outages if o.status == 0])
    assert min(o.hours for o in outages) >= MODEL.min_outage_hours


def test_simulated_utilisation_and_uptime_are_plausible() -> None:
    """360 connector-days for each kind: public DC ~10–15 % charging, AC ~5 %, village < 3 %, uptime ~95 %."""
    rng = np.random.default_rng(2025)

    def play(category: str, power_kw: float, dc: bool) -> tuple[float, float, float]:
        runs = [simulate_connector(rng, category, power_kw, dc=dc, start=START, days=30) for _ in range(12)]
        hours = sum(r.hours for r in runs)
        charging = sum(r.charging_hours for r in runs)
        down = sum(r.down_hours for r in runs)
        return charging / hours, down, hours

    dc_use, dc_down, dc_hours = play("urban_public", 60.0, True)
    ac_use, ac_down, ac_hours = play("urban_public", 7.0, False)
    village_use, village_down, village_hours = play("village", 7.0, False)
    village_dc_use, _, _ = play("village", 60.0, True)
    assert 0.09 <= dc_use <= 0.16
    assert 0.03 <= ac_use <= 0.07
    assert village_use < 0.03 and village_dc_use < 0.03
    uptime = 1 - (dc_down + ac_down + village_down) / (dc_hours + ac_hours + village_hours)
    assert 0.92 <= uptime <= 0.98


def test_a_connector_day_adds_up() -> None:
    rng = np.random.default_rng(4)
    result = simulate_connector(rng, "highway_service_area", 120.0, dc=True, start=START, days=10)
    assert result.hours == 240.0
    assert 0 <= result.charging_hours + result.down_hours <= result.hours
    assert result.sessions > 0 and result.energy_kwh > 0
    assert result.utilisation == result.charging_hours / 240.0 and 0 < result.uptime <= 1


def test_a_model_can_be_tuned() -> None:
    quiet = BehaviourModel(offline_per_day=0.0, fault_per_day_dc=0.0, fault_per_day_ac=0.0)
    rng = np.random.default_rng(5)
    result = simulate_connector(rng, "urban_public", 60.0, dc=True, start=START, days=20, model=quiet)
    assert result.uptime == 1.0


# --- the simulator with scenario stations ---------------------------------------------------------


def _station(operator_id: str, number: int, category: SiteCategory, guns: tuple[int, ...], dc: bool) -> StationTree:
    station_id = f"14010500{number:03d}"
    station = Station(
        operator_id=operator_id,
        station_id=station_id,
        name=f"测试{number}号充电站",
        station_type=StationType.PUBLIC,
        status=StationStatus.IN_SERVICE,
        construction=Construction.BUILDING_PARKING,
        area_code="140105",
        location=GeoPoint(112.56 + number / 1000, 37.74),
        site_category=category,
        synthetic=True,
    )
    equipment = []
    for k, n in enumerate(guns, start=1):
        eid = f"{station_id}E{k:02d}"
        kind, power = (EquipmentType.DC, 120.0) if dc else (EquipmentType.AC, 7.0 * n)
        eq = Equipment(operator_id, station_id, eid, kind, power)
        connectors = tuple(
            Connector(
                operator_id,
                station_id,
                eid,
                f"{eid}C{j}",
                ConnectorType.DC_PLUG if dc else ConnectorType.AC_PLUG,
                power / n,
            )
            for j in range(1, n + 1)
        )
        equipment.append(EquipmentTree(eq, connectors))
    return StationTree(station, tuple(equipment))


def _scenario(operator_id: str) -> list[ScenarioStation]:
    """Three stations: urban DC (one connector faulted), a zombie village AC station, a highway DC station."""
    at = datetime(2024, 5, 1, tzinfo=UTC)
    specs = (
        (1, SiteCategory.URBAN_PUBLIC, (2, 1), True, (1, 255, 3), False),
        (2, SiteCategory.VILLAGE, (1, 1), False, (0, 255), True),
        (3, SiteCategory.HIGHWAY_SERVICE_AREA, (2, 2), True, (1, 1, 1, 0), False),
    )
    out = []
    for number, category, guns, dc, status, zombie in specs:
        tree = _station(operator_id, number, category, guns, dc)
        out.append(
            ScenarioStation(
                tree=tree,
                commissioned_at=at,
                equipment_commissioned_at=tuple(at + timedelta(days=k) for k in range(len(tree.equipment))),
                initial_status=status,
                zombie=zombie,
                quality_issue=None,
                true_location=tree.station.location,
                city_code="140100",
                year=2025,
            )
        )
    return out


def test_sim_operator_from_scenario() -> None:
    stations = _scenario("MA0SCEN01")
    op = SimOperator.from_scenario("MA0SCEN01", KEYS, stations)
    assert op.stations == [station_info_to_wire(s.tree) for s in stations]
    assert op.station_updated_at["14010500001"] == datetime(2024, 5, 2, tzinfo=UTC)
    assert op.connector_status["14010500001E01C2"] == 255 and op.initial_status == op.connector_status
    assert op.connector_sites["14010500002E01C1"] == "village"
    assert op.frozen == {"14010500002E01C1", "14010500002E02C1"}
    assert [c.dc for c in op.connectors()] == [True] * 3 + [False] * 2 + [True] * 4
    with pytest.raises(ValueError, match="other operators"):
        SimOperator.from_scenario("MA0OTHER1", KEYS, stations)


def _plan(behaviour: BehaviourModel | None, n: int) -> list[tuple[datetime, str, dict[str, Any]]]:
    op = SimOperator.from_scenario("MA0SCEN01", KEYS, _scenario("MA0SCEN01"))
    sim = Simulation([op], "http://platform.invalid/evcs/v1", seed=3, max_events=n, start=START, behaviour=behaviour)
    return [(e.at, e.interface, e.payload) for e in sim.plan(n)]


def test_simulation_with_the_behaviour_model() -> None:
    events = _plan(MODEL, 2500)
    assert events == _plan(MODEL, 2500)  # deterministic
    statuses = [(at, p["ConnectorStatusInfo"]) for at, kind, p in events if kind == "notification_stationStatus"]
    initial = {info["ConnectorID"]: info["Status"] for at, info in statuses[:9]}
    assert initial["14010500001E01C2"] == 255 and initial["14010500003E02C2"] == 0
    by_connector: dict[str, list[int]] = defaultdict(list)
    for _, info in statuses:
        by_connector[info["ConnectorID"]].append(info["Status"])
    # zombies never move; the others charge and come back from their initial fault/offline state
    assert by_connector["14010500002E01C1"] == [0] and by_connector["14010500002E02C1"] == [255]
    assert by_connector["14010500001E01C2"][:2] == [255, 1]
    assert all(3 in by_connector[c] for c in ("14010500001E01C1", "14010500003E01C1"))
    # a session starts only on a free connector and ends free (or in an outage)
    for codes in by_connector.values():
        for before, after in itertools.pairwise(codes):
            if after == 3:
                assert before == 1
    orders = [p for _, kind, p in events if kind == "notification_charge_order_info"]
    assert orders and all(o["TotalPower"] >= 0 for o in orders)
    assert {o["StopReason"] for o in orders} <= {0, 2, 3}
    span = events[-1][0] - START
    assert span > timedelta(hours=6)


def test_simulation_without_a_model_plays_the_scenario_statuses() -> None:
    events = _plan(None, 400)
    statuses = Counter(
        p["ConnectorStatusInfo"]["ConnectorID"] for _, kind, p in events if kind == "notification_stationStatus"
    )
    assert statuses["14010500002E01C1"] == statuses["14010500002E02C1"] == 1  # frozen zombies
    assert statuses["14010500001E01C1"] > 1
