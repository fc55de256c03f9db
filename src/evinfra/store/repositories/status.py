"""Connector state: the current value plus history as (state, start, end) intervals.

:meth:`StatusRepository.apply` runs for every status notification the hub acknowledges, so it runs
:class:`~evinfra.store.prepared.Prepared` statements on the session's own DBAPI connection instead of
loading ORM objects or going through ``Connection.execute``: the per-call machinery of either cost
several times what the statements themselves cost. The repository never puts connector-state or
interval objects into the session's identity map, and expires a connector that is already there after
changing its state, so ORM readers in the same transaction never see stale values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, case, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from evinfra.domain.status import ConnectorState, Occupancy, OperationalState, StatusInterval
from evinfra.store.prepared import Prepared, Statements, driver_connection
from evinfra.store.rows import ConnectorRow, ConnectorStatusIntervalRow


class Applied(StrEnum):
    CURRENT = "current"  # newer than what we had: the connector's state now
    HISTORY = "history"  # older than the stored state: written into history only
    DUPLICATE = "duplicate"  # already known: nothing changed


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One status observation: ``reported_at`` and ``seq`` order reports from the same operator."""

    connector_pk: int
    state: ConnectorState
    reported_at: datetime
    seq: int = 0
    raw_status: int | None = None


_CONNECTORS = cast(Table, ConnectorRow.__table__)
_INTERVALS = cast(Table, ConnectorStatusIntervalRow.__table__)
_C = _CONNECTORS.c
_I = _INTERVALS.c
_STATE_ATTRS = [
    "state_operational",
    "state_occupancy",
    "state_since",
    "state_reported_at",
    "state_report_seq",
    "state_received_at",
]

# --- statements, built once -----------------------------------------------------------------------
_SELECT_STATE = select(
    _C.state_operational, _C.state_occupancy, _C.state_since, _C.state_reported_at, _C.state_report_seq
).where(_C.pk == bindparam("p_pk"))
_LOCK_STATE = _SELECT_STATE.with_for_update()  # PostgreSQL: row lock; SQLite: BEGIN IMMEDIATE already serialises
_SET_STATE = (
    update(_CONNECTORS)
    .where(_C.pk == bindparam("p_pk"))
    .values(
        state_operational=bindparam("p_operational"),
        state_occupancy=bindparam("p_occupancy"),
        state_since=bindparam("p_since", type_=_C.state_since.type),
        state_reported_at=bindparam("p_reported_at", type_=_C.state_reported_at.type),
        state_report_seq=bindparam("p_seq"),
        state_received_at=bindparam("p_received_at", type_=_C.state_received_at.type),
    )
)
_AT = bindparam("p_at", type_=_I.started_at.type)
_CLOSE_OPEN = (
    update(_INTERVALS)
    .where(_I.connector_pk == bindparam("p_pk"), _I.ended_at.is_(None))
    .values(ended_at=case((_I.started_at > _AT, _I.started_at), else_=_AT))  # max(at, started_at)
)
_INSERT_INTERVAL = insert(_INTERVALS).values(
    connector_pk=bindparam("connector_pk"),
    operational=bindparam("operational"),
    occupancy=bindparam("occupancy"),
    raw_status=bindparam("raw_status"),
    started_at=bindparam("started_at", type_=_I.started_at.type),
    ended_at=bindparam("ended_at", type_=_I.ended_at.type),
)
_CONTAINING = (
    select(_I.pk, _I.operational, _I.occupancy, _I.started_at, _I.ended_at)
    .where(_I.connector_pk == bindparam("p_pk"), _I.started_at <= bindparam("p_at", type_=_I.started_at.type))
    .order_by(_I.started_at.desc(), _I.pk.desc())
    .limit(1)
)
_FIRST_START = select(_I.started_at).where(_I.connector_pk == bindparam("p_pk")).order_by(_I.started_at).limit(1)
_SET_END = (
    update(_INTERVALS)
    .where(_I.pk == bindparam("p_interval_pk"))
    .values(ended_at=bindparam("p_end", type_=_I.ended_at.type))
)
# PostgreSQL only (SQLite has no data-modifying WITH): close the open interval, open the new one and move the
# current state in one statement, one round trip instead of three. PostgreSQL runs every data-modifying CTE
# exactly once, referenced or not, and the UPDATE in ``closed`` does not see the row ``opened`` inserts.
_ADVANCE = Statements(
    advance=_SET_STATE.add_cte(_CLOSE_OPEN.returning(_I.pk).cte("closed")).add_cte(
        _INSERT_INTERVAL.returning(_I.pk).cte("opened")
    )
)
_STATEMENTS = Statements(
    lock_state=_LOCK_STATE,
    set_state=_SET_STATE,
    close_open=_CLOSE_OPEN,
    insert_interval=_INSERT_INTERVAL,
    containing=_CONTAINING,
    first_start=_FIRST_START,
    set_end=_SET_END,
)


class StatusRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _conn(self) -> Connection:
        self.session.flush()  # ORM writes pending in this transaction must be visible to the SQL below
        return self.session.connection()

    def apply(self, report: StatusReport, received_at: datetime) -> Applied:
        """Fold a report into current state and history.

        Reports arrive late and twice. A report ordered after the stored one moves the current state;
        an earlier one is spliced into history at its own time and leaves the current state alone; an
        identical one changes nothing, so operators may safely retry.
        """
        db = driver_connection(self.session)
        dialect = self.session.get_bind().dialect
        sql = _STATEMENTS.for_dialect(dialect)
        pk = report.connector_pk
        conn = sql["lock_state"].one_or_none(db, {"p_pk": pk})
        if conn is None:
            raise LookupError(f"connector pk {pk} does not exist")
        stored_operational, stored_occupancy, since, stored_at, stored_seq = conn
        key = (report.reported_at, report.seq)
        stored = None if stored_at is None else (stored_at, stored_seq)
        operational, occupancy = report.state.operational.value, report.state.occupancy.value
        same_state = (stored_operational, stored_occupancy) == (operational, occupancy)
        if stored is not None and key == stored:
            return Applied.DUPLICATE
        if stored is None or key > stored:
            changed = not same_state or since is None
            state = {
                "p_pk": pk,
                "p_operational": operational,
                "p_occupancy": occupancy,
                "p_since": report.reported_at if changed else since,
                "p_reported_at": report.reported_at,
                "p_seq": report.seq,
                "p_received_at": received_at,
            }
            if changed and dialect.name == "postgresql":
                interval = _interval(pk, operational, occupancy, report.raw_status, report.reported_at, None)
                _ADVANCE.for_dialect(dialect)["advance"].run(db, {**state, **interval, "p_at": report.reported_at})
            else:
                if changed:
                    sql["close_open"].run(db, {"p_pk": pk, "p_at": report.reported_at})
                    _open(sql, db, pk, operational, occupancy, report.raw_status, report.reported_at, None)
                sql["set_state"].run(db, state)
            self._expire_connector(pk)
            return Applied.CURRENT
        return _splice(sql, db, conn, report)

    def _expire_connector(self, pk: int) -> None:
        """A ConnectorRow another repository loaded in this session must not keep the old state."""
        identity_map = self.session.identity_map
        if not len(identity_map):  # the hub's writer loads no ORM objects: nothing to look up
            return
        loaded = identity_map.get(identity_key(ConnectorRow, pk))
        if loaded is not None:
            self.session.expire(loaded, _STATE_ATTRS)

    def current(self, connector_pk: int) -> tuple[ConnectorState, datetime | None, datetime | None]:
        """(state, since, last report time) of one connector."""
        conn = self._conn().execute(_SELECT_STATE, {"p_pk": connector_pk}).one_or_none()
        if conn is None:
            raise LookupError(f"connector pk {connector_pk} does not exist")
        return _state(conn.state_operational, conn.state_occupancy), conn.state_since, conn.state_reported_at

    def history(
        self, connector_pk: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[StatusInterval]:
        """Intervals overlapping [start, end), oldest first."""
        query = select(_I.operational, _I.occupancy, _I.started_at, _I.ended_at, _C.operator_id, _C.connector_id).join(
            _CONNECTORS, _C.pk == _I.connector_pk
        )
        query = query.where(_I.connector_pk == connector_pk)
        if end is not None:
            query = query.where(_I.started_at < end)
        if start is not None:
            query = query.where((_I.ended_at.is_(None)) | (_I.ended_at > start))
        query = query.order_by(_I.started_at, _I.pk)
        return [
            StatusInterval(
                connector_key=(row.operator_id, row.connector_id),
                state=_state(row.operational, row.occupancy),
                start=row.started_at,
                end=row.ended_at,
            )
            for row in self._conn().execute(query)
        ]


def _open(
    sql: dict[str, Prepared],
    db: Any,
    pk: int,
    operational: str,
    occupancy: str,
    raw_status: int | None,
    start: datetime,
    end: datetime | None,
) -> None:
    sql["insert_interval"].run(db, _interval(pk, operational, occupancy, raw_status, start, end))


def _interval(
    pk: int, operational: str, occupancy: str, raw_status: int | None, start: datetime, end: datetime | None
) -> dict[str, Any]:
    return {
        "connector_pk": pk,
        "operational": operational,
        "occupancy": occupancy,
        "raw_status": raw_status,
        "started_at": start,
        "ended_at": end,
    }


def _splice(sql: dict[str, Prepared], db: Any, conn: tuple[Any, ...], report: StatusReport) -> Applied:
    """Insert a late report: it holds from its time until the next known change."""
    stored_operational, stored_occupancy, _, stored_at, _ = conn
    pk, t = report.connector_pk, report.reported_at
    operational, occupancy = report.state.operational.value, report.state.occupancy.value
    containing = sql["containing"].one_or_none(db, {"p_pk": pk, "p_at": t})
    if containing is None:  # before the first thing we know
        first = sql["first_start"].one_or_none(db, {"p_pk": pk})
        _open(sql, db, pk, operational, occupancy, report.raw_status, t, first[0] if first else None)
        return Applied.HISTORY
    interval_pk, c_operational, c_occupancy, c_started, old_end = containing
    if (c_operational, c_occupancy) == (operational, occupancy):
        return Applied.DUPLICATE
    if c_started == t:  # same instant: the later-sequenced report already won
        return Applied.DUPLICATE
    sql["set_end"].run(db, {"p_interval_pk": interval_pk, "p_end": t})
    if old_end is None:
        # The open interval: the current state was last confirmed at state_reported_at.
        confirmed = stored_at or t
        _open(sql, db, pk, operational, occupancy, report.raw_status, t, confirmed)
        _open(sql, db, pk, stored_operational, stored_occupancy, None, confirmed, None)
    else:
        _open(sql, db, pk, operational, occupancy, report.raw_status, t, old_end)
    return Applied.HISTORY


def _state(operational: str, occupancy: str) -> ConnectorState:
    return ConnectorState(OperationalState(operational), Occupancy(occupancy))
