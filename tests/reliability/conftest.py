"""Two real gateways on one database and one Redis, for the replay and race tests.

``settings`` is module-scoped here (the same keys as the suite's, a folder of the module's
own), so the gateways it starts serve every test of a module; ``db`` and ``redis_client``
still empty the database and Redis after each test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import suite_keys
from plain_text import in_redis, in_rows
from sqlalchemy import Engine
from web_processes import WebProcess, serve_env

from gateway.config.settings import Settings

# The helpers of the gateway tests (the USSD and SMS clients, staff on call).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))


@pytest.fixture(scope="module")
def settings(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str, db_engine: Engine
) -> Settings:
    return Settings.from_env(
        {
            "KINGA_ENV": "test",
            "KINGA_VAR_DIR": str(tmp_path_factory.mktemp("var")),
            "KINGA_DATABASE_URL": database_url,
            "KINGA_REDIS_URL": redis_url,
            **suite_keys.ENV,
        }
    )


@pytest.fixture(autouse=True)
def nothing_in_plain_text(db: Any, redis_client: Any) -> Iterator[None]:
    """What the gateways stored, searched before ``db`` and ``redis_client`` empty it (the
    session's last check, ``tests/security/test_leaks.py``, finds a PostgreSQL database and a
    Redis server of the machine's own empty)."""
    yield
    assert in_rows(db) + in_redis(redis_client) == []


@pytest.fixture(scope="module")
def gateways(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WebProcess, WebProcess]]:
    """Two ``kinga serve`` processes (two gunicorn workers of four threads each)."""
    folder = tmp_path_factory.mktemp("gateways")
    env = serve_env(settings)
    first = WebProcess.start(env, folder, "first")
    try:
        second = WebProcess.start(env, folder, "second")
    except BaseException:
        first.stop()
        raise
    yield first, second
    for web in (first, second):
        web.stop()
    for web in (first, second):
        assert "Traceback" not in web.output(), web.output()
