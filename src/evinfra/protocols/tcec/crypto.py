"""T/CEC 102.4 Annex B/C crypto: AES-128-CBC + PKCS#7 + Base64 for Data, HMAC-MD5 for Sig.

Keys are raw UTF-8 bytes, never hex- or Base64-decoded: every published vector uses 16 ASCII characters
as the key (reference §3, §13).
"""

from __future__ import annotations

import binascii
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7

from evinfra.protocols.tcec.ret import Ret, TcecError

__all__ = ["KeySet", "decrypt_data", "encrypt_data", "sig_matches", "sign"]

_BLOCK_BYTES = 16
_AES_128_KEY_BYTES = 16


@dataclass(frozen=True, slots=True)
class KeySet:
    """The four secrets of one (operator, direction), T/CEC 102.4 §6.2.

    The IV may equal the key (Shenzhen does this). Secrets are kept out of ``repr`` so a KeySet can
    appear in logs and tracebacks safely.
    """

    operator_secret: str = field(repr=False)
    data_secret: str = field(repr=False)
    data_secret_iv: str = field(repr=False)
    sig_secret: str = field(repr=False)
    # Built once: the Cipher object only holds the key and IV this KeySet already holds, and saves
    # roughly half the cost of a short encrypt/decrypt. Each call still gets a fresh CBC context.
    _cipher: Cipher[modes.CBC] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("operator_secret", "data_secret", "data_secret_iv", "sig_secret"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"KeySet.{name} must be str, got {type(getattr(self, name)).__name__}")
        key = self.data_secret.encode("utf-8")
        iv = self.data_secret_iv.encode("utf-8")
        if len(key) != _AES_128_KEY_BYTES:
            raise ValueError(
                f"KeySet.data_secret must be {_AES_128_KEY_BYTES} bytes of UTF-8 (AES-128 key), got {len(key)}"
            )
        if len(iv) != _BLOCK_BYTES:
            raise ValueError(f"KeySet.data_secret_iv must be {_BLOCK_BYTES} bytes of UTF-8 (AES block), got {len(iv)}")
        if not self.sig_secret:
            raise ValueError("KeySet.sig_secret must not be empty (HMAC-MD5 key)")
        object.__setattr__(self, "_cipher", Cipher(algorithms.AES(key), modes.CBC(iv)))


def encrypt_data(plaintext: bytes | str, keys: KeySet) -> str:
    """Encrypt a business payload into the envelope's Data string (standard Base64 with ``+/=``).

    PKCS#7 always pads, so a plaintext whose length is a multiple of 16 gains a full pad block.
    """
    raw = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    padder = PKCS7(128).padder()
    padded = padder.update(raw) + padder.finalize()
    encryptor = keys._cipher.encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return binascii.b2a_base64(ciphertext, newline=False).decode("ascii")


def decrypt_data(b64: str, keys: KeySet) -> bytes:
    """Decrypt an envelope's Data string into the plaintext bytes (UTF-8 JSON, not decoded here).

    Only the strict standard alphabet with ``=`` padding is accepted; no whitespace or URL-safe
    characters. Raises TcecError(4003) with a specific Msg. Verify the Sig before calling this, so
    the padding check cannot serve as an oracle.
    """
    if not b64:
        raise TcecError(Ret.BAD_ENVELOPE, "Data为空，无法解密", operator_known=True)
    try:
        ciphertext = binascii.a2b_base64(b64, strict_mode=True)
    except (ValueError, TypeError):  # binascii.Error is a ValueError; non-ASCII str is a ValueError too
        raise TcecError(Ret.BAD_ENVELOPE, "Data解密失败：不是合法的标准Base64编码", operator_known=True) from None
    if not ciphertext or len(ciphertext) % _BLOCK_BYTES:
        raise TcecError(
            Ret.BAD_ENVELOPE,
            f"Data解密失败：Base64解码后为{len(ciphertext)}字节，应为16的正整数倍",
            operator_known=True,
        )
    decryptor = keys._cipher.decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise TcecError(Ret.BAD_ENVELOPE, "Data解密失败：密钥或填充错误", operator_known=True) from None


def sign(parts: Iterable[str], sig_secret: str) -> str:
    """HMAC-MD5 over the UTF-8 concatenation of ``parts`` (no separators), as 32 upper-case hex digits."""
    message = "".join(parts).encode("utf-8")
    return hmac.digest(sig_secret.encode("utf-8"), message, "md5").hex().upper()


def sig_matches(expected: str, given: str) -> bool:
    """Compare Sigs case-insensitively (omind sends lower case) in constant time."""
    return hmac.compare_digest(expected.upper().encode("utf-8"), given.upper().encode("utf-8"))
