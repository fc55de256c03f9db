"""``evinfra demo`` as a user runs it: simulated operators' pushes arrive through the real protocol."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.servers import free_port


def run_demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVINFRA_DATA_DIR": str(data_dir)}
    env.pop("EVINFRA_DATABASE_URL", None)
    cmd = [str(Path(sys.executable).parent / "evinfra"), "demo", "--port", str(free_port()), "--duration", "4",
           "--operators", "2", "--stations", "3", "--speed", "30"]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_demo_pushes_through_the_protocol_and_reuses_its_operators(tmp_path):
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "notification_stationStatus" in first.stdout and "/api/v1/stations" in first.stdout
    db = sqlite3.connect(tmp_path / "evinfra.sqlite3")
    assert db.execute("SELECT count(*) FROM stations").fetchone()[0] == 6
    assert db.execute("SELECT count(*) FROM connector_status_intervals").fetchone()[0] > 0
    assert db.execute("SELECT count(DISTINCT operator_id) FROM seen_envelopes").fetchone()[0] == 2
    db.close()
    assert oct((tmp_path / "demo-operators.json").stat().st_mode & 0o777) == "0o600"
    second = run_demo(tmp_path)  # same operators and keys, no "already exists"
    assert second.returncode == 0, second.stdout + second.stderr
