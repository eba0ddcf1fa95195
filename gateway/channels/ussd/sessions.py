"""USSD session records in Redis: the dialog state, the last text seen and the last answer.

One small value per live session: JSON sealed by the vault (``Vault.seal``), because the
answers hold the place and the narrative, and Redis snapshots its data to disk. Keeping the
last answer makes a provider retry (the same cumulative ``text`` again) cheap and harmless: it
gets the same answer and the dialog does not move. A second key per phone (by its keyed hash,
never the number) points at the caller's latest session, so a redial within the resume window
can offer to continue a dropped report; it holds only the session's key.

A record no configured key opens (its key was removed from ``KINGA_ENCRYPTION_KEYS``, or it
was altered or written by an older release) is treated as absent: the caller starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import redis

from case_store.crypto import Vault, VaultError

log = logging.getLogger("kinga.ussd")

KEY_PREFIX = "kinga:ussd:"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class UssdSession:
    """A live session. The cumulative ``text`` is kept as its length and a short digest only:
    the answers are already in ``state``, and this keeps a session well under 1 KB."""

    text_length: int
    text_digest: str
    state: dict[str, Any]
    reply: str
    end: bool
    language: str
    started: float

    @classmethod
    def after(
        cls, text: str, state: dict[str, Any], reply: str, end: bool, language: str, started: float
    ) -> UssdSession:
        """The record once ``reply`` has answered the cumulative ``text``."""
        return cls(len(text), _digest(text), state, reply, end, language, started)

    def is_retry(self, text: str) -> bool:
        """The same cumulative text again: a provider retry, not a new answer."""
        return len(text) == self.text_length and _digest(text) == self.text_digest

    def new_input(self, text: str) -> str:
        """The answer just given, from Africa's Talking's cumulative ``text``.

        The new input is what follows the previous text and its ``*`` separator, so an answer
        that itself contains ``*`` survives whole.
        """
        if self.text_length == 0:
            return text
        previous = text[: self.text_length]
        if text[self.text_length : self.text_length + 1] == "*" and self.is_retry(previous):
            return text[self.text_length + 1 :]
        # The network rebuilt the path differently (rare); the last field is the best guess.
        return text.rsplit("*", 1)[-1]


class UssdSessionStore:
    def __init__(
        self, client: redis.Redis[bytes], vault: Vault, ttl_seconds: int, resume_seconds: int
    ) -> None:
        self.client = client
        self.vault = vault
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
        return self._open(self.key(provider, session_id))

    def latest(self, provider: str, phone_hash: str) -> UssdSession | None:
        """The caller's previous session, if it is still within the resume window."""
        session_key = self.client.get(self.latest_key(provider, phone_hash))
        if session_key is None:
            return None
        return self._open(session_key.decode())

    def save(self, provider: str, session_id: str, phone_hash: str, session: UssdSession) -> None:
        value = json.dumps(
            {
                "n": session.text_length,
                "d": session.text_digest,
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
        sealed = self.vault.seal(value.encode(), context=key.encode())
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(key, sealed, ex=self.ttl)
            if self.resume_seconds > 0:  # 0: the profile turned resuming off
                pipe.set(self.latest_key(provider, phone_hash), key, ex=self.resume_seconds)
            pipe.execute()

    def _open(self, key: str) -> UssdSession | None:
        raw = self.client.get(key)
        if raw is None:
            return None
        try:
            data = json.loads(self.vault.unseal(raw, context=key.encode()))
            return UssdSession(
                int(data["n"]),
                str(data["d"]),
                dict(data["s"]),
                str(data["r"]),
                bool(data["e"]),
                str(data["l"]),
                float(data["b"]),
            )
        except (VaultError, ValueError, KeyError, TypeError):
            log.warning("ussd session record %s cannot be opened; treated as absent", key)
            return None
