"""bench/hub_path.py still runs: a short run through every path it measures, each answer checked by the script."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "hub_path.py"


def test_hub_path_bench_runs_every_path():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "30", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for label in ("POST /livez", "constant answer", "real receiver", "Receiver.receive alone", "ratio no-op / hub"):
        assert label in done.stdout, done.stdout
