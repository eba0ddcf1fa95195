"""USSD session records in Redis: the dialog state, the last text seen and the last answer.

One small value per live session: JSON sealed by the vault (``Vault.seal``), because the
answers hold the place and the narrative, and Redis snapshots its data to disk. Keeping the
last answer makes a provider retry (the same ``text`` again) cheap and harmless: it
gets the same answer and the dialog does not move. A second key per phone (by its keyed hash,
never the number) points at the caller's latest session while that session could be resumed
(``can_resume``), so a redial within the resume window can offer to continue a dropped report;
it holds only the session's key, and it is removed when the session moves to where there is
nothing to resume (an end, the main menu).

A hop costs two round trips to Redis: ``lookup`` reads the session's record and the caller's
pointer at once, and ``save`` writes the record and sets or removes the pointer in one
pipeline (not a transaction: either write alone leaves nothing wrong, a pointer without its
record is ignored). Only the first hop of a redial that finds a report to offer back reads one
more record (``resumable``).

A record no configured key opens (its key was removed from ``KINGA_ENCRYPTION_KEYS``, or it
was altered or written by an older release) is treated as absent: the caller starts afresh.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import redis

from case_store.crypto import Vault, VaultError
from gateway.providers.events import SeenText

log = logging.getLogger("kinga.ussd")

KEY_PREFIX = "kinga:ussd:"


@dataclass(frozen=True)
class Lookup:
    """A hop's read: the session's record (None for a new session) and the key of the
    caller's latest session while it could be resumed."""

    session: UssdSession | None
    resumable_key: str | None


@dataclass(frozen=True)
class UssdSession:
    """A live session. The provider's last input is kept as its length and a short digest
    only (``seen``): the answers are already in ``state``, and this keeps a session well under
    1 KB."""

    seen: SeenText
    state: dict[str, Any]
    reply: str
    end: bool
    language: str
    started: float

    @classmethod
    def after(
        cls, text: str, state: dict[str, Any], reply: str, end: bool, language: str, started: float
    ) -> UssdSession:
        """The record once ``reply`` has answered the provider's input ``text``."""
        return cls(SeenText.of(text), state, reply, end, language, started)

    def is_retry(self, text: str) -> bool:
        """The same input again: a provider retry, not a new answer."""
        return self.seen.matches(text)


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

    def lookup(self, provider: str, session_id: str, phone_hash: str) -> Lookup:
        """The session's record and the caller's pointer, in one round trip."""
        key = self.key(provider, session_id)
        if self.resume_seconds <= 0:  # the profile turned resuming off: no pointers
            return Lookup(self._opened(key, self.client.get(key)), None)
        raw, pointer = self.client.mget(key, self.latest_key(provider, phone_hash))
        return Lookup(self._opened(key, raw), pointer.decode() if pointer else None)

    def resumable(self, lookup: Lookup) -> UssdSession | None:
        """The caller's latest session that ``lookup`` found a pointer to (one round trip)."""
        if lookup.resumable_key is None:
            return None
        return self._open(lookup.resumable_key)

    def save(
        self,
        provider: str,
        session_id: str,
        phone_hash: str,
        session: UssdSession,
        *,
        resumable: bool,
    ) -> None:
        """Write the record; point the caller's pointer at it when it can be ``resumable``
        (``engine.can_resume``), else remove the pointer."""
        value = json.dumps(
            {
                "n": session.seen.length,
                "d": session.seen.digest,
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
        if self.resume_seconds <= 0:  # the profile turned resuming off
            self.client.set(key, sealed, ex=self.ttl)
            return
        latest = self.latest_key(provider, phone_hash)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.set(key, sealed, ex=self.ttl)
            if resumable:
                pipe.set(latest, key, ex=self.resume_seconds)
            else:
                pipe.delete(latest)
            pipe.execute()

    def _open(self, key: str) -> UssdSession | None:
        return self._opened(key, self.client.get(key))

    def _opened(self, key: str, raw: bytes | None) -> UssdSession | None:
        if raw is None:
            return None
        try:
            data = json.loads(self.vault.unseal(raw, context=key.encode()))
            return UssdSession(
                SeenText(int(data["n"]), str(data["d"])),
                dict(data["s"]),
                str(data["r"]),
                bool(data["e"]),
                str(data["l"]),
                float(data["b"]),
            )
        except (VaultError, ValueError, KeyError, TypeError):
            log.warning("ussd session record %s cannot be opened; treated as absent", key)
            return None
