"""Encryption at rest and keyed phone hashes.

Personal free text (phone numbers, place names, narratives) is stored only as Fernet
ciphertext. Several keys may be configured: the first encrypts, all decrypt, so keys can be
rotated without downtime (``Vault.rotate`` re-encrypts under the current key).

Short-lived records kept outside the database (conversation sessions in Redis) are sealed
instead: deflated, then AES-256-GCM under a key derived by HKDF from each Fernet key, so the
same configured keys and the same rotation rule apply. A sealed record is one version byte, a
12-byte random nonce and the ciphertext with its 16-byte tag: 29 bytes over the deflated data,
where Fernet would add about 57 bytes and then a third in base64 — a USSD session must stay
within 1 KB of Redis. Each record is bound to where it is stored (``context``), so a value
copied under another key does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import zlib
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
SEALED_VERSION = b"\x01"
NONCE_BYTES = 12
# HKDF's "info": a sealing key is never the Fernet key itself, nor usable for anything else.
SEALING_INFO = b"kinga sealed record v1"
# Raw deflate (no zlib header or checksum: the GCM tag already authenticates the data).
DEFLATE_WBITS = -15


def _sealing_key(fernet_key: str) -> AESGCM:
    """The AES-256-GCM key derived from one Fernet key."""
    material = base64.urlsafe_b64decode(fernet_key)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEALING_INFO)
    return AESGCM(derived.derive(material))


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
        self._sealing = [_sealing_key(key) for key in encryption_keys]
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

    def seal(self, data: bytes, *, context: bytes) -> bytes:
        """``data`` deflated, encrypted and authenticated under the current (first) key, bound
        to ``context`` (where it is stored, e.g. its Redis key)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._sealing[0].encrypt(
            nonce, zlib.compress(data, wbits=DEFLATE_WBITS), SEALED_VERSION + context
        )
        return SEALED_VERSION + nonce + sealed

    def unseal(self, token: bytes, *, context: bytes) -> bytes:
        """The data ``seal`` was given, opened with any configured key; a ``VaultError`` when
        no key opens it: another version, a removed key, altered bytes or another ``context``."""
        version, nonce, sealed = token[:1], token[1 : 1 + NONCE_BYTES], token[1 + NONCE_BYTES :]
        if version != SEALED_VERSION or len(nonce) != NONCE_BYTES:
            raise VaultError("not a sealed record of this version")
        for key in self._sealing:
            try:
                deflated = key.decrypt(nonce, sealed, SEALED_VERSION + context)
            except InvalidTag:
                continue
            try:
                return zlib.decompress(deflated, DEFLATE_WBITS)
            except zlib.error:
                break  # authentic yet not deflate: not written by ``seal``
        raise VaultError("sealed record cannot be opened with any configured key")

    def phone_hash(self, e164: str) -> str:
        """HMAC-SHA256 (hex) of an E.164 number such as ``+254712345321``."""
        if not E164.fullmatch(e164):
            raise VaultError("phone number must be in E.164 form (+ and 7 to 15 digits)")
        return hmac.new(self._hash_key, e164.encode(), hashlib.sha256).hexdigest()
