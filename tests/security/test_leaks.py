"""After the whole session: none of the probe's numbers, nor its place, narrative and note
mark, is anywhere in plain text, and no secret of the suite's settings or the fake providers'
is in a log record, SQL statement or file (``leaks.py`` says where it looks). Runs last
(conftest).

Each place searched is first shown to find a needle planted in it, so a search that can no
longer see (a moved file, a watch no longer installed) fails instead of passing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from leaks import SECRETS, WATCH, files_under, needles_in_files, secrets_in
from plain_text import in_redis, in_rows
from probe_data import MARK
from sqlalchemy import select, text

from case_store.db import make_engine, make_sessionmaker
from gateway.config.redis import redis_from_url

ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts"


def test_each_search_finds_what_is_planted(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> None:
    before = len(WATCH.found)
    logging.getLogger("kinga.leak_check").warning("planted %s", MARK)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        conn.execute(select(text(":planted")), {"planted": MARK})
    engine.dispose()
    caught = WATCH.found[before:]
    assert [entry.split()[0] for entry in caught] == ["log", "SQL"], caught
    del WATCH.found[before:]
    for secret in SECRETS:
        logging.getLogger("kinga.leak_check").warning("planted %s", secret)
    caught = WATCH.found[before:]
    assert caught == [f"log kinga.leak_check: {secrets_in(s)[0]}" for s in SECRETS], caught
    del WATCH.found[before:]
    planted = tmp_path_factory.mktemp("planted") / "artefact.log"
    planted.write_text(f"caller {MARK}")
    assert needles_in_files(files_under(planted.parent)) == [f"{planted}: {MARK}"]
    planted.unlink()


def test_nothing_personal_is_left_in_plain_text(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str
) -> None:
    basetemp = tmp_path_factory.getbasetemp()
    found = list(WATCH.found)
    found += needles_in_files(files_under(basetemp, ARTEFACTS))
    found += _in_database(database_url)
    if not redis_url.startswith("unix://"):  # a server of its own: its files are not ours
        found += _in_redis(redis_url)
    assert found == []


def _in_database(url: str) -> list[str]:
    """Every row (SQLite's file is searched whole, with the files)."""
    if url.startswith("sqlite"):
        return []
    engine = make_engine(url)
    try:
        return in_rows(make_sessionmaker(engine))
    finally:
        engine.dispose()


def _in_redis(url: str) -> list[str]:
    client = redis_from_url(url)
    try:
        return in_redis(client)
    finally:
        client.close()
