"""The hub's operator registry answers from memory and stays current within its TTL, on both backends.

Every notification asks it for the sender's credentials and token; what it costs to stay current must not
grow with the number of operators, and what it keeps must not grow with what strangers send.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event
from tests.conftest import NOW

from evinfra.domain.operator import Operator, OperatorStatus
from evinfra.ingest import registry as registry_module
from evinfra.ingest.registry import OperatorRegistry, onboard_operator, rotate_keys, token_hash
from evinfra.ingest.services import set_operator_status
from evinfra.store.uow import UnitOfWorkFactory

TTL = 2.0


class Clocks:
    """The registry's wall clock (token expiry) and monotonic clock (its TTL), moved by the test."""

    def __init__(self) -> None:
        self.wall = NOW
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def master() -> Fernet:
    return Fernet(Fernet.generate_key())


@pytest.fixture
def registry(uow_factory: UnitOfWorkFactory, master: Fernet, clocks: Clocks) -> OperatorRegistry:
    return OperatorRegistry(uow_factory, master, lambda: clocks.wall, ttl_s=TTL, monotonic=lambda: clocks.mono)


@pytest.fixture
def selects(uow_factory: UnitOfWorkFactory) -> Iterator[list[str]]:
    """Every SELECT the store runs while the test does."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(uow_factory.engine, "before_cursor_execute", record)
    yield seen
    event.remove(uow_factory.engine, "before_cursor_execute", record)


def onboard(uow_factory: UnitOfWorkFactory, master: Fernet, n: int) -> list[str]:
    ids = [f"MA{i:07d}" for i in range(1, n + 1)]
    for operator_id in ids:
        onboard_operator(Operator(operator_id, f"运营商{operator_id}"), uow_factory, master, NOW)
    return ids


def issue_token(uow_factory: UnitOfWorkFactory, operator_id: str, expires: datetime) -> str:
    token = secrets.token_urlsafe(48)
    with uow_factory() as uow:
        uow.hub.add_token(token_hash(token), operator_id, NOW, expires)
        uow.commit()
    return token


def test_every_operator_is_read_in_one_query_per_ttl_and_strangers_cost_nothing(
    uow_factory, master, registry, clocks, selects, monkeypatch
):
    ids = onboard(uow_factory, master, 12)
    opened: list[str] = []
    real_open = registry_module.open_keys
    monkeypatch.setattr(registry_module, "open_keys", lambda sealed, m: opened.append(sealed) or real_open(sealed, m))
    selects.clear()
    for _ in range(3):
        for operator_id in ids:
            creds = registry.credentials(operator_id)
            assert creds is not None and creds.status is OperatorStatus.ACTIVE and creds.keys is not None
        for n in range(200):  # unknown OperatorIDs, as a stranger might send
            assert registry.credentials(f"MX{n:07d}") is None
        clocks.advance(TTL)
    assert len(selects) == 3  # one refresh per TTL, not one per operator or per unknown ID
    assert len(opened) == len(ids)  # each key set decrypted once: unchanged key sets are not opened again


def test_a_new_operator_a_suspension_and_a_rotation_take_effect_within_the_ttl(uow_factory, master, registry, clocks):
    (first,) = onboard(uow_factory, master, 1)
    keys = registry.credentials(first).keys
    onboard_operator(Operator("MB0000001", "后来的运营商"), uow_factory, master, NOW)
    set_operator_status(first, OperatorStatus.SUSPENDED, uow_factory(), NOW)
    rotated = rotate_keys(first, uow_factory, master, NOW)
    assert registry.credentials("MB0000001") is None  # not yet: the snapshot is younger than the TTL
    assert registry.credentials(first).status is OperatorStatus.ACTIVE
    clocks.advance(TTL)
    assert registry.credentials("MB0000001") is not None
    assert registry.credentials(first).status is OperatorStatus.SUSPENDED
    assert registry.credentials(first).keys == rotated != keys


def test_a_token_is_answered_from_memory_until_it_expires(uow_factory, master, registry, clocks, selects):
    (operator_id,) = onboard(uow_factory, master, 1)
    token = issue_token(uow_factory, operator_id, NOW + timedelta(seconds=10))
    assert registry.token_owner(token) == operator_id
    selects.clear()
    for _ in range(4):  # refreshes go on; the token is not read again
        assert registry.token_owner(token) == operator_id
        clocks.advance(TTL)
    assert len(selects) == 3 and all("access_tokens" not in s for s in selects)  # the 2nd to 4th TTL's refresh
    clocks.advance(3)  # past its expiry
    assert registry.token_owner(token) is None


def test_a_key_rotation_revokes_the_tokens_held_in_memory(uow_factory, master, registry, clocks):
    a, b = onboard(uow_factory, master, 2)
    later = NOW + timedelta(hours=2)
    token_a, token_b = issue_token(uow_factory, a, later), issue_token(uow_factory, b, later)
    assert registry.token_owner(token_a) == a and registry.token_owner(token_b) == b
    rotate_keys(a, uow_factory, master, NOW)  # in another process, say: this registry is not told
    assert registry.token_owner(token_a) == a  # until the next refresh
    clocks.advance(TTL)
    assert registry.token_owner(token_a) is None
    assert registry.token_owner(token_b) == b  # another operator's tokens stay


def test_tokens_nobody_holds_are_not_kept(uow_factory, master, registry, clocks):
    (operator_id,) = onboard(uow_factory, master, 1)
    for _ in range(100):
        assert registry.token_owner(secrets.token_urlsafe(48)) is None
    token = issue_token(uow_factory, operator_id, NOW + timedelta(seconds=1))
    assert registry.token_owner(token) == operator_id
    assert len(registry._tokens) == 1  # the strangers' guesses left nothing behind
    clocks.advance(TTL)
    registry.credentials(operator_id)  # the refresh drops the expired token
    assert registry._tokens == {}
