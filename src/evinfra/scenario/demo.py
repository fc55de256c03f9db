"""``evinfra demo``: the platform with simulated operators pushing over real T/CEC 102.

Until the Shanxi reference scenario lands this is a handful of operators with seeded stations in real
Shanxi counties; their keys are issued by the platform exactly as for a real operator and kept in the
data directory (0600) so that a second run reuses them.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from evinfra.access import create_api_key
from evinfra.bootstrap import Container
from evinfra.domain.operator import Operator
from evinfra.ingest.keyring import key_set_to_wire
from evinfra.ingest.registry import onboard_operator
from evinfra.scenario.simulator import SimOperator, Simulation, load_operators_file

log = logging.getLogger("evinfra.demo")
OPERATOR_NAMES = ("晋能示范充电", "龙城智迅示范", "三晋快充示范", "黄河驿站示范", "太行绿电示范")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def demo_operators(container: Container, count: int, stations: int) -> list[SimOperator]:
    """The demo operators' key sets: issued on the first run, read back afterwards."""
    path = container.settings.ensure_data_dir() / "demo-operators.json"
    if not path.exists():
        entries = []
        for n in range(1, count + 1):
            operator = Operator(f"DEMO{n:04d}0", OPERATOR_NAMES[(n - 1) % len(OPERATOR_NAMES)], synthetic=True)
            keys = onboard_operator(operator, container.uow, container.master, container.clock())
            entries.append({"OperatorID": operator.operator_id, **key_set_to_wire(keys)})
        _write_private(path, json.dumps(entries, ensure_ascii=False, indent=2))
    return load_operators_file(path, stations=stations)


def demo_api_key(container: Container) -> str:
    path = container.settings.ensure_data_dir() / "demo-admin.key"
    if not path.exists():
        _, key = create_api_key("demo", "admin", container.uow, container.clock())
        _write_private(path, key)
    return path.read_text(encoding="utf-8").strip()


def run_demo(
    container: Container,
    app: FastAPI,
    host: str,
    port: int,
    *,
    operators: list[SimOperator],
    speed: float,
    duration: float | None,
    on_ready: Callable[[str], None],
) -> dict[str, dict[str, int]]:
    """Serve ``app`` and let the operators push until ``duration`` real seconds pass (None: until Ctrl-C)."""
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="evinfra-demo-server", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"服务未能启动（端口 {port} 被占用？）/ server did not start (port {port} in use?)")
        time.sleep(0.05)
    base = f"http://{host}:{port}{container.settings.tcec_base_path}"
    on_ready(f"http://{host}:{port}")
    # Simulated time starts now; without --duration the run is bounded at one year (Ctrl-C ends it sooner).
    sim = Simulation(operators, base, seed=0, speed=speed, duration=duration or 365 * 86400.0, start=container.clock())
    try:
        sim.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.should_exit = True
        thread.join(15)
    return sim.summary()
