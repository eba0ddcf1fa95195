"""``var/`` is its owner's alone: the folder 0700, every file Kinga or its embedded Redis writes
there 0600, whatever the umask (``kinga run`` itself is checked in tests/gateway)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from case_store import migrate
from case_store.db import make_engine
from gateway.config.redis import EmbeddedRedis, embedded_redis_url, stop_embedded_redis
from gateway.config.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(folder: Path) -> dict[str, int]:
    return {path.name: _mode(path) for path in folder.iterdir()}


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022, under which files are world-readable unless Kinga says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_var_and_the_development_secrets_are_private_even_when_made_before(tmp_path) -> None:
    var = tmp_path / "var"
    Settings.from_env({"KINGA_VAR_DIR": str(var)})
    assert _mode(var) == 0o700 and _modes(var) == {"secrets.json": 0o600}

    var.chmod(0o755)  # as an older Kinga left them
    (var / "secrets.json").chmod(0o644)
    Settings.from_env({"KINGA_VAR_DIR": str(var), "KINGA_SECRET_KEY": "new-in-the-env"})
    assert _mode(var) == 0o700 and _modes(var) == {"secrets.json": 0o600}


def test_the_sqlite_database_and_its_wal_are_private(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'kinga.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:  # WAL and shared memory exist while a connection is open
        connection.execute(text("CREATE TABLE scratch (x INTEGER)"))
        connection.execute(text("INSERT INTO scratch VALUES (1)"))
        assert _modes(tmp_path) == {"kinga.db": 0o600, "kinga.db-wal": 0o600, "kinga.db-shm": 0o600}
    engine.dispose()

    (tmp_path / "kinga.db").chmod(0o644)  # made by an older Kinga
    make_engine(url).dispose()
    assert _mode(tmp_path / "kinga.db") == 0o600


def test_the_embedded_redis_writes_only_private_files(tmp_path) -> None:
    var = tmp_path / "var"
    url = embedded_redis_url(var)
    try:
        client = redis.Redis.from_url(url)
        client.set("kinga:test", "x")
        client.bgrewriteaof()
        client.save()
        assert embedded_redis_url(var) == url  # one server per folder
        assert EmbeddedRedis(var.resolve()).answers()
        client.close()
    finally:
        stop_embedded_redis(var)
    assert _mode(var) == 0o700
    modes = _modes(var)
    assert {"redis.db", "appendonly.aof", "redis.log", "redis.lock"} <= set(modes)
    assert {name: mode for name, mode in modes.items() if mode != 0o600} == {}


def test_an_older_var_keeps_its_redis_data_and_is_tightened(tmp_path) -> None:
    """An older Kinga kept Redis's data as a world-readable snapshot only (no append-only
    file): it is loaded, written to a new append-only file, and made private."""
    var = tmp_path / "var"
    server = EmbeddedRedis(var)
    process = server.spawn()
    client = redis.Redis(unix_socket_path=str(server.socket))
    client.set("kinga:test:old", "kept")
    client.save()
    client.close()
    server.stop(process)
    (var / "appendonly.aof").unlink()
    (var / "redis.db").chmod(0o644)
    var.chmod(0o755)

    process = server.spawn()
    try:
        client = redis.Redis(unix_socket_path=str(server.socket))
        assert client.get("kinga:test:old") == b"kept"
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        client.close()
    finally:
        server.stop(process)
    assert _mode(var) == 0o700 and _mode(var / "redis.db") == 0o600
    assert (var / "appendonly.aof").exists()
