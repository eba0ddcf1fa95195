"""Everything the gateway stores, for tests that assert a request changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from case_store.base import Base


def snapshot(db: Any, redis_client: Any) -> tuple[Any, ...]:
    """Every row of every table, and every Redis key with its value."""
    with db() as session:
        rows = tuple(
            tuple(tuple(row) for row in session.execute(select(table)).all())
            for table in Base.metadata.sorted_tables
        )
    keys = sorted(redis_client.keys("*"))
    return rows, tuple((key, redis_client.dump(key)) for key in keys)


def clear(db: Any, redis_client: Any) -> None:
    """Empty the database and Redis (between the examples of a property test)."""
    redis_client.flushdb()
    with db.begin() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
