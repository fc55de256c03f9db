"""The platform as T/CEC 102 consumer: calls an operator's CPO endpoints (``query_*``) over HTTP.

Direction H→O (reference §3): the token comes from the operator's ``query_token`` with the OperatorSecret the
operator issued, and requests and responses use the H→O Data/IV/Sig keys. Every response Sig is verified before
anything is decrypted or trusted, including error responses.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import httpx

from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import (
    SHANGHAI,
    Deviation,
    SeqCounter,
    load_payload,
    open_response,
    parse_response,
    seal_request,
)
from evinfra.protocols.tcec.ret import Ret, TcecError

__all__ = ["MAX_STATUS_IDS", "PullClient", "PullError", "PullErrorKind"]

logger = logging.getLogger(__name__)

MAX_STATUS_IDS = 50  # query_station_status accepts at most 50 StationIDs (reference §9)
DEFAULT_PAGE_SIZE = 50
TOKEN_REFRESH_MARGIN = timedelta(seconds=60)
_MAX_PAGES = 10_000  # a partner reporting an absurd PageCount must not keep us paging forever
_TOKEN_TEXT = re.compile(r"[\x21-\x7e]+", re.ASCII)  # visible ASCII (RFC 6750's token68 and a little more)
_MAX_TOKEN_LIFETIME = timedelta(days=1)
_EPOCH_MS_THRESHOLD = 10**11  # a TokenAvailableTime this large is an absolute epoch-ms instant (a known mock)
_FAIL_REASONS = {0: "无", 1: "无此运营商", 2: "密钥错误"}

PullErrorKind = Literal["ret", "token", "sig", "envelope", "payload", "http", "timeout", "transport"]


class PullError(Exception):
    """A pull call that did not yield usable data.

    ``ret`` is the operator's Ret when one was received and authenticated, else None (HTTP error, timeout,
    malformed or badly signed response). ``kind`` tells schedulers and logs which of these happened.
    """

    def __init__(
        self,
        msg: str,
        *,
        ret: int | None = None,
        kind: PullErrorKind = "ret",
        interface: str = "",
        status_code: int | None = None,
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.ret = ret
        self.kind: PullErrorKind = kind
        self.interface = interface
        self.status_code = status_code

    def __str__(self) -> str:
        ret = f" (Ret {self.ret})" if self.ret is not None else ""
        where = f"{self.interface}: " if self.interface else ""
        return f"{where}{self.msg}{ret}"


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    refresh_at: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PullClient:
    """Calls one operator's ``query_*`` interfaces as the platform (consumer side, reference §9).

    Thread-safe for concurrent calls: the token is shared and acquired under a lock; Seq comes from one
    :class:`SeqCounter` per client, as the Seq is per sending link.
    """

    def __init__(
        self,
        base_url: str,
        our_operator_id: str,
        keys: KeySet,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = _utc_now,
        aliases: Mapping[str, str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        status_batch_size: int = MAX_STATUS_IDS,
        timeout: float = 15.0,
        on_deviation: Callable[[str, Deviation], None] | None = None,
    ) -> None:
        """``base_url`` runs up to and including the version segment and is used as given (reference §1)."""
        if not 1 <= status_batch_size <= MAX_STATUS_IDS:
            raise ValueError(f"status_batch_size must be 1..{MAX_STATUS_IDS}, got {status_batch_size}")
        if page_size < 1:
            raise ValueError(f"page_size must be positive, got {page_size}")
        self.base_url = base_url.rstrip("/")
        self.our_operator_id = our_operator_id
        self.keys = keys
        self.aliases: dict[str, str] = dict(aliases or {})
        self.page_size = page_size
        self.status_batch_size = status_batch_size
        self._clock = clock
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._on_deviation = on_deviation
        self._seq = SeqCounter()
        self._token: _Token | None = None
        self._token_lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client if this PullClient created it (an injected one belongs to the caller)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> PullClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- token ----------------------------------------------------------------------------------

    def query_token(self, *, force: bool = False) -> str:
        """The cached AccessToken, re-acquired ~60 s before it expires or when ``force`` is set."""
        with self._token_lock:
            token = self._token
            if not force and token is not None and self._clock() < token.refresh_at:
                return token.value
            self._token = self._acquire_token()
            return self._token.value

    def invalidate_token(self) -> None:
        """Forget the cached token so the next call acquires a fresh one."""
        with self._token_lock:
            self._token = None

    def _acquire_token(self) -> _Token:
        interface = "query_token"
        payload = {"OperatorID": self.our_operator_id, "OperatorSecret": self.keys.operator_secret}
        now = self._clock()
        ret, msg, data = self._exchange(interface, payload, token=None)
        if ret != Ret.OK:
            raise PullError(f"query_token refused: {msg}", ret=ret, kind="token", interface=interface)
        succ = data.get("SuccStat")
        if succ != 0:
            reason = data.get("FailReason")
            meaning = _FAIL_REASONS.get(reason, "自定义") if isinstance(reason, int) else "未给出"
            raise PullError(
                f"query_token failed: SuccStat={succ!r}, FailReason={reason!r} ({meaning})",
                ret=ret,
                kind="token",
                interface=interface,
            )
        value = data.get("AccessToken")
        if not isinstance(value, str) or not value:
            raise PullError("query_token: AccessToken missing or empty", ret=ret, kind="payload", interface=interface)
        if not _TOKEN_TEXT.fullmatch(value):  # it goes into an HTTP header
            raise PullError(
                "query_token: AccessToken holds characters a Bearer header cannot carry (not quoted: a credential)",
                ret=ret,
                kind="payload",
                interface=interface,
            )
        return _Token(value, self._refresh_at(now, data.get("TokenAvailableTime")))

    def _refresh_at(self, now: datetime, available: object) -> datetime:
        if isinstance(available, bool) or not isinstance(available, int) or available <= 0:
            raise PullError(
                f"query_token: TokenAvailableTime must be a positive integer, got {available!r}",
                kind="payload",
                interface="query_token",
            )
        if available >= _EPOCH_MS_THRESHOLD:
            self._deviation("query_token", Deviation("TokenAvailableTime", "epoch_ms"))
            try:
                lifetime = datetime.fromtimestamp(available / 1000, tz=UTC) - now
            except (OverflowError, OSError, ValueError):  # beyond any calendar: treat as very long
                lifetime = _MAX_TOKEN_LIFETIME * 2
        else:
            lifetime = timedelta(seconds=available)
        if lifetime > _MAX_TOKEN_LIFETIME:  # refreshing sooner than the CPO allows costs one query_token a day
            self._deviation("query_token", Deviation("TokenAvailableTime", "over_one_day"))
            lifetime = _MAX_TOKEN_LIFETIME
        # A lifetime shorter than twice the margin would otherwise make every cached token look stale.
        margin = min(TOKEN_REFRESH_MARGIN, lifetime / 2)
        return now + lifetime - margin

    # --- generic call ---------------------------------------------------------------------------

    def call(self, interface: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Call a standard interface (alias applied) with a bearer token; Ret 4002 → new token, one retry.

        Returns the decrypted business payload; raises :class:`PullError` for everything else.
        """
        wire_name = self.aliases.get(interface, interface)
        for attempt in range(2):
            token = self.query_token()
            ret, msg, data = self._exchange(wire_name, payload, token=token)
            if ret == Ret.BAD_TOKEN and attempt == 0:
                logger.info("%s: Ret 4002 from %s, re-acquiring the token once", wire_name, self.base_url)
                with self._token_lock:
                    if self._token is not None and self._token.value == token:
                        self._token = None
                continue
            if ret != Ret.OK:
                raise PullError(msg or f"Ret {ret}", ret=ret, kind="ret", interface=wire_name)
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    def _exchange(
        self, wire_name: str, payload: Mapping[str, Any], *, token: str | None
    ) -> tuple[int, str, dict[str, Any]]:
        """One POST: seal, send, parse, verify Sig, decrypt. Data is ``{}`` when the response carries none."""
        now = self._clock()
        envelope = seal_request(self.our_operator_id, dict(payload), self.keys, now, self._seq.next(now))
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = json.dumps(envelope.to_wire(), ensure_ascii=False).encode("utf-8")
        url = f"{self.base_url}/{wire_name}"
        try:
            response = self._http.post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise PullError(f"timeout calling {url}: {exc!r}", kind="timeout", interface=wire_name) from exc
        except httpx.HTTPError as exc:
            raise PullError(f"transport error calling {url}: {exc!r}", kind="transport", interface=wire_name) from exc
        if response.status_code != httpx.codes.OK:
            raise PullError(
                f"HTTP {response.status_code} from {url}",
                kind="http",
                interface=wire_name,
                status_code=response.status_code,
            )
        try:
            reply = parse_response(response.content)
        except TcecError as exc:
            raise PullError(f"malformed response envelope: {exc.msg}", kind="envelope", interface=wire_name) from None
        for deviation in reply.deviations:
            self._deviation(wire_name, deviation)
        try:
            plaintext = open_response(reply, self.keys)
        except TcecError as exc:
            kind: PullErrorKind = "sig" if exc.ret == Ret.BAD_SIG else "envelope"
            # The Ret is unauthenticated here, so it is only quoted, never acted upon.
            raise PullError(
                f"{exc.msg} (unverified Ret {reply.ret}, Msg {reply.msg!r})", kind=kind, interface=wire_name
            ) from None
        if plaintext is None:
            if reply.ret == Ret.OK:
                raise PullError("Ret 0 but Data is empty", ret=reply.ret, kind="payload", interface=wire_name)
            return reply.ret, reply.msg, {}
        try:
            data = load_payload(plaintext)
        except TcecError as exc:
            raise PullError(exc.msg, ret=reply.ret, kind="payload", interface=wire_name) from None
        return reply.ret, reply.msg, data

    def _deviation(self, interface: str, deviation: Deviation) -> None:
        if self._on_deviation is not None:
            self._on_deviation(interface, deviation)
        else:
            logger.debug("%s %s: tolerated deviation %s=%s", self.base_url, interface, *deviation)

    # --- query_* ----------------------------------------------------------------------------------

    def query_stations_info(self, last_query_time: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Yield every StationInfo, page by page; ``None`` = full sync, else changes since that instant.

        LastQueryTime is sent as ``yyyy-MM-dd HH:mm:ss`` Shanghai time; ``last_query_time`` must be aware.
        """
        interface = "query_stations_info"
        since = "" if last_query_time is None else _format_datetime(last_query_time)
        page_no = 1
        while True:
            data = self.call(interface, {"LastQueryTime": since, "PageNo": page_no, "PageSize": self.page_size})
            infos = _list_of_objects(data, "StationInfos", interface, allow_missing=True)
            page_count = data.get("PageCount")
            if isinstance(page_count, bool) or not isinstance(page_count, int) or page_count < 0:
                raise PullError(
                    f"PageCount must be a non-negative integer, got {page_count!r}",
                    ret=0,
                    kind="payload",
                    interface=interface,
                )
            yield from infos
            if page_no >= min(page_count, _MAX_PAGES) or not infos:
                return
            page_no += 1

    def query_station_status(self, station_ids: Sequence[str]) -> list[dict[str, Any]]:
        """StationStatusInfos for ``station_ids``, asked for in batches of at most 50 IDs (duplicates dropped)."""
        unique = list(dict.fromkeys(station_ids))
        result: list[dict[str, Any]] = []
        for start in range(0, len(unique), self.status_batch_size):
            batch = unique[start : start + self.status_batch_size]
            data = self.call("query_station_status", {"StationIDs": batch})
            result.extend(_list_of_objects(data, "StationStatusInfos", "query_station_status", allow_missing=True))
        return result

    def query_station_stats(self, station_id: str, start: date, end: date) -> dict[str, Any]:
        """The StationStats object for one station and a ``yyyy-MM-dd`` day range (inclusive)."""
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        data = self.call(
            "query_station_stats",
            {"StationID": station_id, "StartTime": start.isoformat(), "EndTime": end.isoformat()},
        )
        stats = data.get("StationStats")
        if not isinstance(stats, dict):
            raise PullError(
                "StationStats missing or not an object", ret=0, kind="payload", interface="query_station_stats"
            )
        return stats


def _format_datetime(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("last_query_time must be timezone-aware")
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _list_of_objects(data: dict[str, Any], name: str, interface: str, *, allow_missing: bool) -> list[dict[str, Any]]:
    value = data.get(name)
    if value is None and allow_missing:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PullError(f"{name} must be an array of objects", ret=0, kind="payload", interface=interface)
    return value
