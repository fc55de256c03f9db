"""Writes behind the hub's notifications. Each function runs inside one batch-writer savepoint.

They take domain objects (the protocol adapter has already translated the wire format), so the same
functions serve pushes, pulls and bulk loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import IntEnum

from evinfra.domain.alarm import Alarm, Event
from evinfra.domain.network import StationTree
from evinfra.domain.order import ChargeOrder, ChargeStatusSample
from evinfra.domain.region import RegionCatalog, check_area_code, check_town_code
from evinfra.domain.status import ConnectorState
from evinfra.store.repositories.status import Applied, StatusReport
from evinfra.store.uow import SqlUnitOfWork


class Replay(Exception):
    """The same signed envelope arrived twice."""


class UnknownObject(LookupError):
    """A station or connector the operator never registered (or that belongs to another operator)."""

    def __init__(self, kind: str, object_id: str) -> None:
        self.kind = kind
        self.object_id = object_id
        super().__init__(f"{kind} {object_id}")

    def __reduce__(self) -> tuple[type[UnknownObject], tuple[str, str]]:  # crosses from the writer process
        return UnknownObject, (self.kind, self.object_id)


class ConfirmResult(IntEnum):
    OK = 0  # 成功
    DISPUTED = 1  # 争议交易


class DisputeReason(IntEnum):
    MISSING = 1  # 交易不存在
    MONEY = 2  # 金额错误
    ENERGY = 3  # 电量错误
    UNLISTED = 4  # 自定义: the platform holds an order the operator did not list


@dataclass(frozen=True, slots=True)
class QualityNote:
    interface: str
    field: str
    variant: str
    example: str


@dataclass(frozen=True, slots=True)
class Dispute:
    start_charge_seq: str
    energy_kwh: float
    total_money: Decimal
    reason: DisputeReason


@dataclass(frozen=True, slots=True)
class OrderTotals:
    start_charge_seq: str
    energy_kwh: float
    total_money: Decimal


class ConnectorCache:
    """(operator, connector id) → connector pk. Pks never change, so entries never go stale."""

    def __init__(self) -> None:
        self._pks: dict[tuple[str, str], int] = {}

    def pk(self, uow: SqlUnitOfWork, operator_id: str, connector_id: str) -> int:
        key = (operator_id, connector_id)
        pk = self._pks.get(key)
        if pk is None:
            pk = uow.network.connector_pk(operator_id, connector_id)
            if pk is None:
                raise UnknownObject("ConnectorID", connector_id)
            self._pks[key] = pk
        return pk


def accept(uow: SqlUnitOfWork, operator_id: str, sig: str, sent_at: datetime, received_at: datetime) -> None:
    """Guard against replay, in the write's own transaction."""
    if not uow.hub.first_sighting(operator_id, sig.upper(), sent_at, received_at):
        raise Replay(sig)


def tally(uow: SqlUnitOfWork, operator_id: str, received_at: datetime, notes: Iterable[QualityNote]) -> None:
    """Count the sender's deviations when the transaction commits (see ``FindingTally``). Call it once the
    write has succeeded: a write that fails in its SAVEPOINT must count nothing, and the tally is not rolled
    back with it."""
    for note in notes:
        uow.finding_tally.add(operator_id, note.interface, note.field, note.variant, note.example, received_at)


def check_station(tree: StationTree, regions: RegionCatalog) -> None:
    """The station's region codes exist; checked before the write, which may run in another process."""
    station = tree.station
    check_area_code("AreaCode", station.area_code, regions)
    if station.town_code is not None:
        check_town_code("AreaCodeCountryside", station.town_code, regions)


def write_station(uow: SqlUnitOfWork, tree: StationTree, now: datetime, regions: RegionCatalog) -> int:
    check_station(tree, regions)
    return uow.network.save_tree(tree, now)


def write_status(
    uow: SqlUnitOfWork,
    cache: ConnectorCache,
    operator_id: str,
    connector_id: str,
    state: ConnectorState,
    raw_status: int,
    reported_at: datetime,
    seq: int,
    received_at: datetime,
) -> Applied:
    pk = cache.pk(uow, operator_id, connector_id)
    return uow.status.apply(StatusReport(pk, state, reported_at, seq, raw_status), received_at)


def write_sample(uow: SqlUnitOfWork, cache: ConnectorCache, sample: ChargeStatusSample) -> bool:
    return uow.sessions.add_sample(sample, cache.pk(uow, sample.operator_id, sample.connector_id))


def write_order(uow: SqlUnitOfWork, cache: ConnectorCache, order: ChargeOrder, received_at: datetime) -> ConfirmResult:
    """Store an order once. A re-push of the same order is confirmed again; a different order under the
    same StartChargeSeq is a disputed transaction and changes nothing."""
    stored, created = uow.sessions.add_order(order, cache.pk(uow, order.operator_id, order.connector_id), received_at)
    if created or _same_totals(stored, order):
        return ConfirmResult.OK
    return ConfirmResult.DISPUTED


def _same_totals(a: ChargeOrder, b: ChargeOrder) -> bool:
    return (
        a.connector_id == b.connector_id
        and abs(a.energy_kwh - b.energy_kwh) < 0.005
        and a.total_money == b.total_money
        and a.start == b.start
        and a.end == b.end
    )


def reconcile_orders(
    uow: SqlUnitOfWork, operator_id: str, start: datetime, end: datetime, listed: Sequence[OrderTotals]
) -> list[Dispute]:
    """check_charge_orders: compare the operator's list for [start, end] with the stored orders.

    EndTime is inclusive (operators send ``23:59:59`` for a whole day), hence the extra second.
    """
    stored = {
        o.start_charge_seq: o
        for o in uow.sessions.orders(
            operator_id=operator_id, ended_from=start, ended_to=end + timedelta(seconds=1), limit=1_000_000
        )
    }
    disputes: list[Dispute] = []
    seen: set[str] = set()
    for item in listed:
        seen.add(item.start_charge_seq)
        ours = stored.get(item.start_charge_seq) or uow.sessions.get_order(operator_id, item.start_charge_seq)
        if ours is None:
            disputes.append(Dispute(item.start_charge_seq, item.energy_kwh, item.total_money, DisputeReason.MISSING))
        elif ours.total_money != item.total_money:
            disputes.append(Dispute(item.start_charge_seq, ours.energy_kwh, ours.total_money, DisputeReason.MONEY))
        elif abs(ours.energy_kwh - item.energy_kwh) >= 0.005:
            disputes.append(Dispute(item.start_charge_seq, ours.energy_kwh, ours.total_money, DisputeReason.ENERGY))
    for seq, ours in sorted(stored.items()):
        if seq not in seen:
            disputes.append(Dispute(seq, ours.energy_kwh, ours.total_money, DisputeReason.UNLISTED))
    return disputes


def _station_pk(uow: SqlUnitOfWork, operator_id: str, station_id: str) -> int:
    pk = uow.network.station_pk(operator_id, station_id)
    if pk is None:
        raise UnknownObject("StationID", station_id)
    return pk


def write_alarms(uow: SqlUnitOfWork, alarms: Iterable[Alarm]) -> int:
    return sum(uow.sessions.raise_or_clear_alarm(a, _station_pk(uow, a.operator_id, a.station_id)) for a in alarms)


def write_events(uow: SqlUnitOfWork, events: Iterable[Event]) -> int:
    return sum(uow.sessions.add_event(e, _station_pk(uow, e.operator_id, e.station_id)) for e in events)


def write_power(
    uow: SqlUnitOfWork,
    operator_id: str,
    samples: Iterable[tuple[str, str | None, str | None, datetime, float]],
) -> int:
    """(station id, equipment id, connector id, time, kW) rows of notification_realtime_power_info.

    Negative power is discharge (V2G) and is kept as sent. Idempotent: a sample already stored for the same
    (station, equipment, connector, time) is skipped, keeping the first value. Returns how many were new.
    """
    n = 0
    for station_id, equipment_id, connector_id, at, power_kw in samples:
        n += uow.hub.add_power(_station_pk(uow, operator_id, station_id), equipment_id, connector_id, at, power_kw)
    return n
