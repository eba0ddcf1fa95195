"""Alembic, run from Python: ``upgrade(url)`` / ``downgrade(url, revision)``.

No alembic.ini is needed; the script location is this package's ``migrations`` folder.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import case_store.models  # noqa: F401  (registers every table on Base.metadata)
from case_store.db import private_sqlite_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Config values go through configparser interpolation: escape a %-encoded password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    private_sqlite_file(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    private_sqlite_file(url)
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """The revision the database at ``url`` is on, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
