"""Group commit in a child process that owns the store's write connection.

Why a process: in one Python process the HTTP, protocol and write work of every notification share one
GIL, so a worker serves notifications on one core however many the machine has; the write alone was
about half of that core. A process that only writes gives the write its own core: the worker keeps
answering HTTP and decrypting envelopes while the child runs the previous batch's statements and fsync
(SQLite takes one writer at a time anyway; on PostgreSQL the child waits out the round trips without
holding the worker's GIL).

The parent (an event loop in a server worker) queues commands (``ingest/commands.py``) and, at the end of
each turn of the event loop (or every ``SEND_AT`` writes), sends what that turn queued as one pickled frame
over a socket pair. The child forms the batches: after each COMMIT it takes everything that has arrived
meanwhile (up to ``max_batch``) as the next transaction, and answers a batch only after its COMMIT; the
parent settles the callers in the order it sent them. So the group commit is as large as the load makes it,
and the child never waits for the parent to read an answer before it has its next batch (the parent's event
loop reads answers only between bursts of requests). In the child a batch runs exactly as in the other
writers (sorted by lock order, SAVEPOINT retry for failing items, see ``writer.py``).

If the child dies, the writes in flight fail with :class:`WriterStopped` (Ret -1 "系统繁忙, retry"; it may or
may not have committed, exactly like an answer lost on the network, and a re-sent envelope is then
refused as a replay or applied once) and the next write starts a new child. If the parent dies, the
child reads end-of-file, finishes its batch and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import pickle
import signal
import socket
import struct
import time
from collections import deque
from typing import Any, TypeVar

from evinfra.ingest.commands import Command
from evinfra.ingest.writer import Order, Outcome, WriterStopped, _GroupCommit, _Item
from evinfra.store.engine import make_engine
from evinfra.store.uow import UnitOfWorkFactory

log = logging.getLogger("evinfra.ingest.writer")
T = TypeVar("T")
_HEADER = struct.Struct("!I")
_READ_SIZE = 1 << 20  # the child's socket reads: a frame of a few hundred writes in one or two
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])  # each child forks from a process that has imported the writer


Entry = tuple[Any, "Order | None", "asyncio.Future[Any]"]  # (command, lock order, caller's future)
# Writes a turn of the event loop sends at once, without waiting for the turn's end. Under load one turn
# answers a batch and takes in the next tens of requests (a few milliseconds); meanwhile the child would
# wait with nothing to do. Sending every 16 keeps it busy at the price of smaller commits (bench/README.md:
# "The pipeline"; every 4 or 8: smaller commits still, and no faster).
SEND_AT = 16


class ProcessWriter:
    """The parent's side: same interface as the in-process writers (``start``, ``stop``, ``run``)."""

    def __init__(self, database_url: str, *, max_batch: int = 256, respawn_pause_s: float = 1.0) -> None:
        self._url = database_url
        self._max_batch = max_batch
        # A child lost younger than this is failing at birth (a broken install, say): writes are refused for
        # this long instead of forking a new child for every batch.
        self._respawn_pause_s = respawn_pause_s
        self._born = 0.0
        self._paused_until = 0.0
        self._pending: list[Entry] = []  # queued in this turn of the event loop, not yet sent
        self._flush_due = False
        self._inflight: deque[Entry] = deque()  # sent, in the order the child answers them
        self._receiver: asyncio.Task[None] | None = None
        self._child: Any = None  # multiprocessing Process
        self._sock: socket.socket | None = None
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._running = False
        self.batches = 0  # the child's counters, as of its last answer
        self.items = 0
        self.retries = 0
        self.restarts = 0  # children lost and replaced

    @property
    def pid(self) -> int | None:
        """The writer process, for operators reading ``ps``."""
        return None if self._child is None else int(self._child.pid)

    def start(self) -> None:
        self._running = True
        if self._child is None:
            self._spawn()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking writes; the child finishes the batch it holds, sees end-of-file and exits."""
        self._running = False
        self._close_child(timeout)
        self._flush_due = False  # a flush still scheduled finds nothing; one on a closed loop never runs
        pending, self._pending = self._pending, []
        _fail(pending, WriterStopped("写入进程已停止 / the writer process stopped"))

    async def run(self, work: Command[T], order: Order | None = None) -> T:
        """Queue the write and await its durable result. ``work`` must pickle (a command, not a closure)."""
        if not self._running:
            raise WriterStopped("写入进程未运行 / the writer process is not running")
        if time.monotonic() < self._paused_until:
            raise WriterStopped("写入进程反复退出，请稍后重试 / the writer process keeps failing, retry later")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._pending.append((work, order, waiter))
        if self._receiver is None:
            self._receiver = loop.create_task(self._receive())  # it sends what is pending once connected
        elif self._streams is not None:
            if len(self._pending) >= SEND_AT:
                self._flush()  # a long turn: the child can start on these while the turn goes on
            elif not self._flush_due:
                self._flush_due = True
                loop.call_soon(self._flush)  # after the callbacks of this turn: one frame for all they queue
        return await waiter

    # --- parent internals ---------------------------------------------------------------------------
    def _spawn(self) -> None:
        parent, child = socket.socketpair()
        process = _CONTEXT.Process(
            target=_child_main, args=(child, self._url, self._max_batch), name="evinfra-writer", daemon=True
        )
        process.start()
        self._born = time.monotonic()
        child.close()  # the child holds its own copy; the parent's would hide the child's end-of-file
        self._child, self._sock, self._streams = process, parent, None

    def _close_child(self, timeout: float) -> None:
        if self._sock is not None:
            # Now, not at the event loop's next turn (a stream's close() waits for it): the child must see
            # end-of-file while this thread waits for it to exit.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            if self._streams is not None:
                self._streams[1].close()
            else:
                self._sock.close()
        self._sock = self._streams = None
        child, self._child = self._child, None
        if child is not None:
            child.join(timeout)
            if child.is_alive():
                log.error("writer process %s did not stop within %.0f s; killing it", child.pid, timeout)
                child.kill()
                child.join()

    def _flush(self) -> None:
        """Send what is waiting as one frame; the child makes batches of what it finds on its side."""
        self._flush_due = False
        if self._streams is None or not self._pending:
            return
        entries = [entry for entry in self._pending if not entry[2].cancelled()]
        self._pending = []
        entries, payload = _encode(entries)
        if entries:
            self._inflight.extend(entries)
            try:
                self._streams[1].write(_HEADER.pack(len(payload)) + payload)
            except Exception:  # e.g. a transport closing under a dead child
                log.warning("could not send %d writes to the writer process", len(entries), exc_info=True)
                self._streams[1].close()  # the receiver then fails what is in flight, as for a lost child

    async def _receive(self) -> None:
        """While writes are in flight: read the child's answers (in the order sent) and settle them."""
        try:
            if not self._running:
                raise WriterStopped("写入进程未运行 / the writer process is not running")
            if self._child is None:
                self._spawn()
            if self._streams is None:
                assert self._sock is not None
                self._streams = await asyncio.open_connection(sock=self._sock, limit=2**20)
            reader = self._streams[0]
            self._flush()
            while self._inflight or self._flush_due:
                (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
                reply = await reader.readexactly(size)
                outcomes, self.batches, self.items, self.retries = pickle.loads(reply)
                _settle(self._inflight, outcomes)
        except (OSError, EOFError, asyncio.IncompleteReadError, WriterStopped) as exc:
            self._lost(exc)
        except Exception as exc:  # e.g. an answer that does not unpickle: nobody may be left waiting
            log.exception("writer process answer unreadable")
            self._lost(exc)
        finally:
            self._receiver = None
            if self._pending and self._running:  # they were never sent: a new child takes them, if it may
                if time.monotonic() < self._paused_until:
                    pending, self._pending = self._pending, []
                    _fail(pending, WriterStopped("写入进程反复退出，请稍后重试 / the writer process keeps failing"))
                else:
                    self._receiver = asyncio.get_running_loop().create_task(self._receive())

    def _lost(self, exc: BaseException) -> None:
        """The child is gone (or stopping): fail what it held; the next batch starts a new child."""
        lost = list(self._inflight)
        self._inflight.clear()
        if self._running:
            log.error("writer process lost (%r); %d writes failed, starting a new one", exc, len(lost))
            self.restarts += 1
            now = time.monotonic()
            if now - self._born < self._respawn_pause_s:
                self._paused_until = now + self._respawn_pause_s
            self._close_child(timeout=1.0)  # on the event loop: a child that lingers is killed
        else:
            lost += self._pending
            self._pending = []
        _fail(lost, WriterStopped("写入进程中断，请重试 / the writer process stopped, retry"))


def _settle(inflight: deque[Entry], outcomes: list[tuple[bool, Any]]) -> None:
    """The child answers the oldest ``len(outcomes)`` writes it was sent, in that order."""
    if len(outcomes) > len(inflight):
        raise RuntimeError(f"the writer process answered {len(outcomes)} writes, {len(inflight)} were sent")
    for ok, value in outcomes:
        waiter = inflight.popleft()[2]
        if waiter.done():  # cancelled while the batch ran
            continue
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)


def _fail(entries: list[Entry], exc: Exception) -> None:
    for _, _, waiter in entries:
        if not waiter.done():
            waiter.set_exception(exc)


def _encode(batch: list[Entry]) -> tuple[list[Entry], bytes]:
    """Pickle the batch; an item that does not pickle fails alone (a programming error, not the sender's)."""
    try:
        return batch, pickle.dumps([(work, order) for work, order, _ in batch], pickle.HIGHEST_PROTOCOL)
    except Exception:
        kept = []
        for entry in batch:
            try:
                pickle.dumps(entry[0], pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                log.exception("write %r cannot cross into the writer process", entry[0])
                entry[2].set_exception(TypeError(f"write cannot be sent to the writer process: {exc}"))
            else:
                kept.append(entry)
        return _encode(kept) if kept else ([], b"")


# --- the child ----------------------------------------------------------------------------------------
class _ChildCommit(_GroupCommit):
    """The shared group-commit logic, answering by collecting the outcomes for the parent."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, max_batch: int) -> None:
        super().__init__(uow_factory, max_batch=max_batch)
        self.answered: list[Outcome] = []

    def _answer(self, outcomes: list[Outcome]) -> None:
        self.answered.extend(outcomes)

    def commit(self, batch: list[tuple[Any, Order | None]]) -> list[tuple[bool, Any]]:
        items = [_Item(work, order=order) for work, order in batch]
        self.answered = []
        self._commit_batch(items)
        by_item = {id(item): (ok, value) for item, ok, value in self.answered}
        return [by_item[id(item)] for item in items]


def _child_main(sock: socket.socket, database_url: str, max_batch: int) -> None:
    # Ctrl-C, or a service manager's SIGTERM, reaches the whole process group. The worker then finishes the
    # requests under way, which need this process: it stops when the worker closes the socket (end-of-file).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    engine = make_engine(database_url)
    writer = _ChildCommit(UnitOfWorkFactory(engine), max_batch=max_batch)
    frames = _Frames(sock)
    waiting: deque[tuple[Any, Order | None]] = deque()
    try:
        while True:
            # Wait for work only when there is none; otherwise take what has arrived during the last COMMIT.
            for frame in frames.read(block=not waiting):
                waiting.extend(pickle.loads(frame))
            if not waiting:
                return  # end-of-file: the parent is gone or stopping
            batch = [waiting.popleft() for _ in range(min(len(waiting), max_batch))]
            reply = _encode_reply(writer.commit(batch), writer)
            sock.sendall(_HEADER.pack(len(reply)) + reply)
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent died while the batch committed; nobody was told it succeeded
    finally:
        engine.dispose()


class _Frames:
    """Length-prefixed frames from the parent, read as they come."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._eof = False

    def read(self, *, block: bool) -> list[bytes]:
        """The complete frames received so far; with ``block``, wait for at least one (none: end-of-file)."""
        while not self._eof:
            try:
                chunk = self._sock.recv(_READ_SIZE, 0 if block else socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if not chunk:
                self._eof = True
                break
            self._buffer += chunk
            if block and self._complete():
                block = False  # one frame is here: take the rest of what has arrived, without waiting
        return self._take()

    def _complete(self) -> bool:
        buffer = self._buffer
        return len(buffer) >= _HEADER.size and len(buffer) >= _HEADER.size + _HEADER.unpack_from(buffer)[0]

    def _take(self) -> list[bytes]:
        frames = []
        while self._complete():
            size = _HEADER.size + _HEADER.unpack_from(self._buffer)[0]
            frames.append(bytes(self._buffer[_HEADER.size : size]))
            del self._buffer[:size]
        return frames


def _encode_reply(outcomes: list[tuple[bool, Any]], writer: _ChildCommit) -> bytes:
    """A failure whose exception would not survive the trip (pickle and unpickle) is sent as what it said;
    so is a result that would not (a programming error: the write is committed, its caller hears it failed,
    as when an answer is lost on the network)."""
    safe = [(ok, value if ok or _survives(value) else _plain(value)) for ok, value in outcomes]
    counters = (writer.batches, writer.items, writer.retries)
    try:
        return pickle.dumps((safe, *counters), pickle.HIGHEST_PROTOCOL)
    except Exception:
        checked = [(ok, value) if _survives(value) else (False, _plain(value)) for ok, value in safe]
        return pickle.dumps((checked, *counters), pickle.HIGHEST_PROTOCOL)


def _plain(value: Any) -> RuntimeError:
    return RuntimeError(f"{type(value).__name__}: {value}")


def _survives(value: Any) -> bool:
    try:
        pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    except Exception:
        return False
    return True
