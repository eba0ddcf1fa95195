"""``kinga serve``: clients that send their request slowly cannot stop the gateway.

A real ``kinga serve`` on a free port, three raw sockets that send half a request and stall:
``/healthz`` still answers, and the server cuts the stalled clients off by itself. The waits
are bounded and generous; nothing here measures speed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest

from gateway.config.settings import Settings
from gateway.gunicorn_config import CLIENT_SOCKET_TIMEOUT

STALLED_CLIENTS = 3
HALF_A_REQUEST = b"POST /ussd/africastalking HTTP/1.1\r\nHost: kinga\r\nContent-Le"
ANSWERS_WITHIN = 30  # seconds: generous, on purpose


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthz(port: int, timeout: float) -> int:
    with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as answer:
        return int(answer.status)


@pytest.fixture
def served(tmp_path: Path, settings: Settings) -> Iterator[tuple[int, Path]]:
    """``kinga serve`` with its defaults (as ``make run`` starts it); yields port and log."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "XDG_RUNTIME_DIR": str(tmp_path),  # gunicorn's control socket, away from $HOME
        "KINGA_ENV": "test",
        "KINGA_VAR_DIR": str(settings.var_dir),
        "KINGA_DATABASE_URL": settings.database_url,
        "KINGA_REDIS_URL": settings.redis_url,
        "KINGA_SECRET_KEY": settings.secret_key,
        "KINGA_ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
        "KINGA_PHONE_HASH_KEY": settings.phone_hash_key,
        "KINGA_AT_WEBHOOK_KEY": settings.at_webhook_key,
    }
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                healthz(port, timeout=2)
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_stalled_clients_neither_block_healthz_nor_hold_the_server(served):
    port, log = served
    stalled = []
    for _ in range(STALLED_CLIENTS):
        client = socket.create_connection(("127.0.0.1", port), timeout=ANSWERS_WITHIN)
        client.sendall(HALF_A_REQUEST)
        stalled.append(client)
    try:
        assert healthz(port, timeout=ANSWERS_WITHIN) == 200
        # The server closes each stalled connection itself (no answer: the request never
        # ended), freeing the thread it held; recv would time out if it did not.
        for client in stalled:
            assert client.recv(1024) == b""
    finally:
        for client in stalled:
            client.close()
    assert healthz(port, timeout=ANSWERS_WITHIN) == 200
    output = log.read_text()
    assert "Using worker: gthread" in output
    assert f"stalled for {CLIENT_SOCKET_TIMEOUT} s" in output
    assert "Traceback" not in output
