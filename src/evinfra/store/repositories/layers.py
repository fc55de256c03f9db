"""Map layers in bulk: places, region statistics, roads, road sites, scenic areas.

Writes go through ``store.bulk`` (COPY on PostgreSQL), because a province is 21,895 villages and
94k statistics rows; ORM objects would cost ten times as much for no benefit here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from evinfra.domain.layers import Place, RegionStat, Road, RoadSite, ScenicArea
from evinfra.store.bulk import bulk_insert
from evinfra.store.rows import PlaceRow, RegionStatRow, RoadRow, RoadSiteRow, ScenicAreaRow


class LayerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self, table: Any, rows: Sequence[dict[str, Any]]) -> int:
        return bulk_insert(self.session.connection(), table, rows)

    def replace_places(self, places: Iterable[Place], *, level: str | None = None) -> int:
        """Replace all places (or those of one level) with ``places``."""
        query = delete(PlaceRow) if level is None else delete(PlaceRow).where(PlaceRow.level == level)
        self.session.execute(query)
        return self._insert(PlaceRow.__table__, [asdict(p) for p in places])

    def replace_region_stats(self, stats: Iterable[RegionStat]) -> int:
        self.session.execute(delete(RegionStatRow))
        return self._insert(RegionStatRow.__table__, [asdict(s) for s in stats])

    def replace_roads(self, roads: Iterable[Road], *, kind: str | None = None) -> int:
        query = delete(RoadRow) if kind is None else delete(RoadRow).where(RoadRow.kind == kind)
        self.session.execute(query)
        rows = []
        for r in roads:
            row = asdict(r)
            coords = row.pop("coords")
            row["geometry"] = json.dumps({"type": "LineString", "coordinates": [list(c) for c in coords]})
            rows.append(row)
        return self._insert(RoadRow.__table__, rows)

    def replace_road_sites(self, sites: Iterable[RoadSite], *, kind: str | None = None) -> int:
        query = delete(RoadSiteRow) if kind is None else delete(RoadSiteRow).where(RoadSiteRow.kind == kind)
        self.session.execute(query)
        return self._insert(RoadSiteRow.__table__, [asdict(s) for s in sites])

    def replace_scenic_areas(self, areas: Iterable[ScenicArea]) -> int:
        self.session.execute(delete(ScenicAreaRow))
        return self._insert(ScenicAreaRow.__table__, [asdict(a) for a in areas])

    # --- reads ----------------------------------------------------------------------------------
    def places(self, level: str | None = None) -> list[Place]:
        query = select(PlaceRow).order_by(PlaceRow.code)
        if level is not None:
            query = query.where(PlaceRow.level == level)
        return [
            Place(r.code, r.level, r.name, r.kind, r.county_code, r.lng, r.lat, r.population, r.synthetic, r.source)
            for r in self.session.scalars(query)
        ]

    def region_stats(self, year: int | None = None) -> list[RegionStat]:
        query = select(RegionStatRow).order_by(RegionStatRow.region_code, RegionStatRow.year)
        if year is not None:
            query = query.where(RegionStatRow.year == year)
        return [
            RegionStat(r.region_code, r.year, r.population, r.evs, r.synthetic, r.source)
            for r in self.session.scalars(query)
        ]

    def roads(self, kind: str | None = None) -> list[Road]:
        query = select(RoadRow).order_by(RoadRow.road_id)
        if kind is not None:
            query = query.where(RoadRow.kind == kind)
        out = []
        for r in self.session.scalars(query):
            coords = tuple((float(x), float(y)) for x, y in json.loads(r.geometry)["coordinates"])
            out.append(Road(r.road_id, r.kind, r.name, coords, r.length_km, r.synthetic, r.source))
        return out

    def road_sites(self, kind: str | None = None) -> list[RoadSite]:
        query = select(RoadSiteRow).order_by(RoadSiteRow.site_id)
        if kind is not None:
            query = query.where(RoadSiteRow.kind == kind)
        return [
            RoadSite(
                r.site_id,
                r.kind,
                r.name,
                r.road_id,
                r.county_code,
                r.lng,
                r.lat,
                r.parking_spaces,
                r.synthetic,
                r.source,
            )
            for r in self.session.scalars(query)
        ]

    def scenic_areas(self) -> list[ScenicArea]:
        return [
            ScenicArea(r.site_id, r.name, r.level, r.county_code, r.lng, r.lat, r.parking_spaces, r.synthetic, r.source)
            for r in self.session.scalars(select(ScenicAreaRow).order_by(ScenicAreaRow.site_id))
        ]

    def counts(self) -> dict[str, int]:
        return {
            name: int(self.session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (
                ("places", PlaceRow),
                ("region_stats", RegionStatRow),
                ("roads", RoadRow),
                ("road_sites", RoadSiteRow),
                ("scenic_areas", ScenicAreaRow),
            )
        }
