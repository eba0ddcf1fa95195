"""``kinga run`` as a real process on embedded defaults: what it prints, the folder it keeps
private, and its children, restarted when they die and gone when it is killed."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
import redis
from processes import alive, child_env, children, command_line, descendants, wait_until

READY = "Kinga is running"


@dataclass
class KingaRun:
    process: subprocess.Popen[bytes]
    var: Path
    log: Path
    port: int

    @classmethod
    def start(cls, folder: Path, changes: Mapping[str, str | None] | None = None) -> KingaRun:
        """``kinga run`` on a free port with ``folder/var``; ``changes`` set (or, None, remove)
        variables of the environment it is given."""
        with socket.socket() as probe:  # a free port for the gateway
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = child_env()
        env["KINGA_VAR_DIR"] = str(folder / "var")
        for name, value in (changes or {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        log = folder / "kinga-run.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "run", "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        run = cls(process, folder / "var", log, port)
        try:
            wait_until(lambda: READY in run.output() or process.poll() is not None, "kinga run")
            assert READY in run.output(), run.output()
        except AssertionError:
            run.stop()
            raise
        return run

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def child(self, word: str) -> int:
        """The pid of the child with ``word`` in its command line (worker, redis-server)."""
        (pid,) = [p for p in children(self.process.pid) if word in _words(p)]
        return pid

    def ready(self) -> bool:
        try:
            with urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as answer:
                return answer.status == 200
        except (URLError, OSError):
            return False

    def stop(self, left: set[int] | None = None) -> None:
        """SIGTERM ``kinga run``, then SIGKILL whatever of ``left`` (its descendants by
        default) is still there: only after a failed test, but nothing may outlive the suite."""
        left = descendants(self.process.pid) if left is None else left
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        for pid in left:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def _words(pid: int) -> set[str]:
    return set(" ".join(command_line(pid)).replace("/", " ").split())


@pytest.fixture(scope="module")
def kinga_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KingaRun]:
    run = KingaRun.start(tmp_path_factory.mktemp("run"))
    yield run
    run.stop()


def test_the_banner_points_to_the_webhook_key_without_showing_it(kinga_run: KingaRun) -> None:
    key = json.loads((kinga_run.var / "secrets.json").read_text())["KINGA_AT_WEBHOOK_KEY"]
    output = kinga_run.output()
    assert key not in output
    assert "/ussd/africastalking?key=… " in output
    assert f"KINGA_AT_WEBHOOK_KEY in {kinga_run.var / 'secrets.json'}" in output


def test_the_banner_gives_the_console_and_it_answers(kinga_run: KingaRun) -> None:
    output = kinga_run.output()
    console = re.search(r"console +(http://127\.0\.0\.1:\d+/staff/)", output)
    assert console, output
    assert "kinga users create NAME --role admin --password-prompt" in output
    login = console.group(1).replace("/staff/", "/staff/login")
    with urlopen(login, timeout=10) as page:  # noqa: S310 (our own loopback address)
        assert page.status == 200 and b"Sign in to the Kinga console" in page.read()


def test_var_is_the_owners_alone(kinga_run: KingaRun) -> None:
    assert stat.S_IMODE(kinga_run.var.stat().st_mode) == 0o700
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in kinga_run.var.iterdir()}
    assert {"secrets.json", "kinga.db", "redis.sock", "appendonly.aof", "redis.log"} <= set(modes)
    assert modes.get("metrics") == 0o700  # the metrics folder of its processes
    assert {name: mode for name, mode in modes.items() if mode != 0o600} == {"metrics": 0o700}


def test_a_worker_that_dies_is_restarted_and_logged(kinga_run: KingaRun) -> None:
    worker = kinga_run.child("worker")
    os.kill(worker, signal.SIGKILL)
    wait_until(
        lambda: (
            f"worker (pid {worker}) was killed by SIGKILL; restarting in 1 s" in kinga_run.output()
        ),
        "the death to be logged",
    )
    restarted = wait_until(
        lambda: "worker restarted" in kinga_run.output() and kinga_run.child("worker"),
        "a new worker",
    )
    assert restarted != worker and alive(restarted)


def test_a_gateway_that_dies_takes_its_web_workers_along_and_is_restarted(
    kinga_run: KingaRun,
) -> None:
    master = kinga_run.child("gunicorn")
    web_workers = children(master)
    assert len(web_workers) == 2
    os.kill(master, signal.SIGKILL)
    wait_until(lambda: not any(alive(pid) for pid in web_workers), "its web workers to stop")
    wait_until(lambda: "gateway restarted" in kinga_run.output(), "a new gateway")
    wait_until(kinga_run.ready, "the new gateway to answer")
    assert "Connection in use" not in kinga_run.output()


def test_a_redis_that_dies_is_restarted_from_its_own_data(kinga_run: KingaRun) -> None:
    client = redis.Redis(unix_socket_path=str(kinga_run.var / "redis.sock"))
    assert client.set("kinga:test:written-before-the-kill", "kept")
    server = kinga_run.child("redis-server")
    os.kill(server, signal.SIGKILL)
    wait_until(lambda: f"redis (pid {server}) was killed by SIGKILL" in kinga_run.output(), "log")
    wait_until(lambda: "redis restarted" in kinga_run.output(), "a new Redis")
    assert client.get("kinga:test:written-before-the-kill") == b"kept"
    wait_until(kinga_run.ready, "the gateway to be ready again")


def test_kinga_simulate_beside_it_leaves_its_redis_running(kinga_run: KingaRun) -> None:
    """The README's `kinga simulate` next to `make run` shares the embedded Redis and must not
    take it down when it exits (it once took the whole run down)."""
    server = kinga_run.child("redis-server")
    deaths = kinga_run.output().count("redis (pid")
    env = child_env()
    env["KINGA_VAR_DIR"] = str(kinga_run.var)
    simulated = subprocess.run(
        [sys.executable, "-m", "gateway", "simulate", "--channel", "sms"],
        input=b"HELP\n",
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert simulated.returncode == 0, simulated.stdout + simulated.stderr
    assert alive(server) and kinga_run.child("redis-server") == server
    assert kinga_run.output().count("redis (pid") == deaths  # nothing died, nor restarted
    wait_until(kinga_run.ready, "the gateway to be ready")


def test_ctrl_c_stops_everything_cleanly(kinga_run: KingaRun) -> None:
    """Last of the tests sharing ``kinga_run``: it stops it."""
    everything = descendants(kinga_run.process.pid)
    before = len(kinga_run.output())
    kinga_run.process.send_signal(signal.SIGINT)
    assert kinga_run.process.wait(timeout=60) == 0
    assert not any(alive(pid) for pid in everything)
    stopping = kinga_run.output()[before:]
    assert stopping.rstrip().endswith("Kinga stopped.") and "restart" not in stopping


def test_killing_kinga_run_leaves_no_process_behind(tmp_path: Path) -> None:
    run = KingaRun.start(tmp_path)
    everything = descendants(run.process.pid)
    try:
        assert {"redis-server", "worker", "gunicorn"} <= set().union(*map(_words, everything))
        assert len(everything) >= 6  # + gunicorn's two workers, the RQ scheduler

        run.process.send_signal(signal.SIGKILL)
        run.process.wait()
        wait_until(lambda: not any(alive(pid) for pid in everything), "every child to stop")
        assert not run.ready()
    finally:
        run.stop(everything)
