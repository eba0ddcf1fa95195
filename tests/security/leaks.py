"""Where personal data or a secret could leak, watched for the whole session and searched at
its end.

From the moment the security tests are collected, every log record (as masked, the form any
handler gets) and every SQL statement with its parameters, of this process, are searched for
the probe's numbers and mark (``probe_data.NEEDLES``) and for the suite's keys and the fake
providers' credentials (``SECRETS``). At the end the files are searched: the
session's temporary folder (the SQLite database and its journal, the embedded Redis's
append-only file, which keeps every write ever made even after a flush, the gateways' and
workers' logs), and ``artefacts/`` when a run left one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import suite_keys
from fakes import AT_API_KEY, TWILIO_AUTH_TOKEN
from plain_text import needles_in
from probe_data import NEEDLES
from sqlalchemy import Engine, event

SECRETS = (*suite_keys.SECRETS, AT_API_KEY, TWILIO_AUTH_TOKEN)
NEEDLE_BYTES = tuple(needle.encode() for needle in (*NEEDLES, *SECRETS))


def secrets_in(text: str) -> list[str]:
    """Which secrets ``text`` holds, each named by its first four characters only."""
    return [f"secret {secret[:4]}…" for secret in SECRETS if secret in text]


class Watch(logging.Handler):
    """Keeps each log record and SQL statement of this process that holds a needle."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.found: list[str] = []
        self.installed = False

    def install(self) -> None:
        if not self.installed:
            logging.getLogger().addHandler(self)
            event.listen(Engine, "before_cursor_execute", self.statement)
            self.installed = True

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (record.exc_text or "")
        for needle in needles_in(text) + secrets_in(text):
            self.found.append(f"log {record.name}: {needle}")

    def statement(self, _conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        text = sql + repr(parameters)
        for needle in needles_in(text) + secrets_in(text):
            self.found.append(f"SQL {sql.split()[0]} {sql[:60]!r}: {needle}")


WATCH = Watch()


def files_under(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        if folder.is_dir():
            yield from (path for path in folder.rglob("*") if path.is_file())


def needles_in_files(paths: Iterable[Path]) -> list[str]:
    found = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:  # a socket, or a file removed since
            continue
        found.extend(f"{path}: {n.decode()[:12]}" for n in NEEDLE_BYTES if n in data)
    return found
