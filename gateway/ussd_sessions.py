"""USSD session records in Redis: the dialog state, the last text seen and the last answer.

One small JSON value per live session, expiring with the session. Keeping the last answer
makes a provider retry (the same cumulative ``text`` again) cheap and harmless: it gets the
same answer and the dialog does not move. No phone number is ever stored here.
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


class UssdSessionStore:
    def __init__(self, client: redis.Redis[bytes], ttl_seconds: int) -> None:
        self.client = client
        self.ttl = ttl_seconds

    @staticmethod
    def key(provider: str, session_id: str) -> str:
        return f"{KEY_PREFIX}{provider}:{session_id}"

    def load(self, provider: str, session_id: str) -> UssdSession | None:
        raw = self.client.get(self.key(provider, session_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return UssdSession(data["t"], data["s"], data["r"], data["e"])

    def save(self, provider: str, session_id: str, session: UssdSession) -> None:
        value = json.dumps(
            {"t": session.text, "s": session.state, "r": session.reply, "e": session.end},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        self.client.set(self.key(provider, session_id), value, ex=self.ttl)


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
