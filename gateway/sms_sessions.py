"""SMS conversations in Redis: one small JSON value per phone (by its keyed hash, never the
number), forgotten after ``KINGA_SMS_SESSION_TTL`` seconds of silence (a day by default) and
refreshed by every inbound message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

KEY_PREFIX = "kinga:sms:session:"


@dataclass(frozen=True)
class SmsSession:
    state: dict[str, Any]
    language: str
    started: float  # when the conversation began (epoch seconds): a report's start time


class SmsSessionStore:
    def __init__(self, client: redis.Redis[bytes], ttl_seconds: int) -> None:
        self.client = client
        self.ttl = ttl_seconds

    @staticmethod
    def key(phone_hash: str) -> str:
        return KEY_PREFIX + phone_hash

    def load(self, phone_hash: str) -> SmsSession | None:
        raw = self.client.get(self.key(phone_hash))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return SmsSession(dict(data["s"]), str(data["l"]), float(data["b"]))
        except (ValueError, KeyError, TypeError):
            return None  # written by an older release: start afresh rather than fail

    def save(self, phone_hash: str, session: SmsSession) -> None:
        value = json.dumps(
            {"s": session.state, "l": session.language, "b": session.started},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        self.client.set(self.key(phone_hash), value, ex=self.ttl)

    def delete(self, phone_hash: str) -> None:
        self.client.delete(self.key(phone_hash))
