"""T/CEC 102.4 envelopes: vectors §13.1/§13.2 end to end, strict parsing, TimeStamp, Seq, freshness."""

from __future__ import annotations

import json
import pickle
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evinfra.protocols.tcec.crypto import KeySet, decrypt_data
from evinfra.protocols.tcec.envelope import (
    SHANGHAI,
    Deviation,
    RequestEnvelope,
    ResponseEnvelope,
    SeqCounter,
    check_freshness,
    format_timestamp,
    load_payload,
    open_response,
    parse_request,
    parse_response,
    parse_timestamp,
    request_sig_payload,
    response_sig_payload,
    seal_request,
    seal_response,
    verify_request,
    verify_response,
)
from evinfra.protocols.tcec.ret import RET_MESSAGES, Ret, TcecError

VECTOR_KEY = "1234567890abcdef"
KEYS = KeySet(VECTOR_KEY, VECTOR_KEY, VECTOR_KEY, VECTOR_KEY)

# §13.1 vector 1 (query_token request); the plaintext holds one LF byte.
V1_WIRE = {
    "OperatorID": "123456789",
    "Data": "mYvffpNoFf4E/ZTC1tOw41TC5OlkEobfAYCm5N8hEusaLUaUIqOrXtdbMrSck0DSmfM7mRuOGMoCQzH0nWPGuw==",
    "TimeStamp": "20180120165755",
    "Seq": "0001",
    "Sig": "D2D584A14F3F284445DF85D0E8C0697C",
}
V1_PLAINTEXT = b'{"OperatorID":"123456789",\n"OperatorSecret":"1234567890abcdef"}'

# §13.1 vector 2 (query_token response); line breaks are CR LF.
V2_DATA = (
    "uxeKP0ezR5yL8xSg4/ZCDh/N91/u86NXFxd2DrwZVW8zCPYcpl59Twz/yQZ3RaO4rDDrGmkvQignmNEJ+k4PGxdmIC+4fpJ8rU6o"
    "sSobY+AeA0uueuQ5+eQiWBL6p6v5XMMm91brtK8yfFELYUWQzVcxABnAwK/+dyxtUhqLIxUpkwTEU/4ktN40df9IzzlLO5uvUknP"
    "GYu9yL0pp5w9vdRxmA1RiiTDNCysz6klr9bunGV3VJa2qpLcgeZMf/oG"
)
V2_SIG = "58E52010C7DEE87FE183B0AFA5B2BE30"
V2_PLAINTEXT = (
    b'{\r\n  "OperatorID": "123456789",\r\n  "SuccStat": 0,\r\n'
    b'  "AccessToken": "kVnStIRknCCOBdXgJrmu8rb3pcccifKW2NcQrysKKIzb7iQBxkkjeq3WoGdjgrIL",\r\n'
    b'  "TokenAvailableTime": 7200,\r\n  "FailReason": 0\r\n}'
)

# §13.1 vector 3 (Appendix C.3); its plaintext has a trailing comma, so it is not JSON.
V3_WIRE = {
    "OperatorID": "123456789",
    "Data": (
        "il7B0BSEjFdzpyKzfOFpvg/Se1CP802RItKYFPfSLRxJ3jf0bVl9hvYOEktPAYW2nd7S8MBcyHYyacHKbISq5iTmDzG+ivnR+SZJv3"
        "USNTYVMz9rCQVSxd0cLlqsJauko79NnwQJbzDTyLooYoIwz75qBOH2/xOMirpeEqRJrF/EQjWekJmGk9RtboXePu2rka+Xm51syB"
        "PhiXJAq0GfbfaFu9tNqs/e2Vjja/ltE1M0lqvxfXQ6da6HrThsm5id4ClZFIi0acRfrsPLRixS/IQYtksxghvJwbqOsbIsITail9"
        "Ayy4tKcogeEZiOO+4Ed264NSKmk7l3wKwJLAFjCFogBx8GE3OBz4pqcAn/ydA="
    ),
    "TimeStamp": "20160729142400",
    "Seq": "0001",
    "Sig": "745166E8C43C84D37FFEC0F529C4136F",
}

# §13.2 derived vectors.
D_STATUS_DATA = "9MVkuXXxCLW2u0cUb7YXOA=="
D_STATUS_OK_SIG = "60B4D099B97D6A287F771EE9A5EDC578"
D_TOKEN_ERROR_SIG = "4DEBB0A4054B198749F284D77FB60359"
D_REQ_PAYLOAD = {"ConnectorStatusInfo": {"ConnectorID": "12345678900001", "Status": 1}}
D_REQ_WIRE = {
    "OperatorID": "123456789",
    "Data": (
        "Bq+0LsmzLSCEoMjxBr7JEZiqs8Goy0eNs0xUSBu5loT46fsfb/JdcqzZTpOYD0bTEP9a5US5+7rKTV2ZJdaUVLCW/lnTSUlzY1/qqCg/jFI="
    ),
    "TimeStamp": "20240101120000",
    "Seq": "0001",
    "Sig": "30B9DC8DA01438C4C9B89B19B35D6EE8",
}


def _body(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _parse_error(raw: bytes) -> TcecError:
    with pytest.raises(TcecError) as info:
        parse_request(raw)
    assert info.value.ret is Ret.BAD_ENVELOPE
    assert not info.value.operator_known
    return info.value


# --- Ret and TcecError ----------------------------------------------------------------------------


def test_ret_values_and_standard_messages() -> None:
    assert {ret.name: int(ret) for ret in Ret} == {
        "BUSY": -1,
        "OK": 0,
        "BAD_SIG": 4001,
        "BAD_TOKEN": 4002,
        "BAD_ENVELOPE": 4003,
        "BAD_BUSINESS": 4004,
        "SYSTEM_ERROR": 500,
    }
    assert Ret.OK.message == "请求成功"
    assert Ret.BAD_TOKEN.message == "Token错误"
    assert Ret.BUSY.message == "系统繁忙，此时请求方稍后重试"
    assert set(RET_MESSAGES) == set(Ret)


def test_tcec_error_defaults_to_standard_message_and_pickles() -> None:
    error = TcecError(Ret.SYSTEM_ERROR)
    assert error.msg == "系统错误"
    assert not error.operator_known
    specific = TcecError(Ret.BAD_ENVELOPE, "Data解密失败：密钥或填充错误", operator_known=True)
    copy = pickle.loads(pickle.dumps(specific))
    assert (copy.ret, copy.msg, copy.operator_known) == (Ret.BAD_ENVELOPE, specific.msg, True)
    assert str(copy) == "4003 Data解密失败：密钥或填充错误"


# --- vectors end to end ---------------------------------------------------------------------------


def test_vector1_request_parses_verifies_and_decrypts() -> None:
    envelope = parse_request(_body(V1_WIRE))
    assert envelope.to_wire() == V1_WIRE
    assert envelope.deviations == ()
    verify_request(envelope, KEYS)
    assert decrypt_data(envelope.data, KEYS) == V1_PLAINTEXT
    assert load_payload(V1_PLAINTEXT) == {"OperatorID": "123456789", "OperatorSecret": "1234567890abcdef"}
    moment, variant = parse_timestamp(envelope.timestamp)
    assert (moment, variant) == (datetime(2018, 1, 20, 16, 57, 55, tzinfo=SHANGHAI), None)


def test_vector2_response_parses_verifies_and_opens() -> None:
    raw = _body({"Ret": 0, "Msg": "", "Data": V2_DATA, "Sig": V2_SIG})
    envelope = parse_response(raw)
    assert envelope == ResponseEnvelope(0, "", V2_DATA, V2_SIG)
    assert response_sig_payload(envelope.ret, envelope.msg, envelope.data) == "0" + V2_DATA
    plaintext = open_response(envelope, KEYS)
    assert plaintext == V2_PLAINTEXT
    assert load_payload(V2_PLAINTEXT)["TokenAvailableTime"] == 7200


def test_vector3_request_verifies_but_its_payload_is_not_json() -> None:
    envelope = parse_request(_body(V3_WIRE))
    verify_request(envelope, KEYS)
    plaintext = decrypt_data(envelope.data, KEYS)
    with pytest.raises(TcecError) as info:
        load_payload(plaintext)
    assert info.value.ret is Ret.BAD_BUSINESS
    assert "不是合法的JSON" in info.value.msg


def test_seal_request_reproduces_derived_vector() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=SHANGHAI)
    envelope = seal_request("123456789", D_REQ_PAYLOAD, KEYS, now, 1)
    assert envelope.to_wire() == D_REQ_WIRE
    assert list(envelope.to_wire()) == ["OperatorID", "Data", "TimeStamp", "Seq", "Sig"]
    # The same instant given in UTC is stamped in Shanghai time.
    assert seal_request("123456789", D_REQ_PAYLOAD, KEYS, datetime(2024, 1, 1, 4, tzinfo=UTC), 1) == envelope
    compact = b'{"ConnectorStatusInfo":{"ConnectorID":"12345678900001","Status":1}}'
    assert seal_request("123456789", compact, KEYS, now, 1) == envelope
    assert envelope.sig_payload() == request_sig_payload("123456789", D_REQ_WIRE["Data"], "20240101120000", "0001")


def test_seal_response_reproduces_derived_vectors() -> None:
    error = seal_response(Ret.BAD_TOKEN, "Token错误", None, KEYS)
    assert error.to_wire() == {"Ret": 4002, "Msg": "Token错误", "Data": "", "Sig": D_TOKEN_ERROR_SIG}
    ok = seal_response(Ret.OK, "请求成功", {"Status": 0}, KEYS)
    assert ok.to_wire() == {"Ret": 0, "Msg": "请求成功", "Data": D_STATUS_DATA, "Sig": D_STATUS_OK_SIG}
    assert list(ok.to_wire()) == ["Ret", "Msg", "Data", "Sig"]
    assert isinstance(ok.to_wire()["Ret"], int)
    assert type(ok.ret) is int


def test_error_response_opens_to_none() -> None:
    raw = _body({"Ret": 4002, "Msg": "Token错误", "Data": "", "Sig": D_TOKEN_ERROR_SIG})
    assert open_response(parse_response(raw), KEYS) is None


def test_negative_ret_is_signed_in_decimal() -> None:
    busy = seal_response(Ret.BUSY, Ret.BUSY.message, None, KEYS)
    assert busy.sig_payload() == "-1系统繁忙，此时请求方稍后重试"
    verify_response(busy, KEYS)


def test_payload_json_is_compact_utf8() -> None:
    envelope = seal_response(Ret.OK, "", {"StationName": "太原南站", "Lat": 37.8}, KEYS)
    assert open_response(envelope, KEYS) == '{"StationName":"太原南站","Lat":37.8}'.encode()


def test_payload_refuses_nan() -> None:
    with pytest.raises(ValueError):
        seal_response(Ret.OK, "", {"Power": float("nan")}, KEYS)


# --- Sig verification -----------------------------------------------------------------------------


def test_lower_case_sig_is_accepted_and_reported() -> None:
    envelope = parse_request(_body({**V1_WIRE, "Sig": V1_WIRE["Sig"].lower()}))
    verify_request(envelope, KEYS)
    assert envelope.deviations == (Deviation("Sig", "lower_case"),)


@pytest.mark.parametrize("field", ["OperatorID", "Data", "TimeStamp", "Seq"])
def test_tampered_request_fails_sig(field: str) -> None:
    tampered = {**V1_WIRE, field: V1_WIRE[field][:-1] + ("0" if V1_WIRE[field][-1] != "0" else "1")}
    with pytest.raises(TcecError) as info:
        verify_request(parse_request(_body(tampered)), KEYS)
    assert info.value.ret is Ret.BAD_SIG
    assert info.value.operator_known


def test_tampered_response_fails_sig() -> None:
    envelope = ResponseEnvelope(0, "请求成功", D_STATUS_DATA, D_TOKEN_ERROR_SIG)
    with pytest.raises(TcecError) as info:
        open_response(envelope, KEYS)
    assert info.value.ret is Ret.BAD_SIG


# --- strict parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["OperatorID", "Data", "TimeStamp", "Seq", "Sig"])
def test_missing_request_field_is_named(missing: str) -> None:
    body = {name: value for name, value in V1_WIRE.items() if name != missing}
    assert _parse_error(_body(body)).msg == f"缺少必需字段：{missing}"


def test_all_missing_request_fields_are_named() -> None:
    assert _parse_error(b'{"OperatorID":"123456789"}').msg == "缺少必需字段：Data,TimeStamp,Seq,Sig"


def test_missing_response_field_is_named() -> None:
    with pytest.raises(TcecError) as info:
        parse_response(b'{"Ret":4002,"Msg":"Token\xe9\x94\x99\xe8\xaf\xaf","Data":""}')
    assert info.value.msg == "缺少必需字段：Sig"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        pytest.param(b"", "不是合法的JSON", id="empty"),
        pytest.param(b"OperatorID=123456789&Data=x", "不是合法的JSON", id="form-encoded"),
        pytest.param(b'{"OperatorID":"1",}', "不是合法的JSON", id="trailing-comma"),
        pytest.param(b"\xff\xfe{", "不是合法的UTF-8", id="not-utf8"),
        pytest.param(b'{"Seq": NaN}', "不是合法的JSON", id="nan"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "不是合法的JSON", id="deep-nesting"),
        pytest.param(b"[]", "应为JSON对象，实际为数组", id="array"),
        pytest.param(b'"text"', "应为JSON对象，实际为字符串", id="string"),
        pytest.param(b"42", "应为JSON对象，实际为数字", id="number"),
        pytest.param(b"null", "应为JSON对象，实际为null", id="null"),
    ],
)
def test_request_body_that_is_no_json_object_is_rejected(raw: bytes, fragment: str) -> None:
    assert fragment in _parse_error(raw).msg


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("OperatorID", 123456789, "字段OperatorID类型错误：应为字符串，实际为数字"),
        ("Data", None, "字段Data类型错误：应为字符串，实际为null"),
        ("Sig", ["D2D5"], "字段Sig类型错误：应为字符串，实际为数组"),
        ("Seq", True, "字段Seq类型错误：应为字符串，实际为布尔值"),
        ("Seq", 1.0, "字段Seq类型错误：应为字符串，实际为数字"),
        ("TimeStamp", {"t": 1}, "字段TimeStamp类型错误：应为字符串，实际为对象"),
        ("Data", "", "字段Data为空"),
        ("OperatorID", "", "字段OperatorID为空"),
        ("Sig", "", "字段Sig为空"),
    ],
)
def test_invalid_request_field_is_named(field: str, value: Any, message: str) -> None:
    assert _parse_error(_body({**V1_WIRE, field: value})).msg == message


def test_duplicate_field_is_rejected() -> None:
    raw = b'{"OperatorID":"1","Data":"x","TimeStamp":"20240101120000","Seq":"0001","Sig":"A","Sig":"B"}'
    assert _parse_error(raw).msg == "报文字段重复：Sig"


def test_int_seq_and_timestamp_are_converted_and_reported() -> None:
    envelope = parse_request(_body({**V1_WIRE, "TimeStamp": 20180120165755, "Seq": 1}))
    assert (envelope.timestamp, envelope.seq) == ("20180120165755", "1")
    assert envelope.deviations == (
        Deviation("TimeStamp", "json_int"),
        Deviation("Seq", "json_int"),
        Deviation("Seq", "not_4_digits"),
    )


def test_extra_fields_and_bom_are_reported() -> None:
    envelope = parse_request(b"\xef\xbb\xbf" + _body({**V1_WIRE, "Version": "1.0"}))
    verify_request(envelope, KEYS)
    assert envelope.deviations == (Deviation("<body>", "utf8_bom"), Deviation("Version", "extra_field"))
    assert envelope == parse_request(_body(V1_WIRE))  # deviations do not take part in equality


def test_response_ret_as_string_and_echoed_operator_id_are_reported() -> None:
    raw = _body({"Ret": "0", "Msg": "", "Data": V2_DATA, "Sig": V2_SIG.lower(), "OperatorID": "123456789"})
    envelope = parse_response(raw)
    assert envelope.ret == 0
    assert set(envelope.deviations) == {
        Deviation("OperatorID", "extra_field"),
        Deviation("Ret", "json_string"),
        Deviation("Sig", "lower_case"),
    }
    assert open_response(envelope, KEYS) == V2_PLAINTEXT


@pytest.mark.parametrize("ret", [True, None, "OK", 0.0])
def test_response_ret_must_be_an_integer(ret: Any) -> None:
    with pytest.raises(TcecError) as info:
        parse_response(_body({"Ret": ret, "Msg": "", "Data": "", "Sig": D_TOKEN_ERROR_SIG}))
    assert info.value.msg.startswith("字段Ret类型错误：应为整数")


def test_load_payload_requires_an_object() -> None:
    with pytest.raises(TcecError) as info:
        load_payload(b"[1,2]")
    assert info.value.ret is Ret.BAD_BUSINESS
    assert info.value.msg == "Data解密后应为JSON对象，实际为数组"


# --- TimeStamp ------------------------------------------------------------------------------------


def test_format_timestamp_uses_shanghai_time() -> None:
    assert format_timestamp(datetime(2023, 12, 31, 16, 0, 1, 999_999, tzinfo=UTC)) == "20240101000001"
    with pytest.raises(ValueError):
        format_timestamp(datetime(2024, 1, 1, 12))


def test_parse_timestamp_accepts_epoch_milliseconds_as_a_variant() -> None:
    moment, variant = parse_timestamp("1704081600123")
    assert variant == "epoch_ms"
    assert moment == datetime(2024, 1, 1, 12, 0, 0, 123_000, tzinfo=SHANGHAI)
    assert moment.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("202401011200", "格式错误", id="12-digits"),
        pytest.param("2024-01-01 12:00:00", "格式错误", id="iso-like"),
        pytest.param("", "格式错误", id="empty"),
        pytest.param("２０２４０１０１１２００００", "格式错误", id="full-width-digits"),
        pytest.param("20241301120000", "不是有效的日期时间", id="month-13"),
        pytest.param("20230229120000", "不是有效的日期时间", id="feb-29-non-leap"),
    ],
)
def test_parse_timestamp_rejects_other_formats(text: str, fragment: str) -> None:
    with pytest.raises(TcecError) as info:
        parse_timestamp(text)
    assert info.value.ret is Ret.BAD_ENVELOPE
    assert fragment in info.value.msg


def test_truncated_timestamp_reads_as_epoch_ms_and_fails_freshness() -> None:
    moment, variant = parse_timestamp("2024010112000")  # 13 digits: a 14-digit stamp missing one digit
    assert variant == "epoch_ms"
    with pytest.raises(TcecError, match="TimeStamp超出允许时间窗口"):
        check_freshness(moment, datetime(2024, 1, 1, 12, tzinfo=SHANGHAI))


def test_timestamp_round_trip() -> None:
    now = datetime(2024, 2, 29, 23, 59, 59, tzinfo=SHANGHAI)
    assert parse_timestamp(format_timestamp(now)) == (now, None)


# --- freshness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("skew", [timedelta(0), timedelta(minutes=5), -timedelta(minutes=5), timedelta(seconds=-90)])
def test_fresh_timestamps_pass(skew: timedelta) -> None:
    now = datetime(2024, 1, 1, 12, tzinfo=SHANGHAI)
    check_freshness(now + skew, now)


@pytest.mark.parametrize("skew", [timedelta(minutes=5, seconds=1), -timedelta(hours=2)])
def test_stale_or_future_timestamps_fail(skew: timedelta) -> None:
    now = datetime(2024, 1, 1, 12, tzinfo=SHANGHAI)
    with pytest.raises(TcecError) as info:
        check_freshness(now + skew, now)
    assert info.value.ret is Ret.BAD_ENVELOPE
    assert info.value.msg.startswith("TimeStamp超出允许时间窗口（±5分钟）")
    assert f"{int(skew.total_seconds())}秒" in info.value.msg


def test_freshness_window_is_configurable() -> None:
    now = datetime(2024, 1, 1, 12, tzinfo=UTC)
    check_freshness(now - timedelta(minutes=9), now, window=timedelta(minutes=10))
    with pytest.raises(TcecError, match="±1分钟"):
        check_freshness(now - timedelta(minutes=2), now, window=timedelta(minutes=1))


# --- Seq ------------------------------------------------------------------------------------------


def test_seq_counts_within_a_second_and_restarts_each_new_second() -> None:
    counter = SeqCounter()
    second = datetime(2024, 1, 1, 12, 0, 0, tzinfo=SHANGHAI)
    assert [counter.next(second + timedelta(microseconds=us)) for us in (0, 1, 999_999)] == [1, 2, 3]
    assert counter.next(second + timedelta(seconds=1)) == 1
    assert counter.next(second + timedelta(seconds=1, microseconds=500_000)) == 2
    assert counter.next(second + timedelta(seconds=2)) == 1


def test_seq_is_exhausted_after_9999_in_one_second() -> None:
    counter = SeqCounter()
    now = datetime(2024, 1, 1, 12, tzinfo=SHANGHAI)
    assert [counter.next(now) for _ in range(9999)][-1] == 9999
    with pytest.raises(OverflowError):
        counter.next(now)
    assert counter.next(now + timedelta(seconds=1)) == 1


def test_seq_counter_is_thread_safe() -> None:
    counter = SeqCounter()
    now = datetime(2024, 1, 1, 12, tzinfo=SHANGHAI)
    results: list[list[int]] = [[] for _ in range(8)]

    def take(out: list[int]) -> None:
        out.extend(counter.next(now) for _ in range(1000))

    threads = [threading.Thread(target=take, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n for out in results for n in out) == list(range(1, 8001))


def test_seal_request_formats_seq_and_rejects_out_of_range() -> None:
    now = datetime(2024, 1, 1, 12, tzinfo=SHANGHAI)
    assert seal_request("123456789", {}, KEYS, now, 42).seq == "0042"
    for bad in (-1, 10_000):
        with pytest.raises(ValueError):
            seal_request("123456789", {}, KEYS, now, bad)


# --- properties -----------------------------------------------------------------------------------

# Storable text: no NUL, no lone surrogates (refused in a payload with 4004 and in an envelope with 4003,
# tested separately).
STORABLE = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
TEXT = st.text(STORABLE)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
ENVELOPE_KEYS = st.sampled_from(["OperatorID", "Data", "TimeStamp", "Seq", "Sig", "Ret", "Msg"]) | st.text()


@given(st.binary(max_size=400))
def test_parse_request_only_ever_raises_tcec_error(raw: bytes) -> None:
    try:
        parse_request(raw)
    except TcecError as exc:
        assert exc.ret is Ret.BAD_ENVELOPE


@given(st.dictionaries(ENVELOPE_KEYS, JSON_VALUES, max_size=7))
def test_parse_request_and_response_only_raise_tcec_error_on_json_objects(obj: dict[str, Any]) -> None:
    raw = _body(obj)
    for parse in (parse_request, parse_response):
        try:
            parse(raw)
        except TcecError as exc:
            assert exc.ret is Ret.BAD_ENVELOPE


@given(
    st.dictionaries(TEXT, JSON_VALUES, max_size=5),
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)),
    st.integers(min_value=0, max_value=9999),
)
def test_sealed_request_survives_the_wire(payload: dict[str, Any], now: datetime, seq: int) -> None:
    sealed = seal_request("MA0123456", payload, KEYS, now, seq)
    received = parse_request(_body(sealed.to_wire()))
    assert received == sealed
    verify_request(received, KEYS)
    assert load_payload(decrypt_data(received.data, KEYS)) == payload
    moment, variant = parse_timestamp(received.timestamp)
    assert variant is None
    assert moment == now.replace(microsecond=0)


@given(st.integers(min_value=-1, max_value=9999), st.text(STORABLE, max_size=30))
def test_sealed_response_survives_the_wire(ret: int, msg: str) -> None:
    sealed = seal_response(ret, msg, None, KEYS)
    assert parse_response(_body(sealed.to_wire())) == sealed
    assert open_response(sealed, KEYS) is None


def test_envelopes_are_frozen() -> None:
    envelope = RequestEnvelope("1", "x", "20240101120000", "0001", "A")
    with pytest.raises(AttributeError):
        envelope.sig = "B"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\ud800", "x\udfff"])
def test_payload_with_nul_or_lone_surrogate_is_refused_naming_the_path(text: str) -> None:
    plaintext = json.dumps({"StationInfo": {"StationName": text}}).encode()  # escapes travel as \\uXXXX
    with pytest.raises(TcecError) as err:
        load_payload(plaintext)
    assert err.value.ret is Ret.BAD_BUSINESS and "StationInfo.StationName" in err.value.msg


@pytest.mark.parametrize(
    ("field", "text", "path"),
    [
        ("Sig", "\ud800", "报文.Sig"),
        ("Seq", "00\x001", "报文.Seq"),
        ("Extra\x00", 1, "报文"),
        ("Data", "x\udfff", "报文.Data"),
    ],
)
def test_request_envelope_with_nul_or_lone_surrogate_is_refused_naming_the_field(
    field: str, text: object, path: str
) -> None:
    """Unsigned or signed, such a field could neither be verified (UTF-8) nor recorded as a deviation."""
    good = seal_request("123456789", {}, KEYS, datetime(2024, 1, 1, 4, tzinfo=UTC), 1).to_wire()
    body = json.dumps({**good, field: text}).encode()  # escapes travel as \\uXXXX
    err = _parse_error(body)
    assert err.ret is Ret.BAD_ENVELOPE and path in err.msg and not err.operator_known


@pytest.mark.parametrize("text", ["\x00", "\ud800"])
def test_response_envelope_with_nul_or_lone_surrogate_is_refused(text: str) -> None:
    body = json.dumps({"Ret": 500, "Msg": f"系统错误{text}", "Data": "", "Sig": "A" * 32}).encode()
    with pytest.raises(TcecError) as err:
        parse_response(body)
    assert err.value.ret is Ret.BAD_ENVELOPE and "报文.Msg" in err.value.msg
