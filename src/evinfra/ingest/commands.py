"""The hub's writes as values: which write, with which arguments.

A write handed to the group-commit writer is data, not a closure, so that it can cross into the writer
process that owns the embedded SQLite store (``ingest/writer_process.py``); the in-process writers run
the same objects. Each is a small named tuple (cheap to pickle) whose call runs the write in the batch's
unit of work, with the writer's :class:`WriteContext`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from evinfra.domain.alarm import Alarm, Event
from evinfra.domain.network import StationTree
from evinfra.domain.order import ChargeOrder, ChargeStatusSample
from evinfra.domain.status import ConnectorState
from evinfra.ingest import notifications as writes
from evinfra.ingest.notifications import ConnectorCache, OrderTotals, QualityNote
from evinfra.store.uow import SqlUnitOfWork


class WriteContext:
    """What a writer keeps between batches. Reset after every rollback: a rolled-back batch may have
    cached the pk of a connector it created, which PostgreSQL will not reuse."""

    def __init__(self) -> None:
        self.connectors = ConnectorCache()

    def forget(self) -> None:
        self.connectors = ConnectorCache()


T_co = TypeVar("T_co", covariant=True)


class Command(Protocol[T_co]):
    """A write: run in the batch's unit of work with the writer's context (a plain function will do in
    process; the writer process needs a value that pickles, such as the named tuples below)."""

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext, /) -> T_co: ...


class Notified(NamedTuple):
    """Every hub write: the replay guard, the write itself, then the sender's deviations, in one transaction
    (a replayed envelope writes nothing; a write that fails counts no deviations)."""

    operator_id: str
    sig: str
    sent_at: datetime  # the envelope TimeStamp, which the Sig signs
    received_at: datetime
    notes: tuple[QualityNote, ...]
    body: Command[Any] | None

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> Any:
        writes.accept(uow, self.operator_id, self.sig, self.sent_at, self.received_at)
        result = None if self.body is None else self.body(uow, ctx)
        writes.tally(uow, self.operator_id, self.received_at, self.notes)
        return result


class Status(NamedTuple):
    operator_id: str
    connector_id: str
    state: ConnectorState
    raw_status: int
    reported_at: datetime
    seq: int
    received_at: datetime

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> Any:
        return writes.write_status(uow, ctx.connectors, *self)


class Sample(NamedTuple):
    """notification_equip_charge_status: the sample, and the connector status it carries if any."""

    sample: ChargeStatusSample
    status: Status | None

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> None:
        writes.write_sample(uow, ctx.connectors, self.sample)
        if self.status is not None:
            self.status(uow, ctx)


class Order(NamedTuple):
    order: ChargeOrder
    received_at: datetime

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> writes.ConfirmResult:
        return writes.write_order(uow, ctx.connectors, self.order, self.received_at)


class Station(NamedTuple):
    """A station tree whose region codes the caller has already checked against the catalog."""

    tree: StationTree
    received_at: datetime

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> int:
        return uow.network.save_tree(self.tree, self.received_at)


class Reconcile(NamedTuple):
    operator_id: str
    start: datetime
    end: datetime
    listed: tuple[OrderTotals, ...]

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> list[writes.Dispute]:
        return writes.reconcile_orders(uow, self.operator_id, self.start, self.end, self.listed)


class Alarms(NamedTuple):
    alarms: tuple[Alarm, ...]

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> int:
        return writes.write_alarms(uow, self.alarms)


class Events(NamedTuple):
    events: tuple[Event, ...]

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> int:
        return writes.write_events(uow, self.events)


class Power(NamedTuple):
    operator_id: str
    rows: tuple[tuple[str, str | None, str | None, datetime, float], ...]

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> int:
        return writes.write_power(uow, self.operator_id, self.rows)


class AddToken(NamedTuple):
    digest: str
    operator_id: str
    issued: datetime
    expires: datetime

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> None:
        uow.hub.add_token(self.digest, self.operator_id, self.issued, self.expires)


class Purge(NamedTuple):
    """Housekeeping: expired tokens, and envelope signatures too old to be replayed."""

    now: datetime
    sent_before: datetime  # envelopes sent earlier are refused as stale before the replay guard is asked

    def __call__(self, uow: SqlUnitOfWork, ctx: WriteContext) -> None:
        uow.hub.purge_expired(self.now, self.sent_before)
