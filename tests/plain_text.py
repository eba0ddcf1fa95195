"""Searching stored data for the probe's personal data (``probe_data.NEEDLES``) in plain text:
every column of every row, every Redis key and its value."""

from __future__ import annotations

from typing import Any

from probe_data import NEEDLES
from sqlalchemy import select

from case_store.base import Base

# The needles begin with a handful of four-character prefixes: a text holding none of them
# holds no needle. The leak watch asks this of every SQL statement and log record of the session.
ANCHORS = frozenset(needle[:4] for needle in NEEDLES)


def needles_in(text: str) -> list[str]:
    if not any(anchor in text for anchor in ANCHORS):
        return []
    return [needle for needle in NEEDLES if needle in text]


def in_rows(sessions: Any) -> list[str]:
    """``table: needle`` for each row holding one (binary columns included: a value stored
    unencrypted shows in its bytes)."""
    found = []
    with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                found += [f"{table.name}: {n}" for n in needles_in(repr(tuple(row)))]
    return found


def in_redis(client: Any) -> list[str]:
    """``redis key: needle`` for each key whose name or serialized value holds one."""
    found = []
    for key in client.scan_iter(count=1000):
        dumped = client.dump(key) or b""
        found += [f"redis {key!r}: {n}" for n in needles_in(repr(key) + repr(dumped))]
    return found
