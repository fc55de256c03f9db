"""Build the Shanxi reference scenario in memory: real divisions, synthetic layers, the network at a snapshot.

Deterministic: the same (snapshot, seed) gives the same scenario, row for row. Each step is a pure
generator in its own module; this file only runs them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from evinfra.domain.layers import Place, RegionStat, Road, RoadSite, ScenicArea
from evinfra.scenario.assumptions import SNAPSHOTS
from evinfra.scenario.network import ScenarioStation, synth_network, year_end
from evinfra.scenario.operators import ScenarioOperator, synth_operators
from evinfra.scenario.places import synth_places
from evinfra.scenario.population import synth_population
from evinfra.scenario.roads import synth_road_sites, synth_roads
from evinfra.scenario.scenic import synth_scenic_areas

Step = Callable[[str], None]


@dataclass(frozen=True)
class Scenario:
    snapshot: int
    seed: int
    operators: list[ScenarioOperator]
    places: list[Place]
    stats: list[RegionStat]
    roads: list[Road]
    road_sites: list[RoadSite]
    scenic_areas: list[ScenicArea]
    stations: list[ScenarioStation]

    @property
    def as_of(self) -> datetime:
        """The instant the snapshot describes: the end of the snapshot year, Asia/Shanghai."""
        return year_end(self.snapshot)

    def counts(self) -> dict[str, int]:
        piles = sum(len(s.tree.equipment) for s in self.stations)
        connectors = sum(len(e.connectors) for s in self.stations for e in s.tree.equipment)
        return {
            "operators": len(self.operators),
            "stations": len(self.stations),
            "piles": piles,
            "connectors": connectors,
            "townships": sum(1 for p in self.places if p.level == "township"),
            "villages": sum(1 for p in self.places if p.level == "village"),
            "roads": len(self.roads),
            "road_sites": len(self.road_sites),
            "scenic_areas": len(self.scenic_areas),
        }


def build_scenario(snapshot: int, seed: int, step: Step = lambda _: None) -> Scenario:
    if snapshot not in SNAPSHOTS:
        raise ValueError(f"snapshot 须为 {', '.join(map(str, SNAPSHOTS))} 之一 / snapshot must be one of {SNAPSHOTS}")
    step("乡镇与村庄 / townships and villages")
    places = synth_places(seed)
    step("人口与电动汽车 / population and EVs")
    stats = synth_population(places, seed)
    step("道路、服务区、景区 / roads, service areas, scenic areas")
    roads = synth_roads(seed)
    sites = synth_road_sites(roads, seed)
    scenic = synth_scenic_areas(seed)
    step("运营商 / operators")
    operators = synth_operators(seed)
    step("充电网络 / charging network")
    network = synth_network(operators, places, stats, sites, scenic, seed)
    stations = network.snapshot(snapshot)
    return Scenario(snapshot, seed, operators, places, stats, roads, sites, scenic, stations)
