"""Two real gateways (``kinga serve``: gunicorn, its threaded workers) on loopback ports,
sharing the suite's database and Redis, and a plain HTTP client to post webhooks at them.

Started once per test module; every test empties the database and Redis itself (the ``db``
and ``redis_client`` fixtures). The waits bound a hang only; nothing here measures speed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from processes import child_env, wait_until

REQUEST_TIMEOUT = 60.0  # seconds; a hop on a loaded 2-core machine, with room to spare


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


@dataclass
class WebProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @classmethod
    def start(cls, env: Mapping[str, str], folder: Path, name: str) -> WebProcess:
        port = free_port()
        log = folder / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--bind", f"127.0.0.1:{port}",
                 "--workers", "2", "--threads", "4"],
                env={**env, "XDG_RUNTIME_DIR": str(folder)},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its gunicorn workers go with it on stop
            )  # fmt: skip
        web = cls(process, port, log)
        try:
            wait_until(lambda: web.ready() or process.poll() is not None, f"{name} to answer")
            assert process.poll() is None, web.output()
        except AssertionError:
            web.stop()
            raise
        return web

    def ready(self) -> bool:
        try:
            with urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as answer:
                return bool(answer.status == 200)
        except (URLError, OSError):
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def post(
        self, path: str, form: Mapping[str, str] | bytes, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """POST ``form`` (url-encoded) or a raw body; the answer, whatever its status."""
        data = form if isinstance(form, bytes) else urlencode(form).encode()
        request = Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
            method="POST",
        )
        try:
            with urlopen(request, timeout=REQUEST_TIMEOUT) as answer:  # noqa: S310
                return Answer(answer.status, answer.read().decode())
        except HTTPError as refused:
            return Answer(refused.code, refused.read().decode(errors="replace"))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def serve_env(settings: Any) -> dict[str, str]:
    """The environment of a gateway on the same database, Redis and keys as ``settings``."""
    env = child_env()
    env.update(
        KINGA_ENV="test",
        KINGA_VAR_DIR=str(settings.var_dir),
        KINGA_DATABASE_URL=settings.database_url,
        KINGA_REDIS_URL=settings.redis_url,
        KINGA_SECRET_KEY=settings.secret_key,
        KINGA_ENCRYPTION_KEYS=",".join(settings.encryption_keys),
        KINGA_PHONE_HASH_KEY=settings.phone_hash_key,
        KINGA_AT_WEBHOOK_KEY=settings.at_webhook_key,
        KINGA_TWILIO_AUTH_TOKEN=settings.twilio_auth_token,
        KINGA_PUBLIC_URL=settings.public_url,
    )
    return env
