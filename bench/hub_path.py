"""Where a notification's CPU goes inside the app: the hub's own work against the no-op, in one process.

    .venv/bin/python bench/hub_path.py [--requests 4000] [--repeat 5]

tcec_ingest.py measures the whole server over HTTP, where the machine's noise, the load generator and the
durable write all move the figures. This script takes those away: it calls the ASGI app in-process
(no HTTP server, no sockets) with the same unique sealed envelopes, on the embedded SQLite store, with the
group-commit writer replaced by one that returns at once (the write is the one thing left out), and
reports CPU time per request (best of ``--repeat``) for:

- ``POST /livez``, the no-op the ingest benchmark compares against;
- the hub route with a receiver that answers a constant (what the web framework costs the hub);
- the hub route with the real receiver (framework + envelope, crypto, translation, command);
- ``Receiver.receive`` alone.

The ratio no-op / hub here is what the hub's own work leaves. End to end, uvicorn's share (the same for
both paths) lifts the ratio above it and the durable write pulls it back down.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evinfra.api.app import create_app
from evinfra.bootstrap import bootstrap
from evinfra.config import Settings
from evinfra.domain.operator import Operator
from evinfra.ingest import commands
from evinfra.ingest.registry import onboard_operator
from evinfra.ingest.services import save_station
from evinfra.protocols.tcec import translate
from evinfra.protocols.tcec.envelope import seal_request
from evinfra.protocols.tcec.hub import Hub
from evinfra.protocols.tcec.receiver import Receiver
from evinfra.scenario.simulator import SimOperator, status_payload
from evinfra.store.migrate import upgrade

OPERATOR = "MB0000001"
BASE_PATH = "/evcs/v1"


class ReturningWriter:
    """The hub's side of the group-commit writer (``run``), without the write."""

    async def run(self, work: Any, order: Any = None) -> None:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="unique envelopes per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="measurements per path (the best counts)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="evinfra-hubpath-"))
    try:
        return run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, data_dir: Path) -> int:
    url = f"sqlite:///{data_dir / 'evinfra.sqlite3'}"
    upgrade(url)
    container = bootstrap(Settings(data_dir=data_dir, database_url=url))
    now = datetime.now(UTC)
    keys = onboard_operator(Operator(OPERATOR, "基准运营商"), container.uow, container.master, now)
    sim = SimOperator.generate(OPERATOR, keys, seed=1, stations=3)
    for wire in sim.stations:
        save_station(translate.station_info(wire, OPERATOR).value, container.uow(), now, container.regions)
    token, digest, issued, expires = container.registry.new_token(OPERATOR)
    with container.uow() as uow:
        commands.AddToken(digest, OPERATOR, issued, expires)(uow, commands.WriteContext())
        uow.commit()
    connectors = [c.connector_id for c in sim.connectors()]
    bodies = [
        json.dumps(
            seal_request(
                OPERATOR, status_payload(connectors[i % len(connectors)], (1, 2, 3)[i % 3]), keys, now, i % 9999 + 1
            ).to_wire()
        ).encode()
        for i in range(args.requests)
    ]  # the hub checks no replay here (the write is left out), so repeating the set is fine

    container.writer = ReturningWriter()  # type: ignore[assignment]
    app = create_app(container)
    auth = f"Bearer {token}".encode()
    real_receive = Receiver.receive
    status_path = f"{BASE_PATH}/notification_stationStatus"

    async def call(path: str, body: bytes) -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json;charset=utf-8"),
                        (b"authorization", auth), (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
        }  # fmt: skip
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body" and b'"Ret":0' not in message["body"] and path != "/livez":
                raise RuntimeError(f"the hub refused a benchmark envelope: {message['body'][:200]!r}")

        await app(scope, receive, send)

    async def constant(self: Receiver, called_as: str, body: bytes | None, auth: str | None, client: str) -> bytes:
        return b'{"Ret":0,"Msg":"","Data":"","Sig":""}'

    receiver = Hub(container.registry, container.writer, container.regions, container.clock).receiver()

    async def timed(label: str, one: Callable[[bytes], Awaitable[Any]], inputs: list[bytes]) -> float:
        best = float("inf")
        for _ in range(args.repeat):
            start = time.process_time()
            for body in inputs:
                await one(body)
            best = min(best, (time.process_time() - start) / len(inputs))
        print(f"{label:58s} {best * 1e6:7.1f} µs")
        return best

    async def measure() -> tuple[float, float]:
        await call("/livez", b"")
        await call(status_path, bodies[0])
        gc.collect()
        gc.freeze()  # as the app does once it is up
        noop = await timed("POST /livez (the no-op)", lambda b: call("/livez", b), [b""] * len(bodies))
        Receiver.receive = constant  # type: ignore[method-assign]
        try:
            await timed("hub route, constant answer (framework only)", lambda b: call(status_path, b), bodies)
        finally:
            Receiver.receive = real_receive  # type: ignore[method-assign]
        hub = await timed("hub route, real receiver, write left out", lambda b: call(status_path, b), bodies)
        await timed(
            "Receiver.receive alone",
            lambda b: receiver.receive("notification_stationStatus", b, auth.decode(), "127.0.0.1"),
            bodies,
        )
        return noop, hub

    print(f"in-process, SQLite, {args.requests} unique envelopes, best of {args.repeat}, CPU time per request")
    noop, hub = asyncio.run(measure())
    print(f"ratio no-op / hub, in process (no HTTP server, no write): {noop / hub:.2f}")
    container.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
