"""Alembic, run from Python: ``upgrade(url)`` / ``downgrade(url, revision)``.

No alembic.ini is needed; the script location is this package's ``migrations`` folder.
``head()`` is what this code needs and ``revision(connection)`` what a database is at: the
readiness check compares them on every poll, so the head is read from the scripts once per
process and the database costs one small query.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

import case_store.models  # noqa: F401  (registers every table on Base.metadata)
from case_store.db import private_sqlite_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # Config values go through configparser interpolation: escape a %-encoded password.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def head() -> str:
    """The revision this code needs (the scripts have a single head)."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if found is None:
        raise RuntimeError(f"no migration scripts under {MIGRATIONS}")
    return found


@cache
def revision_ids() -> tuple[str, ...]:
    """Every revision, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config()).walk_revisions()
    return tuple(reversed([script.revision for script in scripts]))


def revision(connection: Connection) -> str | None:
    """The revision the database is at, or None before the first migration."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    private_sqlite_file(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    private_sqlite_file(url)
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """The revision the database at ``url`` is on, or None before the first migration."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return revision(connection)
    finally:
        engine.dispose()
