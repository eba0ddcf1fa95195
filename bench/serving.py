"""What the HTTP benchmarks share: gunicorn servers, the wrk load generator, CPU pinning and
interleaved rounds.

Every served figure is measured against references served the same way in the same run
(``reference_apps.py``), round after round in turn (A, B, C, then B, C, A, ...), and reported
as the median of its rounds: on a shared machine the absolute figures move with the
neighbours' load, the ratios much less.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
GUNICORN_CONFIG = "python:gateway.gunicorn_config"
START_SECONDS = 60


class BenchError(RuntimeError):
    """The bench cannot run as asked; the message says why and what to do."""


# --- tools and cores ----------------------------------------------------------------------------


def ensure_tool(command: str, package: str) -> str:
    """The path of ``command``, installing its Debian ``package`` first when it is missing and
    this process may (root with apt-get)."""
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing {package} (apt-get install -y {package}) ...", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", package], check=False, stdout=subprocess.DEVNULL
        )
        found = shutil.which(command)
        if found:
            return found
    raise BenchError(
        f"{command} is needed and could not be installed: run `apt-get install -y {package}` "
        "(or your system's equivalent) and try again"
    )


@dataclass(frozen=True)
class Cores:
    """The CPUs the load generator and the servers (gunicorn, Redis) run on."""

    client: tuple[int, ...]
    server: tuple[int, ...]
    pinned: bool

    @classmethod
    def split(cls) -> Cores:
        """A quarter of the CPUs (at least one) for wrk, the rest for the servers, pinned with
        ``taskset`` when it and at least two CPUs are available; otherwise nothing is pinned."""
        available = tuple(sorted(os.sched_getaffinity(0)))
        if len(available) < 2 or shutil.which("taskset") is None:
            return cls(available, available, pinned=False)
        client = max(1, len(available) // 4)
        return cls(available[:client], available[client:], pinned=True)

    def prefix(self, side: tuple[int, ...]) -> list[str]:
        if not self.pinned:
            return []
        return ["taskset", "-c", ",".join(map(str, side))]

    def describe(self) -> str:
        if not self.pinned:
            return f"not pinned: wrk and servers share {len(self.client)} CPU(s)"
        return (
            f"pinned with taskset: wrk on CPU {_cpus(self.client)}, gunicorn and Redis on "
            f"CPU {_cpus(self.server)}"
        )

    def pin_here(self) -> Callable[[], None] | None:
        """For ``preexec_fn``: the child runs on the server CPUs (what taskset does)."""
        if not self.pinned:
            return None
        server = set(self.server)
        return lambda: os.sched_setaffinity(0, server)


def _cpus(cpus: tuple[int, ...]) -> str:
    return ",".join(map(str, cpus))


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Gunicorn:
    """One gunicorn master serving ``app`` with Kinga's configuration (as ``kinga serve``)."""

    name: str
    app: str
    env: Mapping[str, str]
    cores: Cores
    log: Path
    pythonpath: str = f"{ROOT}:{BENCH}"
    cwd: Path = ROOT
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        command = [
            *self.cores.prefix(self.cores.server),
            sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG,
            "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", self.app,
        ]  # fmt: skip
        env = {
            **os.environ,
            **self.env,
            "PYTHONPATH": self.pythonpath,
            "XDG_RUNTIME_DIR": str(self.log.parent),  # gunicorn's control socket
        }
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, env=env, cwd=self.cwd, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310 (our loopback)
                    pass
                break
            except URLError as error:
                if getattr(error, "code", None) is not None:  # any HTTP answer: it is up
                    break
                self._check_alive(deadline)
            except OSError:
                self._check_alive(deadline)
        return self

    def _check_alive(self, deadline: float) -> None:
        assert self.process is not None
        if self.process.poll() is not None or time.monotonic() > deadline:
            self.stop()
            tail = self.log.read_text(errors="replace")[-2000:]
            raise BenchError(f"{self.name} did not start; its log ends with:\n{tail}")
        time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker process, in MiB."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def serving(servers: list[Gunicorn]) -> Iterator[list[Gunicorn]]:
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


# --- wrk ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """One wrk run's figures (latencies in milliseconds)."""

    requests: int
    seconds: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    errors: int
    non_2xx: int
    reports: int
    bad: int
    first_bad: str
    connections: int
    rate_asked: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "rate": round(self.rate, 1)}


@dataclass(frozen=True)
class Wrk:
    """wrk driving ``script`` with ``connections`` connections, one per thread (a Lua state per
    thread, so each connection follows its own session), on the client CPUs."""

    path: str
    cores: Cores
    connections: int
    timeout: float = 10

    def run(
        self,
        url: str,
        script: Path,
        seconds: float,
        env: Mapping[str, str],
        rate: float | None = None,
    ) -> Load:
        """``rate``: requests per second in all, spread over the connections (a fixed schedule,
        see ussd.lua), instead of as fast as the server answers."""
        variables = {**os.environ, **env, "BENCH_THREADS": str(self.connections)}
        if rate:
            variables["BENCH_RATE"] = f"{rate / self.connections:.3f}"
        command = [
            *self.cores.prefix(self.cores.client),
            self.path, "-t", str(self.connections), "-c", str(self.connections),
            "-d", f"{max(1, round(seconds))}s", "--timeout", f"{self.timeout:g}s",
            "-s", str(script), url,
        ]  # fmt: skip
        done = subprocess.run(command, env=variables, capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            if line.startswith("BENCH_RESULT "):
                raw = json.loads(line.removeprefix("BENCH_RESULT "))
                return Load(
                    requests=raw["requests"],
                    seconds=raw["duration_us"] / 1e6,
                    p50=raw["p50_us"] / 1000,
                    p90=raw["p90_us"] / 1000,
                    p95=raw["p95_us"] / 1000,
                    p99=raw["p99_us"] / 1000,
                    max=raw["max_us"] / 1000,
                    errors=raw["socket_errors"],
                    non_2xx=raw["non_2xx"],
                    reports=raw["reports"],
                    bad=raw["bad"],
                    first_bad=raw["first_bad"].strip(),
                    connections=self.connections,
                    rate_asked=rate,
                )
        raise BenchError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")


# --- rounds -------------------------------------------------------------------------------------


def interleaved(runs: Mapping[str, Callable[[], Load]], rounds: int) -> dict[str, list[Load]]:
    """Each run once per round, the order turned by one each round (A B C, B C A, C A B)."""
    names = list(runs)
    results: dict[str, list[Load]] = {name: [] for name in names}
    for n in range(rounds):
        order = names[n % len(names) :] + names[: n % len(names)]
        for name in order:
            results[name].append(runs[name]())
    return results


def median_ratio(loads: list[Load], references: list[Load]) -> float:
    """The median over rounds of this round's rate over the reference's in the same round."""
    return statistics.median(
        load.rate / reference.rate for load, reference in zip(loads, references, strict=True)
    )


def median_load(loads: list[Load]) -> Load:
    """The round with the median rate (its latencies come with it)."""
    ordered = sorted(loads, key=lambda load: load.rate)
    return ordered[(len(ordered) - 1) // 2]


def median_of(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan
