"""A write lock held longer than the database's lock wait (``LOCK_WAIT_SECONDS``).

Another transaction holds every table against writes (PostgreSQL: ``LOCK TABLE … IN
EXCLUSIVE MODE``; SQLite: ``BEGIN IMMEDIATE``, the file's write lock) while a caller sends the
last hop of a report and a new SMS arrives. The hop waits for the lock, gives up, and the
caller gets the polite "try again" ``END``; the SMS webhook a 503 the provider retries;
nothing is half written. Once the lock is gone, the same hop again (the provider's retry)
files the report. Each request runs in a thread bounded by a generous join, so a request that
waited for the lock for ever fails the test instead of hanging it; nothing here measures speed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from delivered import rows
from sms_client import Texter
from sqlalchemy import Engine, make_url
from ussd_client import REPORT_ANSWERS, Caller

from case_store.base import Base
from case_store.db import LOCK_WAIT_SECONDS

UNAVAILABLE = "END Sorry, the service is not available right now."
THANKS = "END Thank you. Your reference is "
GIVES_UP_WITHIN = LOCK_WAIT_SECONDS * 6  # seconds: a bound on a hang, not a measure


@contextmanager
def writes_locked(engine: Engine) -> Iterator[None]:
    """Every table held against writes by another connection until the block ends."""
    if engine.dialect.name == "sqlite":
        database = make_url(str(engine.url)).database
        assert database
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.connect() as connection, connection.begin() as transaction:
        connection.exec_driver_sql(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            transaction.rollback()


def within_bound(request: Callable[[], Any]) -> Any:
    """``request()``'s result, run in a thread that must finish within the bound."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(request()), daemon=True)
    thread.start()
    thread.join(GIVES_UP_WITHIN)
    assert not thread.is_alive(), f"a request waited for the lock over {GIVES_UP_WITHIN} s"
    assert result, "the request failed (see the thread's exception above)"
    return result[0]


def test_a_lock_longer_than_the_wait_gets_polite_refusals_and_nothing_half_written(
    app, db, db_engine, redis_client
) -> None:
    caller = Caller(app.test_client(), session_id="ATUid_locked_1")
    caller.dial()
    for value in REPORT_ANSWERS[:-1]:
        caller.answer(value)
    caller.answers.append(REPORT_ANSWERS[-1])  # the last hop: Send
    texter = Texter(app.test_client(), provider="africastalking")
    before = rows(db)

    with writes_locked(db_engine):
        last_hop = within_bound(caller.post)
        sms = within_bound(lambda: texter.send("HELP"))

    assert last_hop.status_code == 200
    assert last_hop.get_data(as_text=True).startswith(UNAVAILABLE)
    assert sms.status_code == 503
    assert rows(db) == before  # nothing half written

    # The lock is gone: the provider's retries go through, once each.
    retried = caller.post().get_data(as_text=True)
    assert retried.startswith(THANKS), retried
    assert texter.send("HELP", provider_id=texter.sent[-1]).status_code == 200
    after = rows(db)
    assert after["case"] == before["case"] + 1
