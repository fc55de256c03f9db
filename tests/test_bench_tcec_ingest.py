"""bench/tcec_ingest.py still runs: a short run end to end (server, load, no-op, store check) on SQLite."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "tcec_ingest.py"


def test_tcec_ingest_bench_runs_and_its_store_check_passes():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--operators", "2", "--concurrency", "4", "--seconds", "1",
         "--noop-seconds", "0.5", "--warmup", "0.5", "--pool-rate", "3000", "--stand-in-writer"],
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
    assert "diagnostic, not the goal: no-op beside a stand-in writer" in out, out
    store = next(line for line in out.splitlines() if line.startswith("store: "))
    recorded, acked = store.split()[1].split("/")
    assert int(acked) > 0 and recorded == acked, store
