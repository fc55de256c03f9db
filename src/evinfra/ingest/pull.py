"""Periodic pull of operators' CPO interfaces: station info (full, then incremental) and connector status.

Pushes are the primary feed; pulling catches what pushes missed and seeds a new operator (reference §9,
102.2 §4 a/b). Scheduling is pure: :meth:`PullScheduler.run_once` takes ``now`` and the randomness is
injected, so back-off and due-ness are testable with a fake clock.

What the scheduler remembers per target (:class:`TargetState`) goes through a :class:`StateStore`: loaded when the
scheduler is made, saved after every sync attempt, failed or not. The default keeps it in memory; ``evinfra pull
run`` keeps it in the store (:class:`evinfra.ingest.pull_state.StorePullState`), so a restart resumes incrementally
from the last successful sync and keeps the back-off.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from evinfra.protocols.tcec.client import PullError

__all__ = [
    "MemoryStateStore",
    "PullKind",
    "PullScheduler",
    "PullTarget",
    "Sink",
    "StateStore",
    "StationSource",
    "SyncOutcome",
    "TargetState",
]

logger = logging.getLogger(__name__)

PullKind = Literal["station_info", "station_status"]
Sink = Callable[[str, PullKind, dict[str, Any]], None]
"""``sink(operator_id, kind, payload)``: stores one StationInfo or one StationStatusInfo as pulled."""


class StationSource(Protocol):
    """What the scheduler needs from a pull client (:class:`~evinfra.protocols.tcec.client.PullClient`)."""

    def query_stations_info(self, last_query_time: datetime | None = None) -> Iterable[dict[str, Any]]: ...

    def query_station_status(self, station_ids: Sequence[str]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class PullTarget:
    """One operator to pull from: its ID, a client bound to its endpoint and keys, and where results go."""

    operator_id: str
    client: StationSource
    sink: Sink


@dataclass(slots=True)
class TargetState:
    """What the scheduler remembers per target between syncs."""

    next_due: datetime | None = None  # None = due now (never synced)
    last_sync_start: datetime | None = None  # start of the last fully successful sync; None = full sync next
    failures: int = 0  # consecutive failed syncs
    last_error: str | None = None
    station_ids: dict[str, None] = field(default_factory=dict)  # insertion-ordered set of known StationIDs
    last_success_at: datetime | None = None  # when the last fully successful sync ended (scheduler's clock)

    def copy(self) -> TargetState:
        """An independent copy (the set of StationIDs included)."""
        return replace(self, station_ids=dict(self.station_ids))


class StateStore(Protocol):
    """Where :class:`PullScheduler` keeps its :class:`TargetState` across restarts."""

    def load(self, operator_ids: Sequence[str]) -> dict[str, TargetState]:
        """The saved state of those targets that have one; a target left out starts afresh (full sync, due now)."""
        ...

    def save(self, operator_id: str, state: TargetState) -> None:
        """Remember ``state`` (durably, for a persistent store); called after every sync attempt."""
        ...


class MemoryStateStore:
    """A :class:`StateStore` in memory: the default, gone with the process. Keeps copies, never the live state."""

    def __init__(self) -> None:
        self.states: dict[str, TargetState] = {}

    def load(self, operator_ids: Sequence[str]) -> dict[str, TargetState]:
        return {op: self.states[op].copy() for op in operator_ids if op in self.states}

    def save(self, operator_id: str, state: TargetState) -> None:
        self.states[operator_id] = state.copy()


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """The result of one target's sync in :meth:`PullScheduler.run_once`."""

    operator_id: str
    ok: bool
    full: bool
    stations: int
    statuses: int
    next_due: datetime
    error: str | None = None


class PullScheduler:
    """Syncs each target every ``interval``; after a failure, backs off exponentially with jitter.

    A sync is: station info (full when never synced successfully, else incremental from the last successful
    sync's start minus ``overlap`` to absorb clock skew with the operator), then status for every StationID
    known for that target. Back-off after the n-th consecutive failure is ``min(cap, base * 2**(n-1))``
    scaled by a factor in ``[1 - jitter, 1]`` drawn from ``rng``, so many failing operators do not retry in
    lock-step and the cap is never exceeded.

    The state of each target is loaded from ``state_store`` once, here, and saved to it after each sync attempt;
    a store failure on save is logged, never raised (the state stays in memory and goes out with the next save).
    A resumed target keeps its due time, except that a successful target is due no later than ``interval`` after
    its last sync started, so a shorter ``interval`` takes effect at once.
    """

    def __init__(
        self,
        targets: Sequence[PullTarget],
        *,
        interval: timedelta = timedelta(minutes=5),
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(minutes=30),
        jitter: float = 0.5,
        overlap: timedelta = timedelta(seconds=60),
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
        state_store: StateStore | None = None,
    ) -> None:
        ids = [target.operator_id for target in targets]
        if len(set(ids)) != len(ids):
            raise ValueError("pull targets must have distinct operator IDs")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError(f"jitter must be within [0, 1], got {jitter}")
        self._targets = {target.operator_id: target for target in targets}
        self._store: StateStore = state_store if state_store is not None else MemoryStateStore()
        saved = self._store.load(ids)
        self._states = {op: saved[op] if op in saved else TargetState() for op in ids}
        self.interval = interval
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.jitter = jitter
        self.overlap = overlap
        self._rng = rng if rng is not None else random.Random()
        self._clock = clock if clock is not None else (lambda: datetime.now(UTC))
        for op, state in self._states.items():
            if op in saved:
                self._resume(op, state)

    @property
    def targets(self) -> list[PullTarget]:
        return list(self._targets.values())

    def state(self, operator_id: str) -> TargetState:
        """The live state of one target (for inspection and tests)."""
        return self._states[operator_id]

    def due(self, now: datetime) -> list[str]:
        """Operator IDs whose sync is due at ``now``, in target order."""
        return [op for op, st in self._states.items() if st.next_due is None or st.next_due <= now]

    def next_wakeup(self) -> datetime | None:
        """The earliest ``next_due``; None when some target has never been synced (i.e. due immediately)."""
        dues = [st.next_due for st in self._states.values()]
        if not dues or any(due is None for due in dues):
            return None
        return min(due for due in dues if due is not None)

    def backoff(self, failures: int) -> timedelta:
        """The wait after ``failures`` consecutive failures (>= 1), jitter included."""
        raw = min(self.backoff_cap, self.backoff_base * (1 << min(max(failures, 1) - 1, 32)))
        return raw * (1.0 - self.jitter * self._rng.random())

    def run_once(self, now: datetime) -> list[SyncOutcome]:
        """Sync every target that is due at ``now`` and save its state; never raises for a target's failure."""
        outcomes = []
        for op in self.due(now):
            outcomes.append(self._sync(self._targets[op], self._states[op], now))
            self._save(op)
        return outcomes

    def run_forever(self, stop_event: threading.Event, *, max_sleep: float = 60.0) -> None:
        """Loop until ``stop_event`` is set, sleeping until the next target is due (at most ``max_sleep`` s)."""
        while not stop_event.is_set():
            self.run_once(self._clock())
            wake = self.next_wakeup()
            delay = 0.0 if wake is None else (wake - self._clock()).total_seconds()
            stop_event.wait(min(max(delay, 0.0), max_sleep))

    def _resume(self, operator_id: str, state: TargetState) -> None:
        if state.failures == 0 and state.last_sync_start is not None and state.next_due is not None:
            state.next_due = min(state.next_due, state.last_sync_start + self.interval)
        logger.info(
            "pull %s resumes: last sync started %s, %d consecutive failures, next due %s",
            operator_id,
            "never" if state.last_sync_start is None else state.last_sync_start.isoformat(),
            state.failures,
            "now" if state.next_due is None else state.next_due.isoformat(),
        )

    def _save(self, operator_id: str) -> None:
        try:
            self._store.save(operator_id, self._states[operator_id])
        except Exception:  # the sync itself is done; the state is saved again after the next attempt
            logger.exception("pull %s: could not save the pull state", operator_id)

    def _sync(self, target: PullTarget, state: TargetState, now: datetime) -> SyncOutcome:
        full = state.last_sync_start is None
        since = None if state.last_sync_start is None else state.last_sync_start - self.overlap
        stations = statuses = 0
        try:
            for info in target.client.query_stations_info(since):
                target.sink(target.operator_id, "station_info", info)
                station_id = info.get("StationID")
                if isinstance(station_id, str) and station_id:
                    state.station_ids[station_id] = None
                stations += 1
            if state.station_ids:
                for status in target.client.query_station_status(list(state.station_ids)):
                    target.sink(target.operator_id, "station_status", status)
                    statuses += 1
        except Exception as exc:  # one operator's failure must not stop the others
            if isinstance(exc, PullError):
                logger.warning("pull %s failed: %s", target.operator_id, exc)
            else:
                logger.exception("pull %s failed unexpectedly", target.operator_id)
            state.failures += 1
            state.last_error = f"{type(exc).__name__}: {exc}"
            state.next_due = now + self.backoff(state.failures)
            return SyncOutcome(target.operator_id, False, full, stations, statuses, state.next_due, state.last_error)
        state.failures = 0
        state.last_error = None
        state.last_sync_start = now
        state.last_success_at = self._clock()
        state.next_due = now + self.interval
        return SyncOutcome(target.operator_id, True, full, stations, statuses, state.next_due)
