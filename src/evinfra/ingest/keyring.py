"""Operator key sets: generated here, shown once, stored encrypted under the master key.

The master key (``EVINFRA_MASTER_KEY``, a Fernet key) never enters the database, so a copy of the
database alone reveals no operator secret. The embedded default keeps it in ``<data dir>/master.key``
with mode 0600.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from evinfra.protocols.tcec.crypto import KeySet

_HEX = "0123456789ABCDEF"
_ALNUM = string.ascii_letters + string.digits


class MasterKeyError(RuntimeError):
    pass


def load_master_key(data_dir: Path, configured: str | None) -> Fernet:
    """The configured key, else the one in the data directory (created on first use, 0600)."""
    if configured:
        try:
            return Fernet(configured.encode())
        except ValueError as exc:
            raise MasterKeyError(
                "EVINFRA_MASTER_KEY 不是有效的 Fernet 密钥（32 字节 URL-safe Base64）/ not a valid Fernet key"
            ) from exc
    path = data_dir / "master.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def generate_key_set() -> KeySet:
    """A fresh O→H key set: 32-hex OperatorSecret and SigSecret (102.4 §6.2), 16-character data key and IV."""
    return KeySet(
        operator_secret="".join(secrets.choice(_HEX) for _ in range(32)),
        data_secret="".join(secrets.choice(_ALNUM) for _ in range(16)),
        data_secret_iv="".join(secrets.choice(_ALNUM) for _ in range(16)),
        sig_secret="".join(secrets.choice(_HEX) for _ in range(32)),
    )


def seal_keys(keys: KeySet, master: Fernet) -> str:
    return master.encrypt(json.dumps(key_set_to_wire(keys)).encode()).decode()


def open_keys(token: str, master: Fernet) -> KeySet:
    try:
        raw = json.loads(master.decrypt(token.encode()))
    except InvalidToken as exc:
        raise MasterKeyError("无法解密运营商密钥：主密钥不匹配 / master key does not match the stored keys") from exc
    return KeySet(raw["OperatorSecret"], raw["DataSecret"], raw["DataSecretIV"], raw["SigSecret"])


def key_set_to_wire(keys: KeySet) -> dict[str, str]:
    """The T/CEC names, as the onboarding JSON and the operators' configuration files use them."""
    return {
        "OperatorSecret": keys.operator_secret,
        "DataSecret": keys.data_secret,
        "DataSecretIV": keys.data_secret_iv,
        "SigSecret": keys.sig_secret,
    }
