"""API keys for people and systems that read the platform (supervisors, cities, open-data users).

Only a SHA-256 of each key is stored; the key itself is shown once when it is created.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from evinfra.store.uow import UnitOfWorkFactory

ROLES = ("admin", "supervisor", "city", "operator", "public")


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(name: str, role: str, uow_factory: UnitOfWorkFactory, now: datetime) -> tuple[int, str]:
    if role not in ROLES:
        raise ValueError(f"角色 {role!r} 无效，允许 {', '.join(ROLES)} / unknown role")
    key = "evk_" + secrets.token_urlsafe(32)
    with uow_factory() as uow:
        pk = uow.hub.add_api_key(api_key_hash(key), name, role, now)
        uow.commit()
    return pk, key


def revoke_api_key(pk: int, uow_factory: UnitOfWorkFactory, now: datetime) -> bool:
    with uow_factory() as uow:
        done = uow.hub.revoke_api_key(pk, now)
        uow.commit()
    return done
