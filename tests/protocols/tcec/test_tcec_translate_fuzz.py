"""Every translator, fed a valid payload with parts replaced by anything JSON can carry: it reads it, or refuses
it with WireFormatError or DomainValidationError (the hub's 4004). Anything else would be a system error."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.protocols.tcec.test_tcec_translate import (
    OP,
    alarm_wire,
    charge_status_wire,
    check_wire,
    order_wire,
    station_wire,
)

from evinfra.domain.errors import DomainValidationError
from evinfra.protocols.tcec import translate as t
from evinfra.protocols.tcec.fields import WireFormatError

FLOATS = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | FLOATS | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
TEXTY = st.sampled_from(["", " ", "0", "-1", "1e400", "2024-02-30 25:61:61", "20240601081000", "TY0001", "长" * 60])

_CONNECTOR_POWER = {"ConnectorID": "TY0001E01C1", "ConnectorRealTimePower": 90}
_PILE_POWER = {"EquipmentID": "TY0001E01", "DataTime": "2024-06-01 08:15:00", "EquipRealTimePower": 180.5,
               "ConnectorPowerInfos": [_CONNECTOR_POWER]}  # fmt: skip
POWER = {
    "SupStationPowerInfos": [
        {"OperatorID": OP, "StationID": "TY0001", "DataTime": "2024-06-01 08:15:00", "StationRealTimePower": 187.5,
         "EquipmentPowerInfos": [_PILE_POWER]}
    ]
}  # fmt: skip
EVENT = {"StationID": "TY0001", "EquipmentID": "TY0001E01", "EventType": 4, "EventCode": 1003,
         "EventTime": "2024-06-01 08:00:00"}  # fmt: skip

TRANSLATORS: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
    "station_info": (station_wire, lambda p: t.station_info(p, OP)),
    "connector_status": (lambda: {"ConnectorStatusInfo": {"ConnectorID": "C1", "Status": 2}}, t.connector_status),
    "charge_status": (charge_status_wire, lambda p: t.charge_status(p, OP)),
    "charge_order": (order_wire, lambda p: t.charge_order(p, OP)),
    "check_orders": (check_wire, t.check_orders),
    "alarms": (lambda: {"AlarmInfos": [alarm_wire()]}, lambda p: t.alarms(p, OP)),
    "events": (lambda: {"EventInfos": [dict(EVENT)]}, lambda p: t.events(p, OP)),
    "realtime_power": (lambda: copy.deepcopy(POWER), lambda p: t.realtime_power(p, OP)),
}


def _paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += _paths(value, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            found += _paths(value, (*path, index))
    return found


@pytest.mark.parametrize("name", sorted(TRANSLATORS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_translator_reads_or_refuses_with_4004_whatever_replaces_a_part(name: str, data: st.DataObject) -> None:
    build, translate = TRANSLATORS[name]
    payload = build()
    translate(copy.deepcopy(payload))  # the valid payload reads
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        paths = [p for p in _paths(payload) if p]
        path = data.draw(st.sampled_from(paths), label="path")
        target = payload
        for step in path[:-1]:
            target = target[step]
        if data.draw(st.booleans(), label="remove") and isinstance(target, dict):
            del target[path[-1]]
        else:
            target[path[-1]] = data.draw(VALUES | TEXTY, label="value")
        if not isinstance(payload, dict) or not payload:
            break
    with contextlib.suppress(WireFormatError, DomainValidationError):  # anything else fails the test
        translate(payload)
