"""SMS conversations in Redis: one small value per phone (by its keyed hash, never the
number), forgotten after ``KINGA_SMS_SESSION_TTL`` seconds of silence (a day by default) and
refreshed by every inbound message. It holds a few kilobytes at most when the reporter's first
message is kept as the start of the narrative (``dialogs.sms.MAX_FIRST_MESSAGE`` characters).

The value is JSON sealed by the vault (``Vault.seal``): the answers hold the place and the
narrative, and Redis snapshots its data to disk. A record no configured key opens (its key was
removed from ``KINGA_ENCRYPTION_KEYS``, or it was altered or written by an older release) is
treated as absent: the conversation starts afresh.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import redis

from case_store.crypto import Vault, VaultError

log = logging.getLogger("kinga.sms")

KEY_PREFIX = "kinga:sms:session:"


@dataclass(frozen=True)
class SmsSession:
    state: dict[str, Any]
    language: str
    started: float  # when the conversation began (epoch seconds): a report's start time


class SmsSessionStore:
    def __init__(self, client: redis.Redis[bytes], vault: Vault, ttl_seconds: int) -> None:
        self.client = client
        self.vault = vault
        self.ttl = ttl_seconds

    @staticmethod
    def key(phone_hash: str) -> str:
        return KEY_PREFIX + phone_hash

    def load(self, phone_hash: str) -> SmsSession | None:
        key = self.key(phone_hash)
        raw = self.client.get(key)
        if raw is None:
            return None
        try:
            data = json.loads(self.vault.unseal(raw, context=key.encode()))
            return SmsSession(dict(data["s"]), str(data["l"]), float(data["b"]))
        except (VaultError, ValueError, KeyError, TypeError):
            # The key names the phone's hash: not logged.
            log.warning("an sms session record cannot be opened; treated as absent")
            return None

    def save(self, phone_hash: str, session: SmsSession) -> None:
        value = json.dumps(
            {"s": session.state, "l": session.language, "b": session.started},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        key = self.key(phone_hash)
        self.client.set(key, self.vault.seal(value.encode(), context=key.encode()), ex=self.ttl)

    def delete(self, phone_hash: str) -> None:
        self.client.delete(self.key(phone_hash))
