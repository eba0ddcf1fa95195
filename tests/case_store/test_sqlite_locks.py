"""A second engine on a SQLite database this process already has open leaves its locks alone.

Building an engine makes sure the database file is private (``private_sqlite_file``). Opening
and closing a descriptor of that file would drop every SQLite lock the process holds on it
(POSIX locks belong to the process, not to the descriptor): another process closing its last
connection then believes it is alone, checkpoints and deletes the WAL and shared memory under
the first process's connections, whose next statement fails ("disk I/O error", "database disk
image is malformed"). Tests and tools build many engines on one file; so may any process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from case_store.db import make_engine

# Another process: one connection, one read, closed (its engine's last connection).
OTHER_PROCESS = """
import sys
from sqlalchemy import text
from case_store.db import make_engine
engine = make_engine(sys.argv[1])
with engine.connect() as conn:
    conn.execute(text("SELECT count(*) FROM note"))
engine.dispose()
"""


def test_another_process_closing_its_connection_keeps_our_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locks.db'}"
    first = make_engine(url)
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY)"))
            conn.execute(text("INSERT INTO note DEFAULT VALUES"))
        make_engine(url).dispose()  # a second engine on the same file, as tests and tools build
        subprocess.run([sys.executable, "-c", OTHER_PROCESS, url], check=True, timeout=60)
        assert (tmp_path / "locks.db-wal").exists()
        with first.begin() as conn:
            conn.execute(text("INSERT INTO note DEFAULT VALUES"))
            assert conn.execute(text("SELECT count(*) FROM note")).scalar_one() == 2
    finally:
        first.dispose()
