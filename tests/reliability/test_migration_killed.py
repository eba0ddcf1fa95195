"""``kinga db upgrade`` SIGKILLed part way on an empty database, then run again.

The upgrade runs in a process of its own (``case_store.migrate.upgrade``, as ``kinga db
upgrade`` runs it) on a database of the test's own, and is SIGKILLed at seeded random points
within the time a whole upgrade takes, several times over; each run starts from what the one
before left. A last run, left alone, completes, and the database is at the head revision with
every table of the models. On PostgreSQL the upgrade is one transaction: a killed run leaves
nothing. On SQLite each migration commits with its revision (the migrations' ``env.py`` opens
SQLite's transaction before DDL too): a killed run leaves the migrations it finished.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from case_store import migrate
from case_store.base import Base

KILLS, SEED = 4, 17
UPGRADE = (
    "import sys; from case_store import migrate; print(flush=True); migrate.upgrade(sys.argv[1])"
)


def upgrade(url: str) -> subprocess.Popen[bytes]:
    """An upgrade process, once it has imported everything and begins migrating."""
    process = subprocess.Popen(
        [sys.executable, "-c", UPGRADE, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.readline()
    return process


def completes(process: subprocess.Popen[bytes]) -> None:
    _, error = process.communicate(timeout=120)
    assert process.returncode == 0, error.decode()


def tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_upgrade_killed_part_way_completes_when_run_again(
    empty_database_url: str, tmp_path: Path
) -> None:
    # The migrations alone on a SQLite file of the test's own set the span the kills fall in.
    rehearsal = upgrade(f"sqlite:///{tmp_path / 'rehearsal.db'}")
    started = time.monotonic()
    completes(rehearsal)
    span = time.monotonic() - started
    postgres = empty_database_url.startswith("postgresql")
    # On SQLite a new file for each kill; on PostgreSQL the one schema of the test's own.
    urls = [empty_database_url] if postgres else [
        f"sqlite:///{tmp_path / f'killed{n}.db'}" for n in range(KILLS)
    ]  # fmt: skip
    rng = random.Random(SEED)
    cut_off = []  # what each run killed before it finished left: (revision, tables)
    for url in urls:
        process = upgrade(url)
        time.sleep(rng.uniform(0.1, 0.6) * span)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.returncode == -signal.SIGKILL:
            cut_off.append((migrate.current(url), tables(url)))

        completes(upgrade(url))
        assert migrate.current(url) == migrate.head()
        assert tables(url) == {*Base.metadata.tables, "alembic_version"}
    assert cut_off  # a run was killed part way
    if postgres:  # one transaction: nothing of the killed run was kept
        assert cut_off == [(None, set())]
