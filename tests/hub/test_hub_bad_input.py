"""Bad input at the hub: the right Ret, a signed error envelope where the operator is known, nothing written."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.conftest import NOW
from tests.hub.wire import answer, post, seal, station_wire, status_payload, token
from tests.networks import OP, tree

from evinfra.bootstrap import utc_now
from evinfra.domain.operator import Operator, OperatorStatus
from evinfra.domain.status import from_tcec
from evinfra.ingest.registry import onboard_operator
from evinfra.ingest.services import save_station, set_operator_status
from evinfra.protocols.tcec.crypto import KeySet, encrypt_data, sign
from evinfra.protocols.tcec.ret import Ret
from evinfra.scenario.simulator import OperatorClient, SimOperator
from evinfra.store.rows import Base

OTHER = "MB7654321"
GOOD_CONNECTOR = "AE01C1"


def row_counts(container) -> dict[str, int]:
    with container.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
            if t.name not in {"access_tokens"}
        }


def _resign(body: dict, keys: KeySet) -> dict:
    body["Sig"] = sign((body["OperatorID"], body["Data"], body["TimeStamp"], body["Seq"]), keys.sig_secret)
    return body


def _with_data(plaintext: bytes, keys: KeySet) -> dict:
    body = seal(OP, {}, keys)
    body["Data"] = encrypt_data(plaintext, keys)
    return _resign(body, keys)


WRONG_KEYS = KeySet("0" * 32, "abcdefghijklmnop", "abcdefghijklmnop", "F" * 32)

STATUS = "notification_stationStatus"
CASES: dict[str, tuple[Callable[..., tuple[str, dict | None, bytes | None, str | None]], Ret, bool]] = {}


def case(ret: Ret, *, signed: bool = True) -> Callable:
    """Register a bad request: build(live, token, other_operator_token) -> (interface, body, raw, token)."""

    def register(build: Callable) -> Callable:
        CASES[build.__name__.replace("_", "-")] = (build, ret, signed)
        return build

    return register


def ok_status(lv, connector: str = GOOD_CONNECTOR, status: int = 1, **kw) -> dict:
    return seal(OP, status_payload(connector, status), lv.keys, **kw)


@case(Ret.BAD_ENVELOPE, signed=False)
def missing_field(lv, t, o):
    body = ok_status(lv)
    del body["Seq"]
    return STATUS, body, None, t


@case(Ret.BAD_ENVELOPE, signed=False)
def not_json(lv, t, o):
    return STATUS, None, b"{not json", t


@case(Ret.BAD_ENVELOPE)
def bad_base64(lv, t, o):
    return STATUS, _resign({**seal(OP, {}, lv.keys), "Data": "%%%not-base64%%%"}, lv.keys), None, t


@case(Ret.BAD_ENVELOPE)
def wrong_padding(lv, t, o):
    data = base64.b64encode(b"\x00" * 16).decode()
    return STATUS, _resign({**seal(OP, {}, lv.keys), "Data": data}, lv.keys), None, t


@case(Ret.BAD_ENVELOPE)
def wrong_key(lv, t, o):  # Data encrypted with a key the platform did not issue, Sig right
    return STATUS, _resign(seal(OP, status_payload(GOOD_CONNECTOR, 1), WRONG_KEYS), lv.keys), None, t


@case(Ret.BAD_SIG)
def bad_sig(lv, t, o):
    return STATUS, {**ok_status(lv), "Sig": "0" * 32}, None, t


def _escaped(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()  # a lone surrogate as the escape \ud800


# Only a JSON escape can put NUL or a lone surrogate into a field; neither can be signed as UTF-8 or stored.
@case(Ret.BAD_ENVELOPE, signed=False)
def lone_surrogate_in_sig(lv, t, o):
    return STATUS, None, _escaped({**ok_status(lv), "Sig": "\ud800"}), t


@case(Ret.BAD_ENVELOPE, signed=False)
def lone_surrogate_in_seq(lv, t, o):
    return STATUS, None, _escaped({**ok_status(lv), "Seq": "00\udfff1"}), t


@case(Ret.BAD_ENVELOPE, signed=False)
def nul_in_seq(lv, t, o):  # signed correctly: a Seq of other than 4 digits is otherwise tolerated
    return STATUS, _resign({**ok_status(lv), "Seq": "00\x001"}, lv.keys), None, t


@case(Ret.BAD_ENVELOPE, signed=False)
def nul_in_extra_field_name(lv, t, o):  # extra fields are tolerated, and recorded by name
    return STATUS, {**ok_status(lv), "Extra\x00": 1}, None, t


@case(Ret.BAD_TOKEN)
def missing_token(lv, t, o):
    return STATUS, ok_status(lv), None, None


@case(Ret.BAD_TOKEN)
def unknown_token(lv, t, o):
    return STATUS, ok_status(lv), None, "not-a-token"


@case(Ret.BAD_TOKEN)
def foreign_token(lv, t, o):
    return STATUS, ok_status(lv), None, o


@case(Ret.BAD_ENVELOPE)
def stale_timestamp(lv, t, o):
    return STATUS, ok_status(lv, now=utc_now() - timedelta(minutes=30)), None, t


@case(Ret.BAD_ENVELOPE)
def future_timestamp(lv, t, o):
    return STATUS, ok_status(lv, now=utc_now() + timedelta(minutes=30)), None, t


@case(Ret.BAD_ENVELOPE, signed=False)
def unknown_operator(lv, t, o):
    return STATUS, seal("MC0000000", status_payload(GOOD_CONNECTOR, 1), lv.keys), None, t


@case(Ret.BAD_ENVELOPE, signed=False)
def oversized_body(lv, t, o):
    return STATUS, None, b"{" + b" " * (3 * 1024 * 1024) + b"}", t


@case(Ret.BAD_BUSINESS)
def non_json_plaintext(lv, t, o):
    return STATUS, _with_data(b"<xml/>", lv.keys), None, t


@case(Ret.BAD_BUSINESS)
def wrong_field_type(lv, t, o):
    payload = {"ConnectorStatusInfo": {"ConnectorID": GOOD_CONNECTOR, "Status": "busy"}}
    return STATUS, seal(OP, payload, lv.keys), None, t


@case(Ret.BAD_BUSINESS)
def unknown_status_code(lv, t, o):
    return STATUS, ok_status(lv, status=7), None, t


@case(Ret.BAD_BUSINESS)
def unknown_connector(lv, t, o):
    return STATUS, ok_status(lv, "NOPE"), None, t


@case(Ret.BAD_BUSINESS)
def another_operators_connector(lv, t, o):
    return STATUS, ok_status(lv, "ZE01C1"), None, t


@case(Ret.BAD_BUSINESS)
def unknown_station(lv, t, o):
    alarm = {"StationID": "NOPE", "AlarmStatus": 1, "AlarmTime": "2025-06-01 08:00:00", "AlarmType": 1,
             "AlarmLevel": 1, "AlarmCode": 9}  # fmt: skip
    return "notification_alarmInfo", seal(OP, {"AlarmInfos": [alarm]}, lv.keys), None, t


@case(Ret.BAD_BUSINESS)
def another_operators_station(lv, t, o):
    payload = {"StationInfo": {**station_wire("Z"), "OperatorID": OTHER}}
    return "notification_stationInfo", seal(OP, payload, lv.keys), None, t


@case(Ret.BAD_BUSINESS)
def overlong_station_name(lv, t, o):  # T/CEC allows 50 characters
    payload = {"StationInfo": {**station_wire("L"), "StationName": "长" * 51}}
    return "notification_stationInfo", seal(OP, payload, lv.keys), None, t


@case(Ret.BAD_BUSINESS)
def park_nums_beyond_any_station(lv, t, o):  # would overflow PostgreSQL's integer column
    payload = {"StationInfo": {**station_wire("L"), "ParkNums": 10**12}}
    return "notification_stationInfo", seal(OP, payload, lv.keys), None, t


@case(Ret.BAD_ENVELOPE, signed=False)
def unknown_interface(lv, t, o):
    return "notification_nothing", seal(OP, {}, lv.keys), None, t


@pytest.fixture
def two_operators(live):
    keys_b = onboard_operator(Operator(OTHER, "另一家运营商"), live.container.uow, live.container.master, NOW)
    save_station(tree("Z", 1, operator_id=OTHER), live.container.uow(), NOW, live.container.regions)
    return token(live.base, OP, live.keys), token(live.base, OTHER, keys_b)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gets_its_ret_and_writes_nothing(live, two_operators, name):
    build, ret, signed = CASES[name]
    tok, other_tok = two_operators
    before = row_counts(live.container)
    interface, body, raw, use_token = build(live, tok, other_tok)
    response = post(live.base, interface, body, use_token, raw)
    assert response.status_code == 200
    got_ret, msg, _ = answer(response, live.keys if signed else None)
    assert got_ret == ret, msg
    assert msg  # a clear message, never empty
    envelope = json.loads(response.content)
    assert bool(envelope["Sig"]) is signed
    assert row_counts(live.container) == before


def test_a_refused_value_is_named_by_its_wire_path_and_quoted_short(live):
    """An operator's engineer must find the field from the answer alone: EquipmentInfos[0].EquipmentName, not
    the platform's internal name; and a 2,000-character value does not come back whole."""
    wire = station_wire("L")
    wire["EquipmentInfos"][0]["EquipmentName"] = "桩" * 2000
    body = seal(OP, {"StationInfo": wire}, live.keys)
    ret, msg, _ = answer(post(live.base, "notification_stationInfo", body, token(live.base, OP, live.keys)), live.keys)
    assert ret == Ret.BAD_BUSINESS
    assert "EquipmentInfos[0].EquipmentName" in msg and len(msg) < 300, msg


def test_replayed_envelope_is_refused_and_not_written_twice(live):
    tok = token(live.base, OP, live.keys)
    body = seal(OP, status_payload(GOOD_CONNECTOR, 3), live.keys)
    assert answer(post(live.base, "notification_stationStatus", body, tok), live.keys)[0] == Ret.OK
    before = row_counts(live.container)
    ret, msg, _ = answer(post(live.base, "notification_stationStatus", body, tok), live.keys)
    assert ret == Ret.BAD_ENVELOPE and "重放" in msg
    assert row_counts(live.container) == before


def test_suspended_operator_is_refused(live):
    tok = token(live.base, OP, live.keys)
    set_operator_status(OP, OperatorStatus.SUSPENDED, live.container.uow(), NOW)
    live.container.registry.forget(OP)
    ret, msg, _ = answer(
        post(live.base, "notification_stationStatus", seal(OP, status_payload(GOOD_CONNECTOR, 1), live.keys), tok),
        live.keys,
    )
    assert ret == Ret.BAD_ENVELOPE and "suspended" in msg


def test_wrong_operator_secret_fails_then_is_throttled(live):
    bad = {"OperatorID": OP, "OperatorSecret": "0" * 32}
    reasons = [
        answer(post(live.base, "query_token", seal(OP, bad, live.keys)), live.keys)[2]["FailReason"] for _ in range(6)
    ]
    assert reasons == [2, 2, 2, 2, 2, 3]
    good = {"OperatorID": OP, "OperatorSecret": live.keys.operator_secret}
    data = answer(post(live.base, "query_token", seal(OP, good, live.keys)), live.keys)[2]
    assert data["SuccStat"] == 1 and data["FailReason"] == 3  # throttled even with the right secret


def test_two_clients_of_one_operator_in_the_same_second_are_not_replays(live):
    """An identical query_token envelope is a replay; the simulator's clients of one operator share its Seq counter,
    so a second client starting within the same second seals a different envelope."""
    operator = SimOperator.generate(OP, live.keys, seed=3, stations=1)
    instant = utc_now().replace(microsecond=0)
    first = OperatorClient(operator, live.base, clock=lambda: instant)
    second = OperatorClient(operator, live.base, clock=lambda: instant)
    try:
        assert first.query_token() and second.query_token()
    finally:
        first.close()
        second.close()


def test_a_seq_longer_than_any_counter_is_tolerated_and_recorded(live):
    """Seq is 4 digits; a sender's 11-digit one still gets its report stored (ordered as Seq 0 within its second),
    not a system error from the store's 32-bit column."""
    body = _resign({**ok_status(live), "Seq": "12345678901"}, live.keys)
    ret, msg, _ = answer(post(live.base, STATUS, body, token(live.base, OP, live.keys)), live.keys)
    assert ret == Ret.OK, msg
    with live.container.uow() as uow:
        pk = uow.network.connector_pk(OP, GOOD_CONNECTOR)
        assert uow.status.current(pk)[0] == from_tcec(1)
        assert any(f.field == "Seq" and f.variant == "not_4_digits" for f in uow.hub.findings(OP))
