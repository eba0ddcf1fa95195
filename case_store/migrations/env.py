"""Alembic environment: online migrations only, driven by ``case_store.migrate``."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool

import case_store.models  # noqa: F401  (registers every table on Base.metadata)
from case_store.base import Base


def transactional_ddl(engine: Engine) -> None:
    """Let SQLite's own BEGIN cover the DDL too: Python's sqlite3 begins a transaction only
    before DML, so an upgrade killed part way kept its tables without the revision, and the
    next upgrade failed on "table already exists"."""

    @event.listens_for(engine, "connect")
    def no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migrations")
    # A plain engine: no SQLite foreign-key pragma, so batch table rebuilds can drop and copy.
    engine = create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        transactional_ddl(engine)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
