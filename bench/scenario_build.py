"""Benchmark: build and bulk-load the Shanxi reference scenario into the embedded SQLite store.

    .venv/bin/python bench/scenario_build.py [--snapshot 2025] [--seed 1]

Runs ``evinfra scenario build`` in a fresh data directory as a child process and prints its wall time
and peak memory next to the goals of issue #4 (< 60 s, < 2 GiB for the 2025 snapshot on a 2-core
machine). The child's peak RSS comes from getrusage(RUSAGE_CHILDREN).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 60.0
GOAL_RSS_MIB = 2048.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshot", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    evinfra = Path(sys.executable).parent / "evinfra"
    with tempfile.TemporaryDirectory(prefix="evinfra-bench-") as tmp:
        env = {**os.environ, "EVINFRA_DATA_DIR": tmp}
        env.pop("EVINFRA_DATABASE_URL", None)
        subprocess.run([str(evinfra), "db", "upgrade"], env=env, check=True, capture_output=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        done = subprocess.run(
            [str(evinfra), "scenario", "build", "--snapshot", str(args.snapshot), "--seed", str(args.seed)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        peak_mib = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            return 1
        db_mib = (Path(tmp) / "evinfra.sqlite3").stat().st_size / 2**20
    print(f"scenario build --snapshot {args.snapshot} --seed {args.seed} (SQLite, {os.cpu_count()} cores)")
    print(f"  wall time   {seconds:7.1f} s    goal < {GOAL_SECONDS:.0f} s    ratio {seconds / GOAL_SECONDS:.2f}")
    print(f"  peak RSS    {peak_mib:7.0f} MiB  goal < {GOAL_RSS_MIB:.0f} MiB  ratio {peak_mib / GOAL_RSS_MIB:.2f}")
    print(f"  store size  {db_mib:7.0f} MiB")
    return 0 if seconds < GOAL_SECONDS and peak_mib < GOAL_RSS_MIB else 2


if __name__ == "__main__":
    sys.exit(main())
