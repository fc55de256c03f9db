"""T/CEC 102.4 §4.5 request/response envelopes: strict parsing, sealing, Sig, TimeStamp and Seq.

Receiver order (reference §8): size limit → :func:`parse_request` → operator lookup →
:func:`verify_request` → bearer token → :func:`parse_timestamp` + :func:`check_freshness` + replay check →
:func:`~evinfra.protocols.tcec.crypto.decrypt_data` → :func:`load_payload` → business validation.
Tolerated deviations (int Seq, lower-case Sig, extra fields, epoch-ms TimeStamp) are accepted and
reported so callers can record them as data-quality findings; anything else is rejected with 4003.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evinfra.protocols.tcec.crypto import KeySet, decrypt_data, encrypt_data, sig_matches, sign
from evinfra.protocols.tcec.ret import Ret, TcecError

__all__ = [
    "SHANGHAI",
    "Deviation",
    "RequestEnvelope",
    "ResponseEnvelope",
    "SeqCounter",
    "check_freshness",
    "dump_payload",
    "format_timestamp",
    "load_payload",
    "open_response",
    "parse_request",
    "parse_response",
    "parse_timestamp",
    "request_sig_payload",
    "response_sig_payload",
    "seal_request",
    "seal_response",
    "verify_request",
    "verify_response",
]

try:
    SHANGHAI: tzinfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # no tz database on the host; Shanghai has been fixed UTC+8 since 1991
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

REQUEST_FIELDS: tuple[str, ...] = ("OperatorID", "Data", "TimeStamp", "Seq", "Sig")
RESPONSE_FIELDS: tuple[str, ...] = ("Ret", "Msg", "Data", "Sig")
DEFAULT_FRESHNESS_WINDOW = timedelta(minutes=5)
SEQ_MAX = 9999

_UTF8_BOM = b"\xef\xbb\xbf"
_SEQ_RE = re.compile(r"[0-9]{4}", re.ASCII)
_OPERATOR_ID_RE = re.compile(r"[0-9A-Za-z]{9}", re.ASCII)  # GB 11714; lower case tolerated here, refused later
_RET_RE = re.compile(r"-?[0-9]{1,6}", re.ASCII)
_MAX_ECHO_CHARS = 40
_PAYLOAD_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Deviation(NamedTuple):
    """A tolerated departure from the standard wire form, e.g. ``Deviation("Seq", "json_int")``."""

    field: str
    variant: str


@dataclass(frozen=True, slots=True)
class RequestEnvelope:
    """``{"OperatorID","Data","TimeStamp","Seq","Sig"}`` with every value as the string that was signed."""

    operator_id: str
    data: str
    timestamp: str
    seq: str
    sig: str
    deviations: tuple[Deviation, ...] = field(default=(), compare=False)

    def sig_payload(self) -> str:
        return request_sig_payload(self.operator_id, self.data, self.timestamp, self.seq)

    def to_wire(self) -> dict[str, str]:
        return {
            "OperatorID": self.operator_id,
            "Data": self.data,
            "TimeStamp": self.timestamp,
            "Seq": self.seq,
            "Sig": self.sig,
        }


@dataclass(frozen=True, slots=True)
class ResponseEnvelope:
    """``{"Ret","Msg","Data","Sig"}``; ``ret`` stays an int because partners use non-standard codes (4015)."""

    ret: int
    msg: str
    data: str
    sig: str
    deviations: tuple[Deviation, ...] = field(default=(), compare=False)

    def sig_payload(self) -> str:
        return response_sig_payload(self.ret, self.msg, self.data)

    def to_wire(self) -> dict[str, int | str]:
        return {"Ret": self.ret, "Msg": self.msg, "Data": self.data, "Sig": self.sig}


# --- Sig payloads -------------------------------------------------------------------------------


def request_sig_payload(operator_id: str, data: str, timestamp: str, seq: str) -> str:
    """OperatorID + Data + TimeStamp + Seq, Data being the Base64 text exactly as sent."""
    return operator_id + data + timestamp + seq


def response_sig_payload(ret: int, msg: str, data: str) -> str:
    """Ret (decimal, e.g. "-1") + Msg + Data."""
    return str(int(ret)) + msg + data


# --- payload JSON -------------------------------------------------------------------------------


def dump_payload(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON with non-ASCII kept literal; NaN/Infinity are refused as they are not JSON."""
    return _PAYLOAD_ENCODER.encode(payload).encode("utf-8")


def load_payload(plaintext: bytes) -> dict[str, Any]:
    """Decode decrypted Data into a JSON object; anything else is a 4004 (invalid business parameters)."""
    try:
        value = _PAYLOAD_DECODER.decode(plaintext.decode("utf-8"))
    except UnicodeDecodeError:
        raise TcecError(Ret.BAD_BUSINESS, "Data解密后不是合法的UTF-8文本", operator_known=True) from None
    except (ValueError, RecursionError) as exc:
        raise TcecError(Ret.BAD_BUSINESS, f"Data解密后不是合法的JSON：{_reason(exc)}", operator_known=True) from None
    if not isinstance(value, dict):
        raise TcecError(Ret.BAD_BUSINESS, f"Data解密后应为JSON对象，实际为{json_type(value)}", operator_known=True)
    # Only a \u escape can produce NUL or a lone surrogate: raw control characters fail strict JSON and
    # raw surrogates fail UTF-8. Most payloads have none, and the walk below is then skipped.
    if b"\\u" in plaintext:
        _reject_unstorable_text(value, "Data", Ret.BAD_BUSINESS)
    return value


def _reject_unstorable_text(value: object, path: str, ret: Ret) -> None:
    """NUL and lone surrogates (JSON escapes ``\\u0000``, ``\\ud800``) cannot be stored or re-encoded.

    PostgreSQL refuses NUL in text and no UTF-8 encoder takes a lone surrogate, so letting them through
    would turn a bad message into a system error instead of an answer naming the field. Worse, a deviation
    that quotes such text is only written when the batch commits, and would fail the commit of every
    notification in that batch.
    """
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            texts = [item]
        elif isinstance(item, dict):
            texts = list(item)
            stack.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            texts = []
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
        else:
            continue
        for text in texts:
            if "\x00" in text or not _encodable(text):
                raise TcecError(
                    ret,
                    f"{_utf8(where)} 含有 NUL 或不成对的代理字符 / NUL or lone surrogate",
                    operator_known=ret is Ret.BAD_BUSINESS,  # an envelope's sender is not yet verified
                )


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- strict envelope parsing --------------------------------------------------------------------


def parse_request(raw: bytes) -> RequestEnvelope:
    """Strictly parse a request body; raises TcecError(4003) naming the missing or invalid field.

    Seq/TimeStamp sent as JSON integers are converted with ``str()`` (what such senders sign) and
    reported; so are a lower-case Sig, a Seq that is not 4 digits, extra fields and a UTF-8 BOM.
    """
    obj, deviations = _load_envelope(raw, REQUEST_FIELDS)
    operator_id = _require_str(obj, "OperatorID")
    if not _OPERATOR_ID_RE.fullmatch(operator_id):
        raise TcecError(Ret.BAD_ENVELOPE, f"OperatorID {_echo(operator_id)} 不是 9 位组织机构代码 / not a 9-char code")
    data = _require_str(obj, "Data")
    timestamp = _require_str_or_int(obj, "TimeStamp", deviations)
    seq = _require_str_or_int(obj, "Seq", deviations)
    sig = _require_str(obj, "Sig")
    if not _SEQ_RE.fullmatch(seq):
        deviations.append(Deviation("Seq", "not_4_digits"))
    if sig != sig.upper():
        deviations.append(Deviation("Sig", "lower_case"))
    return RequestEnvelope(operator_id, data, timestamp, seq, sig, tuple(deviations))


def parse_response(raw: bytes) -> ResponseEnvelope:
    """Strictly parse a response body; raises TcecError(4003) naming the missing or invalid field.

    A Ret sent as a decimal string and a lower-case Sig are accepted and reported. An echoed
    OperatorID (not covered by the Sig) is reported as an extra field.
    """
    obj, deviations = _load_envelope(raw, RESPONSE_FIELDS)
    ret_value = obj["Ret"]
    if isinstance(ret_value, int) and not isinstance(ret_value, bool):
        ret = ret_value
    elif isinstance(ret_value, str) and _RET_RE.fullmatch(ret_value):
        ret = int(ret_value)
        deviations.append(Deviation("Ret", "json_string"))
    else:
        raise _field_error("Ret", "整数", ret_value)
    msg = _require_str(obj, "Msg", allow_empty=True)
    data = _require_str(obj, "Data", allow_empty=True)
    sig = _require_str(obj, "Sig")
    if sig != sig.upper():
        deviations.append(Deviation("Sig", "lower_case"))
    return ResponseEnvelope(ret, msg, data, sig, tuple(deviations))


def _load_envelope(raw: bytes, fields: tuple[str, ...]) -> tuple[dict[str, Any], list[Deviation]]:
    deviations: list[Deviation] = []
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
        deviations.append(Deviation("<body>", "utf8_bom"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TcecError(Ret.BAD_ENVELOPE, "报文不是合法的UTF-8文本") from None
    try:
        obj = _ENVELOPE_DECODER.decode(text)
    except _DuplicateKey as exc:
        raise TcecError(Ret.BAD_ENVELOPE, f"报文字段重复：{_echo(exc.key)}") from None
    except (ValueError, RecursionError) as exc:
        raise TcecError(Ret.BAD_ENVELOPE, f"报文不是合法的JSON：{_reason(exc)}") from None
    if not isinstance(obj, dict):
        raise TcecError(Ret.BAD_ENVELOPE, f"报文应为JSON对象，实际为{json_type(obj)}")
    if "\\u" in text:  # as for the payload: only an escape yields NUL or a lone surrogate
        _reject_unstorable_text(obj, "报文", Ret.BAD_ENVELOPE)
    missing = [name for name in fields if name not in obj]
    if missing:
        raise TcecError(Ret.BAD_ENVELOPE, f"缺少必需字段：{','.join(missing)}")
    if len(obj) != len(fields):
        deviations.extend(Deviation(_echo(name), "extra_field") for name in obj if name not in fields)
    return obj, deviations


def _require_str(obj: dict[str, Any], name: str, *, allow_empty: bool = False) -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise _field_error(name, "字符串", value)
    if not value and not allow_empty:
        raise TcecError(Ret.BAD_ENVELOPE, f"字段{name}为空")
    return value


def _require_str_or_int(obj: dict[str, Any], name: str, deviations: list[Deviation]) -> str:
    value = obj[name]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        deviations.append(Deviation(name, "json_int"))
        return str(value)
    return _require_str(obj, name)


def _field_error(name: str, expected: str, value: object) -> TcecError:
    return TcecError(Ret.BAD_ENVELOPE, f"字段{name}类型错误：应为{expected}，实际为{json_type(value)}")


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated "Sig" or "Data" would let two parsers disagree on what was signed.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads() with keyword arguments constructs a decoder per call. Decoders are stateless.
_PAYLOAD_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_ENVELOPE_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_reject_constant)


def json_type(value: object) -> str:
    """The zh-CN name of a JSON value's type, for messages that say what was sent instead."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int | float):
        return "数字"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, Mapping):
        return "对象"
    return type(value).__name__


def _reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"第{exc.lineno}行第{exc.colno}列 {exc.msg}"
    if isinstance(exc, RecursionError):
        return "嵌套过深"
    return _echo(str(exc))


def _echo(text: str) -> str:
    """Attacker-controlled text goes back in Msg and into logs: keep it short and encodable (the Msg is signed
    as UTF-8, so a lone surrogate would break the answer)."""
    return _utf8(text if len(text) <= _MAX_ECHO_CHARS else text[:_MAX_ECHO_CHARS] + "…")


def _utf8(text: str) -> str:
    """``text`` with any lone surrogate replaced, so that it can be signed and sent."""
    return text if _encodable(text) else text.encode("utf-8", "replace").decode("utf-8")


# --- sealing, verifying, opening ----------------------------------------------------------------


def seal_request(
    operator_id: str, payload: dict[str, Any] | bytes, keys: KeySet, now: datetime, seq: int
) -> RequestEnvelope:
    """Encrypt and sign a request; ``payload`` bytes are sent as already-serialised JSON."""
    if not 0 <= seq <= SEQ_MAX:
        raise ValueError(f"seq must be 0..{SEQ_MAX}, got {seq}")
    plaintext = payload if isinstance(payload, bytes) else dump_payload(payload)
    data = encrypt_data(plaintext, keys)
    timestamp = format_timestamp(now)
    seq_text = f"{seq:04d}"
    sig = sign((operator_id, data, timestamp, seq_text), keys.sig_secret)
    return RequestEnvelope(operator_id, data, timestamp, seq_text, sig)


def seal_response(ret: int, msg: str, payload: dict[str, Any] | bytes | None, keys: KeySet) -> ResponseEnvelope:
    """Encrypt and sign a response; Data is ``""`` when ``payload`` is None (error responses)."""
    if payload is None:
        data = ""
    else:
        data = encrypt_data(payload if isinstance(payload, bytes) else dump_payload(payload), keys)
    ret = int(ret)
    return ResponseEnvelope(ret, msg, data, sign((str(ret), msg, data), keys.sig_secret))


def verify_request(envelope: RequestEnvelope, keys: KeySet) -> None:
    """Check the request Sig (case-insensitively); raises TcecError(4001). Call before decrypting."""
    expected = sign((envelope.operator_id, envelope.data, envelope.timestamp, envelope.seq), keys.sig_secret)
    if not sig_matches(expected, envelope.sig):
        raise TcecError(Ret.BAD_SIG, "签名错误：Sig与OperatorID+Data+TimeStamp+Seq不符", operator_known=True)


def verify_response(envelope: ResponseEnvelope, keys: KeySet) -> None:
    """Check the response Sig (case-insensitively); raises TcecError(4001)."""
    expected = sign((str(envelope.ret), envelope.msg, envelope.data), keys.sig_secret)
    if not sig_matches(expected, envelope.sig):
        raise TcecError(Ret.BAD_SIG, "签名错误：Sig与Ret+Msg+Data不符", operator_known=True)


def open_response(envelope: ResponseEnvelope, keys: KeySet) -> bytes | None:
    """Verify the Sig, then decrypt Data; None when Data is ``""``. Ret is left to the caller."""
    verify_response(envelope, keys)
    if not envelope.data:
        return None
    return decrypt_data(envelope.data, keys)


# --- TimeStamp ----------------------------------------------------------------------------------


def format_timestamp(dt: datetime) -> str:
    """``yyyyMMddHHmmss`` in Asia/Shanghai; ``dt`` must be timezone-aware."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("format_timestamp needs a timezone-aware datetime")
    local = dt.astimezone(SHANGHAI)
    return f"{local.year:04d}{local.month:02d}{local.day:02d}{local.hour:02d}{local.minute:02d}{local.second:02d}"


def parse_timestamp(text: str) -> tuple[datetime, str | None]:
    """Parse a TimeStamp into an aware datetime and the variant used (None = standard).

    Accepts the standard 14-digit Shanghai local time and 13-digit epoch milliseconds (``"epoch_ms"``,
    sent by a Go client); raises TcecError(4003) otherwise.
    """
    if text.isascii() and text.isdigit():
        if len(text) == 14:
            try:
                return (
                    datetime(
                        int(text[0:4]),
                        int(text[4:6]),
                        int(text[6:8]),
                        int(text[8:10]),
                        int(text[10:12]),
                        int(text[12:14]),
                        tzinfo=SHANGHAI,
                    ),
                    None,
                )
            except ValueError:
                raise TcecError(Ret.BAD_ENVELOPE, f"TimeStamp不是有效的日期时间：{text}", operator_known=True) from None
        if len(text) == 13:
            millis = int(text)
            moment = datetime.fromtimestamp(millis // 1000, tz=UTC) + timedelta(milliseconds=millis % 1000)
            return moment.astimezone(SHANGHAI), "epoch_ms"
    raise TcecError(
        Ret.BAD_ENVELOPE,
        f"TimeStamp格式错误：应为yyyyMMddHHmmss（14位数字），收到{_echo(text)!r}",
        operator_known=True,
    )


def check_freshness(ts: datetime, now: datetime, window: timedelta = DEFAULT_FRESHNESS_WINDOW) -> None:
    """Reject a TimeStamp more than ``window`` before or after ``now``; raises TcecError(4003)."""
    skew = ts - now
    if abs(skew) > window:
        raise TcecError(
            Ret.BAD_ENVELOPE,
            f"TimeStamp超出允许时间窗口（±{_minutes(window)}分钟）：与服务器时间相差{int(skew.total_seconds())}秒",
            operator_known=True,
        )


def _minutes(window: timedelta) -> str:
    minutes = window.total_seconds() / 60
    return str(int(minutes)) if minutes.is_integer() else f"{minutes:g}"


# --- Seq ----------------------------------------------------------------------------------------


class SeqCounter:
    """The 4-digit Seq: counts 1, 2, … within one second and restarts at 1 each new second.

    Thread-safe; one counter per sending link. The second is taken from ``now`` (the same instant
    passed to :func:`seal_request`), so Seq and TimeStamp always agree.
    """

    __slots__ = ("_count", "_lock", "_second")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._second: int | None = None
        self._count = 0

    def next(self, now: datetime) -> int:
        """Seq number for a message stamped ``now``; format with ``f"{seq:04d}"``.

        Raises OverflowError once 9999 numbers have been used within one second; the caller must wait
        for the next second rather than reuse a number.
        """
        second = int(now.timestamp() // 1)
        with self._lock:
            if second != self._second:
                self._second = second
                self._count = 0
            if self._count >= SEQ_MAX:
                raise OverflowError(f"Seq exhausted: {SEQ_MAX} messages already sent within this second")
            self._count += 1
            return self._count
