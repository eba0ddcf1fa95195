"""Engines and sessions. Repository functions take a session and never commit.

A SQLite database file holds every record in the clear but for the encrypted columns, so it
is created readable by its owner only (0600) before SQLite opens it; SQLite gives its WAL,
shared-memory and journal files the database file's own mode.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

PRIVATE_FILE = 0o600
# How long a statement waits for a lock another transaction holds before it fails, and how
# long a connection to PostgreSQL may take. Under the 10-15 s a USSD provider waits for a hop:
# a caller held up by a long lock gets the polite "try again" screen (the session keeps every
# answer, so the provider's retry or a redial sends the report) and a provider's webhook a 503
# it retries, instead of silence and a web thread held for as long as the lock lasts.
LOCK_WAIT_SECONDS = 8
CONNECT_SECONDS = 5
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``: SQLite gets foreign keys, WAL and a busy timeout, PostgreSQL a
    lock timeout and a connect timeout (``LOCK_WAIT_SECONDS``, ``CONNECT_SECONDS``) and a check
    of each pooled connection before use, so a restarted server costs no request.

    Statement parameters are kept out of error messages: they may hold ciphertext or hashes
    that have no place in a log.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        kwargs.setdefault("connect_args", {"timeout": LOCK_WAIT_SECONDS})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("connect_args", _postgres_connect_args(url))
        engine = create_engine(url, **kwargs)
    _forget_pool_in_forked_children(engine)
    return engine


def _postgres_connect_args(url: str) -> dict[str, Any]:
    """The connect timeout and the lock timeout, added to what the URL says: its own
    ``options`` (a ``search_path``, say) are kept, and a ``lock_timeout`` or
    ``connect_timeout`` it gives wins."""
    query = make_url(url).query
    args: dict[str, Any] = {}
    if "connect_timeout" not in query:
        args["connect_timeout"] = CONNECT_SECONDS
    given = query.get("options", "")
    options = " ".join(given) if isinstance(given, tuple) else given
    if "lock_timeout" not in options:
        args["options"] = f"{options} -c lock_timeout={LOCK_WAIT_SECONDS * 1000}".strip()
    return args


def _forget_pool_in_forked_children(engine: Engine) -> None:
    """A forked child (RQ's work horse) starts with an empty pool, as SQLAlchemy advises.

    Otherwise it would talk on its parent's pooled connections: several children, one after
    another, on one server session whose state (a statement the driver prepared, an open
    transaction) each believes it alone knows — jobs then fail at random. The inherited
    connections are dropped without being closed: they still belong to the parent.
    """
    ref = weakref.ref(engine)

    def forget() -> None:
        inherited = ref()
        if inherited is not None:
            inherited.dispose(close=False)

    os.register_at_fork(after_in_child=forget)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def private_sqlite_file(url: str) -> None:
    """Create the SQLite database file of ``url`` with mode 0600, or tighten the mode of an
    existing one (and of its WAL, shared-memory and journal files) that is ours."""
    if not url.startswith("sqlite"):
        return
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite will say so, in its own words
    # An existing file is never opened here: closing a descriptor of a database file drops
    # every SQLite lock this process holds on it (POSIX locks belong to the process), and
    # another process closing its last connection could then delete the WAL from under ours.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        try:
            status = companion.stat()
        except FileNotFoundError:
            continue
        if status.st_mode & 0o077 and status.st_uid == os.geteuid():
            companion.chmod(PRIVATE_FILE)
