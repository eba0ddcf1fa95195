"""The storage ``make bench`` and ``make soak`` serve Kinga on, and the environment its
processes get: a temporary SQLite database or a PostgreSQL database created afresh on
``KINGA_DATABASE_URL``'s server, and a Redis of the run's own (the embedded server, pinned with
the servers) unless ``KINGA_REDIS_URL`` names one, which is then emptied.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from serving import Cores
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from case_store import migrate
from gateway.config.redis import EmbeddedRedis, redis_from_url
from gateway.config.settings import Settings


def fresh_postgres(database: str) -> str | None:
    """The URL of ``database`` on ``KINGA_DATABASE_URL``'s server, dropped, created and
    migrated; None when ``KINGA_DATABASE_URL`` is not a PostgreSQL URL."""
    given = os.environ.get("KINGA_DATABASE_URL", "")
    if not given.startswith("postgresql"):
        return None
    url = make_url(given).set(database=database)
    server = create_engine(
        url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    server.dispose()
    rendered = url.render_as_string(hide_password=False)
    migrate.upgrade(rendered)
    return rendered


def describe_database(url: str) -> str:
    """Which database a URL names, for a results table (no host, user or password)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "SQLite (a temporary file)"
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        version = conn.scalar(text("SHOW server_version"))
    engine.dispose()
    where = f"{parsed.database} on KINGA_DATABASE_URL's server"
    return f"PostgreSQL {str(version).split()[0]} ({where})"


@dataclass(frozen=True)
class Storage:
    """What the servers and workers of one run are given."""

    env: dict[str, str]  # KINGA_* for every process of the run
    settings: Settings
    redis_url: str
    redis: str  # which Redis, for the results

    @property
    def database_url(self) -> str:
        return self.env["KINGA_DATABASE_URL"]


@contextmanager
def storage(
    tmp: Path,
    cores: Cores,
    *,
    database_url: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Storage]:
    """The run's Redis (started, emptied) and database (``database_url``, already migrated,
    else a SQLite file in ``tmp``, migrated here), with the settings the processes will read;
    the embedded Redis is stopped on the way out."""
    redis_url = os.environ.get("KINGA_REDIS_URL")
    embedded = EmbeddedRedis(tmp / "redis")
    redis_process = None
    if not redis_url:
        redis_process = embedded.spawn(preexec_fn=cores.pin_here())
        redis_url = embedded.url
    env = {
        "KINGA_ENV": "development",
        "KINGA_VAR_DIR": str(tmp / "var"),
        "KINGA_DATABASE_URL": database_url or f"sqlite:///{tmp / 'kinga.db'}",
        "KINGA_REDIS_URL": redis_url,
        **(extra_env or {}),
    }
    try:
        settings = Settings.from_env(env)  # writes the development secrets before any worker
        if database_url is None:
            migrate.upgrade(env["KINGA_DATABASE_URL"])
        redis_from_url(redis_url).flushdb()
        which = "KINGA_REDIS_URL" if redis_process is None else "the run's own embedded"
        yield Storage(env, settings, redis_url, which)
    finally:
        if redis_process is not None:
            embedded.stop(redis_process)


def commit() -> str:
    """The checkout's commit (``--dirty`` when it has changes)."""
    done = subprocess.run(
        ["git", "-C", str(Path(__file__).resolve().parent), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"
