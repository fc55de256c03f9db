"""PullClient against the simulator's CPO endpoints, served by uvicorn on a loopback port (real HTTP)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from evinfra.protocols.tcec.client import PullClient, PullError
from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.envelope import SHANGHAI
from evinfra.scenario.simulator import SimOperator
from evinfra.scenario.simulator_cpo import CpoState, cpo_app

PLATFORM_ID = "MA0PLAT01"
BIG_OP = "MA0BIG001"  # 120 stations
SMALL_OP = "MA0SML001"  # 3 stations
H_TO_O = {
    BIG_OP: KeySet("A1B2C3D4E5F60718293A4B5C6D7E8F90", "bigdatakey123456", "bigdataiv1234567", "BIGSIGSECRET0001"),
    SMALL_OP: KeySet("0F1E2D3C4B5A69788796A5B4C3D2E1F0", "smalldatakey1234", "smalldataiv12345", "SMALLSIGSECRET01"),
}
O_TO_H = KeySet("00112233445566778899AABBCCDDEEFF", "opdatakey1234567", "opdataiv12345678", "OPSIGSECRET00001")


class FakeClock:
    """Shared by the client and the server, so token expiry and TimeStamp freshness agree."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


@dataclass
class Cpo:
    url: str
    state: CpoState
    clock: FakeClock
    operators: dict[str, SimOperator]

    def base(self, operator_id: str) -> str:
        return f"{self.url}/{operator_id}/evcs/v1"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, CpoState, dict[str, SimOperator]]]:
    operators = {
        BIG_OP: SimOperator.generate(BIG_OP, O_TO_H, seed=7, stations=120),
        SMALL_OP: SimOperator.generate(SMALL_OP, O_TO_H, seed=8, stations=3),
    }
    state = CpoState(token_ttl=300)
    app = cpo_app(list(operators.values()), H_TO_O, state=state, platform_operator_id=PLATFORM_ID)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, http="h11", ws="none", lifespan="off", log_level="warning", access_log=False)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.post(f"{url}/{SMALL_OP}/evcs/v1/query_token", content=b"{}", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield url, state, operators
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def cpo(server: tuple[str, CpoState, dict[str, SimOperator]]) -> Iterator[Cpo]:
    url, state, operators = server
    clock = FakeClock()
    state.clock = clock
    state.calls.clear()
    state.revoke_tokens()
    state.corrupt_sig.clear()
    state.reject_tokens = False
    state.tokens_issued = 0
    yield Cpo(url, state, clock, operators)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def make_client(cpo: Cpo, http: httpx.Client, operator_id: str = BIG_OP, **kwargs: Any) -> PullClient:
    return PullClient(cpo.base(operator_id), PLATFORM_ID, H_TO_O[operator_id], http=http, clock=cpo.clock, **kwargs)


def test_token_is_cached_and_refreshed_60_s_before_expiry(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http)
    first = client.query_token()
    assert client.query_token() == first
    cpo.clock.advance(300 - 61)  # TTL 300 s: still outside the 60 s refresh margin
    assert client.query_token() == first
    cpo.clock.advance(2)
    second = client.query_token()
    assert second != first
    assert cpo.state.tokens_issued == 2
    token_calls = cpo.state.calls_to("query_token")
    assert [c.caller_id for c in token_calls] == [PLATFORM_ID, PLATFORM_ID]
    assert all(
        c.payload == {"OperatorID": PLATFORM_ID, "OperatorSecret": H_TO_O[BIG_OP].operator_secret} for c in token_calls
    )


def test_wrong_operator_secret_gives_succstat_1_error(cpo: Cpo, http: httpx.Client) -> None:
    keys = H_TO_O[SMALL_OP]
    wrong = KeySet("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", keys.data_secret, keys.data_secret_iv, keys.sig_secret)
    client = PullClient(cpo.base(SMALL_OP), PLATFORM_ID, wrong, http=http, clock=cpo.clock)
    with pytest.raises(PullError) as info:
        client.query_token()
    assert info.value.kind == "token"
    assert "FailReason=2" in info.value.msg


def test_4002_reacquires_the_token_once_and_retries(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http, SMALL_OP)
    assert len(client.query_station_status([f"{SMALL_OP}0001"])) == 1
    cpo.state.revoke_tokens()
    assert len(client.query_station_status([f"{SMALL_OP}0001"])) == 1
    rets = [c.ret for c in cpo.state.calls if c.interface == "query_station_status"]
    assert rets == [0, 4002, 0]
    assert cpo.state.tokens_issued == 2


def test_persistent_4002_fails_after_one_retry(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http, SMALL_OP)
    cpo.state.reject_tokens = True
    with pytest.raises(PullError) as info:
        client.query_station_status([f"{SMALL_OP}0001"])
    assert (info.value.ret, info.value.kind) == (4002, "ret")
    assert [c.ret for c in cpo.state.calls_to("query_station_status")] == [4002, 4002]
    assert cpo.state.tokens_issued == 2


def test_full_sync_pages_120_stations_by_50(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http, page_size=50)
    stations = list(client.query_stations_info(None))
    assert len(stations) == 120
    assert len({s["StationID"] for s in stations}) == 120
    calls = cpo.state.calls_to("query_stations_info")
    assert [c.payload for c in calls] == [{"LastQueryTime": "", "PageNo": page, "PageSize": 50} for page in (1, 2, 3)]


def test_incremental_sync_sends_last_query_time_in_shanghai(cpo: Cpo, http: httpx.Client) -> None:
    operator = cpo.operators[BIG_OP]
    since = cpo.clock() - timedelta(minutes=1)
    changed = [f"{BIG_OP}0005", f"{BIG_OP}0077", f"{BIG_OP}0120"]
    for station_id in changed:
        operator.touch_station(station_id, cpo.clock())
    client = make_client(cpo, http)
    stations = list(client.query_stations_info(since))
    assert sorted(s["StationID"] for s in stations) == changed
    sent = cpo.state.calls_to("query_stations_info")[0].payload
    assert sent is not None
    assert sent["LastQueryTime"] == since.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def test_status_for_more_than_50_ids_is_split_into_batches(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http)
    ids = [f"{BIG_OP}{n:04d}" for n in range(1, 121)]
    infos = client.query_station_status(ids)
    assert [i["StationID"] for i in infos] == ids
    assert all(i["ConnectorStatusInfos"] for i in infos)
    batches = [c.payload["StationIDs"] for c in cpo.state.calls_to("query_station_status") if c.payload]
    assert [len(b) for b in batches] == [50, 50, 20]


def test_server_rejects_more_than_50_ids_with_4004(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http)
    with pytest.raises(PullError) as info:
        client.call("query_station_status", {"StationIDs": [f"{BIG_OP}{n:04d}" for n in range(1, 52)]})
    assert info.value.ret == 4004


def test_station_stats(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http, SMALL_OP)
    station_id = f"{SMALL_OP}0002"
    stats = client.query_station_stats(station_id, date(2025, 6, 1), date(2025, 6, 7))
    assert stats["StationID"] == station_id
    assert (stats["StartTime"], stats["EndTime"]) == ("2025-06-01", "2025-06-07")
    equipment_sum = round(sum(e["EquipmentElectricity"] for e in stats["EquipmentStatsInfos"]), 2)
    assert stats["StationElectricity"] == pytest.approx(equipment_sum)
    assert client.query_station_stats(station_id, date(2025, 6, 1), date(2025, 6, 7)) == stats


def test_bad_response_sig_raises_pull_error(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http, SMALL_OP)
    cpo.state.corrupt_sig.add("query_station_stats")
    with pytest.raises(PullError) as info:
        client.query_station_stats(f"{SMALL_OP}0001", date(2025, 6, 1), date(2025, 6, 1))
    assert info.value.kind == "sig"
    assert info.value.ret is None


def test_bad_sig_on_token_response_is_rejected_too(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http, SMALL_OP)
    cpo.state.corrupt_sig.add("query_token")
    with pytest.raises(PullError) as info:
        client.query_token()
    assert info.value.kind == "sig"


def test_alias_sends_shenzhen_interface_name(cpo: Cpo, http: httpx.Client) -> None:
    client = make_client(cpo, http, SMALL_OP, aliases={"query_station_status": "query_stations_status"})
    infos = client.query_station_status([f"{SMALL_OP}0001", f"{SMALL_OP}0003"])
    assert [i["StationID"] for i in infos] == [f"{SMALL_OP}0001", f"{SMALL_OP}0003"]
    assert cpo.state.calls_to("query_station_status") == []
    assert len(cpo.state.calls_to("query_stations_status")) == 1


def test_status_reflects_the_operators_connector_state(cpo: Cpo, http: httpx.Client) -> None:
    operator = cpo.operators[SMALL_OP]
    connector = operator.connectors()[0]
    operator.connector_status[connector.connector_id] = 255
    try:
        infos = make_client(cpo, http, SMALL_OP).query_station_status([connector.station_id])
    finally:
        operator.connector_status[connector.connector_id] = 1
    statuses = {c["ConnectorID"]: c["Status"] for c in infos[0]["ConnectorStatusInfos"]}
    assert statuses[connector.connector_id] == 255


def test_http_error_and_unknown_caller(cpo: Cpo, http: httpx.Client) -> None:
    missing = PullClient(f"{cpo.url}/nobody/evcs/v1", PLATFORM_ID, H_TO_O[SMALL_OP], http=http, clock=cpo.clock)
    with pytest.raises(PullError) as info:
        missing.query_token()
    assert (info.value.kind, info.value.status_code) == ("http", 404)
    stranger = PullClient(cpo.base(SMALL_OP), "MA0OTHER1", H_TO_O[SMALL_OP], http=http, clock=cpo.clock)
    with pytest.raises(PullError) as info:
        stranger.query_token()
    assert info.value.status_code == 401


def test_timeout_becomes_pull_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with httpx.Client(transport=httpx.MockTransport(slow)) as http:
        client = PullClient("http://cpo.invalid/evcs/v1", PLATFORM_ID, H_TO_O[SMALL_OP], http=http)
        with pytest.raises(PullError) as info:
            client.query_token()
    assert info.value.kind == "timeout"


def test_stale_timestamp_is_refused_by_the_callee(cpo: Cpo, http: httpx.Client) -> None:
    skewed = FakeClock()
    skewed.now = cpo.clock() - timedelta(minutes=10)
    client = PullClient(cpo.base(SMALL_OP), PLATFORM_ID, H_TO_O[SMALL_OP], http=http, clock=skewed)
    with pytest.raises(PullError) as info:
        client.query_token()
    assert info.value.ret == 4003
