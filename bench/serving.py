"""What the HTTP benchmarks share: a gunicorn launcher and a keep-alive load generator.

Every figure is measured against a bare Flask endpoint served the same way in the same run,
so the ratio means something on a shared, noisy machine.
"""

from __future__ import annotations

import http.client
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Request = Callable[[int], tuple[str, bytes, dict[str, str]]]


def load(
    port: int,
    request: Request,
    seconds: float,
    clients: int,
) -> float:
    """Requests per second from ``clients`` keep-alive connections for ``seconds``;
    ``request(n)`` builds the n-th request (path, body, headers)."""
    done = [0] * clients
    counter = itertools.count()
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    failures: list[int] = []

    def run(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            with lock:
                n = next(counter)
            path, body, headers = request(n)
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
            done[i] += 1
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = sum(done) / (time.monotonic() - started)
    if failures:
        print(f"  ({len(failures)} answers were not 200, e.g. {failures[0]})")
    return rate


def gunicorn(app: str, port: int, env: dict[str, str], cwd: Path) -> Callable[[], None]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--log-level", "warning", app],
        env={**os.environ, **env, "PYTHONPATH": f"{cwd}:{ROOT}"},
        cwd=cwd,
    )  # fmt: skip
    for _ in range(200):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
            break
        except OSError:
            time.sleep(0.1)
    else:
        raise RuntimeError(f"{app} did not start")

    def stop() -> None:
        process.terminate()
        process.wait()

    return stop
