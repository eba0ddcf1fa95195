"""Counting what code asks of Redis and of the database: Redis round trips (one per command
sent alone, one per pipeline) and database transactions, through the real client and engine.
Used by the tests that hold those numbers down, and by ``make bench``."""

from __future__ import annotations

from typing import Any

import redis
from sqlalchemy import Engine, event


class RedisRoundTrips:
    """Counts every request ``client`` writes to its server: a command on its own, or a whole
    pipeline, is one round trip. The client's pool is emptied so that every connection from
    now on is a counting one."""

    def __init__(self, client: redis.Redis[Any]) -> None:
        self.count = 0
        pool = client.connection_pool
        counter = self

        class Counting(pool.connection_class):  # type: ignore[name-defined, misc]
            def send_packed_command(self, command: Any, check_health: bool = True) -> None:
                counter.count += 1
                super().send_packed_command(command, check_health)

        pool.connection_class = Counting
        pool.reset()

    def take(self) -> int:
        """The round trips since the last ``take``."""
        count, self.count = self.count, 0
        return count


class Transactions:
    """Counts the transactions begun on ``engine`` (explicit or implicit), and those that
    wrote (a flush or a statement other than SELECT before their commit)."""

    def __init__(self, engine: Engine) -> None:
        self.begun = 0
        self.writes = 0
        self._writing = False
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _begin(self, _connection: Any) -> None:
        self.begun += 1
        self._writing = False

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA")):
            self._writing = True

    def _commit(self, _connection: Any) -> None:
        if self._writing:
            self.writes += 1
        self._writing = False

    def take(self) -> tuple[int, int]:
        """(transactions begun, transactions that wrote and committed) since the last take."""
        counts = (self.begun, self.writes)
        self.begun = self.writes = 0
        return counts
