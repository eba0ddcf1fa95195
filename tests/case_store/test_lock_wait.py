"""Each connection waits ``LOCK_WAIT_SECONDS`` at most for a lock: SQLite's busy timeout, and
on PostgreSQL ``lock_timeout`` and ``connect_timeout``, added to what the URL already asks for
(its ``options``, a ``search_path`` say, are kept; a ``lock_timeout`` it gives wins)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import make_url, text

from case_store.db import CONNECT_SECONDS, LOCK_WAIT_SECONDS, make_engine


def postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("lock_timeout and search_path are PostgreSQL's")


def shown(url: str, *settings: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [str(conn.execute(text(f"SHOW {name}")).scalar()) for name in settings]
    finally:
        engine.dispose()


def test_sqlite_waits_the_lock_wait(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wait.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == LOCK_WAIT_SECONDS * 1000
    engine.dispose()


def test_postgres_asks_for_the_lock_and_connect_timeouts(database_url, db_engine) -> None:
    postgres_only(database_url)
    assert shown(database_url, "lock_timeout") == [f"{LOCK_WAIT_SECONDS}s"]
    engine = make_engine(database_url)
    with engine.connect() as conn:
        dsn = conn.connection.dbapi_connection.info.dsn  # type: ignore[union-attr]
    engine.dispose()
    assert f"connect_timeout={CONNECT_SECONDS}" in dsn


def test_the_url_s_own_options_are_kept_and_its_lock_timeout_wins(database_url, db_engine) -> None:
    postgres_only(database_url)
    schema = f"kept_{secrets.token_hex(4)}"
    with db_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(database_url)
        with_path = url.update_query_dict({"options": f"-csearch_path={schema}"})
        assert shown(with_path.render_as_string(hide_password=False), "search_path",
                     "lock_timeout") == [schema, f"{LOCK_WAIT_SECONDS}s"]  # fmt: skip
        own = url.update_query_dict({"options": f"-csearch_path={schema} -c lock_timeout=2s"})
        assert shown(own.render_as_string(hide_password=False), "lock_timeout") == ["2s"]
    finally:
        with db_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
