"""How many misses a phone may make before it is limited: guessed references, wrong PINs.

A phone's misses are counted in Redis under a keyed hash of its number (``Vault.phone_hash``),
never the number, in a window that starts again with each miss. Once ``allowed`` misses are
counted the phone is limited until ``window`` seconds pass without one. Each budget has its
own key prefix (stored data: never renamed): a guesser of references and a guesser of PINs
are limited separately.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.runtime import Runtime


@dataclass(frozen=True)
class MissBudget:
    prefix: str  # the Redis key prefix, e.g. kinga:refmiss
    allowed: int
    window: int  # seconds

    def spent(self, rt: Runtime, phone: str) -> bool:
        """Whether ``phone`` is limited now."""
        return int(rt.redis.get(self._key(rt, phone)) or 0) >= self.allowed

    def miss(self, rt: Runtime, phone: str) -> None:
        """Count one miss from ``phone``."""
        key = self._key(rt, phone)
        with rt.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window)
            pipe.execute()

    def _key(self, rt: Runtime, phone: str) -> str:
        return f"{self.prefix}:{rt.vault.phone_hash(phone)}"
