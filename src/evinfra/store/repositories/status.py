"""Connector state: the current value plus history as (state, start, end) intervals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from evinfra.domain.status import ConnectorState, Occupancy, OperationalState, StatusInterval
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


class StatusRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def apply(self, report: StatusReport, received_at: datetime) -> Applied:
        """Fold a report into current state and history.

        Reports arrive late and twice. A report ordered after the stored one moves the current state;
        an earlier one is spliced into history at its own time and leaves the current state alone; an
        identical one changes nothing, so operators may safely retry.
        """
        conn = self.session.get(ConnectorRow, report.connector_pk, with_for_update=True)
        if conn is None:
            raise LookupError(f"connector pk {report.connector_pk} does not exist")
        key = (report.reported_at, report.seq)
        stored = None if conn.state_reported_at is None else (conn.state_reported_at, conn.state_report_seq)
        same_state = (conn.state_operational, conn.state_occupancy) == (
            report.state.operational.value,
            report.state.occupancy.value,
        )
        if stored is not None and key == stored:
            return Applied.DUPLICATE
        if stored is None or key > stored:
            if not same_state or conn.state_since is None:
                self._close_open(conn.pk, report.reported_at)
                self._open(report, report.reported_at, None)
                conn.state_operational = report.state.operational.value
                conn.state_occupancy = report.state.occupancy.value
                conn.state_since = report.reported_at
            conn.state_reported_at, conn.state_report_seq = key
            conn.state_received_at = received_at
            self.session.flush()
            return Applied.CURRENT
        return self._splice(conn, report)

    def _close_open(self, connector_pk: int, at: datetime) -> None:
        for row in self.session.scalars(
            select(ConnectorStatusIntervalRow).where(
                ConnectorStatusIntervalRow.connector_pk == connector_pk, ConnectorStatusIntervalRow.ended_at.is_(None)
            )
        ):
            row.ended_at = max(at, row.started_at)

    def _open(self, report: StatusReport, start: datetime, end: datetime | None) -> None:
        self.session.add(
            ConnectorStatusIntervalRow(
                connector_pk=report.connector_pk,
                operational=report.state.operational.value,
                occupancy=report.state.occupancy.value,
                raw_status=report.raw_status,
                started_at=start,
                ended_at=end,
            )
        )

    def _splice(self, conn: ConnectorRow, report: StatusReport) -> Applied:
        """Insert a late report: it holds from its time until the next known change."""
        t = report.reported_at
        containing = self.session.scalar(
            select(ConnectorStatusIntervalRow)
            .where(ConnectorStatusIntervalRow.connector_pk == conn.pk, ConnectorStatusIntervalRow.started_at <= t)
            .order_by(ConnectorStatusIntervalRow.started_at.desc(), ConnectorStatusIntervalRow.pk.desc())
            .limit(1)
        )
        if containing is None:  # before the first thing we know
            first = self.session.scalar(
                select(ConnectorStatusIntervalRow.started_at)
                .where(ConnectorStatusIntervalRow.connector_pk == conn.pk)
                .order_by(ConnectorStatusIntervalRow.started_at)
                .limit(1)
            )
            self._open(report, t, first)
            self.session.flush()
            return Applied.HISTORY
        if (containing.operational, containing.occupancy) == (
            report.state.operational.value,
            report.state.occupancy.value,
        ):
            return Applied.DUPLICATE
        old_end = containing.ended_at
        if containing.started_at == t:  # same instant: the later-sequenced report already won
            return Applied.DUPLICATE
        containing.ended_at = t
        if old_end is None:
            # The open interval: the current state was last confirmed at state_reported_at.
            confirmed = conn.state_reported_at or t
            self._open(report, t, confirmed)
            current = StatusReport(conn.pk, _state(conn), confirmed, conn.state_report_seq)
            self._open(current, confirmed, None)
        else:
            self._open(report, t, old_end)
        self.session.flush()
        return Applied.HISTORY

    def current(self, connector_pk: int) -> tuple[ConnectorState, datetime | None, datetime | None]:
        """(state, since, last report time) of one connector."""
        conn = self.session.get(ConnectorRow, connector_pk)
        if conn is None:
            raise LookupError(f"connector pk {connector_pk} does not exist")
        return _state(conn), conn.state_since, conn.state_reported_at

    def history(
        self, connector_pk: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[StatusInterval]:
        """Intervals overlapping [start, end), oldest first."""
        query = select(ConnectorStatusIntervalRow, ConnectorRow.operator_id, ConnectorRow.connector_id).join(
            ConnectorRow, ConnectorRow.pk == ConnectorStatusIntervalRow.connector_pk
        )
        query = query.where(ConnectorStatusIntervalRow.connector_pk == connector_pk)
        if end is not None:
            query = query.where(ConnectorStatusIntervalRow.started_at < end)
        if start is not None:
            query = query.where(
                (ConnectorStatusIntervalRow.ended_at.is_(None)) | (ConnectorStatusIntervalRow.ended_at > start)
            )
        query = query.order_by(ConnectorStatusIntervalRow.started_at, ConnectorStatusIntervalRow.pk)
        return [
            StatusInterval(
                connector_key=(operator_id, connector_id),
                state=ConnectorState(OperationalState(row.operational), Occupancy(row.occupancy)),
                start=row.started_at,
                end=row.ended_at,
            )
            for row, operator_id, connector_id in self.session.execute(query)
        ]


def _state(conn: ConnectorRow) -> ConnectorState:
    return ConnectorState(OperationalState(conn.state_operational), Occupancy(conn.state_occupancy))
