"""How ``kinga serve`` runs gunicorn: ``gunicorn --config python:gateway.gunicorn_config``.

Threaded workers (``gthread``) read each request on a thread of their own, so a client that
sends slowly holds one thread, never a whole worker: the others, and ``/healthz``, keep
answering. gunicorn bounds only the wait for a request's first byte; after that a thread reads
on a blocking socket with no deadline, and a few clients that stop halfway through would hold
every thread for as long as they keep the connection open. So every client socket also gets a
kernel read and write timeout (``SO_RCVTIMEO``/``SO_SNDTIMEO``, set on the listening sockets and
inherited by each accepted one): a client silent for ``CLIENT_SOCKET_TIMEOUT`` seconds in the
middle of a request, or not reading its answer, is disconnected and its thread freed.

In production nginx sits in front (README, "Production") and hands gunicorn whole requests;
these limits are what holds when it does not. gunicorn reads only the lower-case names below
that are its settings; ``kinga serve --workers/--threads`` override theirs.

Each web worker dies with its master (``workers.lifetime``): a master killed outright (SIGKILL,
the OOM killer) takes its workers along at once, instead of leaving them to answer on the port
with no master behind them, holding it so that a new master cannot bind it. They get SIGQUIT,
gunicorn's quick exit: there is no master left to wait for.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import struct
from typing import Any

from gateway import logs
from gateway.metrics import files as metrics_files
from workers.lifetime import die_with

CLIENT_SOCKET_TIMEOUT = 5  # seconds; providers send a webhook in milliseconds

worker_class = "gthread"
workers = 2
threads = 8
timeout = 30  # gthread: a worker whose main loop is silent this long is restarted
graceful_timeout = 10  # a stopping worker finishes its requests within this
keepalive = 5  # idle seconds a kept-alive connection stays open (nginx's upstream: 4 s)
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# gunicorn's control socket (``gunicornc``, gunicorn 25 and later) is not used: several
# ``kinga serve`` on one host would contend for its one path, and it is one more way in.
control_socket_disable = True
# JSON lines (``gateway.logs``): ``kinga serve`` sets the format its settings chose.
if os.environ.get("KINGA_LOG_FORMAT") == "json":
    logconfig_dict = logs.gunicorn_logging()


def post_worker_init(worker: Any) -> None:
    """gunicorn's hook, once the worker has loaded the app: client sockets inherit the
    timeouts; a stalled one is logged in a line; the app's objects leave the garbage
    collector's watch (``gc.freeze``): they live as long as the worker, and a full collection
    then walks a few thousand objects instead of some 150,000, a pause requests would wait
    through."""
    gc.collect()  # what loading left behind goes first, not frozen for good
    gc.freeze()
    timeval = struct.pack("ll", CLIENT_SOCKET_TIMEOUT, 0)
    for listener in worker.sockets:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    worker.log.error_log.addFilter(StalledClient())


class StalledClient(logging.Filter):
    """A client cut off by the socket timeout is routine: one info line, not an error with a
    traceback. On a blocking socket only those timeouts raise ``BlockingIOError``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], BlockingIOError):
            record.msg = "closed a connection whose client stalled for %s s"
            record.args = (CLIENT_SOCKET_TIMEOUT,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's hook, in the master, when a worker has exited: prometheus-client forgets its
    live gauges (``gateway.metrics.files`` folds its counters into the archive later)."""
    if os.environ.get(metrics_files.ENV):
        metrics_files.process_ended(worker.pid)


def post_fork(server: Any, worker: Any) -> None:
    """gunicorn's hook: the worker dies with its master."""
    die_with(server.pid, signal.SIGQUIT)
