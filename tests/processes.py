"""Real processes for the tests that kill them: their children through /proc, and waiting for
a condition with a deadline (the deadline only bounds a hang; it asserts no timing)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
DEADLINE = 60.0  # seconds; far beyond what any condition here needs on a loaded machine
POLL = 0.05


def wait_until(condition: Callable[[], T], what: str, deadline: float = DEADLINE) -> T:
    """Poll ``condition`` until it returns something true, and return that."""
    give_up = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(POLL)


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[1] == pid and stat[0] not in ("Z", "X"):
                found.add(int(entry))
    return found


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [part.decode() for part in raw.split(b"\0") if part]


def child_env() -> dict[str, str]:
    """This process's environment for a Kinga process the test starts, without its settings
    (``KINGA_*``) and without the test process's metrics folder: a gateway or worker cleans the
    folder it is given at start, and this process's files there are memory-mapped (a child
    deleting them under it kills it with SIGBUS)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("KINGA_") and name != "PROMETHEUS_MULTIPROC_DIR"
    }
