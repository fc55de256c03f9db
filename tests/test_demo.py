"""``evinfra demo`` as a user runs it: the scenario is built once, then its operators push through the protocol."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from evinfra.scenario.assumptions import PUBLIC_STATIONS
from tests.servers import free_port


def run_demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVINFRA_DATA_DIR": str(data_dir)}
    env.pop("EVINFRA_DATABASE_URL", None)
    cmd = [str(Path(sys.executable).parent / "evinfra"), "demo", "--port", str(free_port()), "--duration", "4",
           "--snapshot", "2022", "--live-operators", "2", "--live-stations", "3", "--speed", "30"]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_demo_builds_the_scenario_once_and_its_operators_push_through_the_protocol(tmp_path):
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "notification_stationStatus" in first.stdout and "/api/v1/stations" in first.stdout
    db = sqlite3.connect(tmp_path / "evinfra.sqlite3")
    assert db.execute("SELECT count(*) FROM stations").fetchone()[0] == PUBLIC_STATIONS[2022]
    assert db.execute("SELECT count(DISTINCT operator_id) FROM seen_envelopes").fetchone()[0] == 2
    built_at = db.execute("SELECT built_at FROM scenario_runs").fetchone()[0]
    db.close()
    second = run_demo(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "沿用" in second.stdout  # reused, not rebuilt
    db = sqlite3.connect(tmp_path / "evinfra.sqlite3")
    assert db.execute("SELECT built_at FROM scenario_runs").fetchone()[0] == built_at
    db.close()
