"""The hub's receiving pipeline, in the order of reference §8.

size limit → envelope (4003) → operator → Sig (4001) → bearer token (4002) → TimeStamp window
→ decrypt → payload validation (4004) → handler. Replay is checked where the write happens (the
signature is recorded in the same transaction), so it holds across restarts and worker processes.

Every answer is an envelope with a Ret code; once the operator is known it is signed with the
operator's keys. Nothing here raises to the web layer, so no request ends in HTTP 500.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.operator import OperatorStatus
from evinfra.protocols.tcec.crypto import KeySet, decrypt_data
from evinfra.protocols.tcec.envelope import (
    DEFAULT_FRESHNESS_WINDOW,
    Deviation,
    RequestEnvelope,
    check_freshness,
    dump_payload,
    load_payload,
    parse_request,
    parse_timestamp,
    seal_response,
    verify_request,
)
from evinfra.protocols.tcec.profiles import PROFILES, STANDARD, Profile
from evinfra.protocols.tcec.ret import Ret, TcecError

log = logging.getLogger("evinfra.tcec.receiver")

QUERY_TOKEN = "query_token"
MAX_BODY_BYTES = 2 * 1024 * 1024  # a StationInfo with hundreds of piles is ~200 kB


class CredentialsPort(Protocol):
    def credentials(self, operator_id: str) -> Any: ...  # -> Credentials | None (status, keys, partner)

    def token_owner(self, token: str) -> str | None: ...


@dataclass(slots=True)
class Inbound:
    """An authenticated, decrypted request, handed to a handler."""

    interface: str  # canonical T/CEC name
    called_as: str  # the name in the URL (an alias, possibly)
    operator_id: str
    envelope: RequestEnvelope
    sent_at: datetime  # the envelope TimeStamp, aware
    seq: int
    received_at: datetime
    payload: dict[str, Any]
    keys: KeySet
    client: str
    deviations: list[Deviation] = field(default_factory=list)
    partner: Profile = PROFILES[STANDARD]  # the code lists the operator's client sends


Handler = Callable[[Inbound], Awaitable[dict[str, Any]]]


class Receiver:
    def __init__(
        self,
        credentials: CredentialsPort,
        handlers: Mapping[str, Handler],
        aliases: Mapping[str, str],
        clock: Callable[[], datetime],
        *,
        window: timedelta = DEFAULT_FRESHNESS_WINDOW,
        max_body_bytes: int = MAX_BODY_BYTES,
        error_mapper: Callable[[Exception], tuple[Ret, str] | None] | None = None,
    ) -> None:
        self._credentials = credentials
        self._handlers = dict(handlers)
        self._aliases = dict(aliases)
        self._clock = clock
        self._window = window
        self.max_body_bytes = max_body_bytes
        self._error_mapper = error_mapper

    def interfaces(self) -> list[str]:
        """Every name the hub answers to: the standard ones and their aliases."""
        return sorted(set(self._handlers) | set(self._aliases))

    async def receive(self, called_as: str, body: bytes | None, authorization: str | None, client: str) -> bytes:
        """Answer one request. ``body`` None means the transport found it over ``max_body_bytes``."""
        keys: KeySet | None = None
        try:
            interface = self._aliases.get(called_as, called_as)
            handler = self._handlers.get(interface)
            if handler is None:
                raise TcecError(Ret.BAD_ENVELOPE, f"接口 {called_as} 不存在 / unknown interface")
            if body is None or len(body) > self.max_body_bytes:
                raise TcecError(Ret.BAD_ENVELOPE, f"报文超过 {self.max_body_bytes} 字节上限 / body too large")
            envelope = parse_request(body)
            creds = self._credentials.credentials(envelope.operator_id)
            if creds is None:
                raise TcecError(Ret.BAD_ENVELOPE, f"OperatorID {envelope.operator_id} 没有注册 / unknown operator")
            if creds.keys is None:
                raise TcecError(Ret.BAD_ENVELOPE, "运营商尚未分配密钥 / no key set issued for this operator")
            keys = creds.keys
            verify_request(envelope, keys)
            if creds.status is not OperatorStatus.ACTIVE:
                raise TcecError(Ret.BAD_ENVELOPE, f"运营商状态为 {creds.status.value}，禁止接入 / operator not active")
            if interface != QUERY_TOKEN:
                self._check_token(authorization, envelope.operator_id)
            sent_at, ts_variant = parse_timestamp(envelope.timestamp)
            received_at = self._clock()
            check_freshness(sent_at, received_at, self._window)
            deviations = list(envelope.deviations)
            if ts_variant:
                deviations.append(Deviation("TimeStamp", ts_variant))
            payload = load_payload(decrypt_data(envelope.data, keys))
            inbound = Inbound(
                interface=interface,
                called_as=called_as,
                operator_id=envelope.operator_id,
                envelope=envelope,
                sent_at=sent_at,
                seq=_seq(envelope.seq),
                received_at=received_at,
                payload=payload,
                keys=keys,
                client=client,
                deviations=deviations,
                partner=getattr(creds, "partner", PROFILES[STANDARD]),
            )
            result = await handler(inbound)
            return _answer(Ret.OK, "请求成功", result, keys)
        except TcecError as exc:
            return _answer(exc.ret, exc.msg, None, keys)
        except DomainValidationError as exc:
            return _answer(Ret.BAD_BUSINESS, exc.message, None, keys)
        except Exception as exc:
            mapped = self._error_mapper(exc) if self._error_mapper else None
            if mapped is not None:
                return _answer(mapped[0], mapped[1], None, keys)
            log.exception("T/CEC %s failed", called_as)
            return _answer(Ret.SYSTEM_ERROR, "系统错误，请稍后重试 / system error", None, keys)

    def _check_token(self, authorization: str | None, operator_id: str) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise TcecError(Ret.BAD_TOKEN, "缺少 Authorization: Bearer <AccessToken> / missing token")
        owner = self._credentials.token_owner(authorization[len("Bearer ") :].strip())
        if owner is None:
            raise TcecError(Ret.BAD_TOKEN, "Token 无效或已过期，请重新调用 query_token / invalid or expired token")
        if owner != operator_id:
            raise TcecError(Ret.BAD_TOKEN, "Token 不属于该 OperatorID / token belongs to another operator")


def _seq(text: str) -> int:
    """The Seq as the number that orders reports within one TimeStamp second; 0 when it is none (the parser has
    recorded the deviation). At most 9 digits: the store keeps it in a 32-bit integer."""
    return int(text) if _SEQ_NUMBER.fullmatch(text) else 0


_SEQ_NUMBER = re.compile(r"[0-9]{1,9}", re.ASCII)


def _answer(ret: Ret, msg: str, payload: dict[str, Any] | None, keys: KeySet | None) -> bytes:
    if keys is None:  # operator unknown: nothing to sign with
        return _to_json({"Ret": int(ret), "Msg": msg, "Data": "", "Sig": ""})
    return _sealed(keys, int(ret), msg, None if payload is None or ret is not Ret.OK else dump_payload(payload))


@functools.lru_cache(maxsize=4096)
def _sealed(keys: KeySet, ret: int, msg: str, plaintext: bytes | None) -> bytes:
    """A sealed answer, remembered. Sealing is deterministic (AES-CBC under the operator's fixed DataSecretIV,
    HMAC-MD5), and most answers repeat: every accepted status report of one operator is answered with the
    same bytes ({"Status":0}), so they are sealed once instead of on every request (a fifth of the hub's
    own cost of a notification). Least recently used entries give way to new ones, so the hot answers stay."""
    return _to_json(seal_response(ret, msg, plaintext, keys).to_wire())


def _to_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
