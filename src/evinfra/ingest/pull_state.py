"""The pull scheduler's state in the store (table ``pull_state``), so ``evinfra pull run`` resumes after a restart.

One row per operator, written after every sync attempt (one unit of work, one commit). How a
:class:`~evinfra.ingest.pull.TargetState` maps onto the row:

============================ ================================================================================
``last_query_time``          ``last_sync_start``: when the last fully successful sync started, i.e. the
                             time of the last query in the sense of T/CEC's LastQueryTime. The next
                             query_stations_info asks for changes since this, less the scheduler's overlap;
                             NULL means the next sync is a full one.
``last_success_at``          ``last_success_at``: when that sync ended.
``failures``                 ``failures``: consecutive failed syncs, which set the back-off.
``next_due_at``              ``next_due``: when the next sync is due (NULL = now).
``last_error``               ``last_error`` ('' = none), cut to 500 characters.
``extra["station_ids"]``     ``station_ids``: the StationIDs learned from pulls, in order; after a restart the
                             status query still covers every known station, not only those an incremental
                             query_stations_info returned.
============================ ================================================================================

Everything the scheduler keeps survives a restart; only ``last_error`` beyond 500 characters is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evinfra.ingest.pull import TargetState
from evinfra.store.repositories.hub import PullState
from evinfra.store.uow import UnitOfWorkFactory

__all__ = ["STATION_IDS", "StorePullState", "from_row", "to_row"]

STATION_IDS = "station_ids"  # key of the known StationIDs in pull_state.extra


class StorePullState:
    """A :class:`~evinfra.ingest.pull.StateStore` over ``pull_state``. A failing save raises (the scheduler logs it)."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    def load(self, operator_ids: Sequence[str]) -> dict[str, TargetState]:
        with self._uow.read() as uow:
            rows = {op: uow.hub.get_pull_state(op) for op in operator_ids}
        return {op: from_row(row) for op, row in rows.items() if row is not None}

    def save(self, operator_id: str, state: TargetState) -> None:
        with self._uow() as uow:
            uow.hub.put_pull_state(to_row(operator_id, state))
            uow.commit()


def to_row(operator_id: str, state: TargetState) -> PullState:
    return PullState(
        operator_id,
        last_success_at=state.last_success_at,
        last_query_time=state.last_sync_start,
        failures=state.failures,
        next_due_at=state.next_due,
        last_error=state.last_error or "",
        extra={STATION_IDS: list(state.station_ids)},
    )


def from_row(row: PullState) -> TargetState:
    return TargetState(
        next_due=row.next_due_at,
        last_sync_start=row.last_query_time,
        failures=max(row.failures, 0),
        last_error=row.last_error or None,
        station_ids=dict.fromkeys(_station_ids(row.extra.get(STATION_IDS))),
        last_success_at=row.last_success_at,
    )


def _station_ids(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item]
