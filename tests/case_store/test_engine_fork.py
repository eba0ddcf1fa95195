"""A forked process (RQ's work horse) never talks on its parent's pooled connections."""

from __future__ import annotations

import os

from sqlalchemy import Engine, text

from case_store.db import make_engine


def _child_queries(engine: Engine) -> int:
    """Fork; the child runs transactions as a job does (often enough for the driver to
    prepare their statements on the server), then exits at once as RQ's work horse does."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        status = 0
        try:
            for n in range(8):
                with engine.begin() as conn:
                    conn.execute(text("SELECT count(*) FROM message WHERE id > :n"), {"n": n})
                    conn.execute(text("UPDATE message SET attempts = 0 WHERE id < 0"))
        except Exception:
            status = 1
        os._exit(status)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_children_forked_one_after_another_each_get_their_own_connections(
    database_url: str, db_engine: Engine
) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:  # the parent has a pooled connection, as a worker does
            conn.execute(text("SELECT 1")).scalar_one()
        assert [_child_queries(engine) for _ in range(3)] == [0, 0, 0]
        with engine.connect() as conn:  # and the parent's own is intact
            assert conn.execute(text("SELECT 2")).scalar_one() == 2
    finally:
        engine.dispose()
