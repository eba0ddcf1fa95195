"""After the whole session: none of the probe's numbers, nor its place, narrative and note
mark, is anywhere in plain text (``leaks.py`` says where it looks). Runs last (conftest).

Each place searched is first shown to find a needle planted in it, so a search that can no
longer see (a moved file, a watch no longer installed) fails instead of passing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from leaks import WATCH, files_under, needles_in, needles_in_files
from probe_data import MARK
from sqlalchemy import select, text

from case_store.base import Base
from case_store.db import make_engine
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
    """Every column of every row (SQLite's file is searched whole, with the files)."""
    if url.startswith("sqlite"):
        return []
    engine = make_engine(url)
    found = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                found += [f"{table.name}: {n}" for n in needles_in(repr(tuple(row)))]
    engine.dispose()
    return found


def _in_redis(url: str) -> list[str]:
    client = redis_from_url(url)
    found = []
    for key in client.scan_iter(count=1000):
        dumped = client.dump(key) or b""
        found += [f"redis {key!r}: {n}" for n in needles_in(repr(key) + repr(dumped))]
    client.close()
    return found
