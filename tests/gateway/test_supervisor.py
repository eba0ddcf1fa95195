"""The back-off of ``kinga run``'s supervisor, on real child processes and a clock of its own."""

from __future__ import annotations

import re
import subprocess
import sys

from processes import wait_until

from gateway.cli.supervisor import STABLE_SECONDS, Child, Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _exits(code: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", f"raise SystemExit({code})"])


def test_a_child_that_keeps_dying_is_restarted_later_and_later_then_from_the_start() -> None:
    said: list[str] = []
    clock = Clock()
    child = Child("worker", lambda: _exits(3))
    supervisor = Supervisor([child], said.append, clock)
    supervisor.start()
    delays = []
    for _ in range(7):
        process = child.process
        assert process is not None
        wait_until(lambda p=process: p.poll() is not None, "the child to exit")
        supervisor.check()  # its death is noticed ...
        assert child.process is None
        delays.append(said[-1].rsplit("restarting in ", 1)[1])
        supervisor.check()  # ... and it is not started again before its time
        assert child.process is None and child.restart_at is not None
        clock.now = child.restart_at
        supervisor.check()
        assert child.process is not None and said[-1].startswith("worker restarted (pid ")
    assert delays == ["1 s", "2 s", "4 s", "8 s", "16 s", "30 s", "30 s"]
    assert re.fullmatch(r"worker \(pid \d+\) exited with status 3; restarting in 1 s", said[0])

    clock.now += STABLE_SECONDS  # it ran for a minute: the next death starts from 1 s again
    assert child.process is not None
    wait_until(lambda: child.process is not None and child.process.poll() is not None, "exit")
    supervisor.check()
    assert said[-1].endswith("restarting in 1 s")
    supervisor.stop()


def test_stop_ends_every_child_and_cancels_restarts() -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    children = [
        Child(name, lambda: subprocess.Popen(sleeper)) for name in ("redis", "worker", "gateway")
    ]
    supervisor = Supervisor(children, print)
    supervisor.start()
    processes = [child.process for child in children]
    supervisor.stop()
    assert all(process is not None and process.returncode == -15 for process in processes)
    assert all(child.process is None and child.restart_at is None for child in children)
    supervisor.check()
    assert all(child.process is None for child in children)
