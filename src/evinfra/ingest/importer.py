"""Import real map layers and stations from GeoJSON or CSV, with one clear error per bad row.

The reference scenario synthesises the layers no public source has (village points, roads, service
areas, scenic areas, stations); a user who has real ones loads them here. Two steps, so that the CLI
and the tests share them:

* ``read_*`` parse and validate a file and return :class:`ImportResult` (the valid items and a
  :class:`RowError` per problem). Pure: reads the file and the bundled region data, writes nothing.
* ``load_*`` write valid items in one transaction of the unit of work: villages replace the
  village places (townships are kept), roads and road sites replace the rows of their kind, scenic
  areas replace the layer, stations are saved through :func:`evinfra.ingest.services.add_station`.

Rows are numbered as the user sees them: CSV by line number including the header (first data row =
2), GeoJSON by the 0-based index into ``features``. Coordinates are WGS-84 unless ``crs="gcj02"``
(AMap/Tencent exports), then converted. Boundaries are simplified (~100 vertices per county), so a point
may lie up to :data:`TOLERANCE_KM` outside its county or the province before it is refused.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from evinfra.domain.connector import Connector
from evinfra.domain.equipment import Equipment
from evinfra.domain.errors import DomainValidationError
from evinfra.domain.geo import GeoPoint
from evinfra.domain.layers import SITE_KINDS, Place, Road, RoadSite, ScenicArea
from evinfra.domain.network import EquipmentTree, StationTree
from evinfra.domain.operator import OPERATOR_ID
from evinfra.domain.region import RegionCatalog, check_area_code, check_town_code
from evinfra.domain.station import Station, StationStatus
from evinfra.domain.validation import pattern
from evinfra.ingest.services import add_station
from evinfra.regions.coords import gcj02_to_wgs84
from evinfra.regions.distance import EARTH_RADIUS_KM, haversine_km
from evinfra.regions.divisions import DivisionCatalog, shanxi
from evinfra.regions.geometry import cities, counties, province
from evinfra.store.rows.layers import ROAD_KINDS
from evinfra.store.uow import SqlUnitOfWork

__all__ = [
    "COLUMNS",
    "CRS_CHOICES",
    "ROAD_KINDS",
    "SITE_KINDS",
    "TOLERANCE_KM",
    "Columns",
    "ImportFileError",
    "ImportResult",
    "RowError",
    "load_road_sites",
    "load_roads",
    "load_scenic_areas",
    "load_stations",
    "load_villages",
    "other_kind_ids",
    "read_road_sites",
    "read_roads",
    "read_scenic_areas",
    "read_stations",
    "read_villages",
]

T = TypeVar("T")

TOLERANCE_KM = 2.0  # how far outside a simplified boundary a point may lie and still count as inside
CRS_CHOICES = ("wgs84", "gcj02")
_KM_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_KM / 360
_VILLAGE_CODE = re.compile(r"\d{12}")
_ALIASES = {"lon": "lng", "longitude": "lng", "经度": "lng", "latitude": "lat", "纬度": "lat"}
_LEVEL_NAMES = {"province": "省", "city": "市", "county": "县", "township": "乡镇", "village": "村"}


# --- results -------------------------------------------------------------------------------------------
class ImportFileError(ValueError):
    """The file as a whole cannot be read (not UTF-8, not JSON, a required column missing …)."""

    def __init__(self, message: str, message_en: str) -> None:
        self.message = message
        self.message_en = message_en
        super().__init__(f"{message} / {message_en}")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row: ``row`` is the CSV line number (header = 1) or the GeoJSON feature index."""

    row: int
    field: str
    value: str
    reason: str  # zh-CN
    reason_en: str


@dataclass(frozen=True, slots=True)
class ImportResult(Generic[T]):
    valid_items: list[T]
    errors: list[RowError]
    rows: int = 0  # data rows (CSV) or features (GeoJSON) read
    skipped_rows: int = 0  # rows not part of any valid item (a station or road with one bad row is skipped whole)
    format: str = "csv"  # csv / geojson

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class Columns:
    """CSV columns (and GeoJSON properties, less lng/lat) of one layer."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


_STATION_REQUIRED = (
    "station_id", "station_name", "area_code", "lng", "lat", "station_type", "construction",
    "equipment_id", "equipment_type", "power_kw", "connector_id", "connector_type", "connector_power_kw",
)  # fmt: skip
COLUMNS: Mapping[str, Columns] = {
    "villages": Columns(("code", "name", "lng", "lat"), ("population",)),
    "roads": Columns(("road_id", "name", "lng", "lat"), ("seq", "kind")),
    "road_sites": Columns(("site_id", "name", "lng", "lat"), ("kind", "road_id", "county_code", "parking_spaces")),
    "scenic_areas": Columns(("site_id", "name", "level", "lng", "lat"), ("county_code", "parking_spaces")),
    "stations": Columns(_STATION_REQUIRED, ("status", "address", "town_code", "site_category", "site_id")),
}


# --- reading files -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Record:
    row: int
    props: dict[str, Any]
    geometry: Any  # the GeoJSON geometry member; None for CSV (lng/lat are columns)
    fmt: str

    def get(self, key: str) -> Any:
        return self.props.get(key)


def _key(name: object) -> str:
    k = str(name).strip().lower()
    return _ALIASES.get(k, k)


def _read(path: Path, columns: Columns) -> tuple[str, list[_Record], list[RowError]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"文件不是 UTF-8 编码（第 {exc.start} 字节）；Excel 请另存为“CSV UTF-8”",
            f"the file is not UTF-8 (byte {exc.start}); in Excel save as 'CSV UTF-8'",
        ) from None
    suffix = path.suffix.lower()
    geojson = suffix in (".geojson", ".json") or (suffix != ".csv" and text.lstrip().startswith("{"))
    if geojson:
        return ("geojson", *_geojson_records(text))
    return ("csv", *_csv_records(text, columns))


def _geojson_records(text: str) -> tuple[list[_Record], list[RowError]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）",
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
        ) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise ImportFileError("须为 GeoJSON FeatureCollection", "a GeoJSON FeatureCollection is required")
    records: list[_Record] = []
    errors: list[RowError] = []
    for i, feature in enumerate(doc["features"]):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(RowError(i, "type", _show(feature), "不是 GeoJSON Feature", "not a GeoJSON Feature"))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            errors.append(RowError(i, "properties", _show(props), "须为对象", "must be an object"))
            continue
        records.append(_Record(i, {_key(k): v for k, v in props.items()}, feature.get("geometry"), "geojson"))
    return records, errors


def _csv_records(text: str, columns: Columns) -> tuple[list[_Record], list[RowError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise ImportFileError("文件为空或缺少表头", "the file is empty or has no header row")
        names = [_key(h) for h in header]
        duplicated = sorted({n for n in names if n and names.count(n) > 1})
        if duplicated:
            raise ImportFileError(
                f"表头有重复列：{', '.join(duplicated)}", f"duplicate columns: {', '.join(duplicated)}"
            )
        missing = [c for c in columns.required if c not in names]
        if missing:
            expected = ", ".join(columns.required)
            optional = ", ".join(columns.optional) or "-"
            raise ImportFileError(
                f"缺少列：{', '.join(missing)}（必需列：{expected}；可选列：{optional}）",
                f"missing columns: {', '.join(missing)} (required: {expected}; optional: {optional})",
            )
        records: list[_Record] = []
        errors: list[RowError] = []
        last = reader.line_num
        for cells in reader:
            row, last = last + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            extra = [c for c in cells[len(names) :] if c.strip()]
            if extra:
                errors.append(
                    RowError(
                        row,
                        "row",
                        ",".join(cells),
                        f"有 {len(cells)} 个字段，表头只有 {len(names)} 列",
                        f"{len(cells)} fields but the header has {len(names)} columns",
                    )
                )
                continue
            props = {n: c.strip() for n, c in zip(names, cells, strict=False) if n}
            records.append(_Record(row, props, None, "csv"))
    except csv.Error as exc:
        raise ImportFileError(
            f"CSV 格式错误（第 {reader.line_num} 行）：{exc}", f"malformed CSV (line {reader.line_num}): {exc}"
        ) from None
    return records, errors


# --- values ---------------------------------------------------------------------------------------------
def _show(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "…"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _float(value: object) -> float | None:
    """A finite number from a JSON number or a CSV string; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _int(value: object) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number.is_integer() else None


def _json_number(value: object) -> float | None:
    """GeoJSON coordinates must be JSON numbers (a string is an error even if it looks like one)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _scenic_level(value: object) -> int | None:
    """0–5, or 1A–5A / A–AAAAA as written in Chinese lists; None if it is not a level at all."""
    number = _int(value)
    if number is not None:
        return number
    text = _text(value).upper().removesuffix("级").removesuffix("景区")
    if m := re.fullmatch(r"([0-9])A", text):
        return int(m.group(1))
    if re.fullmatch(r"A+", text):
        return len(text)
    return None


class _BadCoordinates(ValueError):
    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(_show(value))


Convert = Callable[[float, float], tuple[float, float]]


def _identity(lng: float, lat: float) -> tuple[float, float]:
    return lng, lat


def _position(p: object, convert: Convert) -> tuple[float, float]:
    if not isinstance(p, list | tuple) or len(p) < 2:
        raise _BadCoordinates(p)
    lng, lat = _json_number(p[0]), _json_number(p[1])
    if lng is None or lat is None:
        raise _BadCoordinates(p)
    return convert(lng, lat)


def _positions(c: object, convert: Convert, minimum: int) -> list[tuple[float, float]]:
    if not isinstance(c, list) or len(c) < minimum:
        raise _BadCoordinates(c)
    return [_position(p, convert) for p in c]


def _polygon(c: object, convert: Convert) -> Polygon:
    if not isinstance(c, list) or not c:
        raise _BadCoordinates(c)
    rings = [_positions(r, convert, 4) for r in c]
    return Polygon(rings[0], rings[1:])


def _lines(c: object, convert: Convert) -> list[list[tuple[float, float]]]:
    if not isinstance(c, list) or not c:
        raise _BadCoordinates(c)
    return [_positions(line, convert, 2) for line in c]


def _path_km(coords: Sequence[tuple[float, float]]) -> float:
    a = np.asarray(coords, dtype=float)
    return float(haversine_km(a[:-1, 0], a[:-1, 1], a[1:, 0], a[1:, 1]).sum())


def _polyline(parts: Sequence[Sequence[tuple[float, float]]]) -> tuple[tuple[tuple[float, float], ...], float]:
    """One polyline from the parts of a MultiLineString, and the length of the parts [km].

    Parts that touch are merged; the rest are chained by nearest end, so the gaps between them become
    straight segments of the polyline but do not count in ``length_km``.
    """
    length = sum(_path_km(p) for p in parts)
    merged = shapely.line_merge(MultiLineString([list(p) for p in parts])) if len(parts) > 1 else LineString(parts[0])
    if isinstance(merged, LineString):
        return tuple((float(x), float(y)) for x, y, *_ in merged.coords), length
    pieces = [[(float(x), float(y)) for x, y, *_ in g.coords] for g in merged.geoms]
    chain = pieces.pop(0)

    def gap(a: tuple[float, float], b: tuple[float, float]) -> float:
        return math.hypot(a[0] - b[0], a[1] - b[1])

    while pieces:
        end = chain[-1]
        best = min(range(len(pieces)), key=lambda i: min(gap(end, pieces[i][0]), gap(end, pieces[i][-1])))
        piece = pieces.pop(best)
        if gap(end, piece[-1]) < gap(end, piece[0]):
            piece.reverse()
        chain.extend(piece)
    return tuple(chain), length


# --- geography ------------------------------------------------------------------------------------------
class _Geography:
    """Is a point in Shanxi, in a given county? Distances [km] on a local equirectangular projection."""

    def __init__(self, catalog: DivisionCatalog, tolerance_km: float) -> None:
        self.catalog = catalog
        self.tolerance_km = tolerance_km
        self._projected: dict[str, tuple[BaseGeometry, float]] = {}
        self._official = set(counties().codes)

    def label(self, code: str) -> str:
        division = self.catalog.get(code)
        return f"{code} {division.name}" if division else code

    def area(self, code: str) -> tuple[str, BaseGeometry] | None:
        """The polygon that ``code`` (province, city, county; a township or village by its county) names."""
        division = self.catalog.get(code)
        if division is None:
            return None
        if division.level in ("township", "village"):
            return self.area(code[:6])
        if division.level == "province":
            return code, province()
        if division.level == "city":
            return code, cities().polygon(code)
        if code in self._official:
            return code, counties().polygon(code)
        return (division.parent, cities().polygon(division.parent)) if division.parent else None  # statistical zone

    def _distance_km(self, key: str, geom: BaseGeometry, other: BaseGeometry) -> float:
        if key not in self._projected:
            scale = math.cos(math.radians(geom.centroid.y))
            shapely.prepare(geom)
            self._projected[key] = (_squash(geom, scale), scale)
        if isinstance(other, Point) and shapely.contains_xy(geom, other.x, other.y):
            return 0.0
        projected, scale = self._projected[key]
        return float(shapely.distance(projected, _squash(other, scale))) * _KM_PER_DEGREE

    def county_at(self, lng: float, lat: float) -> str | None:
        found = counties().locate(np.array([lng]), np.array([lat]))[0]
        return None if found is None else str(found)

    def point_problem(self, lng: float, lat: float, code: str | None) -> tuple[str, str] | None:
        """None if the point lies in Shanxi (and in ``code``'s area) within the tolerance, else (zh, en)."""
        tol = self.tolerance_km
        point = Point(lng, lat)
        area = self.area(code) if code else None
        if area is not None and self._distance_km(area[0], area[1], point) <= tol:
            return None
        outside = self._distance_km("14", province(), point)
        where = f"WGS-84 ({lng:.6f}, {lat:.6f})"
        if outside > tol:
            swapped = self._distance_km("14", province(), Point(lat, lng)) <= tol
            hint, hint_en = ("；经纬度是否颠倒？", "; are lng and lat swapped?") if swapped else ("", "")
            far = f"{outside:.1f}" if outside < 1000 else "> 1000"
            return (
                f"点 {where} 在山西省外 {far} km（容差 {tol:g} km）{hint}",
                f"point {where} is {far} km outside Shanxi (tolerance {tol:g} km){hint_en}",
            )
        if area is None or code is None:
            return None
        name = self.label(code[:6] if len(code) > 6 else code)
        here = self.county_at(lng, lat)
        found, found_en = (f"；该点位于 {self.label(here)}", f"; it lies in {self.label(here)}") if here else ("", "")
        distance = self._distance_km(area[0], area[1], point)
        return (
            f"点 {where} 在 {name} 界外 {distance:.1f} km，超出 {tol:g} km 容差"
            f"（边界经简化，故允许 {tol:g} km）{found}",
            f"point {where} is {distance:.1f} km outside {name}, beyond the {tol:g} km tolerance "
            f"allowed for the simplified boundaries{found_en}",
        )

    def line_outside_km(self, coords: Sequence[tuple[float, float]]) -> float:
        return self._distance_km("14", province(), LineString(coords))


def _squash(geom: BaseGeometry, scale: float) -> BaseGeometry:
    def scale_lng(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(xy * np.array([scale, 1.0]), dtype=float)

    return shapely.transform(geom, scale_lng)


# --- validation context ---------------------------------------------------------------------------------
class _Context:
    """One file being validated: its records, the errors so far, the CRS conversion and the geography."""

    def __init__(
        self,
        path: Path,
        layer: str,
        crs: str,
        catalog: DivisionCatalog | None,
        tolerance_km: float,
    ) -> None:
        if crs not in CRS_CHOICES:
            raise ValueError(f"crs must be one of {CRS_CHOICES}, not {crs!r}")
        self.fmt, self.records, self.errors = _read(path, COLUMNS[layer])
        self.rows = len(self.records) + len(self.errors)
        self.source = f"import:{path.name}"[:200]
        self.convert: Convert = gcj02_to_wgs84 if crs == "gcj02" else _identity
        self.catalog = catalog or shanxi()
        self.geo = _Geography(self.catalog, tolerance_km)
        self.bad_rows: set[int] = {e.row for e in self.errors}

    def error(self, rec: _Record, name: str, value: object, reason: str, reason_en: str) -> None:
        self.errors.append(RowError(rec.row, name, _show(value), reason, reason_en))
        self.bad_rows.add(rec.row)

    def domain_error(self, rec: _Record, exc: DomainValidationError, rename: Mapping[str, str] | None = None) -> None:
        name = (rename or {}).get(exc.field, exc.field)
        value = rec.get(name) if name in rec.props else exc.value  # as the user wrote it (5000, not 5000.0)
        self.error(rec, name, value, f"无效：允许 {exc.allowed}", f"invalid: allowed {exc.allowed_en}")

    def where(self, row: int) -> tuple[str, str]:
        if self.fmt == "csv":
            return f"第 {row} 行", f"line {row}"
        return f"features[{row}]", f"features[{row}]"

    def duplicate(self, rec: _Record, name: str, value: str, first: int, what: str = "") -> None:
        zh, en = self.where(first)
        self.error(
            rec, name, value, f"{what or name} 重复（首次出现于{zh}）", f"duplicate {what or name} (first at {en})"
        )

    def result(self, items: list[T], represented_rows: int) -> ImportResult[T]:
        errors = sorted(self.errors, key=lambda e: e.row)
        return ImportResult(items, errors, self.rows, self.rows - represented_rows, self.fmt)

    # --- fields
    def required(self, rec: _Record, name: str, max_len: int, what: str = "", what_en: str = "") -> str:
        value = _text(rec.get(name))
        if not value:
            self.error(rec, name, rec.get(name), f"缺少{what or name}", f"missing {what_en or name}")
        elif len(value) > max_len:
            self.error(rec, name, value, f"超过 {max_len} 个字符", f"longer than {max_len} characters")
        return value

    def name(self, rec: _Record, key: str = "name", max_len: int = 100) -> str:
        return self.required(rec, key, max_len, "名称", "name")

    def optional_text(self, rec: _Record, name: str, max_len: int) -> str | None:
        value = _text(rec.get(name))
        if len(value) > max_len:
            self.error(rec, name, value, f"超过 {max_len} 个字符", f"longer than {max_len} characters")
        return value or None

    def count(self, rec: _Record, name: str) -> int:
        raw = rec.get(name)
        if _text(raw) == "":
            return 0
        value = _int(raw)
        if value is None or value < 0:
            self.error(rec, name, raw, "须为 ≥ 0 的整数", "must be an integer >= 0")
            return 0
        return value

    def code(self, rec: _Record, name: str, default: int | None = None) -> int | None:
        """An integer code (station_type …); the domain then says whether the code exists."""
        raw = rec.get(name)
        if _text(raw) == "" and default is not None:
            return default
        value = _int(raw)
        if value is None:
            missing = _text(raw) == ""
            self.error(
                rec,
                name,
                raw,
                "缺少代码" if missing else "须为整数代码",
                "missing code" if missing else "must be an integer code",
            )
        return value

    def number(self, rec: _Record, name: str) -> float | None:
        raw = rec.get(name)
        value = _float(raw)
        if value is None:
            missing = _text(raw) == ""
            self.error(
                rec, name, raw, "缺少数值" if missing else "须为数值", "missing number" if missing else "not a number"
            )
        return value

    def kind_column(self, rec: _Record, kind: str, allowed: Sequence[str]) -> None:
        """A ``kind`` column is optional; when filled it must be known and equal the --kind of the import."""
        value = _text(rec.get("kind"))
        if not value:
            return
        if value not in allowed:
            self.error(
                rec,
                "kind",
                value,
                f"未知类型：允许 {', '.join(allowed)}",
                f"unknown kind: allowed {', '.join(allowed)}",
            )
        elif value != kind:
            self.error(rec, "kind", value, f"与 --kind {kind} 不一致", f"differs from --kind {kind}")

    def county(self, rec: _Record, name: str = "county_code") -> tuple[str | None, bool]:
        """An optional county-level code: (code, ok)."""
        code = _text(rec.get(name))
        if not code:
            return None, True
        division = self.catalog.get(code)
        if division is None or division.level != "county":
            self.error(
                rec,
                name,
                code,
                "不是山西的县级行政区划代码（NBS 2023）",
                "not a Shanxi county-level division code (NBS 2023)",
            )
            return None, False
        return code, True

    # --- geometry
    def vertex(self, rec: _Record) -> tuple[float, float] | None:
        """The lng/lat columns of a CSV row, in WGS-84."""
        values = []
        for name in ("lng", "lat"):
            raw = rec.get(name)
            value = _float(raw)
            if value is None:
                missing = _text(raw) == ""
                self.error(
                    rec,
                    name,
                    raw,
                    "缺少坐标" if missing else "坐标不是数值",
                    "missing coordinate" if missing else "coordinate is not a number",
                )
            values.append(value)
        lng, lat = values
        if lng is None or lat is None:
            return None
        return self.convert(lng, lat)

    def geometry(self, rec: _Record, allowed: Sequence[str]) -> tuple[str, Any] | None:
        """The GeoJSON geometry's type and coordinates, if of an allowed type."""
        g = rec.geometry
        kinds = " / ".join(allowed)
        if not isinstance(g, dict):
            self.error(rec, "geometry", g, f"缺少几何（须为 {kinds}）", f"missing geometry ({kinds} required)")
            return None
        if g.get("type") not in allowed:
            self.error(rec, "geometry.type", g.get("type"), f"须为 {kinds}", f"must be {kinds}")
            return None
        return str(g["type"]), g.get("coordinates")

    def bad_coordinates(self, rec: _Record, exc: _BadCoordinates) -> None:
        self.error(
            rec,
            "geometry.coordinates",
            exc.value,
            "坐标无效（须为 [经度, 纬度] 数值，线至少 2 点、环至少 4 点）",
            "invalid coordinates ([lng, lat] numbers; lines need 2+ points, rings 4+)",
        )

    def point(self, rec: _Record, *, area_code: str | None, polygons: bool = False) -> tuple[float, float] | None:
        """The row's WGS-84 point (for a polygon: a representative point inside it), checked against Shanxi
        and, when ``area_code`` is given, against that division."""
        if rec.fmt == "csv":
            vertex = self.vertex(rec)
            if vertex is None:
                return None
            lng, lat = vertex
            name, shown = "lng/lat", f"{_text(rec.get('lng'))},{_text(rec.get('lat'))}"
        else:
            allowed = ("Point", "Polygon", "MultiPolygon") if polygons else ("Point",)
            found = self.geometry(rec, allowed)
            if found is None:
                return None
            kind, c = found
            try:
                if kind == "Point":
                    lng, lat = _position(c, self.convert)
                else:
                    polys = [_polygon(c, self.convert)] if kind == "Polygon" else [_polygon(p, self.convert) for p in c]
                    inside = shapely.make_valid(MultiPolygon(polys)).representative_point()
                    if inside.is_empty:
                        raise _BadCoordinates(c)
                    lng, lat = float(inside.x), float(inside.y)
            except (ValueError, TypeError, shapely.errors.GEOSException):
                self.bad_coordinates(rec, _BadCoordinates(c))
                return None
            name, shown = "geometry", c if kind == "Point" else f"{kind} → ({lng:.6f}, {lat:.6f})"
        problem = self.geo.point_problem(lng, lat, area_code)
        if problem is not None:
            self.error(rec, name, shown, *problem)
            return None
        return lng, lat


# --- villages -------------------------------------------------------------------------------------------
def read_villages(
    path: Path, *, crs: str = "wgs84", catalog: DivisionCatalog | None = None, tolerance_km: float = TOLERANCE_KM
) -> ImportResult[Place]:
    """Village points: ``code`` (12-digit NBS village code), ``name``, point, optional ``population``.

    GeoJSON villages may be Polygon/MultiPolygon: the point is a representative point inside the polygon.
    """
    ctx = _Context(path, "villages", crs, catalog, tolerance_km)
    seen: dict[str, int] = {}
    items: list[Place] = []
    for rec in ctx.records:
        code = _text(rec.get("code"))
        division = ctx.catalog.get(code) if code else None
        if not code:
            ctx.error(rec, "code", rec.get("code"), "缺少村级代码", "missing village code")
        elif division is not None and division.level != "village":
            level = _LEVEL_NAMES.get(division.level, division.level)
            ctx.error(
                rec,
                "code",
                code,
                f"是{level}级代码（{division.name}），须为 12 位村级统计用区划代码",
                f"is a {division.level} code ({division.name}); a 12-digit village code is required",
            )
            division = None
        elif not _VILLAGE_CODE.fullmatch(code):
            ctx.error(rec, "code", code, "须为 12 位村级统计用区划代码", "must be a 12-digit NBS village code")
        elif division is None:
            ctx.error(rec, "code", code, "NBS 2023 山西村级代码中没有此代码", "not a Shanxi village code in NBS 2023")
        if code and code in seen:
            ctx.duplicate(rec, "code", code, seen[code])
        elif code:
            seen[code] = rec.row
        name = ctx.name(rec)
        population = ctx.count(rec, "population")
        point = ctx.point(rec, area_code=code[:6] if division else None, polygons=True)
        if rec.row not in ctx.bad_rows and division is not None and point is not None:
            lng, lat = point
            items.append(Place(code, "village", name, division.kind, code[:6], lng, lat, population, False, ctx.source))
    return ctx.result(items, len(items))


# --- roads ----------------------------------------------------------------------------------------------
def _check_kind(kind: str, allowed: Sequence[str]) -> None:
    if kind not in allowed:
        raise ValueError(f"kind must be one of {', '.join(allowed)}, not {kind!r}")


@dataclass
class _RoadRows:
    first: _Record
    name: str = ""
    name_row: int = 0
    vertices: list[tuple[int | None, tuple[float, float]]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    seqs: dict[int, int] = field(default_factory=dict)


def read_roads(
    path: Path,
    kind: str,
    *,
    crs: str = "wgs84",
    taken_ids: Mapping[str, str] | None = None,
    catalog: DivisionCatalog | None = None,
    tolerance_km: float = TOLERANCE_KM,
) -> ImportResult[Road]:
    """Roads of one ``kind``: ``road_id``, ``name`` and a polyline.

    GeoJSON: one LineString/MultiLineString feature per road. CSV: one row per vertex, grouped by
    ``road_id`` in file order (or by the optional ``seq`` column). ``taken_ids`` maps ids already used by
    roads of other kinds to their kind: the table's key is the id alone.
    """
    _check_kind(kind, ROAD_KINDS)
    ctx = _Context(path, "roads", crs, catalog, tolerance_km)
    taken = taken_ids or {}
    items: list[Road] = []
    represented = 0

    def finish(rec: _Record, road_id: str, name: str, parts: list[list[tuple[float, float]]]) -> Road | None:
        if road_id in taken:
            ctx.error(
                rec,
                "road_id",
                road_id,
                f"已被 {taken[road_id]} 类道路使用",
                f"already used by a road of kind {taken[road_id]}",
            )
        if len({p for part in parts for p in part}) < 2:
            ctx.error(
                rec, "geometry", len(parts), "道路至少需要 2 个不同的点", "a road needs at least 2 distinct points"
            )
            return None
        coords, length = _polyline(parts)
        outside = ctx.geo.line_outside_km(coords)
        if outside > ctx.geo.tolerance_km:
            ctx.error(
                rec,
                "geometry",
                f"{coords[0][0]:.6f},{coords[0][1]:.6f} …",
                f"道路不经过山西（距省界 {outside:.1f} km，容差 {ctx.geo.tolerance_km:g} km）",
                f"the road does not reach Shanxi ({outside:.1f} km away, tolerance {ctx.geo.tolerance_km:g} km)",
            )
            return None
        return Road(road_id, kind, name, coords, round(length, 3), False, ctx.source)

    if ctx.fmt == "geojson":
        seen: dict[str, int] = {}
        for rec in ctx.records:
            road_id = ctx.required(rec, "road_id", 40)
            if road_id in seen:
                ctx.duplicate(rec, "road_id", road_id, seen[road_id])
            elif road_id:
                seen[road_id] = rec.row
            name = ctx.name(rec)
            ctx.kind_column(rec, kind, ROAD_KINDS)
            found = ctx.geometry(rec, ("LineString", "MultiLineString"))
            parts: list[list[tuple[float, float]]] | None = None
            if found is not None:
                try:
                    if found[0] == "LineString":
                        parts = [_positions(found[1], ctx.convert, 2)]
                    else:
                        parts = _lines(found[1], ctx.convert)
                except _BadCoordinates as exc:
                    ctx.bad_coordinates(rec, exc)
            if parts is None or rec.row in ctx.bad_rows:
                continue
            road = finish(rec, road_id, name, parts)
            if road is not None and rec.row not in ctx.bad_rows:
                items.append(road)
                represented += 1
        return ctx.result(items, represented)

    groups: dict[str, _RoadRows] = {}
    for rec in ctx.records:
        road_id = ctx.required(rec, "road_id", 40)
        ctx.kind_column(rec, kind, ROAD_KINDS)
        vertex = ctx.vertex(rec)
        if not road_id:
            continue
        group = groups.setdefault(road_id, _RoadRows(rec))
        group.rows.append(rec.row)
        name = _text(rec.get("name"))
        if name and not group.name:
            group.name, group.name_row = name, rec.row
        elif name and name != group.name:
            zh, en = ctx.where(group.name_row)
            ctx.error(
                rec, "name", name, f"与同一道路{zh}的名称不一致", f"differs from the name of the same road at {en}"
            )
        seq: int | None = None
        if _text(rec.get("seq")):
            seq = _int(rec.get("seq"))
            if seq is None:
                ctx.error(rec, "seq", rec.get("seq"), "须为整数", "must be an integer")
            elif seq in group.seqs:
                ctx.duplicate(rec, "seq", str(seq), group.seqs[seq])
            else:
                group.seqs[seq] = rec.row
        if vertex is not None:
            group.vertices.append((seq, vertex))
    for road_id, group in groups.items():
        if not group.name:
            ctx.name(group.first)  # reports the missing name at the road's first row
        if any(r in ctx.bad_rows for r in group.rows):
            continue
        if group.seqs and len(group.seqs) != len(group.rows):
            ctx.error(
                group.first,
                "seq",
                "",
                "同一道路的 seq 须全部填写或全部留空",
                "fill seq for every row of a road or none",
            )
            continue
        vertices = sorted(group.vertices, key=lambda sv: sv[0] or 0) if group.seqs else group.vertices
        ordered = [v for _, v in vertices]
        road = finish(group.first, road_id, group.name, [ordered])
        if road is not None and not any(r in ctx.bad_rows for r in group.rows):
            items.append(road)
            represented += len(group.rows)
    return ctx.result(items, represented)


# --- road sites and scenic areas ------------------------------------------------------------------------
def read_road_sites(
    path: Path,
    kind: str,
    *,
    crs: str = "wgs84",
    taken_ids: Mapping[str, str] | None = None,
    catalog: DivisionCatalog | None = None,
    tolerance_km: float = TOLERANCE_KM,
) -> ImportResult[RoadSite]:
    """Sites of one ``kind`` (one of SITE_KINDS): ``site_id``, ``name``, point; optional ``kind``, ``road_id``,
    ``county_code`` (else located from the point), ``parking_spaces``."""
    _check_kind(kind, SITE_KINDS)
    ctx = _Context(path, "road_sites", crs, catalog, tolerance_km)
    taken = taken_ids or {}
    seen: dict[str, int] = {}
    items: list[RoadSite] = []
    for rec in ctx.records:
        site_id = ctx.required(rec, "site_id", 40)
        if site_id in seen:
            ctx.duplicate(rec, "site_id", site_id, seen[site_id])
        elif site_id:
            seen[site_id] = rec.row
            if site_id in taken:
                ctx.error(
                    rec,
                    "site_id",
                    site_id,
                    f"已被 {taken[site_id]} 类站点使用",
                    f"already used by a {taken[site_id]} site",
                )
        name = ctx.name(rec)
        ctx.kind_column(rec, kind, SITE_KINDS)
        road_id = ctx.optional_text(rec, "road_id", 40)
        county_code, _ = ctx.county(rec)
        parking = ctx.count(rec, "parking_spaces")
        point = ctx.point(rec, area_code=county_code)
        if rec.row in ctx.bad_rows or point is None:
            continue
        lng, lat = point
        county = county_code or ctx.geo.county_at(lng, lat)
        items.append(RoadSite(site_id, kind, name, road_id, county, lng, lat, parking, False, ctx.source))
    return ctx.result(items, len(items))


def read_scenic_areas(
    path: Path, *, crs: str = "wgs84", catalog: DivisionCatalog | None = None, tolerance_km: float = TOLERANCE_KM
) -> ImportResult[ScenicArea]:
    """Scenic areas: ``site_id``, ``name``, ``level`` (A-level 0–5; 4A / AAAA also read), point; optional
    ``county_code`` (else located from the point), ``parking_spaces``."""
    ctx = _Context(path, "scenic_areas", crs, catalog, tolerance_km)
    seen: dict[str, int] = {}
    items: list[ScenicArea] = []
    for rec in ctx.records:
        site_id = ctx.required(rec, "site_id", 40)
        if site_id in seen:
            ctx.duplicate(rec, "site_id", site_id, seen[site_id])
        elif site_id:
            seen[site_id] = rec.row
        name = ctx.name(rec)
        raw_level = rec.get("level")
        level = _scenic_level(raw_level)
        if level is None:
            missing = _text(raw_level) == ""
            ctx.error(
                rec,
                "level",
                raw_level,
                "缺少 A 级" if missing else "A 级无效：须为 0–5 的整数（或 1A–5A）",
                "missing A-level" if missing else "bad A-level: an integer 0-5 (or 1A-5A) is required",
            )
        elif not 0 <= level <= 5:
            ctx.error(rec, "level", raw_level, "A 级须在 0–5 之间（0 = A 级以下）", "A-level must be 0-5 (0 = below A)")
        county_code, _ = ctx.county(rec)
        parking = ctx.count(rec, "parking_spaces")
        point = ctx.point(rec, area_code=county_code)
        if rec.row in ctx.bad_rows or point is None or level is None:
            continue
        lng, lat = point
        county = county_code or ctx.geo.county_at(lng, lat)
        items.append(ScenicArea(site_id, name, level, county, lng, lat, parking, False, ctx.source))
    return ctx.result(items, len(items))


# --- stations -------------------------------------------------------------------------------------------
_STATION_FIELDS = (
    "station_name", "area_code", "lng", "lat", "station_type", "construction",
    "status", "address", "town_code", "site_category", "site_id",
)  # fmt: skip
_EQUIPMENT_FIELDS = ("equipment_type", "power_kw")


@dataclass
class _StationRows:
    first: _Record
    values: dict[str, str]
    station: Station | None
    rows: list[int] = field(default_factory=list)
    equipment: dict[str, tuple[Equipment, list[Connector]]] = field(default_factory=dict)


def _values(rec: _Record, names: Iterable[str]) -> dict[str, str]:
    values = {n: _text(rec.get(n)) for n in names}
    if rec.fmt == "geojson":
        values["geometry"] = json.dumps(rec.geometry, sort_keys=True)
    return values


def _differs(
    ctx: _Context, rec: _Record, first: _Record, mine: dict[str, str], theirs: dict[str, str], what: str
) -> None:
    zh, en = ctx.where(first.row)
    what_zh = {"station": "同站", "equipment": "同一设备"}[what]
    for name, value in mine.items():
        if value != theirs[name]:
            ctx.error(
                rec, name, value, f"与{what_zh}{zh}不一致（{theirs[name]}）", f"differs from the same {what} at {en}"
            )


def _station(ctx: _Context, rec: _Record, operator_id: str, station_id: str) -> Station | None:
    name = ctx.name(rec, "station_name", 50)
    area_code = _text(rec.get("area_code"))
    area_ok = True
    try:
        check_area_code("area_code", area_code, ctx.catalog)
    except DomainValidationError as exc:
        ctx.domain_error(rec, exc)
        area_ok = False
    town_code = _text(rec.get("town_code")) or None
    if town_code is not None:
        try:
            check_town_code("town_code", town_code, ctx.catalog)
        except DomainValidationError as exc:
            ctx.domain_error(rec, exc)
    station_type = ctx.code(rec, "station_type")
    construction = ctx.code(rec, "construction")
    status = ctx.code(rec, "status", int(StationStatus.IN_SERVICE))
    point = ctx.point(rec, area_code=area_code if area_ok else None)
    if rec.row in ctx.bad_rows or point is None:
        return None
    try:
        return Station(
            operator_id=operator_id,
            station_id=station_id,
            name=name,
            station_type=station_type,  # type: ignore[arg-type]  # the domain coerces and checks the code
            status=status,  # type: ignore[arg-type]
            construction=construction,  # type: ignore[arg-type]
            area_code=area_code,
            location=GeoPoint(*point),
            address=_text(rec.get("address")),
            town_code=town_code,
            site_category=_text(rec.get("site_category")) or "other",  # type: ignore[arg-type]
            site_id=_text(rec.get("site_id")) or None,
        )
    except DomainValidationError as exc:
        ctx.domain_error(rec, exc, {"name": "station_name"})
        return None


def read_stations(
    path: Path,
    operator_id: str,
    *,
    crs: str = "wgs84",
    catalog: DivisionCatalog | None = None,
    tolerance_km: float = TOLERANCE_KM,
) -> ImportResult[StationTree]:
    """Stations of one operator, one row per connector, grouped into station trees.

    Rows of one station must agree on the station columns, rows of one pile on ``equipment_type`` and
    ``power_kw``. A station with any bad row is skipped whole, so that no half station is stored (saving a
    station decommissions the piles it no longer lists).
    """
    pattern("operator_id", operator_id, OPERATOR_ID, "9 位组织机构代码", "9-char organisation code")
    ctx = _Context(path, "stations", crs, catalog, tolerance_km)
    stations: dict[str, _StationRows] = {}
    owners: dict[str, tuple[str, _Record, dict[str, str]]] = {}  # equipment_id → station, first row, values
    connectors: dict[str, int] = {}
    for rec in ctx.records:
        station_id = ctx.required(rec, "station_id", 20)
        if not station_id:
            continue
        values = _values(rec, _STATION_FIELDS)
        group = stations.get(station_id)
        if group is None:
            group = stations[station_id] = _StationRows(rec, values, _station(ctx, rec, operator_id, station_id))
        else:
            _differs(ctx, rec, group.first, values, group.values, "station")
        group.rows.append(rec.row)

        equipment_id = ctx.required(rec, "equipment_id", 23)
        eq_values = _values(rec, _EQUIPMENT_FIELDS)
        eq_values.pop("geometry", None)
        owner = owners.get(equipment_id)
        equipment: Equipment | None = None
        if not equipment_id:
            pass
        elif owner is None:
            owners[equipment_id] = (station_id, rec, eq_values)
            eq_type, power = ctx.code(rec, "equipment_type"), ctx.number(rec, "power_kw")
            if eq_type is not None and power is not None:
                try:
                    equipment = Equipment(operator_id, station_id, equipment_id, eq_type, power)  # type: ignore[arg-type]
                except DomainValidationError as exc:
                    ctx.domain_error(rec, exc)
            if equipment is not None:
                group.equipment[equipment_id] = (equipment, [])
        elif owner[0] != station_id:
            zh, en = ctx.where(owner[1].row)
            ctx.error(
                rec,
                "equipment_id",
                equipment_id,
                f"equipment_id 重复：已属于站 {owner[0]}（{zh}）",
                f"duplicate equipment_id: it belongs to station {owner[0]} ({en})",
            )
        else:
            _differs(ctx, rec, owner[1], eq_values, owner[2], "equipment")

        connector_id = ctx.required(rec, "connector_id", 30)
        if connector_id in connectors:
            ctx.duplicate(rec, "connector_id", connector_id, connectors[connector_id])
        elif connector_id:
            connectors[connector_id] = rec.row
        c_type, c_power = ctx.code(rec, "connector_type"), ctx.number(rec, "connector_power_kw")
        if c_type is None or c_power is None or not connector_id or equipment_id not in group.equipment:
            continue
        try:
            connector = Connector(operator_id, station_id, equipment_id, connector_id, c_type, c_power)  # type: ignore[arg-type]
        except DomainValidationError as exc:
            ctx.domain_error(rec, exc, {"power_kw": "connector_power_kw"})
            continue
        group.equipment[equipment_id][1].append(connector)

    items: list[StationTree] = []
    represented = 0
    for group in stations.values():
        if group.station is None or any(r in ctx.bad_rows for r in group.rows):
            continue
        items.append(
            StationTree(group.station, tuple(EquipmentTree(e, tuple(cs)) for e, cs in group.equipment.values()))
        )
        represented += len(group.rows)
    return ctx.result(items, represented)


# --- writes ---------------------------------------------------------------------------------------------
def other_kind_ids(uow: SqlUnitOfWork, layer: str, kind: str) -> dict[str, str]:
    """Ids used by roads or road sites of kinds other than ``kind`` (id → kind): an import may not reuse them."""
    with uow:
        rows: Iterable[Road | RoadSite] = uow.layers.roads() if layer == "roads" else uow.layers.road_sites()
        return {r.road_id if isinstance(r, Road) else r.site_id: r.kind for r in rows if r.kind != kind}


def load_villages(places: Sequence[Place], uow: SqlUnitOfWork) -> int:
    """Replace the village places with ``places``; townships stay."""
    with uow:
        count = uow.layers.replace_places(places, level="village")
        uow.commit()
    return count


def load_roads(roads: Sequence[Road], kind: str, uow: SqlUnitOfWork) -> int:
    """Replace the roads of ``kind``."""
    _check_kind(kind, ROAD_KINDS)
    if any(r.kind != kind for r in roads):
        raise ValueError(f"every road must be of kind {kind}")
    with uow:
        count = uow.layers.replace_roads(roads, kind=kind)
        uow.commit()
    return count


def load_road_sites(sites: Sequence[RoadSite], kind: str, uow: SqlUnitOfWork) -> int:
    """Replace the road sites of ``kind``."""
    _check_kind(kind, SITE_KINDS)
    if any(s.kind != kind for s in sites):
        raise ValueError(f"every site must be of kind {kind}")
    with uow:
        count = uow.layers.replace_road_sites(sites, kind=kind)
        uow.commit()
    return count


def load_scenic_areas(areas: Sequence[ScenicArea], uow: SqlUnitOfWork) -> int:
    """Replace the scenic-area layer."""
    with uow:
        count = uow.layers.replace_scenic_areas(areas)
        uow.commit()
    return count


def load_stations(trees: Sequence[StationTree], uow: SqlUnitOfWork, now: datetime, regions: RegionCatalog) -> int:
    """Save every tree through :func:`add_station`, all in one transaction: any failure stores none."""
    with uow:
        for tree in trees:
            add_station(tree, uow, now, regions)
        uow.commit()
    return len(trees)
