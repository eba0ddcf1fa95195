"""PostgreSQL stopped and started again while callers file reports through a real gateway.

A PostgreSQL server of the test's own (``initdb`` into a temporary folder, on a free loopback
port; as the ``postgres`` account when the suite runs as root, since PostgreSQL refuses to run
as root) serves one ``kinga serve``; Redis is the suite's. Six callers at a time file 30
whole USSD reports; once some are cases, the server is stopped the way a crash stops it
(``pg_ctl stop -m immediate``: no checkpoint, connections cut). While it is down, a caller
meets the polite "try again" ``END`` (the hops that need the database; the others go on from
Redis), an SMS webhook gets a 503 the provider retries, and ``/readyz`` says the database is
down. The server is started again, crash recovery and all, and nobody touches the gateway:
``/readyz`` is ready again, every caller who was turned away dials again and files the report,
every reference a caller was told is a case, each with its alert queued, and nothing of the
probe's is in the server's rows in plain text.

The machine's own PostgreSQL is shared by every run on it, so it is never the one stopped.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from callers import Callers
from delivered import references
from plain_text import in_rows
from probe_data import DB_OUTAGE_PHONES
from processes import wait_until
from rq.job import Job
from sms_client import AT_KEY
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from staff import CASEWORKER_PHONE, MOMBASA, add_staff
from web_processes import WebProcess, free_port, serve_env

from case_store import migrate
from case_store.db import make_engine, make_sessionmaker
from case_store.models import OutboxRow
from case_store.operations.outbox import outbox_job_id
from gateway import create_app
from workers.dispatch import sweep

REPORTS, AT_ONCE = len(DB_OUTAGE_PHONES), 6
SERVER_ACCOUNT = "postgres"  # the Debian packages' account, for a suite run as root


def server_programs() -> Path | None:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``: ``pg_config``'s, else the
    newest of Debian's versioned folders."""
    found = shutil.which("pg_config")
    if found:
        named = subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout
        if (Path(named.strip()) / "initdb").exists():
            return Path(named.strip())
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda f: int(f.split("/")[4]))
    return Path(folders[-1]) if folders else None


class OwnPostgres:
    """A PostgreSQL cluster of the test's own: initialised, started, stopped as by a crash."""

    def __init__(self, programs: Path) -> None:
        self.programs, self.port = programs, free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="kinga-pg-"))
        self.data, self.log = self.folder / "data", self.folder / "server.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, SERVER_ACCOUNT)
        self._run("initdb", "--pgdata", str(self.data), "--auth", "trust",
                  "--username", "postgres", "--no-sync", "--encoding", "UTF8")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/kinga"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.programs / program), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVER_ACCOUNT, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{program}: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run("pg_ctl", "--pgdata", str(self.data), "--log", str(self.log),
                  "--options", options, "--wait", "start")  # fmt: skip

    def crash(self) -> None:
        self._run("pg_ctl", "--pgdata", str(self.data), "--mode", "immediate", "stop")

    def stop(self) -> None:
        self._run("pg_ctl", "--pgdata", str(self.data), "--mode", "fast", "stop")

    def create_database(self) -> None:
        server = create_engine(
            self.url.rsplit("/", 1)[0] + "/postgres", poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
        )  # fmt: skip
        with server.connect() as connection:
            connection.execute(text("CREATE DATABASE kinga"))
        server.dispose()
        migrate.upgrade(self.url)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    programs = server_programs()
    if programs is None:
        pytest.skip("no PostgreSQL server programs (initdb, pg_ctl) on this machine")
    server = OwnPostgres(programs)
    try:
        server.start()
        server.create_database()
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def own_db(own_postgres: OwnPostgres) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(own_postgres.url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def gateway(settings, own_postgres: OwnPostgres, tmp_path: Path) -> Iterator[WebProcess]:
    env = serve_env(settings) | {"KINGA_DATABASE_URL": own_postgres.url}
    web = WebProcess.start(env, tmp_path, "gateway")
    yield web
    web.stop()


def readiness(gateway: WebProcess) -> int:
    try:
        with urlopen(f"http://127.0.0.1:{gateway.port}/readyz", timeout=30) as answer:
            return int(answer.status)
    except HTTPError as refused:
        return refused.code


def test_callers_are_turned_away_politely_and_the_gateway_recovers_by_itself(
    settings, db, redis_client, own_postgres, own_db, gateway
) -> None:
    own = create_app(dataclasses.replace(settings, database_url=own_postgres.url))
    add_staff(own, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    own.extensions["kinga"].engine.dispose()
    callers = Callers(gateway, DB_OUTAGE_PHONES, "pg_outage")
    sms = {"from": DB_OUTAGE_PHONES[0], "to": "40404", "text": "HELP", "id": "ATXid_pg_outage",
           "date": "2026-03-02 09:30:00", "networkCode": "63902"}  # fmt: skip
    with ThreadPoolExecutor(AT_ONCE) as pool:
        filed = [pool.submit(callers.report, n) for n in range(REPORTS)]
        wait_until(lambda: len(references(own_db)) >= 3, "the first cases")
        own_postgres.crash()
        wait_until(lambda: callers.turned_away > 0, "a caller to meet the outage")
        down_ready, down_sms = (
            readiness(gateway),
            gateway.post(f"/sms/africastalking/inbound?key={AT_KEY}", sms),
        )
        own_postgres.start()
        wait_until(lambda: readiness(gateway) == 200, "/readyz to be ready again by itself")
        for report in filed:
            report.result()

    assert down_ready == 503
    assert down_sms.status == 503  # the provider sends it again
    assert callers.turned_away > 0
    assert len(callers.told) == REPORTS == len(set(callers.told))
    assert set(callers.told) <= set(references(own_db))
    # The SMS the provider sends again once the database is back is taken, once.
    assert gateway.post(f"/sms/africastalking/inbound?key={AT_KEY}", sms).status == 200

    sweep(own_db, redis_client, now=datetime.now(UTC) + timedelta(minutes=5))
    with own_db() as session:
        rows = session.query(OutboxRow).all()
    assert rows and all(row.dispatched_at is not None for row in rows)
    assert all(Job.exists(outbox_job_id(row), connection=redis_client) for row in rows)
    assert in_rows(own_db) == []
