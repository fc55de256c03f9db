"""The simulated operators' CPO endpoints, called by the platform's pull client (direction H→O).

Here the simulator is the callee: it issues tokens to the platform, checks the platform's Sig, token and
TimeStamp in the receiver order of reference §8, and answers with signed envelopes. Each operator is
served under its own prefix (default ``/{operator_id}/evcs/v1``). :class:`CpoState` exposes fault
injection (bad response Sig, token revocation) and a call log for tests.
"""

from __future__ import annotations

import json
import math
import random
import secrets
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request, Response

from evinfra.protocols.tcec.crypto import KeySet, decrypt_data
from evinfra.protocols.tcec.envelope import (
    SHANGHAI,
    RequestEnvelope,
    check_freshness,
    load_payload,
    parse_request,
    parse_timestamp,
    seal_response,
    verify_request,
)
from evinfra.protocols.tcec.ret import Ret, TcecError
from evinfra.scenario.simulator import SimOperator

__all__ = ["CpoCall", "CpoState", "cpo_app"]

MAX_BODY_BYTES = 1 << 20
MAX_STATUS_IDS = 50
_JSON = "application/json;charset=utf-8"

_Answer = tuple[int, str, dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class CpoCall:
    """One request the CPO side answered: which operator, which wire interface, what came in, what Ret went out."""

    operator_id: str
    interface: str
    caller_id: str
    payload: dict[str, Any] | None
    ret: int


@dataclass(frozen=True, slots=True)
class _Issued:
    callee: str
    caller: str
    expires_at: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class CpoState:
    """Shared, mutable state of a :func:`cpo_app`: issued tokens, the call log and fault switches."""

    clock: Callable[[], datetime] = _utc_now
    token_ttl: int = 7200  # TokenAvailableTime in seconds
    freshness_window: timedelta | None = timedelta(minutes=5)  # None disables the TimeStamp check
    corrupt_sig: set[str] = field(default_factory=set)  # wire interface names answered with a wrong Sig
    reject_tokens: bool = False  # answer every bearer token with Ret 4002
    calls: list[CpoCall] = field(default_factory=list)
    tokens_issued: int = 0
    _tokens: dict[str, _Issued] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def revoke_tokens(self) -> None:
        """Forget every issued token, as after an operator-side restart: the next call gets Ret 4002."""
        with self._lock:
            self._tokens.clear()

    def calls_to(self, interface: str) -> list[CpoCall]:
        with self._lock:
            return [call for call in self.calls if call.interface == interface]

    def _issue(self, callee: str, caller: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = _Issued(callee, caller, self.clock() + timedelta(seconds=self.token_ttl))
            self.tokens_issued += 1
        return token

    def _token_ok(self, token: str, callee: str, caller: str) -> bool:
        with self._lock:
            issued = self._tokens.get(token)
        return (
            not self.reject_tokens
            and issued is not None
            and issued.callee == callee
            and issued.caller == caller
            and self.clock() < issued.expires_at
        )

    def _log(self, call: CpoCall) -> None:
        with self._lock:
            self.calls.append(call)


def cpo_app(
    operators: Sequence[SimOperator],
    platform_keys_by_operator: Mapping[str, KeySet],
    *,
    state: CpoState | None = None,
    prefix: str = "/{operator_id}/evcs/v1",
    platform_operator_id: str | None = None,
) -> FastAPI:
    """A FastAPI app serving each operator's ``query_token``, ``query_stations_info``, ``query_station_status``
    (and Shenzhen's ``query_stations_status``) and ``query_station_stats`` under ``prefix``.

    ``platform_keys_by_operator[operator_id]`` is the H→O key set (OperatorSecret issued by that operator).
    ``platform_operator_id``, when given, is the only caller accepted; others get HTTP 401.
    """
    state = state if state is not None else CpoState()
    app = FastAPI(title="evinfra simulated CPO", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.cpo = state
    for operator in operators:
        keys = platform_keys_by_operator.get(operator.operator_id)
        if keys is None:
            raise ValueError(f"no platform key set for operator {operator.operator_id}")
        path = prefix.format(operator_id=operator.operator_id).rstrip("/") + "/{interface}"
        app.add_api_route(path, _endpoint(operator, keys, state, platform_operator_id), methods=["POST"])
    return app


def _endpoint(
    operator: SimOperator, keys: KeySet, state: CpoState, platform_operator_id: str | None
) -> Callable[[str, Request], Awaitable[Response]]:
    handlers: dict[str, Callable[[SimOperator, dict[str, Any]], _Answer]] = {
        "query_stations_info": _stations_info,
        "query_station_status": _station_status,
        "query_stations_status": _station_status,
        "query_station_stats": _station_stats,
    }

    async def endpoint(interface: str, request: Request) -> Response:
        if interface != "query_token" and interface not in handlers:
            return Response(status_code=404)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=413)
        try:
            envelope = parse_request(body)
        except TcecError:
            return Response(status_code=400)
        if platform_operator_id is not None and envelope.operator_id != platform_operator_id:
            return Response(status_code=401)
        payload: dict[str, Any] | None = None
        try:
            payload = _open(envelope, keys, interface, request, operator, state)
            if interface == "query_token":
                ret, msg, answer = _query_token(operator, keys, state, envelope.operator_id, payload)
            else:
                ret, msg, answer = handlers[interface](operator, payload)
        except TcecError as exc:
            ret, msg, answer = exc.ret, exc.msg, None
        state._log(CpoCall(operator.operator_id, interface, envelope.operator_id, payload, int(ret)))
        reply = seal_response(ret, msg, answer, keys)
        wire = reply.to_wire()
        if interface in state.corrupt_sig:
            wire["Sig"] = "0" * 32 if reply.sig != "0" * 32 else "F" * 32
        return Response(content=_dump(wire), media_type=_JSON)

    return endpoint


def _dump(wire: dict[str, Any]) -> bytes:
    return json.dumps(wire, ensure_ascii=False).encode("utf-8")


def _open(
    envelope: RequestEnvelope, keys: KeySet, interface: str, request: Request, operator: SimOperator, state: CpoState
) -> dict[str, Any]:
    """Sig → token → TimeStamp → decrypt → JSON, the receiver order of reference §8."""
    verify_request(envelope, keys)
    if interface != "query_token":
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not state._token_ok(token.strip(), operator.operator_id, envelope.operator_id):
            raise TcecError(Ret.BAD_TOKEN, operator_known=True)
    if state.freshness_window is not None:
        moment, _ = parse_timestamp(envelope.timestamp)
        check_freshness(moment, state.clock(), state.freshness_window)
    return load_payload(decrypt_data(envelope.data, keys))


def _query_token(operator: SimOperator, keys: KeySet, state: CpoState, caller: str, payload: dict[str, Any]) -> _Answer:
    """SuccStat 1 with FailReason 1 (unknown operator) or 2 (wrong secret), as Annex A expects."""
    if payload.get("OperatorID") != caller:
        return (
            Ret.OK,
            "",
            {"OperatorID": caller, "SuccStat": 1, "AccessToken": "", "TokenAvailableTime": 0, "FailReason": 1},
        )
    if payload.get("OperatorSecret") != keys.operator_secret:
        return (
            Ret.OK,
            "",
            {"OperatorID": caller, "SuccStat": 1, "AccessToken": "", "TokenAvailableTime": 0, "FailReason": 2},
        )
    token = state._issue(operator.operator_id, caller)
    answer = {
        "OperatorID": caller,
        "SuccStat": 0,
        "AccessToken": token,
        "TokenAvailableTime": state.token_ttl,
        "FailReason": 0,
    }
    return Ret.OK, Ret.OK.message, answer


def _int_field(payload: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TcecError(Ret.BAD_BUSINESS, f"{name}应为{low}到{high}之间的整数", operator_known=True)
    return value


def _stations_info(operator: SimOperator, payload: dict[str, Any]) -> _Answer:
    since_text = payload.get("LastQueryTime", "")
    if not isinstance(since_text, str):
        raise TcecError(Ret.BAD_BUSINESS, "LastQueryTime应为字符串", operator_known=True)
    since: datetime | None = None
    if since_text:
        try:
            since = datetime.strptime(since_text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        except ValueError:
            raise TcecError(Ret.BAD_BUSINESS, "LastQueryTime格式应为yyyy-MM-dd HH:mm:ss", operator_known=True) from None
    page_no = _int_field(payload, "PageNo", 1, 1, 1_000_000)
    page_size = _int_field(payload, "PageSize", 10, 1, 1000)
    selected = sorted(
        (s for s in operator.stations if since is None or operator.station_updated_at[s["StationID"]] >= since),
        key=lambda s: str(s["StationID"]),
    )
    page_count = math.ceil(len(selected) / page_size)
    page = selected[(page_no - 1) * page_size : page_no * page_size]
    answer = {"PageNo": page_no, "PageCount": page_count, "ItemSize": len(page), "StationInfos": page}
    return Ret.OK, Ret.OK.message, answer


def _station_status(operator: SimOperator, payload: dict[str, Any]) -> _Answer:
    ids = payload.get("StationIDs")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise TcecError(Ret.BAD_BUSINESS, "StationIDs应为字符串数组", operator_known=True)
    if len(ids) > MAX_STATUS_IDS:
        raise TcecError(Ret.BAD_BUSINESS, f"StationIDs最多{MAX_STATUS_IDS}个，收到{len(ids)}个", operator_known=True)
    infos = []
    for station_id in ids:
        station = operator.station(station_id)
        if station is None:
            continue
        connectors = [
            {
                "ConnectorID": c["ConnectorID"],
                "Status": operator.connector_status.get(c["ConnectorID"], 1),
                "ParkStatus": 0,
                "LockStatus": 0,
            }
            for e in station["EquipmentInfos"]
            for c in e["ConnectorInfos"]
        ]
        infos.append({"StationID": station_id, "ConnectorStatusInfos": connectors})
    return Ret.OK, Ret.OK.message, {"Total": len(infos), "StationStatusInfos": infos}


def _station_stats(operator: SimOperator, payload: dict[str, Any]) -> _Answer:
    station = operator.station(str(payload.get("StationID", "")))
    if station is None:
        raise TcecError(Ret.BAD_BUSINESS, "StationID不存在", operator_known=True)
    try:
        start = date.fromisoformat(str(payload.get("StartTime")))
        end = date.fromisoformat(str(payload.get("EndTime")))
    except ValueError:
        raise TcecError(Ret.BAD_BUSINESS, "StartTime/EndTime格式应为yyyy-MM-dd", operator_known=True) from None
    if end < start or (end - start).days > 366:
        raise TcecError(Ret.BAD_BUSINESS, "EndTime应不早于StartTime且跨度不超过366天", operator_known=True)
    days = (end - start).days + 1
    equipments = []
    for equipment in station["EquipmentInfos"]:
        connectors = []
        for connector in equipment["ConnectorInfos"]:
            # Deterministic per (connector, range): same question, same answer.
            rng = random.Random(f"{connector['ConnectorID']}:{start}:{end}")
            energy = round(sum(rng.uniform(0, float(connector["Power"]) * 4) for _ in range(days)), 2)
            connectors.append({"ConnectorID": connector["ConnectorID"], "ConnectorElectricity": energy})
        equipments.append(
            {
                "EquipmentID": equipment["EquipmentID"],
                "EquipmentElectricity": round(sum(c["ConnectorElectricity"] for c in connectors), 2),
                "ConnectorStatsInfos": connectors,
            }
        )
    stats = {
        "StationID": station["StationID"],
        "StartTime": start.isoformat(),
        "EndTime": end.isoformat(),
        "StationElectricity": round(sum(e["EquipmentElectricity"] for e in equipments), 2),
        "EquipmentStatsInfos": equipments,
    }
    return Ret.OK, Ret.OK.message, {"StationStats": stats}
