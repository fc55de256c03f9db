"""The hub's interfaces: translate the wire payload, hand domain objects to the writes, answer in T/CEC form.

One handler per standard interface; aliases (reference §9.1) map onto them.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from evinfra.domain.region import RegionCatalog
from evinfra.domain.status import from_tcec
from evinfra.ingest import commands
from evinfra.ingest.commands import Command
from evinfra.ingest.notifications import OrderTotals, QualityNote, Replay, UnknownObject, check_station
from evinfra.ingest.registry import OperatorRegistry
from evinfra.ingest.writer import GroupCommitWriter, WriterStopped
from evinfra.protocols.tcec import translate
from evinfra.protocols.tcec.envelope import DEFAULT_FRESHNESS_WINDOW
from evinfra.protocols.tcec.receiver import QUERY_TOKEN, Handler, Inbound, Receiver
from evinfra.protocols.tcec.ret import Ret, TcecError
from evinfra.protocols.tcec.throttle import FailureThrottle

log = logging.getLogger("evinfra.tcec.hub")

ALIASES = {
    "check_charge_order": "check_charge_orders",
    "notification_station_status": "notification_stationStatus",
    "notification_station_info": "notification_stationInfo",
    "notification_alarm_info": "notification_alarmInfo",
    "notification_event_info": "notification_eventInfo",
    "supervise_notification_realtime_power_info": "notification_realtime_power_info",
}


def _notes(inbound: Inbound, findings: Sequence[translate.Finding]) -> tuple[QualityNote, ...]:
    if not findings and not inbound.deviations and inbound.called_as == inbound.interface:
        return ()  # a standard message, the usual case
    notes = [QualityNote(inbound.interface, d.field, d.variant, inbound.envelope.seq) for d in inbound.deviations]
    if inbound.called_as != inbound.interface:
        notes.append(QualityNote(inbound.interface, "interface", inbound.called_as, inbound.called_as))
    notes += [QualityNote(inbound.interface, f.field, f.variant, f.example) for f in findings]
    return tuple(notes)


def map_error(exc: Exception) -> tuple[Ret, str] | None:
    """Failures of the write path, as the operator should see them."""
    if isinstance(exc, Replay):
        return Ret.BAD_ENVELOPE, "重复报文（重放）：该报文已处理 / replayed envelope"
    if isinstance(exc, UnknownObject):
        return Ret.BAD_BUSINESS, f"{exc.kind} {exc.object_id} 不存在或不属于该运营商 / unknown or not yours"
    if isinstance(exc, translate.WireFormatError):
        return Ret.BAD_BUSINESS, str(exc)
    if isinstance(exc, WriterStopped):
        return Ret.BUSY, "系统繁忙，请稍后重试 / busy, retry later"
    return None


class Hub:
    """Builds the handlers over the registry, the batch writer and the region catalog."""

    def __init__(
        self,
        registry: OperatorRegistry,
        writer: GroupCommitWriter,
        regions: RegionCatalog,
        clock: Callable[[], datetime],
        throttle: FailureThrottle | None = None,
    ) -> None:
        self.registry = registry
        self.writer = writer
        self.regions = regions
        self.clock = clock
        self.throttle = throttle or FailureThrottle()

    def receiver(self) -> Receiver:
        handlers: dict[str, Handler] = {
            QUERY_TOKEN: self.query_token,
            "notification_stationInfo": self.station_info,
            "notification_stationStatus": self.station_status,
            "notification_equip_charge_status": self.charge_status,
            "notification_charge_order_info": self.charge_order,
            "check_charge_orders": self.check_charge_orders,
            "notification_alarmInfo": self.alarm_info,
            "notification_eventInfo": self.event_info,
            "notification_realtime_power_info": self.realtime_power,
        }
        return Receiver(self.registry, handlers, ALIASES, self.clock, error_mapper=map_error)

    async def _write(
        self,
        inbound: Inbound,
        findings: Sequence[translate.Finding],
        body: Command[Any] | None,
        connector_id: str | None = None,
    ) -> Any:
        """Run ``body`` in the batch writer behind the replay guard; ``connector_id`` names the connector row
        it locks (lock order)."""
        notes = _notes(inbound, findings)
        work = commands.Notified(
            inbound.operator_id, inbound.envelope.sig, inbound.sent_at, inbound.received_at, notes, body
        )
        order = None if connector_id is None else (inbound.operator_id, connector_id)
        return await self.writer.run(work, order)

    async def housekeeping(self, every_s: float = 60.0) -> None:
        """Forever: drop expired tokens and envelope signatures too old to be replayed (TimeStamp window ×2)."""
        while True:
            await asyncio.sleep(every_s)
            now = self.clock()
            try:
                await self.writer.run(commands.Purge(now, now - 2 * DEFAULT_FRESHNESS_WINDOW))
            except Exception:  # housekeeping must never take the server down; the next round retries
                log.exception("hub housekeeping failed")

    # --- query_token (Annex A) ----------------------------------------------------------------
    async def query_token(self, inbound: Inbound) -> dict[str, Any]:
        payload = inbound.payload
        operator_id = inbound.operator_id
        claimed = payload.get("OperatorID")
        secret = payload.get("OperatorSecret")
        if not isinstance(claimed, str) or not isinstance(secret, str):
            raise TcecError(Ret.BAD_BUSINESS, "query_token 需要字符串 OperatorID 和 OperatorSecret")
        keys = (operator_id, f"addr:{inbound.client}")
        if self.throttle.blocked(*keys):
            return _token_failure(operator_id, 3)
        if claimed != operator_id:
            self.throttle.fail(*keys)
            return _token_failure(operator_id, 1)
        if not hmac.compare_digest(secret.encode(), inbound.keys.operator_secret.encode()):
            self.throttle.fail(*keys)
            return _token_failure(operator_id, 2)
        token, digest, issued, expires = self.registry.new_token(operator_id)
        await self._write(inbound, (), commands.AddToken(digest, operator_id, issued, expires))
        self.registry.remember_token(digest, operator_id, expires)
        return {
            "OperatorID": operator_id,
            "SuccStat": 0,
            "AccessToken": token,
            "TokenAvailableTime": self.registry.token_lifetime_s,
            "FailReason": 0,
        }

    # --- notifications ------------------------------------------------------------------------
    async def station_info(self, inbound: Inbound) -> dict[str, Any]:
        parsed = translate.station_info(
            _object(inbound.payload, "StationInfo"), inbound.operator_id, partner=inbound.partner
        )
        check_station(parsed.value, self.regions)
        await self._write(inbound, parsed.findings, commands.Station(parsed.value, inbound.received_at))
        return {"Status": 0}

    async def station_status(self, inbound: Inbound) -> dict[str, Any]:
        parsed = translate.connector_status(_object(inbound.payload, "ConnectorStatusInfo"))
        msg = parsed.value
        status = commands.Status(
            inbound.operator_id, msg.connector_id, msg.state, int(msg.status),
            msg.status_time or inbound.sent_at, inbound.seq, inbound.received_at,
        )  # fmt: skip
        await self._write(inbound, parsed.findings, status, msg.connector_id)
        return {"Status": 0}

    async def charge_status(self, inbound: Inbound) -> dict[str, Any]:
        parsed = translate.charge_status(inbound.payload, inbound.operator_id)
        msg = parsed.value
        status = None
        if msg.connector_status is not None:
            status = commands.Status(
                inbound.operator_id, msg.sample.connector_id, from_tcec(msg.connector_status),
                int(msg.connector_status), msg.sample.sampled_at, inbound.seq, inbound.received_at,
            )  # fmt: skip
        await self._write(inbound, parsed.findings, commands.Sample(msg.sample, status), msg.sample.connector_id)
        return {"StartChargeSeq": msg.sample.start_charge_seq, "SuccStat": 0, "FailReason": 0}

    async def charge_order(self, inbound: Inbound) -> dict[str, Any]:
        parsed = translate.charge_order(inbound.payload, inbound.operator_id)
        order = parsed.value
        result = await self._write(
            inbound,
            parsed.findings,
            commands.Order(order, inbound.received_at),
            order.connector_id,
        )
        return {
            "StartChargeSeq": order.start_charge_seq,
            "ConnectorID": order.connector_id,
            "ConfirmResult": int(result),
        }

    async def check_charge_orders(self, inbound: Inbound) -> dict[str, Any]:
        parsed = translate.check_orders(inbound.payload)
        req = parsed.value
        listed = tuple(OrderTotals(seq, power, money) for seq, power, money in req.orders)
        disputes = await self._write(
            inbound, parsed.findings, commands.Reconcile(inbound.operator_id, req.start, req.end, listed)
        )
        return translate.dispute_response(
            req, [(d.start_charge_seq, d.energy_kwh, d.total_money, int(d.reason)) for d in disputes]
        )

    async def alarm_info(self, inbound: Inbound) -> dict[str, Any]:
        parsed = translate.alarms(inbound.payload, inbound.operator_id)
        await self._write(inbound, parsed.findings, commands.Alarms(tuple(parsed.value)))
        return {"Status": 0}

    async def event_info(self, inbound: Inbound) -> dict[str, Any]:
        parsed = translate.events(inbound.payload, inbound.operator_id)
        await self._write(inbound, parsed.findings, commands.Events(tuple(parsed.value)))
        return {"Status": 0}

    async def realtime_power(self, inbound: Inbound) -> dict[str, Any]:
        parsed = translate.realtime_power(inbound.payload, inbound.operator_id)
        rows = tuple((p.station_id, p.equipment_id, p.connector_id, p.at, p.power_kw) for p in parsed.value)
        await self._write(inbound, parsed.findings, commands.Power(inbound.operator_id, rows))
        return {"Status": 0}


def _object(payload: dict[str, Any], name: str) -> dict[str, Any]:
    value = payload.get(name)
    if not isinstance(value, dict):
        raise TcecError(Ret.BAD_BUSINESS, f"缺少对象 {name} / missing object {name}")
    return value


def _token_failure(operator_id: str, reason: int) -> dict[str, Any]:
    """SuccStat 1 with FailReason 1 无此运营商, 2 密钥错误, 3 (自定义) 失败次数过多，请稍后再试."""
    return {"OperatorID": operator_id, "SuccStat": 1, "AccessToken": "", "TokenAvailableTime": 0, "FailReason": reason}
