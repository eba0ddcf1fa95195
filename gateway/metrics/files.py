"""prometheus-client's multiprocess mode: each process (gunicorn's workers, ``kinga worker``
and the work horse RQ forks for each job) writes its counters to its own files in
``PROMETHEUS_MULTIPROC_DIR``, and a scrape adds them up.

``kinga serve``, ``kinga run`` and ``kinga worker`` call ``prepare`` before starting the
processes that count: when the variable is not set it becomes ``var/metrics`` (private, like
all of ``var/``), cleaned of what processes no longer running left there. A process started
with it set (``kinga run``'s children, or an operator's own choice) uses it as it is. The
web app and the workers of one host thus share one directory, and ``/metrics`` shows the
jobs' counters too. A worker on another host keeps its own.

RQ forks a work horse for every job, so files of dead processes pile up. Each scrape first
folds the counters and histograms of dead processes into one archive file per type and removes
their files (``compact``), under a lock that keeps two scrapes from doing it at once. A
process's files are its alone while it lives, so a living one is never touched. gunicorn's
``child_exit`` hook calls ``mark_process_dead`` for a web worker that stopped, as
prometheus-client asks.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prometheus_client import mmap_dict, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from gateway.config.settings import private_dir

ENV = "PROMETHEUS_MULTIPROC_DIR"
FOLDER = "metrics"
LOCK = ".lock"
ARCHIVE = "archive"
# Values that only add up: a dead process's share of them can be folded into an archive.
ADDITIVE = ("counter", "histogram")
# prometheus-client's file format and its sum over files, which it leaves untyped.
MmapedDict: Any = mmap_dict.MmapedDict
MultiProcessCollector: Any = multiprocess.MultiProcessCollector


def prepare(var_dir: Path) -> Path:
    """The directory this process and its children count in, set in the environment."""
    given = os.environ.get(ENV)
    if given:
        return Path(given)
    path = private_dir(var_dir / FOLDER)
    with _locked(path):
        for file in path.glob("*.db"):
            pid = _pid(file)
            if pid is None or not _alive(pid):
                file.unlink(missing_ok=True)
    os.environ[ENV] = str(path)
    return path


def compact(path: Path) -> int:
    """Fold the counters and histograms of dead processes into the archives; how many files
    were folded. The caller holds the lock."""
    folded = 0
    for kind in ADDITIVE:
        for file in sorted(path.glob(f"{kind}_*.db")):
            pid = _pid(file)
            if pid is None or _alive(pid):
                continue
            archive = MmapedDict(str(path / f"{kind}_{ARCHIVE}.db"))
            try:
                for key, value, _timestamp, _position in MmapedDict.read_all_values_from_file(
                    str(file)
                ):
                    total, _ = archive.read_value(key)
                    archive.write_value(key, total + value, 0.0)
            finally:
                archive.close()
            file.unlink()
            folded += 1
    return folded


def process_ended(pid: int) -> None:
    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class FilesCollector(Collector):
    """prometheus-client's own sum over the files, after folding the dead processes' ones."""

    def __init__(self, path: Path) -> None:
        self.folder = path
        self.files = MultiProcessCollector(None, path=str(path))

    def collect(self) -> Iterable[Metric]:
        with _locked(self.folder):
            compact(self.folder)
            return list(self.files.collect())


def _pid(file: Path) -> int | None:
    """The process a file belongs to (``counter_1234.db``); None for an archive."""
    tail = file.stem.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return True


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
