"""``kinga worker --count N``: N workers under one process, each started again if it dies, all
stopped with it. Real processes; the waits only bound a hang, nothing is timed.

The workers get a database of their own (``own_database``): processes that exit cleanly close
their SQLite connections, and a process closing the last connection it sees deletes the WAL
(the suite's own process, which opens its database file in other tests, does not always hold
the lock that would stop it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import alive, child_env, wait_until
from rq import Worker

from case_store import migrate


@pytest.fixture
def own_database(empty_database_url: str) -> str:
    migrate.upgrade(empty_database_url)
    return empty_database_url


def worker_env(settings, database_url: str, tmp_path: Path) -> dict[str, str]:
    env = child_env()
    env.update(
        KINGA_ENV="test",
        KINGA_VAR_DIR=str(tmp_path / "var"),
        KINGA_DATABASE_URL=database_url,
        KINGA_REDIS_URL=settings.redis_url,
        KINGA_SECRET_KEY=settings.secret_key,
        KINGA_ENCRYPTION_KEYS=",".join(settings.encryption_keys),
        KINGA_PHONE_HASH_KEY=settings.phone_hash_key,
        KINGA_AT_WEBHOOK_KEY=settings.at_webhook_key,
    )
    return env


def kinga_worker(
    settings, database_url: str, tmp_path: Path, *args: str
) -> subprocess.Popen[bytes]:
    with (tmp_path / "worker.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", "worker", *args],
            env=worker_env(settings, database_url, tmp_path),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def three_workers(
    settings, own_database, redis_client, tmp_path
) -> Iterator[subprocess.Popen[bytes]]:
    process = kinga_worker(settings, own_database, tmp_path, "--count", "3")
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def registered(redis_client, count: int, dead: int = 0) -> set[int] | None:
    """The pids of the ``count`` live workers registered in Redis, once there are that many."""
    pids = {worker.pid for worker in Worker.all(connection=redis_client)} - {dead}
    return pids if len(pids) == count else None


def test_count_runs_that_many_workers_restarts_one_that_dies_and_stops_them_all(
    three_workers, redis_client, tmp_path
):
    first = wait_until(lambda: registered(redis_client, 3), "three registered workers")
    killed = min(first)
    os.kill(killed, signal.SIGKILL)
    again = wait_until(
        lambda: registered(redis_client, 3, dead=killed), "the dead worker to be replaced"
    )
    assert len(again & first) == 2
    three_workers.send_signal(signal.SIGTERM)
    assert three_workers.wait(timeout=60) == 0
    assert not any(alive(pid) for pid in again)
    output = (tmp_path / "worker.log").read_text()
    assert f"(pid {killed}) was killed by SIGKILL; restarting" in output


def test_count_with_burst_returns_once_every_worker_has_emptied_the_queues(
    settings, own_database, redis_client, tmp_path
):
    process = kinga_worker(settings, own_database, tmp_path, "--count", "2", "--burst")
    assert process.wait(timeout=120) == 0, (tmp_path / "worker.log").read_text()
