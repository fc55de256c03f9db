"""bench/tcec_ingest.py still runs: a short run end to end (server, load, no-op, store check) on SQLite."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "tcec_ingest.py"


@pytest.mark.parametrize("extra", [[], ["--stand-in-writer"]], ids=["plain", "stand-in"])
def test_tcec_ingest_bench_runs_and_its_store_check_passes(extra):
    done = subprocess.run(
        [sys.executable, str(BENCH), "--operators", "2", "--concurrency", "4", "--seconds", "1",
         "--noop-seconds", "0.5", "--warmup", "0.5", "--pool-rate", "3000", "--rounds", "2", *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    for label in ("notifications/s (Ret 0, durable)", "no-op POST /livez req/s", "ratio notifications / no-op"):
        assert label in out, out
    assert "writer processes" in out and "group commit during notifications:" in out, out
    assert "0 refused, 0 transport errors" in out, out
    rounds = [line for line in out.splitlines() if line.startswith("round ")]
    assert len(rounds) == 2, out
    beside = "diagnostic, not the goal: no-op beside a stand-in writer"
    if extra:
        assert beside in out and all("beside the stand-in" in line for line in rounds), out
    else:
        assert beside not in out and not any("stand-in" in line for line in rounds), out
    store = next(line for line in out.splitlines() if line.startswith("store: "))
    recorded, acked = store.split()[1].split("/")
    assert int(acked) > 0 and recorded == acked, store
