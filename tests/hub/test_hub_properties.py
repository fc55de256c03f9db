"""Property: whatever arrives at the live hub, it answers HTTP 200 with a T/CEC envelope and writes nothing it may not.

Hypothesis throws at the real endpoints (uvicorn, both backends): raw bytes; envelopes whose fields are random JSON
values (missing, extra, re-signed or not); random Base64 in Data under a right Sig; valid envelopes whose plaintext
is random bytes or random JSON; random payload objects for random interfaces, unknown ones included; and valid
payload templates with one field replaced by a random value or removed.

A random payload can legitimately be accepted (a template mutated into another valid message, e.g. Status 1 → "1"),
so writes are compared with what each interface may write: nothing at all unless Ret is 0, and then only the
interface's own tables plus the data-quality counts. ``access_tokens`` and ``seen_envelopes`` are not compared
(query_token and the replay guard are supposed to write them).

A JSON string holding U+0000 or an unpaired surrogate escape once reached the database driver and came back as
Ret 500; ``test_nul_or_lone_surrogate_is_refused`` keeps the cases that found it.
"""

from __future__ import annotations

import base64
import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select, union_all
from tests.hub.conftest import Live
from tests.hub.wire import post, seal, token
from tests.networks import OP

from evinfra.protocols.tcec.crypto import KeySet, sign
from evinfra.protocols.tcec.envelope import open_response, parse_response
from evinfra.protocols.tcec.hub import ALIASES
from evinfra.protocols.tcec.ret import Ret
from evinfra.store.rows import Base

NOT_COMPARED = frozenset({"access_tokens", "seen_envelopes"})
HANDLED = (
    "query_token",
    "notification_stationInfo",
    "notification_stationStatus",
    "notification_equip_charge_status",
    "notification_charge_order_info",
    "check_charge_orders",
    "notification_alarmInfo",
    "notification_eventInfo",
    "notification_realtime_power_info",
)
# What an accepted message may add rows to; every accepted message may also count a data-quality finding.
MAY_WRITE: dict[str, frozenset[str]] = {
    "query_token": frozenset(),
    "notification_stationInfo": frozenset({"stations", "equipment", "connectors"}),
    "notification_stationStatus": frozenset({"connector_status_intervals"}),
    "notification_equip_charge_status": frozenset({"charge_status_samples", "connector_status_intervals"}),
    "notification_charge_order_info": frozenset({"charge_orders"}),
    "check_charge_orders": frozenset(),
    "notification_alarmInfo": frozenset({"alarms"}),
    "notification_eventInfo": frozenset({"events"}),
    "notification_realtime_power_info": frozenset({"power_samples"}),
}
OTHER_NAMES = (*ALIASES, "notification_nothing", "query_stations_info", "query_station_status")
FIELDS = (
    "OperatorID", "OperatorSecret", "StationID", "StationInfo", "EquipmentInfos", "ConnectorInfos", "ConnectorID",
    "ConnectorStatusInfo", "Status", "StatusTime", "ParkStatus", "LockStatus", "StartChargeSeq", "StartChargeSeqStat",
    "ConnectorStatus", "StartTime", "EndTime", "TotalPower", "TotalMoney", "TotalElecMoney", "TotalSeviceMoney",
    "ChargeDetails", "SumPeriod", "CheckOrderSeq", "OrderCount", "ChargeOrders", "AlarmInfos", "EventInfos",
    "SupStationPowerInfos", "AreaCode", "StationLng", "StationLat", "Power", "EquipmentType", "ConnectorType",
)  # fmt: skip
WRAPPERS = ("ConnectorStatusInfo", "StationInfo", "ChargeOrderInfo", "AlarmInfos", "EventInfos", "ChargeOrders")

# --- strategies ----------------------------------------------------------------------------------------------------

# Text with the odd characters that break naive code: NUL, lone surrogates (sent as \ud800 escapes), full-width.
texts = (
    st.text(max_size=12)
    | st.text(st.characters(codec="utf-8"), max_size=6)
    | st.sampled_from(
        ["", " ", "\x00", "\ud800", "A", "AE01C1", "１２３", "2025-06-01 08:00:00", "NaN", "1e400", "-1", "0.001"]
    )
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS) | texts, inner, max_size=4),
    max_leaves=8,
)
payload_dicts = st.dictionaries(st.sampled_from(FIELDS) | texts, json_values, max_size=6)
wrapped_payloads = st.builds(lambda name, inner: {name: inner}, st.sampled_from(WRAPPERS), payload_dicts)
interfaces = st.one_of(
    st.sampled_from(HANDLED),
    st.sampled_from(HANDLED),
    st.sampled_from(OTHER_NAMES),
    st.from_regex(r"[A-Za-z_]{1,40}", fullmatch=True),
)
tokens = st.sampled_from(["valid", "valid", "valid", "none", "junk"])


def _templates() -> dict[str, dict[str, Any]]:
    """Valid payloads about the live fixture's station A of OP (connector AE01C1), one per interface."""
    at = "2025-06-01 08:00:00"
    return {
        "notification_stationStatus": {"ConnectorStatusInfo": {"ConnectorID": "AE01C1", "Status": 1}},
        "notification_equip_charge_status": {
            "StartChargeSeq": "MA0123456202506010800000001", "StartChargeSeqStat": 2, "ConnectorID": "AE01C1",
            "ConnectorStatus": 3, "StartTime": at, "EndTime": "2025-06-01 08:10:00", "TotalPower": 5.5,
        },
        "notification_charge_order_info": {
            "StartChargeSeq": "MA0123456202506010800000002", "ConnectorID": "AE01C1", "StartTime": at,
            "EndTime": "2025-06-01 09:00:00", "TotalPower": 30.25, "TotalElecMoney": 19.66,
            "TotalSeviceMoney": 24.2, "TotalMoney": 43.86, "StopReason": 0, "SumPeriod": 0, "ChargeDetails": [],
        },
        "check_charge_orders": {
            "CheckOrderSeq": "MA0123456202506020005000001", "StartTime": "2025-06-01 00:00:00",
            "EndTime": "2025-06-01 23:59:59", "OrderCount": 1, "TotalOrderPower": 30.25, "TotalOrderMoney": 43.86,
            "ChargeOrders": [
                {"StartChargeSeq": "MA0123456202506010800000002", "TotalPower": 30.25, "TotalMoney": 43.86}
            ],
        },
        "notification_alarmInfo": {"AlarmInfos": [{
            "StationID": "A", "ConnectorID": "AE01C1", "AlarmStatus": 1, "AlarmTime": at, "AlarmType": 1,
            "AlarmLevel": 2, "AlarmCode": 31,
        }]},
        "notification_eventInfo": {
            "EventInfos": [{"StationID": "A", "EventType": 6, "EventCode": 1003, "EventTime": at}]
        },
        "notification_realtime_power_info": {
            "SupStationPowerInfos": [{"StationID": "A", "DataTime": at, "StationRealTimePower": 120.5}]
        },
        "notification_stationInfo": {"StationInfo": {
            "StationID": "P1", "OperatorID": OP, "StationName": "性质测试站", "AreaCode": "140105", "StationType": 1,
            "StationStatus": 50, "Construction": 6, "StationLng": 112.57, "StationLat": 37.74,
            "EquipmentInfos": [{"EquipmentID": "P1E01", "EquipmentType": 1, "Power": 60.0, "ConnectorInfos": [
                {"ConnectorID": "P1E01C1", "ConnectorType": 4, "Power": 60.0, "NationalStandard": 2}
            ]}],
        }},
        "query_token": {"OperatorID": OP, "OperatorSecret": "0" * 32},
    }  # fmt: skip


TEMPLATES = _templates()


@st.composite
def mutated_templates(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid payload with one field, at any depth, changed: replaced by a random value, removed, or changed in a
    way the hub tolerates (a number sent as a string or a float, a lower-case key), so that many stay acceptable."""
    interface = draw(st.sampled_from(sorted(TEMPLATES)))
    payload = json.loads(json.dumps(TEMPLATES[interface]))
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            paths.append((node, key))
            walk(child)

    walk(payload)
    parent, key = draw(st.sampled_from(paths))
    how = draw(st.sampled_from(["random", "delete", "as_string", "as_float", "lower_key"]))
    value = parent[key]
    if how == "delete" and isinstance(parent, dict):
        del parent[key]
    elif how == "lower_key" and isinstance(parent, dict):
        parent[key[:1].lower() + key[1:]] = parent.pop(key)
    elif how == "as_string" and isinstance(value, int | float) and not isinstance(value, bool):
        parent[key] = str(value)
    elif how == "as_float" and isinstance(value, int) and not isinstance(value, bool):
        parent[key] = float(value)
    else:
        parent[key] = draw(json_values)
    return draw(st.sampled_from([interface, *[a for a, i in ALIASES.items() if i == interface]])), payload


class Request:
    """What one example sends: an interface, a body (an envelope dict, or raw bytes), which token, and the
    plaintext that was encrypted into Data (if any)."""

    def __init__(self, kind: str, interface: str, body: dict[str, Any] | bytes, token: str, plain: bytes = b"") -> None:
        self.kind, self.interface, self.body, self.token, self.plain = kind, interface, body, token, plain

    def raw(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else _dump_ascii(self.body)

    def __repr__(self) -> str:
        return f"Request({self.kind!r}, {self.interface!r}, {self.body!r}, token={self.token!r}, plain={self.plain!r})"


def _envelope(keys: KeySet, data: str | None = None, plaintext: bytes | None = None) -> dict[str, Any]:
    body = seal(OP, plaintext if plaintext is not None else {}, keys)
    if data is not None:
        body["Data"] = data
    body["Sig"] = sign((body["OperatorID"], body["Data"], body["TimeStamp"], body["Seq"]), keys.sig_secret)
    return body


@st.composite
def requests(draw: st.DrawFn, keys: KeySet) -> Request:
    kind = draw(st.sampled_from(["raw", "fields", "base64", "plaintext", "payload", "template", "template"]))
    interface = draw(interfaces)
    tok = draw(tokens)
    if kind == "raw":
        return Request(kind, interface, draw(st.binary(max_size=200) | json_values.map(_dump_ascii)), tok)
    if kind == "fields":
        plain = draw(dumpers)(draw(payload_dicts))
        body: dict[str, Any] = _envelope(keys, plaintext=plain)
        for name in ("OperatorID", "Data", "TimeStamp", "Seq", "Sig"):
            choice = draw(st.sampled_from(["keep", "keep", "random", "drop"]))
            if choice == "random":
                body[name] = draw(json_values)
            elif choice == "drop":
                del body[name]
        body |= draw(st.dictionaries(texts, json_values, max_size=2))
        signed = ("OperatorID", "Data", "TimeStamp", "Seq")
        if draw(st.booleans()) and all(isinstance(body.get(n), str) for n in signed) and "Sig" in body:
            body["Sig"] = sign(tuple(body[n] for n in signed), keys.sig_secret)  # get past the Sig check
        return Request(kind, interface, body, tok, plain)
    if kind == "base64":
        data = draw(
            st.binary(max_size=96).map(lambda b: base64.b64encode(b).decode())
            | st.text(string.ascii_letters + string.digits + "+/=-_ \n%", max_size=64)
        )
        return Request(kind, interface, _envelope(keys, data=data), tok)
    if kind == "plaintext":
        plain = draw(st.binary(max_size=96) | st.builds(lambda dump, value: dump(value), dumpers, json_values))
        return Request(kind, interface, _envelope(keys, plaintext=plain), tok, plain)
    if kind == "payload":
        plain = draw(dumpers)(draw(payload_dicts | wrapped_payloads))
        return Request(kind, interface, _envelope(keys, plaintext=plain), tok, plain)
    interface, payload = draw(mutated_templates())
    plain = draw(dumpers)(payload)
    return Request(kind, interface, _envelope(keys, plaintext=plain), draw(st.sampled_from(["valid", tok])), plain)


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _dump_ascii(value: Any) -> bytes:
    return json.dumps(value).encode()  # lone surrogates travel as \udXXXX escapes


# Plaintext as UTF-8 (a lone surrogate then makes it invalid UTF-8) or as ASCII JSON (it arrives as an escape).
dumpers = st.sampled_from([_dump, _dump_ascii])


def _counts(container: Any) -> dict[str, int]:
    tables = [t for t in Base.metadata.sorted_tables if t.name not in NOT_COMPARED]
    query = union_all(*(select(literal(t.name), func.count()).select_from(t) for t in tables))
    with container.engine.connect() as conn:
        return {name: int(n) for name, n in conn.execute(query)}


@pytest.fixture
def hub_token(live: Live) -> str:
    return token(live.base, OP, live.keys)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_envelopes_never_fail_and_write_only_what_they_may(
    live: Live, hub_token: str, data: st.DataObject
) -> None:
    request = data.draw(requests(live.keys), label="request")  # sealed now, so the TimeStamp is fresh
    use_token = {"valid": hub_token, "none": None, "junk": "not-a-token"}[request.token]
    before = _counts(live.container)
    response = post(live.base, request.interface, None, use_token, request.raw())

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    envelope = json.loads(response.content)
    assert set(envelope) == {"Ret", "Msg", "Data", "Sig"}
    ret = envelope["Ret"]
    assert type(ret) is int, envelope
    assert ret in {0, 4001, 4002, 4003, 4004}, envelope
    assert isinstance(envelope["Msg"], str) and envelope["Msg"]
    if envelope["Sig"]:  # signed: with OP's keys, the only operator there is
        plain = open_response(parse_response(response.content), live.keys)
        assert (plain is not None) == (ret == Ret.OK)
    else:
        assert envelope["Data"] == "" and ret != Ret.OK
    event(f"{request.kind}: Ret {ret}" + (f" ({request.interface})" if request.kind == "template" and not ret else ""))

    after = _counts(live.container)
    changed = {name for name in after if after[name] != before[name]}
    if ret != Ret.OK:
        assert not changed, (before, after)
    else:
        canonical = ALIASES.get(request.interface, request.interface)
        assert changed <= MAY_WRITE[canonical] | {"quality_findings"}, changed
        assert all(after[name] >= before[name] for name in changed)


def test_templates_are_accepted_as_they_stand(live: Live, hub_token: str) -> None:
    """The unmutated templates are valid messages, so the mutations start from the inside of each handler."""
    for interface, payload in TEMPLATES.items():
        body = _envelope(live.keys, plaintext=_dump(payload))
        response = post(live.base, interface, body, hub_token if interface != "query_token" else None)
        envelope = parse_response(response.content)
        assert envelope.ret == Ret.OK, (interface, envelope.msg)
        plain = open_response(envelope, live.keys)
        assert plain is not None
        if interface == "query_token":
            assert json.loads(plain)["FailReason"] == 2  # the secret is wrong on purpose


# --- regressions: text the database cannot store is refused up front -------------------------------------------------


def _station_named(name: str) -> dict[str, Any]:
    return {"StationInfo": {**TEMPLATES["notification_stationInfo"]["StationInfo"], "StationName": name}}


NUL_OR_SURROGATE_CASES = (
    "operator_id_lone_surrogate",
    "operator_id_nul",
    "station_name_lone_surrogate",
    "station_name_nul",
    "alarm_station_id_nul",
)


@pytest.mark.parametrize("case", NUL_OR_SURROGATE_CASES)
def test_nul_or_lone_surrogate_is_refused(live: Live, hub_token: str, case: str) -> None:
    """U+0000 (PostgreSQL refuses it) or an unpaired surrogate (no driver can encode it) in the OperatorID or any
    payload text is answered 4003/4004 before anything reaches the database, and nothing is written."""
    before = _counts(live.container)
    interface = "notification_stationInfo"
    if case.startswith("operator_id"):
        body = _envelope(live.keys, plaintext=_dump(TEMPLATES["notification_stationStatus"]))
        body["OperatorID"] = OP + ("\ud800" if case.endswith("surrogate") else "\x00")
        interface = "notification_stationStatus"
    elif case.startswith("station_name"):
        name = "站\ud800" if case.endswith("surrogate") else "站\x00"
        body = _envelope(live.keys, plaintext=_dump_ascii(_station_named(name)))  # valid UTF-8: \ud800 escaped
    else:
        alarm = {**TEMPLATES["notification_alarmInfo"]["AlarmInfos"][0], "StationID": "A\x00"}
        body = _envelope(live.keys, plaintext=_dump({"AlarmInfos": [alarm]}))
        interface = "notification_alarmInfo"
    response = post(live.base, interface, None, hub_token, _dump_ascii(body))
    assert response.status_code == 200
    assert json.loads(response.content)["Ret"] in {4003, 4004}
    assert _counts(live.container) == before
