"""Every number and time of every interface's valid payload, pushed to an extreme: an answer, never a system error.

A value the store cannot hold (PostgreSQL's 32-bit integers, say) must be refused by the translator or the
domain with 4004 naming it, not found out by the database inside the batch's transaction."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from tests.hub.wire import answer, post, seal, station_wire, status_payload, token
from tests.networks import OP

from evinfra.bootstrap import utc_now
from evinfra.protocols.tcec.ret import Ret
from evinfra.scenario import simulator as sim

EXTREMES = (10**12, -(10**12), 2**63 + 1, 1e300)
TIME_EXTREMES = ("0001-01-01 00:00:00", "9999-12-31 23:59:59")  # year 1 in Shanghai is before UTC's year 1
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _leaves(value, (*path, index))
    elif _is_number(obj) or (isinstance(obj, str) and _MOMENT.fullmatch(obj)):
        yield path


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _with(payload: dict[str, Any], path: tuple[Any, ...], value: object) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _payloads() -> dict[str, dict[str, Any]]:
    now = utc_now().replace(microsecond=0)
    start = now - timedelta(minutes=30)
    seq = OP + "20250601080000001"
    station = station_wire("A")
    pile = station["EquipmentInfos"][0]["EquipmentID"]
    order = sim.order_payload(seq, "AE01C1", start_time=start, end_time=now, load_kw=7.0)
    return {
        "notification_stationInfo": {"StationInfo": station_wire("B")},
        "notification_stationStatus": status_payload("AE01C1", 1),
        "notification_equip_charge_status": sim.charge_status_payload(
            seq, "AE01C1", start_time=start, end_time=now, load_kw=7.0, dc=False, soc=50
        ),
        "notification_charge_order_info": order,
        "check_charge_orders": sim.check_orders_payload("CHK" + OP + "1", start, now, [order]),
        "notification_alarmInfo": sim.alarm_payload(OP, station, pile, "AE01C1", at=now, alarm_code=5),
        "notification_eventInfo": sim.event_payload(OP, station, at=now, event_type=1, event_code=1001),
    }


def test_no_number_or_time_in_any_interface_ends_in_a_system_error(live) -> None:
    tok = token(live.base, OP, live.keys)
    unexpected = []
    for interface, payload in _payloads().items():
        ret, msg, _ = answer(post(live.base, interface, seal(OP, payload, live.keys), tok), live.keys)
        assert ret == Ret.OK, (interface, msg)  # the payload itself is valid
        for path in _leaves(payload):
            leaf: Any = payload
            for step in path:
                leaf = leaf[step]
            for value in TIME_EXTREMES if isinstance(leaf, str) else EXTREMES:
                body = seal(OP, _with(payload, path, value), live.keys)
                ret, msg, _ = answer(post(live.base, interface, body, tok), live.keys)
                if ret not in (Ret.OK, Ret.BAD_BUSINESS):
                    unexpected.append((interface, path, value, ret, msg))
    assert not unexpected, unexpected
