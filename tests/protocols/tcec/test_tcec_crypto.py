"""T/CEC 102.4 crypto against the published (§13.1) and derived (§13.2) vectors, with OpenSSL as a second oracle."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from evinfra.protocols.tcec.crypto import KeySet, decrypt_data, encrypt_data, sig_matches, sign
from evinfra.protocols.tcec.ret import Ret, TcecError

# Keys of every vector (reference §13.1): DataSecret = DataSecretIV = SigSecret, used as ASCII bytes.
VECTOR_KEY = "1234567890abcdef"
KEYS = KeySet(operator_secret=VECTOR_KEY, data_secret=VECTOR_KEY, data_secret_iv=VECTOR_KEY, sig_secret=VECTOR_KEY)

# Vector 1: query_token request. The plaintext holds exactly one LF byte.
V1_OPERATOR_ID = "123456789"
V1_DATA = "mYvffpNoFf4E/ZTC1tOw41TC5OlkEobfAYCm5N8hEusaLUaUIqOrXtdbMrSck0DSmfM7mRuOGMoCQzH0nWPGuw=="
V1_TIMESTAMP = "20180120165755"
V1_SEQ = "0001"
V1_SIG = "D2D584A14F3F284445DF85D0E8C0697C"
V1_PLAINTEXT = b'{"OperatorID":"123456789",\n"OperatorSecret":"1234567890abcdef"}'

# Vector 2: query_token response. Every line break in the plaintext is CR LF.
V2_RET = "0"
V2_MSG = ""
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

# Vector 3: T/CEC 102.4 Appendix C.3 (plaintext is not strict JSON: trailing comma).
V3_OPERATOR_ID = "123456789"
V3_DATA = (
    "il7B0BSEjFdzpyKzfOFpvg/Se1CP802RItKYFPfSLRxJ3jf0bVl9hvYOEktPAYW2nd7S8MBcyHYyacHKbISq5iTmDzG+ivnR+SZJv3"
    "USNTYVMz9rCQVSxd0cLlqsJauko79NnwQJbzDTyLooYoIwz75qBOH2/xOMirpeEqRJrF/EQjWekJmGk9RtboXePu2rka+Xm51syB"
    "PhiXJAq0GfbfaFu9tNqs/e2Vjja/ltE1M0lqvxfXQ6da6HrThsm5id4ClZFIi0acRfrsPLRixS/IQYtksxghvJwbqOsbIsITail9"
    "Ayy4tKcogeEZiOO+4Ed264NSKmk7l3wKwJLAFjCFogBx8GE3OBz4pqcAn/ydA="
)
V3_TIMESTAMP = "20160729142400"
V3_SEQ = "0001"
V3_SIG = "745166E8C43C84D37FFEC0F529C4136F"
V3_PLAINTEXT = (
    b'{"total":1,"stationStatusInfo":{"operationID":"123456789","stationID":"111111111111111",'
    b'"connectorStatusInfos":{"connectorID":1,"equipmentID":"10000000000000000000001","status":4,'
    b'"currentA":0,"currentB":0,"currentC":0,"voltageA":0,"voltageB":0,"voltageC":0,"soc":10,}}}'
)

# §13.2 derived vectors.
D_STATUS_PLAINTEXT = b'{"Status":0}'
D_STATUS_DATA = "9MVkuXXxCLW2u0cUb7YXOA=="
D_STATUS_OK_SIG = "60B4D099B97D6A287F771EE9A5EDC578"
D_TOKEN_ERROR_SIG = "4DEBB0A4054B198749F284D77FB60359"
D_REQ_OPERATOR_ID = "123456789"
D_REQ_TIMESTAMP = "20240101120000"
D_REQ_SEQ = "0001"
D_REQ_PLAINTEXT = b'{"ConnectorStatusInfo":{"ConnectorID":"12345678900001","Status":1}}'
D_REQ_DATA = (
    "Bq+0LsmzLSCEoMjxBr7JEZiqs8Goy0eNs0xUSBu5loT46fsfb/JdcqzZTpOYD0bTEP9a5US5+7rKTV2ZJdaUVLCW/lnTSUlzY1/qqCg/jFI="
)
D_REQ_SIG = "30B9DC8DA01438C4C9B89B19B35D6EE8"

DATA_VECTORS = [
    pytest.param(V1_PLAINTEXT, V1_DATA, id="v1-query_token-request"),
    pytest.param(V2_PLAINTEXT, V2_DATA, id="v2-query_token-response"),
    pytest.param(V3_PLAINTEXT, V3_DATA, id="v3-appendix-c3"),
    pytest.param(D_STATUS_PLAINTEXT, D_STATUS_DATA, id="derived-status"),
    pytest.param(D_REQ_PLAINTEXT, D_REQ_DATA, id="derived-request"),
]

SIG_VECTORS = [
    pytest.param((V1_OPERATOR_ID, V1_DATA, V1_TIMESTAMP, V1_SEQ), V1_SIG, id="v1-request"),
    pytest.param((V2_RET, V2_MSG, V2_DATA), V2_SIG, id="v2-response"),
    pytest.param((V3_OPERATOR_ID, V3_DATA, V3_TIMESTAMP, V3_SEQ), V3_SIG, id="v3-request"),
    pytest.param(("4002", "Token错误", ""), D_TOKEN_ERROR_SIG, id="derived-4002"),
    pytest.param(("0", "请求成功", D_STATUS_DATA), D_STATUS_OK_SIG, id="derived-status-ok"),
    pytest.param((D_REQ_OPERATOR_ID, D_REQ_DATA, D_REQ_TIMESTAMP, D_REQ_SEQ), D_REQ_SIG, id="derived-request"),
]


def test_vector_plaintexts_hold_the_stated_line_breaks() -> None:
    assert V1_PLAINTEXT.count(b"\n") == 1
    assert b"\r" not in V1_PLAINTEXT
    assert V2_PLAINTEXT.count(b"\r\n") == 6
    assert V2_PLAINTEXT.count(b"\n") == 6


# --- KeySet ---------------------------------------------------------------------------------------


def test_keyset_accepts_iv_equal_to_key_and_hides_secrets() -> None:
    keys = KeySet("A1B2C3D4E5F60718293A4B5C6D7E8F90", VECTOR_KEY, VECTOR_KEY, "sig-secret")
    assert "1234567890abcdef" not in repr(keys)
    assert "sig-secret" not in repr(keys)
    assert keys == KeySet("A1B2C3D4E5F60718293A4B5C6D7E8F90", VECTOR_KEY, VECTOR_KEY, "sig-secret")


@pytest.mark.parametrize(
    ("data_secret", "iv", "fragment"),
    [
        ("123456789012345", VECTOR_KEY, "data_secret must be 16 bytes"),
        ("1234567890abcdef1234567890abcdef", VECTOR_KEY, "data_secret must be 16 bytes"),
        (VECTOR_KEY, "1234567890", "data_secret_iv must be 16 bytes"),
        # 8 characters but 24 UTF-8 bytes: length is counted in bytes.
        ("密钥密钥密钥密钥", VECTOR_KEY, "got 24"),
    ],
)
def test_keyset_rejects_wrong_aes_key_or_iv_length(data_secret: str, iv: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        KeySet(VECTOR_KEY, data_secret, iv, VECTOR_KEY)


def test_keyset_rejects_empty_sig_secret() -> None:
    with pytest.raises(ValueError, match="sig_secret"):
        KeySet(VECTOR_KEY, VECTOR_KEY, VECTOR_KEY, "")


# --- published and derived vectors ----------------------------------------------------------------


@pytest.mark.parametrize(("plaintext", "data"), DATA_VECTORS)
def test_encrypt_reproduces_vector(plaintext: bytes, data: str) -> None:
    assert encrypt_data(plaintext, KEYS) == data


@pytest.mark.parametrize(("plaintext", "data"), DATA_VECTORS)
def test_decrypt_reproduces_vector(plaintext: bytes, data: str) -> None:
    assert decrypt_data(data, KEYS) == plaintext


def test_encrypt_accepts_str_as_utf8() -> None:
    assert encrypt_data(D_REQ_PLAINTEXT.decode("utf-8"), KEYS) == D_REQ_DATA


@pytest.mark.parametrize(("parts", "sig"), SIG_VECTORS)
def test_sign_reproduces_vector(parts: tuple[str, ...], sig: str) -> None:
    assert sign(parts, VECTOR_KEY) == sig


def test_sign_accepts_any_iterable() -> None:
    assert sign(iter(["0", "", V2_DATA]), VECTOR_KEY) == V2_SIG


def test_full_block_plaintext_gains_a_whole_pad_block() -> None:
    data = encrypt_data(b"0123456789abcdef", KEYS)
    assert len(data) == 44  # 32 bytes of ciphertext
    assert decrypt_data(data, KEYS) == b"0123456789abcdef"


# --- OpenSSL as an independent oracle -------------------------------------------------------------

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl not on PATH")
HEX_KEY = VECTOR_KEY.encode("ascii").hex()

OPENSSL_PLAINTEXTS = [
    *(pytest.param(p.values[0], id=p.id) for p in DATA_VECTORS),
    pytest.param(b"", id="empty"),
    pytest.param(b"0123456789abcdef", id="one-full-block"),
    pytest.param('{"Msg":"请求成功","Name":"太原南站"}'.encode(), id="chinese"),
]


def _openssl(*args: str, stdin: bytes) -> bytes:
    assert OPENSSL is not None
    done = subprocess.run([OPENSSL, *args], input=stdin, capture_output=True, check=True, timeout=30)
    return done.stdout


@needs_openssl
@pytest.mark.parametrize("plaintext", OPENSSL_PLAINTEXTS)
def test_encrypt_matches_openssl(plaintext: bytes) -> None:
    expected = _openssl("enc", "-aes-128-cbc", "-K", HEX_KEY, "-iv", HEX_KEY, "-base64", "-A", stdin=plaintext).decode(
        "ascii"
    )
    assert encrypt_data(plaintext, KEYS) == expected.strip()


@needs_openssl
@pytest.mark.parametrize(("plaintext", "data"), DATA_VECTORS)
def test_openssl_decrypts_vector(plaintext: bytes, data: str) -> None:
    decrypted = _openssl(
        "enc", "-d", "-aes-128-cbc", "-K", HEX_KEY, "-iv", HEX_KEY, "-base64", "-A", stdin=data.encode("ascii")
    )
    assert decrypted == plaintext


@needs_openssl
@pytest.mark.parametrize(("parts", "sig"), SIG_VECTORS)
def test_sign_matches_openssl_hmac(parts: tuple[str, ...], sig: str) -> None:
    output = _openssl("dgst", "-md5", "-hmac", VECTOR_KEY, stdin="".join(parts).encode("utf-8"))
    openssl_sig = output.decode("ascii").split("=")[-1].strip().upper()
    assert openssl_sig == sig
    assert sign(parts, VECTOR_KEY) == openssl_sig


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("not base64!", id="punctuation"),
        pytest.param(V1_DATA.rstrip("="), id="padding-stripped"),
        pytest.param(V1_DATA.replace("/", "_"), id="url-safe-alphabet"),
        pytest.param(V1_DATA[:44] + "\r\n" + V1_DATA[44:], id="line-break"),
        pytest.param(V1_DATA + "AAAA", id="data-after-padding"),
        pytest.param("密文" + V1_DATA, id="non-ascii"),
    ],
)
def test_decrypt_rejects_bad_base64(data: str) -> None:
    with pytest.raises(TcecError) as info:
        decrypt_data(data, KEYS)
    assert info.value.ret is Ret.BAD_ENVELOPE
    assert info.value.msg == "Data解密失败：不是合法的标准Base64编码"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param("", "Data为空", id="empty"),
        pytest.param("QUJD", "解码后为3字节", id="3-bytes"),
        pytest.param(V1_DATA[:-8] + "AA==", "解码后为61字节", id="truncated-block"),
    ],
)
def test_decrypt_rejects_wrong_length(data: str, fragment: str) -> None:
    with pytest.raises(TcecError) as info:
        decrypt_data(data, KEYS)
    assert info.value.ret is Ret.BAD_ENVELOPE
    assert fragment in info.value.msg


def _raw_cbc(block: bytes) -> str:
    """AES-CBC without padding, to build ciphertexts whose padding is wrong."""
    encryptor = Cipher(algorithms.AES(VECTOR_KEY.encode()), modes.CBC(VECTOR_KEY.encode())).encryptor()
    return base64.b64encode(encryptor.update(block) + encryptor.finalize()).decode("ascii")


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(b"{}" + b"\x00" * 14, id="zero-padding"),  # the incompatible Python mock's padding
        pytest.param(b"0123456789abcdef", id="no-padding"),
        pytest.param(b"0123456789abcd\x03\x02", id="inconsistent-padding"),
        pytest.param(b"0123456789abcde\x11", id="pad-longer-than-block"),
    ],
)
def test_decrypt_rejects_wrong_padding(block: bytes) -> None:
    with pytest.raises(TcecError) as info:
        decrypt_data(_raw_cbc(block), KEYS)
    assert info.value.ret is Ret.BAD_ENVELOPE
    assert info.value.msg == "Data解密失败：密钥或填充错误"
    assert info.value.operator_known


def test_decrypt_with_wrong_key_is_reported_as_key_or_padding_error() -> None:
    wrong = KeySet(VECTOR_KEY, "fedcba0987654321", VECTOR_KEY, VECTOR_KEY)
    with pytest.raises(TcecError) as info:
        decrypt_data(V1_DATA, wrong)
    assert info.value.ret == 4003
    assert info.value.msg == "Data解密失败：密钥或填充错误"
    assert str(info.value) == "4003 Data解密失败：密钥或填充错误"


# --- Sig comparison -------------------------------------------------------------------------------


def test_sig_matches_accepts_lower_case() -> None:
    assert sig_matches(V1_SIG, V1_SIG.lower())
    assert sig_matches(V1_SIG.lower(), V1_SIG)


@pytest.mark.parametrize(
    "given_sig",
    [
        pytest.param(V2_SIG, id="other-sig"),
        pytest.param(V1_SIG[:-1], id="truncated"),
        pytest.param("", id="empty"),
        pytest.param("Ｄ" + V1_SIG[1:], id="full-width-letter"),
    ],
)
def test_sig_matches_rejects_other_values(given_sig: str) -> None:
    assert not sig_matches(V1_SIG, given_sig)


# --- properties -----------------------------------------------------------------------------------


@given(st.binary(max_size=600))
def test_decrypt_inverts_encrypt(plaintext: bytes) -> None:
    data = encrypt_data(plaintext, KEYS)
    assert decrypt_data(data, KEYS) == plaintext
    assert len(base64.b64decode(data)) == (len(plaintext) // 16 + 1) * 16


@given(st.text(max_size=200))
def test_decrypt_inverts_encrypt_for_text(plaintext: str) -> None:
    assert decrypt_data(encrypt_data(plaintext, KEYS), KEYS) == plaintext.encode("utf-8")


@given(st.text(max_size=120))
def test_decrypt_only_ever_raises_tcec_error(data: str) -> None:
    try:
        decrypt_data(data, KEYS)
    except TcecError as exc:
        assert exc.ret is Ret.BAD_ENVELOPE
