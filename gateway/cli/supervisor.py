"""``kinga run``'s children: kept running while it runs, and never outliving it.

Each child is started in a process group of its own, so a Ctrl-C at the terminal reaches only
``kinga run``, which then stops its children in order (the last started first: the gateway,
then the worker, then Redis). Each one is also started with Linux's parent-death signal
(``workers.lifetime``): if ``kinga run`` dies without stopping them, even by SIGKILL, the
kernel sends each child SIGTERM and it stops cleanly with whatever it started itself (gunicorn
its workers; the RQ worker its work horse and scheduler). That is why no watchdog process or
group-wide signal is used: the kernel signal cannot be lost with the process that would send it,
and a process group also holds the terminal's ``make``.

A child that dies while ``kinga run`` runs is started again after a back-off (1 s, doubling to
30 s; a child that had run for a minute starts again from 1 s), and both are logged. The RQ
worker restarts its own scheduler process (RQ's maintenance); the embedded Redis starts again
from its own data in ``var/``.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_SECONDS = 60.0
STOP_GRACE_SECONDS = 10.0

Spawn = Callable[[], "subprocess.Popen[bytes]"]


@dataclass
class Child:
    name: str
    spawn: Spawn
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


class Supervisor:
    def __init__(
        self,
        children: Sequence[Child],
        say: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = list(children)
        self.say = say
        self.clock = clock

    def start(self) -> None:
        """Start every child, in order (one that fails to start fails ``kinga run``)."""
        for child in self.children:
            self._start(child)

    def check(self) -> None:
        """Notice children that died, and start again those whose back-off is over."""
        now = self.clock()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                if now - child.started_at >= STABLE_SECONDS:
                    child.backoff = BACKOFF_FIRST
                self.say(
                    f"{child.name} (pid {child.process.pid}) {_ended(child.process.returncode)}; "
                    f"restarting in {child.backoff:g} s"
                )
                child.process = None
                child.restart_at = now + child.backoff
                child.backoff = min(child.backoff * 2, BACKOFF_MAX)
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                try:
                    self._start(child)
                except Exception as exc:  # a failure to start is retried like a death
                    self.say(f"{child.name} did not start ({exc}); retrying in {child.backoff:g} s")
                    child.restart_at = now + child.backoff
                    child.backoff = min(child.backoff * 2, BACKOFF_MAX)
                    continue
                self.say(f"{child.name} restarted (pid {child.pid})")

    def stop(self) -> None:
        """SIGTERM each child, the last started first; SIGKILL any still there after a grace."""
        for child in reversed(self.children):
            child.restart_at = None
            process, child.process = child.process, None
            if process is None:
                continue
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} (pid {process.pid}) did not stop; killing it")
                process.kill()
                process.wait()

    def _start(self, child: Child) -> None:
        child.restart_at = None
        child.process = child.spawn()
        child.started_at = self.clock()


def _ended(returncode: int) -> str:
    if returncode >= 0:
        return f"exited with status {returncode}"
    try:
        return f"was killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"was killed by signal {-returncode}"
