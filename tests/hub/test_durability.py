"""Acknowledged means durable: SIGKILL the real server under load, restart it, find every Ret 0 in the store.

The server runs as `evinfra serve` in a subprocess, on the embedded SQLite store (default durability) and on
a scratch PostgreSQL database.
One client task per connector sends status notifications one after another (increasing TimeStamp/Seq,
each status a different state, so every applied report opens exactly one interval). After a few
hundred acknowledgements the server is killed with SIGKILL while requests are in flight, restarted, and
the store must hold every acknowledged report: its envelope in the replay guard, its interval in the
history, and as each connector's current state the last acknowledged report, or the one request that
was in flight for that connector when the server died (committed but not yet answered is allowed).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import PG_ENV, _in_ci
from tests.servers import free_port

from evinfra.domain.status import from_tcec
from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import SHANGHAI, SeqCounter, parse_response, seal_request, verify_response
from evinfra.protocols.tcec.ret import Ret
from evinfra.scenario.simulator import OperatorClient, SimOperator, status_payload
from evinfra.store.engine import make_engine
from evinfra.store.rows import ConnectorRow, ConnectorStatusIntervalRow, SeenEnvelopeRow
from evinfra.store.scratch import scratch_database

OPERATOR = "MD0000001"
BASE_PATH = "/evcs/v1"
KILL_AFTER_ACKS = 300
STATUSES = (1, 3, 2, 255, 0, 4)  # six T/CEC codes, six different states: consecutive reports always differ
BUDGET_S = 55.0  # every wait below is cut to what is left of this, so the test fails rather than hang


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the durability test ran over its {BUDGET_S:.0f} s budget")
        return left


@dataclass(frozen=True, slots=True)
class Sent:
    connector_id: str
    status: int
    timestamp: str
    seq: int
    sig: str
    wire: bytes = field(repr=False)

    @property
    def reported_at(self) -> datetime:
        local = datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI)
        return local.astimezone(UTC)


@dataclass
class Load:
    acked: dict[str, list[Sent]] = field(default_factory=dict)
    in_flight: dict[str, Sent] = field(default_factory=dict)  # sent, server died before it answered
    acks: int = 0
    killed_at: int | None = None  # acknowledgements counted when SIGKILL went out
    refused: list[str] = field(default_factory=list)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store's URL: the data directory's embedded SQLite file, or a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'evinfra.sqlite3'}"
        return
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        if _in_ci():
            pytest.fail(f"CI=true but {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} not set")
    with scratch_database(admin_url, "evinfra_durability") as url:
        yield url


def _env(data_dir: Path, store: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVINFRA_")}
    env["EVINFRA_DATA_DIR"] = str(data_dir)
    env["EVINFRA_DATABASE_URL"] = store
    return env


def _cli(data_dir: Path, store: str, deadline: Deadline, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "evinfra.cli", *args],
        env=_env(data_dir, store),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=deadline.left(),
        check=False,
    )
    assert done.returncode == 0, f"evinfra {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def spawn(tmp_path: Path, store: str) -> Iterator[Callable[[Deadline], tuple[subprocess.Popen[bytes], str]]]:
    """Start `evinfra serve` on a free loopback port; every server started here is killed at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(deadline: Deadline) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        with (tmp_path / f"server-{len(started)}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "evinfra.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=_env(tmp_path, store),
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(proc)
        root = f"http://127.0.0.1:{port}"
        while True:
            assert proc.poll() is None, (tmp_path / f"server-{len(started) - 1}.log").read_text(errors="replace")
            try:
                if httpx.get(root + "/healthz", timeout=min(2.0, deadline.left())).status_code == 200:
                    return proc, root
            except httpx.HTTPError:
                pass
            time.sleep(min(0.1, deadline.left()))

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


async def _drive(
    url: str,
    token: str,
    keys: KeySet,
    connectors: list[str],
    proc: subprocess.Popen[bytes],
    load: Load,
    deadline: Deadline,
) -> None:
    counter = SeqCounter()  # one per operator: (TimeStamp, Seq) is unique and increases with every envelope
    headers = {"Content-Type": "application/json;charset=utf-8", "Authorization": f"Bearer {token}"}

    async def one_connector(index: int, connector_id: str, http: httpx.AsyncClient) -> None:
        load.acked[connector_id] = []
        for n in range(10**6):
            if load.killed_at is not None:
                return
            status = STATUSES[(index + n) % len(STATUSES)]
            now = datetime.now(UTC)
            env = seal_request(OPERATOR, status_payload(connector_id, status), keys, now, counter.next(now))
            wire = json.dumps(env.to_wire()).encode()
            sent = Sent(connector_id, status, env.timestamp, int(env.seq), env.sig, wire)
            load.in_flight[connector_id] = sent
            try:
                response = await http.post(url, content=wire, headers=headers)
            except httpx.TransportError:
                return  # the server is gone: this one may or may not have been committed
            reply = parse_response(response.content)
            verify_response(reply, keys)
            del load.in_flight[connector_id]
            if reply.ret != Ret.OK:
                load.refused.append(f"{connector_id}: Ret {reply.ret} {reply.msg}")
                return
            load.acked[connector_id].append(sent)
            load.acks += 1
            if load.acks >= KILL_AFTER_ACKS and load.killed_at is None:
                load.killed_at = load.acks
                proc.send_signal(signal.SIGKILL)  # the other connectors' requests are in flight right now

    limits = httpx.Limits(max_connections=len(connectors), max_keepalive_connections=len(connectors))
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        tasks = [one_connector(i, c, http) for i, c in enumerate(connectors)]
        await asyncio.wait_for(asyncio.gather(*tasks), deadline.left())


def test_acknowledged_notifications_survive_sigkill(tmp_path: Path, store: str, spawn) -> None:
    deadline = Deadline(BUDGET_S)
    _cli(tmp_path, store, deadline, "db", "upgrade")
    added = _cli(
        tmp_path, store, deadline, "operator", "add", "--operator-id", OPERATOR, "--name", "耐久测试", "--json"
    )
    wire_keys = json.loads(added)
    keys = KeySet(
        wire_keys["OperatorSecret"], wire_keys["DataSecret"], wire_keys["DataSecretIV"], wire_keys["SigSecret"]
    )
    operator = SimOperator.generate(OPERATOR, keys, seed=0, stations=2)
    connectors = [c.connector_id for c in operator.connectors()]
    assert len(connectors) >= 6

    proc, root = spawn(deadline)
    with OperatorClient(operator, root + BASE_PATH) as client:
        assert all(r.ret == Ret.OK for r in client.register_stations())
        token = client.query_token()

    load = Load()
    url = f"{root}{BASE_PATH}/notification_stationStatus"
    asyncio.run(_drive(url, token, keys, connectors, proc, load, deadline))
    assert not load.refused, load.refused
    assert load.killed_at is not None
    assert proc.wait(deadline.left()) == -signal.SIGKILL
    assert load.in_flight, "SIGKILL should have caught requests in flight"

    _, root = spawn(deadline)  # the same store: SQLite recovers from its WAL, PostgreSQL from its own
    engine = make_engine(store)
    seen_t, conn_t, hist_t = SeenEnvelopeRow.__table__, ConnectorRow.__table__, ConnectorStatusIntervalRow.__table__
    try:
        with engine.connect() as db:
            seen = set(db.scalars(select(seen_t.c.sig).where(seen_t.c.operator_id == OPERATOR)))
            for connector_id in connectors:
                acked = load.acked[connector_id]
                pending = load.in_flight.get(connector_id)
                missing = [s for s in acked if s.sig.upper() not in seen]
                assert not missing, f"{connector_id}: {len(missing)} acknowledged envelopes lost, e.g. {missing[0]}"

                row = db.execute(
                    select(conn_t.c.pk, conn_t.c.state_operational, conn_t.c.state_occupancy,
                           conn_t.c.state_reported_at, conn_t.c.state_report_seq)
                    .where(conn_t.c.operator_id == OPERATOR, conn_t.c.connector_id == connector_id)
                ).one()  # fmt: skip
                pk, *state = row
                stored = [
                    (raw, at)
                    for raw, at in db.execute(
                        select(hist_t.c.raw_status, hist_t.c.started_at)
                        .where(hist_t.c.connector_pk == pk)
                        .order_by(hist_t.c.pk)
                    )
                ]
                expected = [(s.status, s.reported_at) for s in acked]
                assert stored[: len(expected)] == expected, f"{connector_id}: history differs from the acknowledgements"

                committed_pending = pending is not None and pending.sig.upper() in seen
                extra = stored[len(expected) :]
                assert extra == ([(pending.status, pending.reported_at)] if committed_pending else []), connector_id

                last = pending if committed_pending else (acked[-1] if acked else None)
                if last is None:
                    assert state[2] is None, f"{connector_id}: a state nobody acknowledged"
                    continue
                want = from_tcec(last.status)
                assert tuple(state) == (
                    want.operational.value,
                    want.occupancy.value,
                    last.reported_at,
                    last.seq,
                ), f"{connector_id}: current state is not the last acknowledged report"
    finally:
        engine.dispose()
    assert sum(len(v) for v in load.acked.values()) == load.acks >= KILL_AFTER_ACKS

    # The restarted hub still knows the token and the envelopes it acknowledged: a replay is refused.
    first = next(s for v in load.acked.values() for s in v)
    headers = {"Content-Type": "application/json;charset=utf-8", "Authorization": f"Bearer {token}"}
    response = httpx.post(
        f"{root}{BASE_PATH}/notification_stationStatus", content=first.wire, headers=headers, timeout=deadline.left()
    )
    reply = parse_response(response.content)
    verify_response(reply, keys)
    assert reply.ret == Ret.BAD_ENVELOPE and "重放" in reply.msg
