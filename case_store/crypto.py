"""Encryption at rest and keyed phone hashes.

Personal free text (phone numbers, place names, narratives) is stored only as Fernet
ciphertext. Several keys may be configured: the first encrypts, all decrypt, so keys can be
rotated without downtime (``Vault.rotate`` re-encrypts under the current key).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class VaultError(ValueError):
    """Bad keys, a malformed phone number, or ciphertext no configured key can open."""


class Vault:
    def __init__(self, encryption_keys: Sequence[str], phone_hash_key: str) -> None:
        if isinstance(encryption_keys, str):
            raise VaultError("encryption_keys must be a sequence of keys, not one string")
        if not encryption_keys:
            raise VaultError("at least one encryption key is required")
        if not phone_hash_key:
            raise VaultError("a phone hash key is required")
        fernets = []
        for position, key in enumerate(encryption_keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise VaultError(f"encryption key {position} is not a valid Fernet key") from None
        self._fernet = MultiFernet(fernets)
        self._hash_key = phone_hash_key.encode()

    def __repr__(self) -> str:
        return "<Vault>"

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise VaultError("ciphertext cannot be decrypted with any configured key") from None

    def rotate(self, token: bytes) -> bytes:
        """``token`` re-encrypted under the current (first) key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise VaultError("ciphertext cannot be decrypted with any configured key") from None

    def phone_hash(self, e164: str) -> str:
        """HMAC-SHA256 (hex) of an E.164 number such as ``+254712345321``."""
        if not E164.fullmatch(e164):
            raise VaultError("phone number must be in E.164 form (+ and 7 to 15 digits)")
        return hmac.new(self._hash_key, e164.encode(), hashlib.sha256).hexdigest()
