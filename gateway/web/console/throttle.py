"""Sign-in throttling kept in Redis, shared by every web process.

Two counters of failed sign-ins, each expiring on its own:

- per client address: past ``ADDRESS_FAILURES`` in ``ADDRESS_WINDOW`` every sign-in from that
  address is refused (429) until the window passes, right password or not;
- per typed name that has no account: counted like an account's wrong passwords in a row, and
  "locked" at the same count for the same time (``case_store.passwords``), so the sign-in page
  answers the same for a name that exists and one that does not. Names are kept as keyed
  hashes, never as typed.

Accounts that exist are counted and locked in the database (``operations.accounts.sign_in``),
where the lock is audited. If Redis cannot be reached the counters are skipped (logged): the
accounts' own locks still hold.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Final

import redis

from case_store.passwords import LOCK_DURATION, MAX_FAILED_LOGINS

log = logging.getLogger("kinga.console")

ADDRESS_FAILURES: Final = 30
ADDRESS_WINDOW: Final = 15 * 60  # seconds
# An account's failures in a row are kept until it signs in; a name's, this long.
NAME_MEMORY: Final = 30 * 24 * 3600
PREFIX: Final = "kinga:console:signin"


class Throttle:
    def __init__(self, connection: redis.Redis[bytes], secret: str) -> None:
        self.connection = connection
        self.secret = secret.encode()

    def _address_key(self, address: str) -> str:
        return f"{PREFIX}:address:{self._digest(address)}"

    def _name_key(self, name: str, kind: str) -> str:
        return f"{PREFIX}:{kind}:{self._digest(name.strip().casefold())}"

    def _digest(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    def _count(self, key: str) -> int:
        try:
            return int(self.connection.get(key) or 0)
        except redis.RedisError:
            log.warning("sign-in throttling skipped: Redis unreachable")
            return 0

    def _add(self, key: str, ttl: int) -> int:
        try:
            with self.connection.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl)
                count, _ = pipe.execute()
        except redis.RedisError:
            log.warning("sign-in failure not counted: Redis unreachable")
            return 0
        return int(count)

    def address_blocked(self, address: str) -> bool:
        return self._count(self._address_key(address)) >= ADDRESS_FAILURES

    def failed(self, address: str) -> None:
        if self._add(self._address_key(address), ADDRESS_WINDOW) == ADDRESS_FAILURES:
            log.warning("console sign-ins from %s refused for %s s", address, ADDRESS_WINDOW)

    def unknown_name_locked(self, name: str) -> bool:
        return self._count(self._name_key(name, "locked")) > 0

    def unknown_name_failed(self, name: str) -> bool:
        """Count a failure for a name with no account; whether it is now "locked" (the count
        then starts again, as an account's does)."""
        if self._add(self._name_key(name, "failures"), NAME_MEMORY) < MAX_FAILED_LOGINS:
            return False
        try:
            with self.connection.pipeline(transaction=True) as pipe:
                pipe.delete(self._name_key(name, "failures"))
                pipe.set(self._name_key(name, "locked"), 1, ex=LOCK_DURATION)
                pipe.execute()
        except redis.RedisError:
            log.warning("sign-in lock not kept: Redis unreachable")
        return True
