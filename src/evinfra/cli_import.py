"""``evinfra import``: load real map layers and stations from GeoJSON or CSV instead of the synthetic ones.

Registered in :mod:`evinfra.cli` as ``app.add_typer(import_app, name="import")``. Every row is validated first
(:mod:`evinfra.ingest.importer`); if any row is bad nothing is loaded unless ``--skip-invalid`` is given, and
the load itself is one transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from evinfra.bootstrap import Container, bootstrap
from evinfra.config import Settings
from evinfra.domain.errors import DomainValidationError
from evinfra.ingest.importer import (
    COLUMNS,
    SITE_KINDS,
    TOLERANCE_KM,
    ImportFileError,
    ImportResult,
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

__all__ = ["import_app"]

T = TypeVar("T")

RoadKind = Literal["expressway", "tourist", "trunk"]  # = importer.ROAD_KINDS (a test keeps them equal)
SiteKind = Literal["highway_service_area", "toll_station", "tourist_road_station", "rv_camp", "trunk_road_service"]
Crs = Literal["wgs84", "gcj02"]
MAX_SHOWN = 50  # errors printed; --errors-csv writes them all

import_app = typer.Typer(
    help="导入真实图层与站点（GeoJSON 或 CSV）/ import real layers and stations from GeoJSON or CSV",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)

FileArgument = Annotated[
    Path,
    typer.Argument(
        help="GeoJSON FeatureCollection（.geojson/.json）或 CSV（UTF-8，可带 BOM）/ GeoJSON or UTF-8 CSV file",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]
CrsOption = Annotated[
    Crs,
    typer.Option("--crs", help="文件坐标系；gcj02（高德/腾讯）转换为 WGS-84 / coordinate system; gcj02 is converted"),
]
SkipOption = Annotated[
    bool,
    typer.Option("--skip-invalid", help="只导入有效行并报告跳过的行 / load the valid rows, report the skipped ones"),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="只校验，不写入 / validate only, write nothing")]
ErrorsOption = Annotated[
    Path | None, typer.Option("--errors-csv", help="把全部错误写入此 CSV / write every error to this CSV file")
]

_COMMON = (
    "坐标为经纬度（lng/lat 列，GeoJSON 取几何）；超出山西或所属县 {tol:g} km 以上的点被拒绝（边界经简化，故留容差）。"
    "有任何错误时不导入任何数据，除非 --skip-invalid。"
    " / Coordinates are lng/lat columns (GeoJSON: the geometry). A point more than {tol:g} km outside Shanxi or its"
    " county is refused (the boundaries are simplified, hence the tolerance). Any bad row loads nothing unless"
    " --skip-invalid."
)


def _help(title: str, layer: str, notes: str) -> str:
    columns = COLUMNS[layer]
    optional = ", ".join(columns.optional) or "-"
    return (
        f"{title}\n\nCSV 列 / columns: {', '.join(columns.required)}；可选 / optional: {optional}. "
        f"GeoJSON: 同名 properties / the same properties.\n\n{notes}\n\n{_COMMON.format(tol=TOLERANCE_KM)}"
    )


def _container() -> Container:
    return bootstrap(Settings())


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{escape(message)}[/]")
    raise typer.Exit(1)


def _read(reader: Callable[[], ImportResult[T]]) -> ImportResult[T]:
    try:
        return reader()
    except ImportFileError as exc:
        _fail(f"{exc.message} / {exc.message_en}")


def _row_label(row: int, fmt: str) -> str:
    return f"features[{row}]" if fmt == "geojson" else str(row)


def _errors_table(result: ImportResult[T], file: Path) -> Table:
    table = Table(title=f"{escape(file.name)}：{len(result.errors)} 个错误 / errors")
    table.add_column("行 / row" if result.format == "csv" else "要素 / feature", no_wrap=True)
    table.add_column("字段 / field", overflow="fold")
    table.add_column("值 / value", overflow="fold")
    table.add_column("原因 / reason", overflow="fold")
    for e in result.errors[:MAX_SHOWN]:
        table.add_row(
            _row_label(e.row, result.format),
            escape(e.field),
            escape(e.value),
            f"{escape(e.reason)}\n[dim]{escape(e.reason_en)}[/]",
        )
    hidden = len(result.errors) - MAX_SHOWN
    if hidden > 0:
        table.caption = f"另有 {hidden} 个错误未显示（--errors-csv 可导出全部）/ {hidden} more errors not shown"
    return table


def _write_errors(path: Path, result: ImportResult[T]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "field", "value", "reason", "reason_en"])
        for e in result.errors:
            writer.writerow([_row_label(e.row, result.format), e.field, e.value, e.reason, e.reason_en])


def _check(result: ImportResult[T], file: Path, skip_invalid: bool, errors_csv: Path | None) -> None:
    """Print the errors; stop (exit 1) if they forbid loading or nothing valid is left."""
    if result.errors:
        console.print(_errors_table(result, file))
        if errors_csv is not None:
            _write_errors(errors_csv, result)
            console.print(f"全部错误已写入 / all errors written to {escape(str(errors_csv))}")
        if not skip_invalid:
            bad_rows = len({e.row for e in result.errors})
            _fail(
                f"未导入任何数据：{len(result.errors)} 个错误，涉及 {bad_rows} 行；"
                "请修正，或用 --skip-invalid 只导入有效行"
                f" / nothing imported: {len(result.errors)} errors in {bad_rows} rows; fix them or use --skip-invalid"
            )
    if not result.valid_items:
        _fail("没有有效的数据，未导入任何数据 / no valid rows: nothing imported")


def _load(write: Callable[[], int]) -> int:
    try:
        return write()
    except (SQLAlchemyError, DomainValidationError) as exc:
        detail = exc.message if isinstance(exc, DomainValidationError) else type(exc).__name__
        _fail(f"写入失败，已回滚，未导入任何数据：{detail} / write failed and was rolled back: nothing imported")


def _done(result: ImportResult[T], count: int, what: str, file: Path, dry_run: bool, note: str = "") -> None:
    if dry_run:
        console.print(f"[green]校验通过 / valid:[/] {count} {what}（--dry-run：未写入 / nothing written）")
    else:
        console.print(f"[green]已导入 / imported:[/] {count} {what} ← {escape(file.name)}{note}")
    if result.skipped_rows:
        console.print(f"[yellow]跳过 / skipped:[/] {result.skipped_rows} 行 / rows（见上表 / see the table above）")


@import_app.command(
    "villages",
    help=_help(
        "导入村点位，替换村级图层（乡镇保留）/ import village points, replacing the village layer (townships kept).",
        "villages",
        "code 须为 NBS 2023 山西 12 位村级代码，点须在代码所指的县内；GeoJSON 可为 Point 或 Polygon/MultiPolygon"
        "（取面内代表点）。 / code: a 12-digit NBS 2023 Shanxi village code, the point inside the county the code"
        " names; GeoJSON Point, or Polygon/MultiPolygon (a representative point inside is used).",
    ),
)
def villages(
    file: FileArgument,
    crs: CrsOption = "wgs84",
    skip_invalid: SkipOption = False,
    dry_run: DryRunOption = False,
    errors_csv: ErrorsOption = None,
) -> None:
    result = _read(lambda: read_villages(file, crs=crs))
    _check(result, file, skip_invalid, errors_csv)
    count = (
        len(result.valid_items) if dry_run else _load(lambda: load_villages(result.valid_items, _container().new_uow()))
    )
    _done(result, count, "村 / villages", file, dry_run, "（村级图层已替换，乡镇保留 / village layer replaced)")


@import_app.command(
    "roads",
    help=_help(
        "导入一类道路，替换该类全部道路 / import the roads of one kind, replacing that kind.",
        "roads",
        "GeoJSON：每条道路一个 LineString/MultiLineString。CSV：每个节点一行，按 road_id 分组、按文件顺序"
        "（或 seq）连线。 / GeoJSON: one LineString/MultiLineString per road. CSV: one row per vertex, grouped by"
        " road_id, in file order (or by seq).",
    ),
)
def roads(
    file: FileArgument,
    kind: Annotated[RoadKind, typer.Option("--kind", help="道路类型 / road kind")],
    crs: CrsOption = "wgs84",
    skip_invalid: SkipOption = False,
    dry_run: DryRunOption = False,
    errors_csv: ErrorsOption = None,
) -> None:
    c = _container()
    taken = other_kind_ids(c.new_uow(), "roads", kind)
    result = _read(lambda: read_roads(file, kind, crs=crs, taken_ids=taken))
    _check(result, file, skip_invalid, errors_csv)
    what = f"条 {kind} 道路 / {kind} roads"
    count = len(result.valid_items) if dry_run else _load(lambda: load_roads(result.valid_items, kind, c.new_uow()))
    _done(result, count, what, file, dry_run)


@import_app.command(
    "service-areas",
    help=_help(
        "导入一类路侧站点（服务区、收费站、驿站、房车营地、干线服务区），替换该类 / import road sites of one kind,"
        " replacing that kind.",
        "road_sites",
        f"--kind: {', '.join(SITE_KINDS)}。county_code 留空时按点位定位。 / county_code is located from the point"
        " when empty.",
    ),
)
def service_areas(
    file: FileArgument,
    kind: Annotated[SiteKind, typer.Option("--kind", help="站点类型 / site kind")],
    crs: CrsOption = "wgs84",
    skip_invalid: SkipOption = False,
    dry_run: DryRunOption = False,
    errors_csv: ErrorsOption = None,
) -> None:
    c = _container()
    taken = other_kind_ids(c.new_uow(), "road_sites", kind)
    result = _read(lambda: read_road_sites(file, kind, crs=crs, taken_ids=taken))
    _check(result, file, skip_invalid, errors_csv)
    what = f"个 {kind} 站点 / {kind} sites"
    count = (
        len(result.valid_items) if dry_run else _load(lambda: load_road_sites(result.valid_items, kind, c.new_uow()))
    )
    _done(result, count, what, file, dry_run)


@import_app.command(
    "scenic-areas",
    help=_help(
        "导入景区，替换景区图层 / import scenic areas, replacing the layer.",
        "scenic_areas",
        "level 为 A 级 0–5（0 = A 级以下；也可写 4A 或 AAAA）。 / level: A-level 0-5 (0 = below A; 4A or AAAA"
        " also read).",
    ),
)
def scenic_areas(
    file: FileArgument,
    crs: CrsOption = "wgs84",
    skip_invalid: SkipOption = False,
    dry_run: DryRunOption = False,
    errors_csv: ErrorsOption = None,
) -> None:
    result = _read(lambda: read_scenic_areas(file, crs=crs))
    _check(result, file, skip_invalid, errors_csv)
    count = (
        len(result.valid_items)
        if dry_run
        else _load(lambda: load_scenic_areas(result.valid_items, _container().new_uow()))
    )
    _done(result, count, "个景区 / scenic areas", file, dry_run)


@import_app.command(
    "stations",
    help=_help(
        "为已登记的运营商导入充电站（每个充电接口一行）/ import a registered operator's stations, one row per"
        " connector.",
        "stations",
        "按 station_id 组成站 → 设备 → 接口；同站各行的站点列须一致。代码同 T/CEC 102：station_type（1 公共 …）、"
        "construction、status（默认 50）、equipment_type（1 直流 2 交流 …）、connector_type（4 直流枪 …）；"
        "功率单位 kW；area_code 为 6 位县级代码。已有的站被更新。 / Rows are grouped by station_id into"
        " station → equipment → connectors; the station columns must agree across its rows. Codes as in T/CEC 102;"
        " power in kW; area_code a 6-digit county code. Existing stations are updated.",
    ),
)
def stations(
    file: FileArgument,
    operator_id: Annotated[str, typer.Option("--operator-id", help="已登记的 OperatorID / a registered OperatorID")],
    crs: CrsOption = "wgs84",
    skip_invalid: SkipOption = False,
    dry_run: DryRunOption = False,
    errors_csv: ErrorsOption = None,
) -> None:
    c = _container()
    with c.new_uow() as uow:
        registered = uow.operators.get(operator_id) is not None
    if not registered:
        _fail(f"运营商 {operator_id} 未登记，请先 evinfra operator add / operator {operator_id} is not registered")
    result = _read(lambda: read_stations(file, operator_id, crs=crs))
    _check(result, file, skip_invalid, errors_csv)
    what = f"个站（{sum(len(t.connectors) for t in result.valid_items)} 个接口）/ stations"
    count = (
        len(result.valid_items)
        if dry_run
        else _load(lambda: load_stations(result.valid_items, c.new_uow(), c.clock(), c.regions))
    )
    _done(result, count, what, file, dry_run, f"（运营商 / operator {operator_id}）")
