"""The hub's answers: sealed per key set, byte for byte the same each time, and only OK answers carry Data."""

import json

from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import open_response, parse_response
from evinfra.protocols.tcec.receiver import _answer
from evinfra.protocols.tcec.ret import Ret, TcecError

KEYS = KeySet("a1b2c3d4e5f6g7h8", "1234567890abcdef", "1234567890abcdef", "1234567890abcdef")
OTHER = KeySet("a1b2c3d4e5f6g7h8", "fedcba0987654321", "0000000000000000", "1111111111111111")


def opened(answer: bytes, keys: KeySet) -> tuple[int, str, object]:
    envelope = parse_response(answer)
    plain = open_response(envelope, keys)  # verifies the Sig first
    return envelope.ret, envelope.msg, None if plain is None else json.loads(plain)


def test_an_answer_is_sealed_with_the_operators_keys_and_repeats_exactly():
    first = _answer(Ret.OK, "请求成功", {"Status": 0}, KEYS)
    assert _answer(Ret.OK, "请求成功", {"Status": 0}, KEYS) == first
    assert opened(first, KEYS) == (0, "请求成功", {"Status": 0})
    other = _answer(Ret.OK, "请求成功", {"Status": 0}, OTHER)
    assert other != first and opened(other, OTHER) == (0, "请求成功", {"Status": 0})
    try:
        opened(first, OTHER)
    except TcecError as exc:
        assert exc.ret is Ret.BAD_SIG
    else:
        raise AssertionError("an answer sealed for one key set must not verify under another")


def test_answers_differ_by_payload_and_errors_carry_no_data():
    ok = opened(_answer(Ret.OK, "请求成功", {"StartChargeSeq": "MA0123456X1", "SuccStat": 0}, KEYS), KEYS)
    assert ok[2] == {"StartChargeSeq": "MA0123456X1", "SuccStat": 0}
    assert opened(_answer(Ret.BAD_BUSINESS, "字段错误", {"Status": 0}, KEYS), KEYS) == (4004, "字段错误", None)
    unsigned = json.loads(_answer(Ret.BAD_ENVELOPE, "unknown operator", None, None))
    assert unsigned == {"Ret": 4003, "Msg": "unknown operator", "Data": "", "Sig": ""}
