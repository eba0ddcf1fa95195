"""gunicorn settings for ``kinga serve`` (given as ``--config python:gateway.gunicorn_config``).

Each web worker dies with its master (``workers.lifetime``): a master killed outright (SIGKILL,
the OOM killer) takes its workers along at once, instead of leaving them to answer on the port
with no master behind them, holding it so that a new master cannot bind it. They get SIGQUIT,
gunicorn's quick exit: there is no master left to wait for.
"""

from __future__ import annotations

import signal
from typing import Any

from workers.lifetime import die_with


def post_fork(server: Any, worker: Any) -> None:
    die_with(server.pid, signal.SIGQUIT)
