"""Orders, in-session samples, alarms and events: append-mostly, idempotent on their natural keys."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evinfra.domain.alarm import Alarm, AlarmLevel, AlarmType, Event
from evinfra.domain.order import ChargeDetail, ChargeOrder, ChargeStatusSample
from evinfra.store.rows import AlarmRow, ChargeOrderRow, ChargeStatusSampleRow, ConnectorRow, EventRow, StationRow


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- orders -------------------------------------------------------------------------------
    def add_order(self, order: ChargeOrder, connector_pk: int, received_at: datetime) -> tuple[ChargeOrder, bool]:
        """Store an order once. Returns (the stored order, whether it was new): a re-push is not a new sale."""
        existing = self.get_order(order.operator_id, order.start_charge_seq)
        if existing is not None:
            return existing, False
        self.session.add(
            ChargeOrderRow(
                operator_id=order.operator_id,
                start_charge_seq=order.start_charge_seq,
                connector_pk=connector_pk,
                started_at=order.start,
                ended_at=order.end,
                energy_kwh=order.energy_kwh,
                elec_money=order.elec_money,
                service_money=order.service_money,
                total_money=order.total_money,
                stop_reason_code=order.stop_reason_code,
                details=[_detail_to_json(d) for d in order.details],
                received_at=received_at,
            )
        )
        self.session.flush()
        return order, True

    def get_order(self, operator_id: str, start_charge_seq: str) -> ChargeOrder | None:
        row = self.session.execute(
            select(ChargeOrderRow, ConnectorRow.connector_id)
            .join(ConnectorRow, ConnectorRow.pk == ChargeOrderRow.connector_pk)
            .where(ChargeOrderRow.operator_id == operator_id, ChargeOrderRow.start_charge_seq == start_charge_seq)
        ).first()
        return None if row is None else _order_to_domain(row[0], row[1])

    def orders(
        self,
        *,
        operator_id: str | None = None,
        connector_pk: int | None = None,
        ended_from: datetime | None = None,
        ended_to: datetime | None = None,
        limit: int = 1000,
    ) -> list[ChargeOrder]:
        """Orders whose end lies in [ended_from, ended_to), newest first."""
        query = select(ChargeOrderRow, ConnectorRow.connector_id).join(
            ConnectorRow, ConnectorRow.pk == ChargeOrderRow.connector_pk
        )
        if operator_id is not None:
            query = query.where(ChargeOrderRow.operator_id == operator_id)
        if connector_pk is not None:
            query = query.where(ChargeOrderRow.connector_pk == connector_pk)
        if ended_from is not None:
            query = query.where(ChargeOrderRow.ended_at >= ended_from)
        if ended_to is not None:
            query = query.where(ChargeOrderRow.ended_at < ended_to)
        query = query.order_by(ChargeOrderRow.ended_at.desc(), ChargeOrderRow.pk.desc()).limit(limit)
        return [_order_to_domain(r, cid) for r, cid in self.session.execute(query)]

    # --- samples ------------------------------------------------------------------------------
    def add_sample(self, sample: ChargeStatusSample, connector_pk: int) -> bool:
        exists = self.session.scalar(
            select(ChargeStatusSampleRow.pk).where(
                ChargeStatusSampleRow.operator_id == sample.operator_id,
                ChargeStatusSampleRow.start_charge_seq == sample.start_charge_seq,
                ChargeStatusSampleRow.sampled_at == sample.sampled_at,
            )
        )
        if exists is not None:
            return False
        self.session.add(
            ChargeStatusSampleRow(
                operator_id=sample.operator_id,
                start_charge_seq=sample.start_charge_seq,
                connector_pk=connector_pk,
                sampled_at=sample.sampled_at,
                seq_stat=int(sample.seq_stat),
                energy_kwh=sample.energy_kwh,
                current_a=sample.current_a,
                voltage_v=sample.voltage_v,
                soc_pct=sample.soc_pct,
                total_money=sample.total_money,
            )
        )
        self.session.flush()
        return True

    # --- alarms and events --------------------------------------------------------------------
    def raise_or_clear_alarm(self, alarm: Alarm, station_pk: int) -> bool:
        """Record an alarm; a report with ``cleared_at`` closes the matching open alarm. Idempotent."""
        same = select(AlarmRow).where(
            AlarmRow.operator_id == alarm.operator_id,
            AlarmRow.station_pk == station_pk,
            AlarmRow.equipment_id == alarm.equipment_id
            if alarm.equipment_id is not None
            else AlarmRow.equipment_id.is_(None),
            AlarmRow.connector_id == alarm.connector_id
            if alarm.connector_id is not None
            else AlarmRow.connector_id.is_(None),
            AlarmRow.alarm_type == int(alarm.alarm_type),
            AlarmRow.code == alarm.code,
        )
        if alarm.cleared_at is not None:
            open_row = self.session.scalar(
                same.where(AlarmRow.cleared_at.is_(None), AlarmRow.raised_at <= alarm.cleared_at)
                .order_by(AlarmRow.raised_at.desc())
                .limit(1)
            )
            if open_row is not None:
                open_row.cleared_at = alarm.cleared_at
                self.session.flush()
                return True
        if self.session.scalar(same.where(AlarmRow.raised_at == alarm.raised_at)) is not None:
            return False
        self.session.add(
            AlarmRow(
                operator_id=alarm.operator_id,
                station_pk=station_pk,
                equipment_id=alarm.equipment_id,
                connector_id=alarm.connector_id,
                alarm_type=int(alarm.alarm_type),
                level=int(alarm.level),
                code=alarm.code,
                raised_at=alarm.raised_at,
                cleared_at=alarm.cleared_at,
                note=alarm.note,
            )
        )
        self.session.flush()
        return True

    def alarms(self, *, operator_id: str | None = None, open_only: bool = False, limit: int = 1000) -> list[Alarm]:
        query = select(AlarmRow, StationRow.station_id).join(StationRow, StationRow.pk == AlarmRow.station_pk)
        if operator_id is not None:
            query = query.where(AlarmRow.operator_id == operator_id)
        if open_only:
            query = query.where(AlarmRow.cleared_at.is_(None))
        query = query.order_by(AlarmRow.raised_at.desc(), AlarmRow.pk.desc()).limit(limit)
        return [
            Alarm(
                operator_id=r.operator_id,
                station_id=station_id,
                alarm_type=AlarmType(r.alarm_type),
                level=AlarmLevel(r.level),
                code=r.code,
                raised_at=r.raised_at,
                equipment_id=r.equipment_id,
                connector_id=r.connector_id,
                cleared_at=r.cleared_at,
                note=r.note,
            )
            for r, station_id in self.session.execute(query)
        ]

    def add_event(self, event: Event, station_pk: int) -> bool:
        exists = self.session.scalar(
            select(EventRow.pk).where(
                EventRow.operator_id == event.operator_id,
                EventRow.station_pk == station_pk,
                EventRow.code == event.code,
                EventRow.occurred_at == event.occurred_at,
            )
        )
        if exists is not None:
            return False
        self.session.add(
            EventRow(
                operator_id=event.operator_id,
                station_pk=station_pk,
                equipment_id=event.equipment_id,
                event_type=int(event.event_type),
                code=event.code,
                occurred_at=event.occurred_at,
                note=event.note,
            )
        )
        self.session.flush()
        return True


def _detail_to_json(d: ChargeDetail) -> dict[str, str | float]:
    return {
        "start": d.start.isoformat(),
        "end": d.end.isoformat(),
        "elec_price": str(d.elec_price),
        "service_price": str(d.service_price),
        "energy_kwh": d.energy_kwh,
        "elec_money": str(d.elec_money),
        "service_money": str(d.service_money),
    }


def _detail_from_json(d: dict[str, str | float]) -> ChargeDetail:
    return ChargeDetail(
        start=datetime.fromisoformat(str(d["start"])),
        end=datetime.fromisoformat(str(d["end"])),
        elec_price=Decimal(str(d["elec_price"])),
        service_price=Decimal(str(d["service_price"])),
        energy_kwh=float(d["energy_kwh"]),
        elec_money=Decimal(str(d["elec_money"])),
        service_money=Decimal(str(d["service_money"])),
    )


def _order_to_domain(row: ChargeOrderRow, connector_id: str) -> ChargeOrder:
    return ChargeOrder(
        operator_id=row.operator_id,
        start_charge_seq=row.start_charge_seq,
        connector_id=connector_id,
        start=row.started_at,
        end=row.ended_at,
        energy_kwh=row.energy_kwh,
        elec_money=Decimal(row.elec_money),
        service_money=Decimal(row.service_money),
        total_money=Decimal(row.total_money),
        stop_reason_code=row.stop_reason_code,
        details=tuple(_detail_from_json(d) for d in row.details or ()),
    )
