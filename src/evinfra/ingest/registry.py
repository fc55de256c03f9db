"""The operator registry as the hub sees it: who may push, with which keys, holding which token.

Operators are rows, not classes. Reads on the hot path (every notification) go through short-lived
caches; a suspension or key rotation takes effect within ``ttl_s`` in every worker process.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet

from evinfra.domain.operator import Operator, OperatorStatus
from evinfra.ingest.errors import OperatorExists, UnknownOperator
from evinfra.ingest.keyring import generate_key_set, open_keys, seal_keys
from evinfra.protocols.tcec.crypto import KeySet
from evinfra.protocols.tcec.profiles import PROFILES, STANDARD, Profile, profile
from evinfra.store.repositories.hub import StoredKeys
from evinfra.store.uow import UnitOfWorkFactory

DEFAULT_TOKEN_LIFETIME_S = 7200


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the receiver needs to authenticate an operator's push."""

    operator_id: str
    status: OperatorStatus
    keys: KeySet | None  # None: the operator has no O→H key set yet
    partner: Profile = PROFILES[STANDARD]  # the code lists its client was written for


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OperatorRegistry:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        master: Fernet,
        clock: Callable[[], datetime],
        *,
        ttl_s: float = 2.0,
        token_lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S,
    ) -> None:
        self._uow = uow_factory
        self._master = master
        self._clock = clock
        self._ttl_s = ttl_s
        self.token_lifetime_s = token_lifetime_s
        self._credentials: dict[str, tuple[float, Credentials | None]] = {}
        self._tokens: dict[str, tuple[str, datetime, float]] = {}  # hash → (operator, expires, re-check at)
        self._lock = threading.Lock()

    # --- reads for the receiver ---------------------------------------------------------------
    def credentials(self, operator_id: str) -> Credentials | None:
        now = time.monotonic()
        hit = self._credentials.get(operator_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        with self._uow.read() as uow:
            operator = uow.operators.get(operator_id)
            stored = uow.hub.get_keys(operator_id, "in") if operator else None
        creds = (
            None
            if operator is None
            else Credentials(
                operator_id,
                operator.status,
                None if stored is None else open_keys(stored.secrets_enc, self._master),
                PROFILES.get(stored.profile, PROFILES[STANDARD]) if stored else PROFILES[STANDARD],
            )
        )
        with self._lock:
            self._credentials[operator_id] = (now + self._ttl_s, creds)
        return creds

    def token_owner(self, token: str) -> str | None:
        """The operator a bearer token belongs to, or None if unknown, expired or revoked.

        A cached answer is re-checked against the store after ``ttl_s``, so a revocation (key rotation)
        made in another process takes effect within that time.
        """
        digest = token_hash(token)
        now = self._clock()
        hit = self._tokens.get(digest)
        if hit is not None and hit[2] > time.monotonic():
            if hit[1] > now:
                return hit[0]
            self._tokens.pop(digest, None)
            return None
        with self._uow.read() as uow:
            owner = uow.hub.token_owner(digest, now)
        with self._lock:
            if owner is None:
                self._tokens.pop(digest, None)
                return None
            self._tokens[digest] = (owner[0], owner[1], time.monotonic() + self._ttl_s)
        return owner[0]

    def new_token(self, operator_id: str) -> tuple[str, str, datetime, datetime]:
        """(token, hash, issued_at, expires_at). The caller stores the hash durably before answering."""
        token = secrets.token_urlsafe(48)[:64]
        issued = self._clock()
        return token, token_hash(token), issued, issued + timedelta(seconds=self.token_lifetime_s)

    def remember_token(self, digest: str, operator_id: str, expires_at: datetime) -> None:
        with self._lock:
            self._tokens[digest] = (operator_id, expires_at, time.monotonic() + self._ttl_s)

    def forget(self, operator_id: str) -> None:
        """Drop cached state for an operator (after suspension or key rotation in this process)."""
        with self._lock:
            self._credentials.pop(operator_id, None)
            for digest in [d for d, (op, _, _) in self._tokens.items() if op == operator_id]:
                del self._tokens[digest]


# --- onboarding use cases (CLI and admin API) ---------------------------------------------------
def onboard_operator(
    operator: Operator, uow_factory: UnitOfWorkFactory, master: Fernet, now: datetime, partner: str = STANDARD
) -> KeySet:
    """Register an operator and issue its operator→platform key set. The secrets are shown once.

    ``partner`` names the profile whose code lists the operator's client sends (see profiles.py).
    """
    profile(partner)  # a user error before anything is written
    keys = generate_key_set()
    with uow_factory() as uow:
        if uow.operators.get(operator.operator_id) is not None:
            raise OperatorExists(f"运营商 {operator.operator_id} 已存在 / operator already exists")
        uow.operators.add(operator, now)
        uow.hub.put_keys(StoredKeys(operator.operator_id, "in", seal_keys(keys, master), None, None, {}, partner), now)
        uow.commit()
    return keys


def rotate_keys(operator_id: str, uow_factory: UnitOfWorkFactory, master: Fernet, now: datetime) -> KeySet:
    """New operator→platform secrets; every token issued under the old ones is revoked."""
    keys = generate_key_set()
    with uow_factory() as uow:
        if uow.operators.get(operator_id) is None:
            raise UnknownOperator(operator_id)
        current = uow.hub.get_keys(operator_id, "in")
        partner = current.profile if current is not None else STANDARD
        uow.hub.put_keys(
            StoredKeys(operator_id, "in", seal_keys(keys, master), None, None, {}, partner), now
        )  # the profile is the operator's client, not its secrets: it stays
        uow.hub.revoke_tokens(operator_id)
        uow.commit()
    return keys


def configure_pull(
    operator_id: str,
    base_url: str,
    keys: KeySet,
    our_operator_id: str,
    uow_factory: UnitOfWorkFactory,
    master: Fernet,
    now: datetime,
    aliases: dict[str, str] | None = None,
) -> None:
    """Store the platform→operator key set and the operator's base URL (kept as given, never rebuilt)."""
    with uow_factory() as uow:
        uow.hub.put_keys(
            StoredKeys(operator_id, "out", seal_keys(keys, master), base_url, our_operator_id, aliases or {}, STANDARD),
            now,
        )
        uow.commit()


def set_profile(operator_id: str, partner: str, uow_factory: UnitOfWorkFactory, now: datetime) -> None:
    """Read this operator's codes through another partner profile from now on (takes effect within the
    registry's cache TTL in every worker)."""
    profile(partner)
    with uow_factory() as uow:
        current = uow.hub.get_keys(operator_id, "in")
        if uow.operators.get(operator_id) is None or current is None:
            raise UnknownOperator(operator_id)
        uow.hub.put_keys(
            StoredKeys(operator_id, "in", current.secrets_enc, None, None, dict(current.aliases), partner), now
        )
        uow.commit()
