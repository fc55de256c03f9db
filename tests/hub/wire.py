"""Low-level T/CEC calls for tests that need to craft good and bad envelopes by hand."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
from tests.networks import tree

from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import open_response, parse_response, seal_request
from evinfra.protocols.tcec.ret import Ret
from evinfra.protocols.tcec.translate import station_info_to_wire

_seq = iter(range(1, 10**9))


def seal(
    operator_id: str, payload: dict[str, Any] | bytes, keys: KeySet, now: datetime | None = None
) -> dict[str, Any]:
    from evinfra.bootstrap import utc_now

    return seal_request(operator_id, payload, keys, now or utc_now(), next(_seq) % 9999 + 1).to_wire()


def post(base: str, interface: str, body: Any, token: str | None = None, raw: bytes | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json;charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    content = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    return httpx.post(f"{base}/{interface}", content=content, headers=headers, timeout=30)


def answer(response: httpx.Response, keys: KeySet | None) -> tuple[int, str, dict[str, Any] | None]:
    """(Ret, Msg, decrypted Data) of a response; the Sig is verified whenever it is present."""
    assert response.status_code == 200, response.text
    if keys is None:  # unknown operator or unparsable request: an unsigned envelope
        raw = json.loads(response.content)
        assert set(raw) == {"Ret", "Msg", "Data", "Sig"} and raw["Data"] == "" and raw["Sig"] == ""
        return int(raw["Ret"]), str(raw["Msg"]), None
    env = parse_response(response.content)
    data = None
    if env.sig:
        plain = open_response(env, keys)  # verifies the Sig
        data = None if plain is None else json.loads(plain)
    return env.ret, env.msg, data


def token(base: str, operator_id: str, keys: KeySet) -> str:
    body = seal(operator_id, {"OperatorID": operator_id, "OperatorSecret": keys.operator_secret}, keys)
    ret, msg, data = answer(post(base, "query_token", body), keys)
    assert ret == Ret.OK and data and data["SuccStat"] == 0, (ret, msg, data)
    return str(data["AccessToken"])


def station_wire(station_id: str) -> dict[str, Any]:
    """The standard StationInfo of the test network's one-pile station ``station_id`` (operator OP)."""
    return station_info_to_wire(tree(station_id, 1))


def status_payload(connector_id: str, status: int) -> dict[str, Any]:
    return {"ConnectorStatusInfo": {"ConnectorID": connector_id, "Status": status, "ParkStatus": 0, "LockStatus": 0}}
