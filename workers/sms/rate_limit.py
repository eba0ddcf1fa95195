"""Messages per second per provider, shared by every worker through Redis.

rq 3's ``RateLimit`` caps how many jobs run *at once*, not how many run per second, and a send
job only learns which provider it will use as it fails over, so the limit is taken here, just
before each provider call. It is a GCRA (generic cell rate algorithm) bucket: one Redis key
per provider holding the theoretical arrival time of the next message. Each call reserves the
next free slot and says how long to wait for it, so concurrent workers queue up in order
instead of retrying in a burst. A burst of ``burst`` messages may go at once after a quiet
spell. A provider that answered ``Retry-After`` is paused (one more key, expiring when the
wait is over), and every send job skips it until then.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

KEY_PREFIX = "kinga:rate:sms:"
PAUSE_PREFIX = "kinga:rate:sms-paused:"
DEFAULT_BURST = 1

# KEYS[1]: the provider's key. ARGV: now (ms), interval between messages (ms), burst.
# Returns the milliseconds to wait before sending; the slot is reserved either way.
_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - interval * (burst - 1)
if wait < 0 then wait = 0 end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now + interval))
return wait
"""


class SendRateLimiter:
    """``wait_for_slot(provider)`` blocks until that provider may take one more message."""

    def __init__(
        self,
        connection: redis.Redis[bytes],
        rates: dict[str, float] | None = None,
        *,
        burst: int = DEFAULT_BURST,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = dict(rates or {})
        self.burst = max(1, burst)
        self._connection = connection
        self._script = connection.register_script(_RESERVE)
        self._sleep = sleep

    def reserve(self, provider: str) -> float:
        """Reserve the provider's next slot; seconds to wait for it (0 when not limited)."""
        rate = self.rates.get(provider)
        if not rate:
            return 0.0
        now_ms = time.time() * 1000.0
        interval_ms = 1000.0 / rate
        wait_ms = self._script(
            keys=[KEY_PREFIX + provider], args=[repr(now_ms), repr(interval_ms), self.burst]
        )
        return float(wait_ms) / 1000.0

    def wait_for_slot(self, provider: str) -> float:
        wait = self.reserve(provider)
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, provider: str, seconds: float) -> None:
        """The provider asked to be left alone for ``seconds`` (its ``Retry-After``): every
        worker skips it until then."""
        self._connection.set(PAUSE_PREFIX + provider, b"1", px=max(1, int(seconds * 1000)))

    def paused_for(self, provider: str) -> float:
        """Seconds the provider asked to be left alone for still; 0 when it may be called."""
        left_ms = self._connection.pttl(PAUSE_PREFIX + provider)
        return max(0.0, float(left_ms) / 1000.0)
