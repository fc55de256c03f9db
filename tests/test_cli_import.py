"""``evinfra import …``: exit codes, the error table, all-or-nothing by default and partial loads on request."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, get_args

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from evinfra import cli_import
from evinfra.bootstrap import bootstrap
from evinfra.cli import app as main_app
from evinfra.cli_import import import_app
from evinfra.config import Settings
from evinfra.domain.layers import SITE_KINDS, Place
from evinfra.ingest.importer import ROAD_KINDS
from tests.ingest.test_importer import SEAT, good, write_csv, write_geojson

runner = CliRunner()
OP = "MA0123456"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EVINFRA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EVINFRA_DATABASE_URL", raising=False)
    monkeypatch.delenv("EVINFRA_MASTER_KEY", raising=False)
    monkeypatch.setattr(cli_import, "console", Console(width=250, soft_wrap=True))  # no wrapping inside cells
    assert runner.invoke(main_app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def run(*args: Any):
    return runner.invoke(import_app, [str(a) for a in args])


def places(level: str = "village") -> list[Place]:
    with bootstrap(Settings()).new_uow() as uow:
        return uow.layers.places(level)


def villages_csv(path: Path, bad: int = 0) -> Path:
    """Two good villages, then ``bad`` rows with unknown codes (lines 4, 5, …)."""
    rows = [good("villages", 0), good("villages", 1)]
    rows += [good("villages", 0) | {"code": f"140105999{n:03d}", "name": f"坏{n}"} for n in range(bad)]
    return write_csv(path, rows)


def test_kinds_offered_by_the_cli_are_the_stores_kinds():
    assert get_args(cli_import.RoadKind) == ROAD_KINDS
    assert get_args(cli_import.SiteKind) == SITE_KINDS


def test_registered_as_evinfra_import(data_dir):
    app = typer.Typer()
    app.add_typer(import_app, name="import")  # as evinfra.cli registers it
    result = runner.invoke(app, ["import", "villages", str(villages_csv(data_dir / "v.csv"))])
    assert result.exit_code == 0, result.output
    assert [p.code for p in places()] == ["140105001001", "140105001002"]


def test_any_bad_row_loads_nothing_and_exits_1(data_dir):
    result = run("villages", villages_csv(data_dir / "v.csv", bad=1))
    assert result.exit_code == 1
    out = result.output
    assert "v.csv：1 个错误 / errors" in out
    assert "│ 4 " in out and "code" in out and "140105999000" in out  # line incl. header, field, value
    assert "NBS 2023 山西村级代码中没有此代码" in out and "not a Shanxi village code in NBS 2023" in out
    assert "未导入任何数据" in out and "nothing imported" in out and "--skip-invalid" in out
    assert places() == []


def test_skip_invalid_loads_the_valid_rows_and_reports_the_skipped(data_dir):
    result = run("villages", villages_csv(data_dir / "v.csv", bad=2), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "140105999001" in result.output  # the table is still printed
    assert "已导入 / imported: 2 村 / villages" in result.output and "skipped: 2" in result.output
    loaded = places()
    assert [p.code for p in loaded] == ["140105001001", "140105001002"]
    assert {(p.synthetic, p.source) for p in loaded} == {(False, "import:v.csv")}


def test_only_the_first_50_errors_are_printed_and_errors_csv_has_them_all(data_dir):
    out_csv = data_dir / "errors.csv"
    result = run("villages", villages_csv(data_dir / "v.csv", bad=60), "--errors-csv", out_csv)
    assert result.exit_code == 1
    assert "140105999049" in result.output and "140105999050" not in result.output
    assert "另有 10 个错误未显示" in result.output and "10 more errors not shown" in result.output
    with out_csv.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 60 and rows[-1]["row"] == "63" and rows[-1]["field"] == "code"


def test_nothing_valid_with_skip_invalid_still_exits_1_and_keeps_the_layer(data_dir):
    assert run("villages", villages_csv(data_dir / "v.csv")).exit_code == 0
    bad_only = write_csv(data_dir / "bad.csv", [good("villages", 0) | {"code": "1"}])
    result = run("villages", bad_only, "--skip-invalid")
    assert result.exit_code == 1 and "no valid rows" in result.output
    assert len(places()) == 2  # not replaced by nothing


def test_dry_run_validates_without_writing(data_dir):
    result = run("villages", villages_csv(data_dir / "v.csv"), "--dry-run")
    assert result.exit_code == 0 and "--dry-run" in result.output and "2 村" in result.output
    assert places() == []


def test_geojson_rows_are_shown_as_feature_indexes_and_gcj02_is_converted(data_dir):
    from evinfra.regions.coords import wgs84_to_gcj02

    features = [
        {"type": "Feature", "properties": {"code": "140105001001", "name": "村"}, "geometry": {
            "type": "Point", "coordinates": list(wgs84_to_gcj02(*SEAT))}},
        {"type": "Feature", "properties": {"code": "140105001002"}, "geometry": {
            "type": "Point", "coordinates": list(SEAT)}},
    ]  # fmt: skip
    path = write_geojson(data_dir / "v.geojson", features)
    result = run("villages", path, "--crs", "gcj02")
    assert result.exit_code == 1 and "features[1]" in result.output and "missing name" in result.output
    assert run("villages", path, "--crs", "gcj02", "--skip-invalid").exit_code == 0
    (village,) = places()
    assert (village.lng, village.lat) == pytest.approx(SEAT, abs=1e-7)


def test_file_errors_and_bad_options(data_dir):
    missing = data_dir / "m.csv"
    missing.write_text("code,name\n140105001001,村\n", encoding="utf-8")
    result = run("villages", missing)
    assert result.exit_code == 1 and "缺少列" in result.output and "missing columns: lng, lat" in result.output
    assert run("villages", data_dir / "nope.csv").exit_code == 2  # Typer: file does not exist
    bad_kind = run("roads", missing, "--kind", "railway")
    assert bad_kind.exit_code == 2 and "railway" in bad_kind.output
    assert run("villages", missing, "--crs", "bd09").exit_code == 2


def test_layers_replace_their_kind(data_dir):
    lng, lat = SEAT
    roads = write_csv(
        data_dir / "r.csv",
        [
            {"road_id": "G5", "name": "京昆高速", "lng": lng, "lat": lat},
            {"road_id": "G5", "lng": lng + 0.1, "lat": lat},
        ],
    )
    assert run("roads", roads, "--kind", "expressway").exit_code == 0
    conflict = run("roads", roads, "--kind", "trunk")
    assert conflict.exit_code == 1 and "already used by a road of kind expressway" in conflict.output
    sites = write_csv(data_dir / "s.csv", [good("road_sites", 0) | {"kind": "rv_camp"}])
    result = run("service-areas", sites, "--kind", "rv_camp")
    assert result.exit_code == 0, result.output
    scenic = write_csv(data_dir / "a.csv", [good("scenic_areas", 0), good("scenic_areas", 1) | {"level": "7"}])
    result = run("scenic-areas", scenic)
    assert result.exit_code == 1 and "A-level must be 0-5" in result.output
    with bootstrap(Settings()).new_uow() as uow:
        assert [r.road_id for r in uow.layers.roads("expressway")] == ["G5"]
        assert [(s.site_id, s.kind) for s in uow.layers.road_sites()] == [("HSA-0", "rv_camp")]
        assert uow.layers.scenic_areas() == []


def test_stations_need_a_registered_operator_and_load_as_trees(data_dir):
    rows = [good("stations", 0), good("stations", 0) | {"connector_id": "S1E1C2"}, good("stations", 1)]
    path = write_csv(data_dir / "st.csv", rows)
    unknown = run("stations", path, "--operator-id", OP)
    assert unknown.exit_code == 1 and "not registered" in unknown.output and "operator add" in unknown.output
    added = runner.invoke(main_app, ["operator", "add", "--operator-id", OP, "--name", "示例", "--json"])
    assert added.exit_code == 0
    json.loads(added.stdout)
    result = run("stations", path, "--operator-id", OP)
    assert result.exit_code == 0, result.output
    assert "2 个站（3 个接口）" in result.output
    with bootstrap(Settings()).new_uow() as uow:
        assert len(uow.network.get_tree(OP, "S1").connectors) == 2
        assert uow.network.get_tree(OP, "S2") is not None

    bad = write_csv(data_dir / "bad.csv", [good("stations", 2), good("stations", 3) | {"station_type": 7}])
    result = run("stations", bad, "--operator-id", OP)
    assert result.exit_code == 1 and "station_type" in result.output and "codes 1, 50" in result.output
    with bootstrap(Settings()).new_uow() as uow:
        assert uow.network.get_tree(OP, "S3") is None  # the good station of a bad file is not loaded either
