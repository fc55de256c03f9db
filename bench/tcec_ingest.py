"""T/CEC 102 ingest benchmark: durable notification_stationStatus per second against a real `evinfra serve`.

    .venv/bin/python bench/tcec_ingest.py [--seconds 20] [--operators 20] [--concurrency 64] [--workers 1]
                                          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Everything happens in a temporary data directory on the embedded SQLite store (default durability:
WAL + synchronous=FULL), or with --postgres in a fresh database created on that server and dropped
afterwards: `evinfra db upgrade`, `evinfra operator add --json` per operator, stations
registered through the protocol (notification_stationInfo), then the server is started as a subprocess
and driven over HTTP/1.1 keep-alive on loopback with fully sealed envelopes (AES-128-CBC + HMAC-MD5, a
unique envelope per request). Only Ret 0 answers count; the response Sig is verified on a sample. The
same server's no-op `POST /livez` rate is measured with the same client, and the store is checked
afterwards: every acknowledged envelope must be in it. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import SEQ_MAX, parse_response, seal_request, verify_response
from evinfra.protocols.tcec.ret import Ret
from evinfra.scenario.simulator import OperatorClient, SimOperator, status_payload
from evinfra.store.scratch import scratch_database

HOST = "127.0.0.1"  # loopback only
BASE_PATH = "/evcs/v1"
STATUS_CODES = (0, 1, 2, 3, 4, 255)
FRESHNESS_BUDGET_S = 240  # envelopes are sealed before each phase; the hub accepts TimeStamps within ±5 min
SIG_SAMPLE_EVERY = 25  # verify the response Sig on one answer in this many


# --- processes ----------------------------------------------------------------------------------


def evinfra_cmd() -> list[str]:
    script = Path(sys.executable).with_name("evinfra")
    return [str(script)] if script.exists() else [sys.executable, "-m", "evinfra.cli"]


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVINFRA_")}
    env["EVINFRA_DATA_DIR"] = str(data_dir)
    return env


def run_cli(args: list[str], data_dir: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [*evinfra_cmd(), *args],
        env=server_env(data_dir),
        cwd=data_dir,  # no stray .env from the caller's directory
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"evinfra {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn workers when --workers > 1)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _session_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[3])  # field 6: session id


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mib(pid: int) -> float:
    """Sum of VmHWM (peak resident set) over the server process and its children."""
    return sum(_status_kib(p, "VmHWM") for p in descendants(pid)) / 1024


def machine_busy_seconds() -> float:
    """CPU time spent by everything on the machine (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """utime + stime of the server process tree (live processes only): (all, the multiprocessing helpers).

    The helpers are the writer processes with their forkserver and resource tracker (which idle): forked
    from the forkserver, they carry its command line; the rest are the HTTP worker(s)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = helpers = 0
    for p in descendants(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            helper = b"multiprocessing" in Path(f"/proc/{p}/cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        used = int(fields[11]) + int(fields[12])
        total += used
        helpers += used if helper else 0
    return total / tick, helpers / tick


# What --stand-in-writer runs: SQLite commits of 17 random-key rows each (WAL, synchronous=FULL, as the store),
# pausing whenever it is ahead of ``duty`` of one core since it started; its CPU shows as "other processes".
STAND_IN = """
import random, sqlite3, sys, time
duty, path = float(sys.argv[1]), sys.argv[2]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT NOT NULL, at REAL NOT NULL)")
t0, c0 = time.monotonic(), time.process_time()
while True:
    db.execute("BEGIN IMMEDIATE")
    for _ in range(17):
        db.execute("INSERT INTO t VALUES (?, ?, ?)", (f"{random.getrandbits(64):016x}", "x" * 80, time.time()))
    db.execute("COMMIT")
    ahead = (time.process_time() - c0) - duty * (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead / duty)
"""


class StandIn:
    """A process that keeps a second core about as busy as the writer process was (see ``STAND_IN``)."""

    def __init__(self, data_dir: Path, duty: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", STAND_IN, f"{min(max(duty, 0.05), 1.0):.3f}", str(data_dir / "stand-in.sqlite3")]
        )

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Server:
    """`evinfra serve` as a subprocess in its own session; always stopped by ``stop()``."""

    def __init__(self, data_dir: Path, port: int, workers: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.workers = workers
        self.log_path = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [*evinfra_cmd(), "serve", "--host", HOST, "--port", str(self.port), "--workers", str(self.workers)],
                env=server_env(self.data_dir),
                cwd=self.data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"http://{HOST}:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy after {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        members = [p for p in descendants(proc.pid) if p != proc.pid]  # uvicorn workers, if any
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in members:  # still alive and still in the session we created: kill it
            if _session_of(pid) == proc.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


# --- setup --------------------------------------------------------------------------------------


def onboard(data_dir: Path, count: int) -> list[SimOperator]:
    """`evinfra operator add --json` per operator (the first alone: it creates the master key)."""

    def add(i: int) -> SimOperator:
        operator_id = f"MB{i:07d}"
        wire = json.loads(
            run_cli(["operator", "add", "--operator-id", operator_id, "--name", f"基准运营商{i}", "--json"], data_dir)
        )
        keys = KeySet(wire["OperatorSecret"], wire["DataSecret"], wire["DataSecretIV"], wire["SigSecret"])
        return SimOperator.generate(operator_id, keys, seed=i, stations=3)

    first = add(1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return [first, *pool.map(add, range(2, count + 1))]


def register(base_url: str, operators: list[SimOperator]) -> dict[str, str]:
    """notification_stationInfo for every station; returns each operator's AccessToken."""
    tokens: dict[str, str] = {}
    with httpx.Client(timeout=30) as http:
        for op in operators:
            client = OperatorClient(op, base_url, http=http)
            for result in client.register_stations():
                if result.ret != Ret.OK:
                    raise RuntimeError(f"{op.operator_id}: stationInfo refused: Ret {result.ret} {result.msg}")
            tokens[op.operator_id] = client.query_token()
    return tokens


# --- the pre-sealed load ------------------------------------------------------------------------


@dataclass(slots=True)
class Envelope:
    op: int  # index into the operator list
    connector_id: str
    status: int
    timestamp: str
    seq: int
    sig: str
    request: bytes  # the whole HTTP/1.1 request


class Sealer:
    """Unique envelopes: per operator, Seq counts 1..9999 within a TimeStamp second (then the next second)."""

    def __init__(self, operators: list[SimOperator], tokens: dict[str, str], port: int, seed: int) -> None:
        self.operators = operators
        self.connectors = [[c.connector_id for c in op.connectors()] for op in operators]
        self.heads = [
            (
                f"POST {BASE_PATH}/notification_stationStatus HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Content-Type: application/json;charset=utf-8\r\nAuthorization: Bearer {tokens[op.operator_id]}\r\n"
            ).encode()
            for op in operators
        ]
        self.clock: list[tuple[datetime, int]] = [(datetime.fromtimestamp(0, UTC), 0)] * len(operators)
        self.rng = random.Random(seed)
        self.count = 0

    def seal(self) -> Envelope:
        i = self.rng.randrange(len(self.operators))
        op = self.operators[i]
        connector_id = self.rng.choice(self.connectors[i])
        status = self.rng.choice(STATUS_CODES)
        now = datetime.now(UTC).replace(microsecond=0)
        second, n = self.clock[i]
        if now > second:
            second, n = now, 0
        if n >= SEQ_MAX:
            second, n = second + timedelta(seconds=1), 0
        self.clock[i] = (second, n + 1)
        env = seal_request(op.operator_id, status_payload(connector_id, status), op.keys, second, n + 1)
        body = json.dumps(env.to_wire(), separators=(",", ":")).encode()
        request = self.heads[i] + b"Content-Length: %d\r\n\r\n" % len(body) + body
        self.count += 1
        return Envelope(i, connector_id, status, env.timestamp, n + 1, env.sig, request)


class Feed:
    """Hands out pre-sealed envelopes; seals on the fly (counted) if the pool runs dry.

    The pool is sealed anew before every timed phase (``refill``), sized by the fastest rate seen so far: sealing
    is the load generator's heaviest work, and done during a phase it would take CPU from the server that the
    no-op phase does not have to share. Sealing per phase also keeps each phase's TimeStamps fresh."""

    def __init__(self, sealer: Sealer, floor_rate: float) -> None:
        self.sealer = sealer
        self.floor_rate = floor_rate  # envelopes per second sealed at least (--pool-rate)
        self.best_rate = 0.0
        self._pool: Iterator[Envelope] = iter(())
        self.sealed = 0
        self.taken = 0
        self.live_sealed = 0

    def refill(self, seconds: float) -> float:
        """Seal enough for ``seconds`` at 1.3 × the fastest rate seen (at least the floor); the seconds it took.
        Envelopes left from the previous phase are dropped (never sent, so nothing expects them)."""
        t = time.perf_counter()
        count = int(seconds * max(self.floor_rate, 1.3 * self.best_rate)) + 1
        self._pool = iter([self.sealer.seal() for _ in range(count)])
        self.sealed += count
        return time.perf_counter() - t

    def observe(self, taken_before: int, elapsed: float) -> None:
        if elapsed > 0:
            self.best_rate = max(self.best_rate, (self.taken - taken_before) / elapsed)

    def __call__(self) -> Envelope:
        self.taken += 1
        env = next(self._pool, None)
        if env is None:
            self.live_sealed += 1
            env = self.sealer.seal()
        return env


# --- the client ---------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    ok: int = 0
    refused: int = 0  # answered, but not Ret 0 / not HTTP 200
    errors: int = 0  # transport failures
    sig_checked: int = 0
    sig_bad: int = 0
    latencies: list[float] = field(default_factory=list)
    acked: list[Envelope] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    helper_cpu: float = 0.0  # the part of server_cpu spent in writer processes (see cpu_seconds)
    machine_cpu: float = 0.0  # everything, including processes that are neither server nor load generator
    commits: tuple[int, int] | None = None  # (writes, batches) the worker's group commit ran in the phase

    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 request/response on a keep-alive connection: (status, body, server wants close)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value)
        elif lname == b"connection" and value.strip().lower() == b"close":
            close = True
        elif lname == b"transfer-encoding":
            raise RuntimeError("chunked responses are not expected from this server")
    body = await reader.readexactly(length) if length else b""
    return status, body, close


async def run_phase(
    port: int,
    concurrency: int,
    seconds: float,
    next_request: Callable[[], tuple[bytes, Envelope | None]],
    check: Callable[[int, bytes, Envelope | None, PhaseResult, bool], None],
    server_pid: int,
) -> PhaseResult:
    result = PhaseResult()
    cpu0, (scpu0, hcpu0), mcpu0 = time.process_time(), cpu_seconds(server_pid), machine_busy_seconds()
    start = time.perf_counter()
    deadline = start + seconds
    last_done = start
    counter = 0

    async def worker() -> None:
        nonlocal last_done, counter
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while time.perf_counter() < deadline:
                request, env = next_request()
                t0 = time.perf_counter()
                try:
                    status, body, close = await _exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    result.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    continue
                t1 = time.perf_counter()
                result.latencies.append(t1 - t0)
                last_done = max(last_done, t1)
                counter += 1
                check(status, body, env, result, counter % SIG_SAMPLE_EVERY == 0)
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
        finally:
            writer.close()

    # Bounded even if the server hangs: a worker that is still waiting long after the deadline is cancelled.
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), timeout=seconds + 60)
    result.elapsed = last_done - start
    result.client_cpu = time.process_time() - cpu0
    scpu, hcpu = cpu_seconds(server_pid)
    result.server_cpu, result.helper_cpu = scpu - scpu0, hcpu - hcpu0
    result.machine_cpu = machine_busy_seconds() - mcpu0
    return result


def check_notification(keys: list[KeySet]) -> Callable[[int, bytes, Envelope | None, PhaseResult, bool], None]:
    def check(status: int, body: bytes, env: Envelope | None, result: PhaseResult, sample: bool) -> None:
        assert env is not None
        answer = json.loads(body) if status == 200 else {}
        if answer.get("Ret") == Ret.OK:
            if sample:
                result.sig_checked += 1
                try:
                    verify_response(parse_response(body), keys[env.op])
                except Exception:
                    result.sig_bad += 1
                    result.refused += 1
                    return
            result.ok += 1
            result.acked.append(env)
        else:
            result.refused += 1
            reason = f"HTTP {status}" if status != 200 else f"Ret {answer.get('Ret')}: {answer.get('Msg', '')[:60]}"
            result.refusals[reason] = result.refusals.get(reason, 0) + 1

    return check


def check_noop(status: int, body: bytes, env: Envelope | None, result: PhaseResult, sample: bool) -> None:
    if status == 200:
        result.ok += 1
    else:
        result.refused += 1


# --- the store ----------------------------------------------------------------------------------


def verify_store(url: str, operators: list[SimOperator], acked: list[Envelope]) -> dict[str, int]:
    """Every acknowledged envelope is recorded (replay guard) and reflected in its connector's state."""
    engine = create_engine(url)
    try:
        with engine.connect() as con:
            seen = {tuple(row) for row in con.execute(text("SELECT operator_id, sig FROM seen_envelopes"))}
            state = {
                (op, cid): (_naive(at), seq)
                for op, cid, at, seq in con.execute(
                    text("SELECT operator_id, connector_id, state_reported_at, state_report_seq FROM connectors")
                )
            }
            intervals = con.execute(text("SELECT count(*) FROM connector_status_intervals")).scalar_one()
    finally:
        engine.dispose()
    missing = stale = 0
    latest: dict[tuple[str, str], tuple[datetime, int]] = {}
    for env in acked:
        op_id = operators[env.op].operator_id
        if (op_id, env.sig.upper()) not in seen:
            missing += 1
        sent = datetime.strptime(env.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC) - timedelta(hours=8)
        key = (op_id, env.connector_id)
        latest[key] = max(latest.get(key, (sent, env.seq)), (sent, env.seq))
    for key, want in latest.items():
        at, seq = state.get(key, (None, None))
        if at is None or (at.replace(tzinfo=UTC), seq) < want:
            stale += 1
    return {
        "acked": len(acked),
        "missing": missing,
        "connectors_acked": len(latest),
        "connectors_stale": stale,
        "intervals": intervals,
    }


def _naive(value: str | datetime | None) -> datetime | None:
    """A stored UTC time as a naive datetime: SQLite hands back text, PostgreSQL a datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


# --- main ---------------------------------------------------------------------------------------


def writer_counters(port: int) -> tuple[int, int] | None:
    """(writes, batches) of the group-commit writer, from ``/healthz``; None if it does not say."""
    try:
        writer = httpx.get(f"http://{HOST}:{port}/healthz", timeout=5).json()["writer"]
        return int(writer["items"]), int(writer["batches"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def ratio_of(notif: PhaseResult, noop: PhaseResult) -> float:
    return notif.rate() / noop.rate() if noop.rate() else float("nan")


def print_report(
    args: argparse.Namespace, notif: PhaseResult, noop: PhaseResult, rss: float, store: dict[str, int], live: int
) -> None:
    ratio = ratio_of(notif, noop)
    cores = os.cpu_count() or 1
    print()
    print(
        f"T/CEC ingest benchmark: {args.operators} operators, {args.concurrency} connections, "
        f"{args.workers} worker(s), {args.seconds:g} s"
        + (f" × {args.rounds} rounds (the round with the median ratio)" if args.rounds > 1 else "")
        + f", {args.store}, {cores} CPUs"
    )
    rows = [
        ("notifications/s (Ret 0, durable)", f"{notif.rate():,.0f}"),
        ("latency p50 [ms]", f"{notif.pct(0.50):.1f}"),
        ("latency p99 [ms]", f"{notif.pct(0.99):.1f}"),
        ("server peak RSS [MiB]", f"{rss:.0f}"),
        ("no-op POST /livez req/s", f"{noop.rate():,.0f}"),
        ("ratio notifications / no-op", f"{ratio:.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    rule = "+" + "-" * (width + 2) + "+" + "-" * 12 + "+"
    print(rule)
    for name, value in rows:
        print(f"| {name:<{width}} | {value:>10} |")
    print(rule)
    goal = notif.rate() >= 1500 and ratio >= 0.5
    print(f"goal (>= 1,500/s and ratio >= 0.5): {'met' if goal else 'MISSED'}")
    print(
        f"notifications: {notif.ok} acked, {notif.refused} refused, {notif.errors} transport errors in "
        f"{notif.elapsed:.1f} s; response Sig verified on {notif.sig_checked} answers ({notif.sig_bad} bad); "
        f"{live} envelopes had to be sealed during the run"
    )
    if notif.refusals:
        print(f"refusals: {notif.refusals}")
    for name, phase in (("notifications", notif), ("no-op", noop)):
        other = max(0.0, phase.machine_cpu - phase.server_cpu - phase.client_cpu)
        print(
            f"cpu during {name} [cores]: server {phase.server_cpu / phase.elapsed:.2f} "
            f"(HTTP {(phase.server_cpu - phase.helper_cpu) / phase.elapsed:.2f}, "
            f"writer processes {phase.helper_cpu / phase.elapsed:.2f}), "
            f"load generator {phase.client_cpu / phase.elapsed:.2f}, "
            f"other processes {other / phase.elapsed:.2f} (of {cores})"
        )
    if notif.commits and notif.commits[1]:
        writes, batches = notif.commits
        print(f"group commit during notifications: {writes} writes in {batches} commits ({writes / batches:.1f} each)")
    print(
        f"store: {store['acked'] - store['missing']}/{store['acked']} acknowledged envelopes recorded, "
        f"{store['connectors_acked'] - store['connectors_stale']}/{store['connectors_acked']} connectors at or "
        f"past their last acknowledged report, {store['intervals']} status intervals"
    )


def print_stand_in(notif: PhaseResult, busy: PhaseResult) -> None:
    """The diagnostic of --stand-in-writer: what the no-op serves when the second core works as the writer did."""
    other = max(0.0, busy.machine_cpu - busy.server_cpu - busy.client_cpu) / busy.elapsed
    print(
        f"diagnostic, not the goal: no-op beside a stand-in writer (SQLite commits, {other:.2f} core; the writer "
        f"process used {notif.helper_cpu / notif.elapsed:.2f}): {busy.rate():,.0f} req/s, HTTP "
        f"{(busy.server_cpu - busy.helper_cpu) / busy.elapsed:.2f} core; ratio notifications / that no-op "
        f"{ratio_of(notif, busy):.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="timed notification phase [s]")
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64, help="keep-alive connections")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--noop-seconds", type=float, default=None, help="timed /livez phase (default: min(10, --seconds))"
    )
    parser.add_argument("--warmup", type=float, default=2, help="untimed warm-up before each phase [s]")
    parser.add_argument(
        "--pool-rate",
        type=int,
        default=3500,
        help="envelopes sealed per timed second at least (1.3 × the fastest phase so far, if more)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate the notification and no-op phases N times; the table shows the round with the median ratio",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL: a scratch database is created on this server (URL of any database there)",
    )
    parser.add_argument(
        "--writer",
        choices=["auto", "process", "loop", "thread"],
        default="auto",
        help="EVINFRA_WRITER for the server (auto: a writer process on SQLite, a thread on PostgreSQL)",
    )
    parser.add_argument(
        "--stand-in-writer",
        action="store_true",
        help="diagnostic: also measure the no-op while a stand-in keeps a second core as busy as the writer "
        "process was (SQLite commits), and print the ratio against that; the goal still uses the plain no-op",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    noop_seconds = args.noop_seconds if args.noop_seconds is not None else min(10.0, args.seconds)
    # Envelopes are sealed before each notification phase and must still be fresh at its end.
    if args.rounds < 1 or not 0 < max(args.warmup, args.seconds) <= FRESHNESS_BUDGET_S - 30:
        parser.error(
            f"--warmup and --seconds must each stay under {FRESHNESS_BUDGET_S - 30} s "
            "(the TimeStamp freshness window of the envelopes sealed before each phase)"
        )
    if not 1 <= args.operators <= 999 or args.concurrency < 1 or args.workers < 1:
        parser.error("need 1..999 operators, concurrency ≥ 1, workers ≥ 1")

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(scratch_database(args.postgres, "evinfra_bench")) if args.postgres else None
        return run(args, noop_seconds, url)


def run(args: argparse.Namespace, noop_seconds: float, database_url: str | None) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="evinfra-bench-"))
    settings = []  # every CLI call and the server run in data_dir, so its .env configures them all
    if database_url:
        settings.append(f"EVINFRA_DATABASE_URL={database_url}")
    if args.writer != "auto":
        settings.append(f"EVINFRA_WRITER={args.writer}")
    (data_dir / ".env").write_text("".join(f"{line}\n" for line in settings))
    store_url = database_url or f"sqlite:///{data_dir / 'evinfra.sqlite3'}"
    args.store = "PostgreSQL" if database_url else "SQLite WAL synchronous=FULL (the default)"
    if args.writer != "auto":
        args.store += f", {args.writer} writer"
    server = Server(data_dir, free_port(), args.workers)
    try:
        t = time.monotonic()
        run_cli(["db", "upgrade"], data_dir)
        operators = onboard(data_dir, args.operators)
        print(f"setup: store migrated, {len(operators)} operators onboarded via CLI ({time.monotonic() - t:.1f} s)")
        server.start()
        base_url = f"http://{HOST}:{server.port}{BASE_PATH}"
        tokens = register(base_url, operators)
        n_conn = sum(len(op.connectors()) for op in operators)
        n_sta = sum(len(op.stations) for op in operators)
        print(f"setup: {n_sta} stations / {n_conn} connectors registered via notification_stationInfo")

        feed = Feed(Sealer(operators, tokens, server.port, args.seed), args.pool_rate)
        keys = [op.keys for op in operators]

        def next_status() -> tuple[bytes, Envelope | None]:
            env = feed()
            return env.request, env

        noop_request = f"POST /livez HTTP/1.1\r\nHost: {HOST}:{server.port}\r\nContent-Length: 0\r\n\r\n".encode()
        assert server.proc is not None
        pid = server.proc.pid

        busy: dict[int, PhaseResult] = {}  # notification phase → the no-op beside the stand-in writer after it

        async def noop_phase() -> PhaseResult:
            await run_phase(
                server.port, args.concurrency, min(args.warmup, 1.0), lambda: (noop_request, None), check_noop, pid
            )
            return await run_phase(
                server.port, args.concurrency, noop_seconds, lambda: (noop_request, None), check_noop, pid
            )

        async def notification_phase(seconds: float) -> PhaseResult:
            taken = feed.taken
            result = await run_phase(server.port, args.concurrency, seconds, next_status, check, pid)
            feed.observe(taken, result.elapsed)
            return result

        check = check_notification(keys)

        async def drive() -> tuple[PhaseResult, list[tuple[PhaseResult, PhaseResult]], float]:
            took = feed.refill(3 * args.warmup)  # the first phase shows the rate
            warm = await notification_phase(args.warmup)
            rounds = []
            for _ in range(args.rounds):  # alternating, so that a machine slowing down meanwhile hits both
                took += feed.refill(args.seconds)
                before = writer_counters(server.port) if args.workers == 1 else None  # else: one worker's
                notif = await notification_phase(args.seconds)
                after = writer_counters(server.port) if before else None
                if before and after:
                    notif.commits = (after[0] - before[0], after[1] - before[1])
                noop = await noop_phase()
                if args.stand_in_writer:
                    stand_in = StandIn(data_dir, notif.helper_cpu / notif.elapsed if notif.elapsed else 0.0)
                    try:
                        busy[id(notif)] = await noop_phase()
                    finally:
                        stand_in.stop()
                rounds.append((notif, noop))
            print(f"load: {feed.sealed} envelopes sealed in {took:.1f} s, untimed, before each notification phase")
            return warm, rounds, peak_rss_mib(pid)

        try:
            import uvloop

            loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
        except ImportError:  # pragma: no cover
            loop_factory = None
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            warm, rounds, rss = runner.run(drive())

        store = verify_store(store_url, operators, warm.acked + [e for notif, _ in rounds for e in notif.acked])
        notif, noop = sorted(rounds, key=lambda r: ratio_of(*r))[len(rounds) // 2]
        print_report(args, notif, noop, rss, store, feed.live_sealed)
        if busy:
            print_stand_in(notif, busy[id(notif)])
        if len(rounds) > 1:
            for i, (n, o) in enumerate(rounds, 1):
                rates = f"{n.rate():,.0f} notifications/s, {o.rate():,.0f} no-op req/s"
                line = f"round {i}: {rates}, ratio {ratio_of(n, o):.2f}"
                if id(n) in busy:
                    line += f"; beside the stand-in {busy[id(n)].rate():,.0f}, ratio {ratio_of(n, busy[id(n)]):.2f}"
                print(line)
        ok = (
            store["missing"] == 0
            and store["connectors_stale"] == 0
            and all(n.sig_bad == 0 and n.ok > 0 for n, _ in rounds)
        )
        if not ok:
            print("STORE CHECK FAILED: an acknowledged notification is missing from the store")
        return 0 if ok else 1
    finally:
        server.stop()
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
