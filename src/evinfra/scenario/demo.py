"""``evinfra demo``: the Shanxi reference scenario, served, with some of its operators pushing live.

The scenario is built (or reused) in the store; the largest operators, plus one with data-quality
problems, then play a slice of their own stations through the real T/CEC 102 protocol with the keys the
platform issued them, driven by the behaviour model, so that the supervision views move.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select

from evinfra.access import create_api_key
from evinfra.bootstrap import Container
from evinfra.domain.status import to_tcec
from evinfra.ingest.keyring import open_keys
from evinfra.protocols.tcec.translate import station_info_to_wire
from evinfra.scenario.behaviour import DEFAULT_BEHAVIOUR
from evinfra.scenario.simulator import SimOperator, Simulation
from evinfra.store.rows import OperatorRow, ScenarioRunRow, StationRow

QUALITY_VARIANTS = frozenset({"lower_sig", "service_money"})  # what the demo's bad-data operator gets wrong


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def loaded_scenario(container: Container) -> tuple[int, int] | None:
    """(snapshot, seed) of the scenario in the store, if any."""
    with container.new_uow() as uow:
        row = uow.session.execute(
            select(ScenarioRunRow.snapshot, ScenarioRunRow.seed).order_by(ScenarioRunRow.pk.desc()).limit(1)
        ).first()
    return None if row is None else (row[0], row[1])


def demo_api_key(container: Container) -> str:
    path = container.settings.ensure_data_dir() / "demo-admin.key"
    if not path.exists():
        _, key = create_api_key("demo", "admin", container.uow, container.clock())
        _write_private(path, key)
    return path.read_text(encoding="utf-8").strip()


def live_operators(container: Container, operators: int, stations: int) -> list[SimOperator]:
    """The ``operators`` largest scenario operators (one of them a bad-data one), ``stations`` stations each,
    with the key sets the platform issued them and their connectors' current states as the starting point."""
    with container.new_uow() as uow:
        ranked = uow.session.execute(
            select(StationRow.operator_id, func.count())
            .join(OperatorRow, OperatorRow.operator_id == StationRow.operator_id)
            .where(OperatorRow.synthetic.is_(True))
            .group_by(StationRow.operator_id)
            .order_by(func.count().desc(), StationRow.operator_id)
        ).all()
        chosen = [op for op, _ in ranked[:operators]]
        sims = []
        now = container.clock()
        for number, operator_id in enumerate(chosen):
            stored = uow.hub.get_keys(operator_id, "in")
            if stored is None:
                continue
            keys = open_keys(stored.secrets_enc, container.master)
            trees = [
                uow.network.get_tree(operator_id, s.station_id)
                for s in uow.network.stations_as_of(now, operator_id=operator_id)[:stations]
            ]
            status: dict[str, int] = {}
            sites: dict[str, str] = {}
            for tree in trees:
                assert tree is not None
                for c in tree.connectors:
                    pk = uow.network.connector_pk(operator_id, c.connector_id)
                    assert pk is not None
                    status[c.connector_id] = int(to_tcec(uow.status.current(pk)[0]))
                    sites[c.connector_id] = tree.station.site_category.value
            sims.append(
                SimOperator(
                    operator_id,
                    keys,
                    [station_info_to_wire(t) for t in trees if t is not None],
                    {t.station.station_id: now for t in trees if t is not None},
                    dict(status),
                    variants=QUALITY_VARIANTS if number == len(chosen) - 1 and len(chosen) > 1 else frozenset(),
                    initial_status=status,
                    connector_sites=sites,
                )
            )
    return sims


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
    sim = Simulation(
        operators,
        base,
        seed=0,
        speed=speed,
        duration=duration or 365 * 86400.0,
        start=container.clock(),
        behaviour=DEFAULT_BEHAVIOUR,
    )
    try:
        sim.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.should_exit = True
        thread.join(15)
    return sim.summary()
