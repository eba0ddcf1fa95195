"""USSD session records in Redis: the dialog state, the last text seen and the last answer.

One small JSON value per live session. Keeping the last answer makes a provider retry (the
same cumulative ``text`` again) cheap and harmless: it gets the same answer and the dialog
does not move. A second key per phone (by its keyed hash, never the number) points at the
caller's latest session, so a redial within the resume window can offer to continue a
dropped report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

KEY_PREFIX = "kinga:ussd:"


@dataclass(frozen=True)
class UssdSession:
    text: str
    state: dict[str, Any]
    reply: str
    end: bool
    language: str
    started: float


class UssdSessionStore:
    def __init__(self, client: redis.Redis[bytes], ttl_seconds: int, resume_seconds: int) -> None:
        self.client = client
        # A session record must outlive the resume window, or there is nothing to resume.
        self.ttl = max(ttl_seconds, resume_seconds)
        self.resume_seconds = resume_seconds

    @staticmethod
    def key(provider: str, session_id: str) -> str:
        return f"{KEY_PREFIX}{provider}:{session_id}"

    @staticmethod
    def latest_key(provider: str, phone_hash: str) -> str:
        return f"{KEY_PREFIX}latest:{provider}:{phone_hash}"

    def load(self, provider: str, session_id: str) -> UssdSession | None:
        return self._decode(self.client.get(self.key(provider, session_id)))

    def latest(self, provider: str, phone_hash: str) -> UssdSession | None:
        """The caller's previous session, if it is still within the resume window."""
        session_key = self.client.get(self.latest_key(provider, phone_hash))
        if session_key is None:
            return None
        return self._decode(self.client.get(session_key))

    def save(self, provider: str, session_id: str, phone_hash: str, session: UssdSession) -> None:
        value = json.dumps(
            {
                "t": session.text,
                "s": session.state,
                "r": session.reply,
                "e": session.end,
                "l": session.language,
                "b": session.started,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )
        key = self.key(provider, session_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(key, value, ex=self.ttl)
            pipe.set(self.latest_key(provider, phone_hash), key, ex=self.resume_seconds)
            pipe.execute()

    @staticmethod
    def _decode(raw: bytes | None) -> UssdSession | None:
        if raw is None:
            return None
        data = json.loads(raw)
        return UssdSession(data["t"], data["s"], data["r"], data["e"], data["l"], data["b"])


def new_input(previous_text: str, text: str) -> str:
    """The answer just given, from Africa's Talking's cumulative ``text``.

    The new input is what follows the previous text and its ``*`` separator, so an answer that
    itself contains ``*`` survives whole.
    """
    if previous_text == "":
        return text
    if text.startswith(previous_text + "*"):
        return text[len(previous_text) + 1 :]
    # The network rebuilt the path differently (rare); the last field is the best guess.
    return text.rsplit("*", 1)[-1]
