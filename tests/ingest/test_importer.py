"""Importing real layers and stations: every bad row named (row, field, value, reason), nothing half-loaded.

Reading is pure (files in tmp_path); the loads run on each backend through the unit of work.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon
from tests.conftest import NOW
from tests.networks import tree

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.layers import Place, Road, RoadSite, ScenicArea
from evinfra.ingest.importer import (
    COLUMNS,
    TOLERANCE_KM,
    ImportFileError,
    load_road_sites,
    load_roads,
    load_scenic_areas,
    load_stations,
    load_villages,
    other_kind_ids,
    read_road_sites,
    read_roads,
    read_scenic_areas,
    read_stations,
    read_villages,
)
from evinfra.ingest.services import register_operator
from evinfra.regions.coords import wgs84_to_gcj02
from evinfra.regions.divisions import shanxi
from evinfra.regions.geometry import counties

OP = "MA0123456"
SEAT = counties().seat("140105")  # 小店区 seat of government, inside 140105
FAR = counties().seat("140802")  # 盐湖区 (运城), ~300 km south
BEIJING = (116.397, 39.909)


def write_csv(path: Path, rows: list[dict[str, Any]], *, bom: bool = False) -> Path:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_geojson(path: Path, features: list[Any]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    return path


def feature(geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(lng: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lng, lat]}


def good(layer: str, i: int) -> dict[str, Any]:
    """The i-th valid row of each layer (all in 小店区)."""
    lng, lat = SEAT
    if layer == "villages":
        return {"code": f"14010500100{i + 1}", "name": f"村{i}", "lng": lng, "lat": lat}
    if layer == "road_sites":
        return {"site_id": f"HSA-{i}", "name": f"服务区{i}", "lng": lng, "lat": lat}
    if layer == "scenic_areas":
        return {"site_id": f"SCN-{i}", "name": f"景区{i}", "level": 4, "lng": lng, "lat": lat}
    s = f"S{i + 1}"
    return {
        "station_id": s, "station_name": f"站{s}", "area_code": "140105", "lng": lng, "lat": lat,
        "station_type": 1, "construction": 6, "equipment_id": f"{s}E1", "equipment_type": 1, "power_kw": 120,
        "connector_id": f"{s}E1C1", "connector_type": 4, "connector_power_kw": 120,
    }  # fmt: skip


READERS = {
    "villages": lambda p: read_villages(p),
    "road_sites": lambda p: read_road_sites(p, "highway_service_area", taken_ids={"TAKEN": "toll_station"}),
    "scenic_areas": lambda p: read_scenic_areas(p),
    "stations": lambda p: read_stations(p, OP),
}

# layer, overrides of the second row (CSV line 3), field named, part of the English reason, valid items left
CASES = [
    ("villages", {"code": "140105001999"}, "code", "not a Shanxi village code", 1),
    ("villages", {"code": "14010500100"}, "code", "12-digit", 1),
    ("villages", {"code": "140105001"}, "code", "is a township code", 1),  # bad level
    ("villages", {"code": "140105"}, "code", "is a county code", 1),
    ("villages", {"code": ""}, "code", "missing village code", 1),
    ("villages", {"code": "140105001001"}, "code", "duplicate code (first at line 2)", 1),
    ("villages", {"name": ""}, "name", "missing name", 1),
    ("villages", {"lat": "abc"}, "lat", "not a number", 1),
    ("villages", {"lng": ""}, "lng", "missing coordinate", 1),
    ("villages", {"lng": BEIJING[0], "lat": BEIJING[1]}, "lng/lat", "outside Shanxi", 1),
    ("villages", {"lng": SEAT[1], "lat": SEAT[0]}, "lng/lat", "swapped", 1),
    ("villages", {"lng": FAR[0], "lat": FAR[1]}, "lng/lat", "outside 140105 小店区", 1),
    ("villages", {"population": "-3"}, "population", "integer >= 0", 1),
    ("road_sites", {"site_id": "HSA-0"}, "site_id", "duplicate site_id", 1),
    ("road_sites", {"site_id": "TAKEN"}, "site_id", "already used by a toll_station site", 1),
    ("road_sites", {"kind": "gas_station"}, "kind", "unknown kind", 1),
    ("road_sites", {"kind": "rv_camp"}, "kind", "differs from --kind highway_service_area", 1),
    ("road_sites", {"county_code": "140199"}, "county_code", "not a Shanxi county-level", 1),
    ("road_sites", {"county_code": "140802"}, "lng/lat", "outside 140802", 1),
    ("road_sites", {"parking_spaces": "many"}, "parking_spaces", "integer >= 0", 1),
    ("road_sites", {"name": "   "}, "name", "missing name", 1),
    ("scenic_areas", {"level": "6"}, "level", "A-level must be 0-5", 1),
    ("scenic_areas", {"level": "-1"}, "level", "A-level must be 0-5", 1),
    ("scenic_areas", {"level": "top"}, "level", "bad A-level", 1),
    ("scenic_areas", {"level": ""}, "level", "missing A-level", 1),
    ("scenic_areas", {"site_id": "x" * 41}, "site_id", "longer than 40", 1),
    ("stations", {"area_code": "140199"}, "area_code", "an existing division code", 1),
    ("stations", {"area_code": "14010"}, "area_code", "6-digit GB/T 2260", 1),
    ("stations", {"area_code": "140802"}, "lng/lat", "outside 140802", 1),
    ("stations", {"station_type": "abc"}, "station_type", "must be an integer code", 1),
    ("stations", {"station_type": 7}, "station_type", "codes 1, 50", 1),
    ("stations", {"station_name": ""}, "station_name", "missing name", 1),
    ("stations", {"power_kw": 5000}, "power_kw", "<= 2000", 1),
    ("stations", {"connector_power_kw": "x"}, "connector_power_kw", "not a number", 1),
    ("stations", {"connector_id": "S1E1C1"}, "connector_id", "duplicate connector_id (first at line 2)", 1),
    ("stations", {"equipment_id": "S1E1"}, "equipment_id", "belongs to station S1", 1),
    ("stations", {"station_id": "S1", "station_name": "别名"}, "station_name", "differs from the same station", 0),
    (
        "stations",
        {"station_id": "S1", "station_name": "站S1", "equipment_id": "S1E1", "power_kw": 60},
        "power_kw",
        "same equipment",
        0,
    ),
    ("stations", {"lng": BEIJING[0], "lat": BEIJING[1]}, "lng/lat", "outside Shanxi", 1),
]


@pytest.mark.parametrize(
    ("layer", "bad", "field", "reason", "valid"), CASES, ids=[f"{c[0]}-{c[1]}"[:60] for c in CASES]
)
def test_each_error_names_the_csv_line_field_value_and_reason(tmp_path, layer, bad, field, reason, valid):
    rows = [good(layer, 0), {**good(layer, 1), **bad}]
    result = READERS[layer](write_csv(tmp_path / f"{layer}.csv", rows))
    assert [(e.row, e.field) for e in result.errors] == [(3, field)], result.errors
    error = result.errors[0]
    assert reason in error.reason_en
    assert error.reason and error.reason != error.reason_en  # zh-CN first, English beside it
    if field in bad:
        assert error.value == str(bad[field]).strip()
    assert len(result.valid_items) == valid
    assert result.rows == 2 and result.skipped_rows == 2 - valid


def test_valid_rows_become_real_layer_items_with_their_source(tmp_path):
    villages = read_villages(write_csv(tmp_path / "村.csv", [good("villages", 0) | {"population": "1200"}], bom=True))
    assert villages.ok and villages.format == "csv"
    assert villages.valid_items == [
        Place(
            "140105001001", "village", "村0", "居委会", "140105", *SEAT, 1200, synthetic=False, source="import:村.csv"
        )
    ]
    sites = read_road_sites(write_csv(tmp_path / "s.csv", [good("road_sites", 0)]), "highway_service_area")
    assert sites.valid_items == [
        RoadSite("HSA-0", "highway_service_area", "服务区0", None, "140105", *SEAT, 0, False, "import:s.csv")
    ]  # the county is located from the point
    scenic = read_scenic_areas(write_csv(tmp_path / "a.csv", [good("scenic_areas", 0) | {"level": "5A"}]))
    assert scenic.valid_items == [ScenicArea("SCN-0", "景区0", 5, "140105", *SEAT, 0, False, "import:a.csv")]


def test_csv_line_numbers_count_the_header_blank_lines_and_multiline_fields(tmp_path):
    lng, lat = SEAT
    path = tmp_path / "v.csv"
    path.write_text(
        f'code,name,lng,lat\n140105001001,"两行\n名称",{lng},{lat}\n\n140105001002,,{lng},{lat}\n', encoding="utf-8"
    )
    result = read_villages(path)
    assert [(e.row, e.field) for e in result.errors] == [(5, "name")]  # header 1, record 2–3, blank 4


def test_points_just_outside_a_simplified_boundary_are_tolerated(tmp_path):
    """A point 1 km east of 小店区's easternmost vertex is accepted (tolerance 2 km); 3 km is refused."""
    coords = shapely.get_coordinates(counties().polygon("140105"))
    lng, lat = coords[np.argmax(coords[:, 0])]
    km_per_degree_lng = 2 * math.pi * 6371.0088 / 360 * math.cos(math.radians(lat))
    rows = [
        {"code": "140105001001", "name": "近", "lng": lng + 1.0 / km_per_degree_lng, "lat": lat},
        {"code": "140105001002", "name": "远", "lng": lng + 3.0 / km_per_degree_lng, "lat": lat},
    ]
    result = read_villages(write_csv(tmp_path / "v.csv", rows))
    assert [p.name for p in result.valid_items] == ["近"]
    (error,) = result.errors
    assert error.row == 3 and f"{TOLERANCE_KM:g} km tolerance" in error.reason_en and "simplified" in error.reason_en
    assert "容差" in error.reason and "it lies in 1407" in error.reason_en  # east of 小店 is 晋中


def test_gcj02_coordinates_are_converted_to_wgs84(tmp_path):
    g_lng, g_lat = wgs84_to_gcj02(*SEAT)
    rows = [{"code": "140105001001", "name": "村", "lng": g_lng, "lat": g_lat}]
    converted = read_villages(write_csv(tmp_path / "v.csv", rows), crs="gcj02").valid_items[0]
    assert (converted.lng, converted.lat) == pytest.approx(SEAT, abs=1e-7)
    as_is = read_villages(tmp_path / "v.csv").valid_items[0]
    assert (as_is.lng, as_is.lat) == (g_lng, g_lat)  # ~550 m off: the CRS must be told
    geo = write_geojson(tmp_path / "v.geojson", [feature(point(g_lng, g_lat), code="140105001001", name="村")])
    converted = read_villages(geo, crs="gcj02").valid_items[0]
    assert (converted.lng, converted.lat) == pytest.approx(SEAT, abs=1e-7)
    with pytest.raises(ValueError, match="crs"):
        read_villages(geo, crs="bd09")


def test_geojson_villages_take_a_point_inside_polygons_and_number_rows_by_feature(tmp_path):
    lng, lat = SEAT
    d = 0.01  # a U open to the north: its centroid lies in the gap, outside the polygon
    u_shape = [
        (lng - d, lat - d), (lng + d, lat - d), (lng + d, lat + d), (lng + d / 2, lat + d),
        (lng + d / 2, lat - d / 2), (lng - d / 2, lat - d / 2), (lng - d / 2, lat + d), (lng - d, lat + d),
        (lng - d, lat - d),
    ]  # fmt: skip
    polygon = Polygon(u_shape)
    assert not polygon.contains(polygon.centroid)
    features = [
        feature(point(*SEAT), code=140105001001, name="点"),  # a code as a JSON number is read as text
        feature({"type": "Polygon", "coordinates": [[list(p) for p in u_shape]]}, code="140105001002", name="面"),
        feature(
            {"type": "MultiPolygon", "coordinates": [[[list(p) for p in u_shape]]]}, code="140105001003", name="多面"
        ),
        feature({"type": "LineString", "coordinates": [list(SEAT), [lng + d, lat]]}, code="140105001004", name="线"),
        feature(point("112.5", "37.7"), code="140105001005", name="字符串坐标"),
        feature(None, code="140105001006", name="无几何"),
        {"type": "Point", "coordinates": list(SEAT)},
        feature(point(*FAR), code="140105001007", name="远"),
    ]
    result = read_villages(write_geojson(tmp_path / "v.geojson", features))
    assert result.format == "geojson" and result.rows == 8
    assert [p.name for p in result.valid_items] == ["点", "面", "多面"]
    for place in result.valid_items[1:]:
        assert polygon.contains(Point(place.lng, place.lat))
    assert [(e.row, e.field) for e in result.errors] == [
        (3, "geometry.type"),
        (4, "geometry.coordinates"),
        (5, "geometry"),
        (6, "type"),
        (7, "geometry"),
    ]
    assert "Point / Polygon / MultiPolygon" in result.errors[0].reason_en
    assert "outside 140105" in result.errors[-1].reason_en


def test_roads_from_geojson_and_from_csv_vertices(tmp_path):
    lng, lat = SEAT
    features = [
        feature({"type": "LineString", "coordinates": [[lng, lat], [lng + 0.1, lat]]}, road_id="G5", name="京昆高速"),
        feature(  # two touching parts merge into one polyline
            {
                "type": "MultiLineString",
                "coordinates": [[[lng, lat], [lng, lat + 0.1]], [[lng, lat + 0.1], [lng, lat + 0.2]]],
            },
            road_id="G55",
            name="二广高速",
        ),
        feature({"type": "LineString", "coordinates": [list(BEIJING), [116.5, 39.9]]}, road_id="G1", name="京哈"),
        feature({"type": "LineString", "coordinates": [[lng, lat]]}, road_id="G2", name="一点"),
        feature({"type": "LineString", "coordinates": [[lng, lat], [lng + 0.1, lat]]}, road_id="G5", name="重复"),
        feature({"type": "LineString", "coordinates": [[lng, lat], [lng + 0.1, lat]]}, road_id="G20", name="青银"),
    ]
    result = read_roads(write_geojson(tmp_path / "r.geojson", features), "expressway", taken_ids={"G20": "trunk"})
    assert [r.road_id for r in result.valid_items] == ["G5", "G55"]
    g5, g55 = result.valid_items
    assert g5.length_km == pytest.approx(8.8, abs=0.1) and g5.source == "import:r.geojson" and not g5.synthetic
    assert g55.coords == ((lng, lat), (lng, lat + 0.1), (lng, lat + 0.2))
    assert g55.length_km == pytest.approx(22.2, abs=0.1)
    assert [(e.row, e.field) for e in result.errors] == [
        (2, "geometry"),
        (3, "geometry.coordinates"),
        (4, "road_id"),
        (5, "road_id"),
    ]
    assert "does not reach Shanxi" in result.errors[0].reason_en
    assert "duplicate road_id" in result.errors[2].reason_en
    assert "already used by a road of kind trunk" in result.errors[3].reason_en

    rows = [
        {"road_id": "黄河一号", "name": "黄河一号旅游公路", "lng": lng + 0.2, "lat": lat, "seq": 3},
        {"road_id": "黄河一号", "name": "", "lng": lng, "lat": lat, "seq": 1},
        {"road_id": "X1", "name": "短路", "lng": lng, "lat": lat, "seq": ""},
        {"road_id": "黄河一号", "name": "", "lng": lng + 0.1, "lat": lat, "seq": 2},
        {"road_id": "X2", "name": "坏点", "lng": lng, "lat": lat, "seq": ""},
        {"road_id": "X2", "name": "坏点", "lng": "east", "lat": lat, "seq": ""},
    ]
    result = read_roads(write_csv(tmp_path / "r.csv", rows), "tourist")
    (road,) = result.valid_items
    assert road == Road(
        "黄河一号", "tourist", "黄河一号旅游公路", ((lng, lat), (lng + 0.1, lat), (lng + 0.2, lat)),
        road.length_km, False, "import:r.csv",
    )  # fmt: skip
    assert [(e.row, e.field) for e in result.errors] == [(4, "geometry"), (7, "lng")]
    assert "at least 2 distinct points" in result.errors[0].reason_en
    assert result.rows == 6 and result.skipped_rows == 3  # X1 and both rows of X2


def test_stations_are_grouped_into_trees(tmp_path):
    rows = [
        good("stations", 0),
        good("stations", 0) | {"connector_id": "S1E1C2", "connector_power_kw": 60},
        good("stations", 0) | {"equipment_id": "S1E2", "equipment_type": 2, "power_kw": 7, "connector_id": "S1E2C1",
                               "connector_type": 3, "connector_power_kw": 7},
        good("stations", 1) | {"status": 6, "town_code": "140105001", "address": "坞城路 1 号"},
    ]  # fmt: skip
    result = read_stations(write_csv(tmp_path / "st.csv", rows), OP)
    assert result.ok, result.errors
    s1, s2 = result.valid_items
    assert [(e.equipment.equipment_id, len(e.connectors)) for e in s1.equipment] == [("S1E1", 2), ("S1E2", 1)]
    assert s1.station.location.lng == SEAT[0] and s1.station.synthetic is False
    assert int(s2.station.status) == 6 and s2.station.town_code == "140105001" and s2.station.address == "坞城路 1 号"
    with pytest.raises(DomainValidationError):
        read_stations(tmp_path / "st.csv", "bad")


def test_file_level_problems_raise_one_clear_error(tmp_path):
    missing = tmp_path / "m.csv"
    missing.write_text("code,name,lng\n140105001001,村,112.5\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="missing columns: lat") as err:
        read_villages(missing)
    assert "缺少列" in err.value.message and ", ".join(COLUMNS["villages"].required) in err.value.message_en
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("code,name,lng,lat\n140105001001,村,112.5,37.7\n".encode("gbk"))
    with pytest.raises(ImportFileError, match="not UTF-8"):
        read_villages(gbk)
    broken = tmp_path / "b.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(ImportFileError, match="not valid JSON"):
        read_villages(broken)
    not_fc = tmp_path / "f.json"
    not_fc.write_text(json.dumps(feature(point(*SEAT), code="140105001001", name="村")), encoding="utf-8")
    with pytest.raises(ImportFileError, match="FeatureCollection"):
        read_villages(not_fc)
    empty = tmp_path / "e.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ImportFileError, match="empty"):
        read_villages(empty)
    with pytest.raises(ValueError, match="kind"):
        read_roads(missing, "railway")


def test_csv_rows_with_extra_fields_are_refused(tmp_path):
    lng, lat = SEAT
    path = tmp_path / "v.csv"
    path.write_text(f"code,name,lng,lat\n140105001001,村,{lng},{lat},\n140105001002,村,{lng},{lat},9\n", "utf-8")
    result = read_villages(path)
    assert [(e.row, e.field) for e in result.errors] == [(3, "row")]  # a trailing empty cell is fine
    assert len(result.valid_items) == 1 and result.skipped_rows == 1


# --- loads, on each backend -----------------------------------------------------------------------------------------
def test_villages_replace_only_the_village_layer(uow_factory, tmp_path):
    township = Place("140105001", "township", "坞城街道", "街道", "140105", *SEAT, 52000)
    synthetic = Place("140105001003", "village", "八一", "居委会", "140105", *SEAT, 100)
    with uow_factory() as uow:
        uow.layers.replace_places([township, synthetic])
        uow.commit()
    result = read_villages(write_csv(tmp_path / "v.csv", [good("villages", 0), good("villages", 1)]))
    assert load_villages(result.valid_items, uow_factory()) == 2
    with uow_factory() as uow:
        assert uow.layers.places("township") == [township]
        villages = uow.layers.places("village")
    assert villages == result.valid_items
    assert all(not v.synthetic and v.source == "import:v.csv" for v in villages)


def test_roads_and_sites_replace_only_their_kind(uow_factory, tmp_path):
    lng, lat = SEAT
    trunk = Road("G108", "trunk", "国道108", ((lng, lat), (lng, lat + 0.1)), 11.1)
    toll = RoadSite("TOLL-1", "toll_station", "太原南收费站", "G5", "140105", lng, lat)
    with uow_factory() as uow:
        uow.layers.replace_roads([trunk, Road("G5", "expressway", "旧", ((lng, lat), (lng + 0.1, lat)), 8.8)])
        uow.layers.replace_road_sites([toll, RoadSite("HSA-9", "highway_service_area", "旧", None, None, lng, lat)])
        uow.layers.replace_scenic_areas([ScenicArea("SCN-9", "旧", 3, None, lng, lat)])
        uow.commit()
    assert other_kind_ids(uow_factory(), "roads", "expressway") == {"G108": "trunk"}
    assert other_kind_ids(uow_factory(), "road_sites", "highway_service_area") == {"TOLL-1": "toll_station"}
    rows = [
        {"road_id": "G5", "name": "京昆高速", "lng": lng, "lat": lat},
        {"road_id": "G5", "lng": lng + 0.2, "lat": lat},
    ]
    roads = read_roads(write_csv(tmp_path / "r.csv", rows), "expressway").valid_items
    sites = read_road_sites(write_csv(tmp_path / "s.csv", [good("road_sites", 0)]), "highway_service_area").valid_items
    scenic = read_scenic_areas(write_csv(tmp_path / "a.csv", [good("scenic_areas", 0)])).valid_items
    assert load_roads(roads, "expressway", uow_factory()) == 1
    assert load_road_sites(sites, "highway_service_area", uow_factory()) == 1
    assert load_scenic_areas(scenic, uow_factory()) == 1
    with uow_factory() as uow:
        assert uow.layers.roads() == [trunk, roads[0]]  # by road_id
        assert uow.layers.road_sites() == [sites[0], toll]
        assert uow.layers.scenic_areas() == scenic
    with pytest.raises(ValueError, match="kind"):
        load_roads(roads, "trunk", uow_factory())


def test_stations_load_as_trees_in_one_transaction(uow_factory, operator, tmp_path):
    register_operator(operator, uow_factory(), NOW)
    rows = [good("stations", 0), good("stations", 0) | {"connector_id": "S1E1C2"}, good("stations", 1)]
    trees = read_stations(write_csv(tmp_path / "st.csv", rows), OP).valid_items
    assert load_stations(trees, uow_factory(), NOW, shanxi()) == 2
    with uow_factory() as uow:
        assert uow.network.get_tree(OP, "S1") == trees[0]
        assert len(uow.network.get_tree(OP, "S2").connectors) == 1
    # a tree the store refuses (a county that does not exist) rolls back the trees saved before it
    new = read_stations(write_csv(tmp_path / "st3.csv", [good("stations", 2)]), OP).valid_items
    with pytest.raises(DomainValidationError) as err:
        load_stations([*new, tree("X", 1, area_code="140199")], uow_factory(), NOW, shanxi())
    assert err.value.field == "area_code"
    with uow_factory() as uow:
        assert uow.network.get_tree(OP, "S3") is None


def test_stations_for_an_unregistered_operator_are_refused_and_nothing_is_written(uow_factory, tmp_path):
    trees = read_stations(write_csv(tmp_path / "st.csv", [good("stations", 0)]), OP).valid_items
    with pytest.raises(DomainValidationError) as err:
        load_stations(trees, uow_factory(), NOW, shanxi())
    assert err.value.field == "operator_id"
    with uow_factory() as uow:
        assert uow.network.get_tree(OP, "S1") is None
