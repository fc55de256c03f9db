"""The pull client against a CPO that answers anything: it returns, or raises PullError, and nothing else.

The scheduler records a PullError per operator and backs off; any other exception would be a bug the next
operator's sync should not have to find out about."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evinfra.protocols.tcec.client import PullClient, PullError
from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import seal_response

KEYS = KeySet("A1B2C3D4E5F60718293A4B5C6D7E8F90", "fuzzdatakey12345", "fuzzdataiv123456", "FUZZSIGSECRET001")
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)

FLOATS = st.floats(allow_nan=False, allow_infinity=False)  # JSON has neither
SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | FLOATS | st.text(max_size=8)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
TOKEN = st.fixed_dictionaries(
    {"SuccStat": st.sampled_from([0, 1]) | VALUES, "AccessToken": st.just("tok") | VALUES},
    optional={"TokenAvailableTime": st.integers(-5, 10**20) | VALUES, "FailReason": VALUES},
)
PAYLOAD = st.fixed_dictionaries(
    {},
    optional={
        "PageCount": st.integers(-2, 5) | VALUES,
        "StationInfos": st.lists(st.dictionaries(st.text(max_size=6), VALUES, max_size=3), max_size=2) | VALUES,
        "StationStatusInfos": st.lists(st.dictionaries(st.text(max_size=6), VALUES, max_size=3), max_size=2) | VALUES,
        "StationStats": st.dictionaries(st.text(max_size=6), VALUES, max_size=3) | VALUES,
    },
)
BODY = st.one_of(
    st.binary(max_size=60),  # not JSON at all
    VALUES.map(lambda v: json.dumps(v).encode()),  # JSON, not an envelope
    st.tuples(st.integers(-1, 5000), st.text(max_size=10), PAYLOAD).map(
        lambda t: json.dumps(seal_response(t[0], t[1], t[2], KEYS).to_wire()).encode()
    ),  # a signed envelope carrying anything
)


@settings(max_examples=300, deadline=None)
@given(token=TOKEN, bodies=st.lists(BODY, min_size=1, max_size=4), status=st.sampled_from([200, 200, 200, 500, 404]))
def test_any_answer_is_returned_or_a_pull_error(token: dict[str, Any], bodies: list[bytes], status: int) -> None:
    answers = iter(bodies)

    def cpo(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query_token"):
            return httpx.Response(200, content=json.dumps(seal_response(0, "", token, KEYS).to_wire()).encode())
        return httpx.Response(status, content=next(answers, bodies[-1]))

    with httpx.Client(transport=httpx.MockTransport(cpo)) as http:
        client = PullClient("http://cpo.test/evcs/v1", "MA0EVINFR", KEYS, http=http, clock=lambda: NOW)
        for call in (
            lambda: list(client.query_stations_info()),
            lambda: client.query_station_status(["S1", "S2"]),
            lambda: client.query_station_stats("S1", date(2025, 6, 1), date(2025, 6, 1)),
        ):
            with contextlib.suppress(PullError):  # anything else fails the test
                call()


def _token_client(token: dict[str, Any], seen: list[tuple[str, str]]) -> PullClient:
    def cpo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(seal_response(0, "", token, KEYS).to_wire()).encode())

    http = httpx.Client(transport=httpx.MockTransport(cpo))
    return PullClient(
        "http://cpo.test/evcs/v1", "MA0EVINFR", KEYS, http=http, clock=lambda: NOW,
        on_deviation=lambda interface, d: seen.append((d.field, d.variant)),
    )  # fmt: skip


def test_a_token_lifetime_beyond_a_day_or_any_calendar_is_taken_as_a_day_and_reported() -> None:
    for available, variants in ((10**10, {"over_one_day"}), (10**20, {"epoch_ms", "over_one_day"})):
        seen: list[tuple[str, str]] = []
        client = _token_client({"SuccStat": 0, "AccessToken": "tok", "TokenAvailableTime": available}, seen)
        assert client.query_token() == "tok"
        assert {v for f, v in seen if f == "TokenAvailableTime"} == variants


def test_an_access_token_a_bearer_header_cannot_carry_is_a_pull_error() -> None:
    client = _token_client({"SuccStat": 0, "AccessToken": "tok\x80en", "TokenAvailableTime": 7200}, [])
    with pytest.raises(PullError) as caught:
        client.query_token()
    assert caught.value.kind == "payload" and "AccessToken" in caught.value.msg
