"""A real HTTP server on 127.0.0.1 that records every request and answers as a provider would.

Each fake provider subclasses ``FakeServer`` and implements ``answer``. Failures are
programmed in advance with ``fail_next`` and used up one request at a time, so a test can say
"the next call is rate limited, the one after succeeds". A ``held`` reply is kept back until
``release``: the provider has the message, the caller waits for the answer, and a test can kill
the caller at exactly that point.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

POLL_SECONDS = 0.02  # how soon ``stop`` is noticed
SLOW_SECONDS = 2.0  # how long a "slow" answer waits; sender timeouts in tests are far shorter


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it. Header names are lower case."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    def field(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    held: bool = False  # sent only after ``FakeServer.release``


class FakeServer:
    """Serves on an ephemeral port until ``stop``; usable as a context manager."""

    failures: tuple[str, ...] = ()  # the names ``fail_next`` accepts

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._programmed: deque[str] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow answers so shutdown does not wait for them
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def fail_next(self, failure: str, times: int = 1) -> None:
        if failure not in self.failures:
            raise ValueError(f"unknown failure {failure!r}; choose from {self.failures}")
        with self._lock:
            self._programmed.extend([failure] * times)

    def recover(self) -> None:
        """Forget the failures still programmed: from now on it answers normally."""
        with self._lock:
            self._programmed.clear()

    def release(self) -> None:
        """Send the held replies (and any later ones at once)."""
        self._released.set()

    def answer(self, request: Recorded, failure: str | None) -> Reply:
        raise NotImplementedError

    def _receive(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            failure = self._programmed.popleft() if self._programmed else None
        return self.answer(request, failure)

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _hold(self) -> None:
        while not (self._released.is_set() or self._stopping.is_set()):
            self._released.wait(POLL_SECONDS)


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Answer at once: with Nagle on, every reply waits ~40 ms for a delayed ACK.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Recorded(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
            )
            reply = fake._receive(request)
            if reply.delay:
                fake._wait(reply.delay)
            if reply.held:
                fake._hold()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean; the fake records requests instead

    return Handler
