"""``kinga worker``: RQ workers with their scheduler; their jobs run with the context each
installs. ``--count N`` runs N of them under one supervising process (``gateway.cli.supervisor``):
each is restarted if it dies, and all stop with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import click
from flask.cli import with_appcontext

from gateway.cli.supervisor import Child, Spawn, Supervisor
from gateway.metrics import files as metrics_files
from gateway.runtime import require_migrated, runtime
from workers.lifetime import die_with_this_process

MAX_COUNT = 64
CHECK_SECONDS = 0.5


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--count",
    default=1,
    show_default=True,
    type=click.IntRange(1, MAX_COUNT),
    help="Worker processes to run; each is restarted if it dies, all stop together.",
)
@with_appcontext
def worker_command(burst: bool, count: int) -> None:
    """Run RQ workers with their scheduler, sending SMS through KINGA_SMS_PROVIDERS.

    As it starts, each warns of the areas with nobody on call in the next 24 hours (and of
    fields Primero would drop, when Primero is configured). Several
    workers, on one host or many, share the queues; the periodic jobs still run once.

    Example: kinga worker --count 4
    """
    args = ["--burst"] if burst else []
    if not os.environ.get(metrics_files.ENV):
        # The jobs' counters go to the metrics directory, which prometheus-client takes from
        # the environment as it is first imported: this process imported it already, so it
        # starts again with the directory set (the workers --count starts are set from here).
        metrics_files.prepare(runtime().settings.var_dir)
        if count == 1:
            os.execv(  # noqa: S606 (this Python, our own module, no shell)
                sys.executable, [sys.executable, "-m", "gateway", "worker", *args]
            )
    if count > 1:
        raise SystemExit(_supervise(count, args))
    from datetime import UTC, datetime

    from gateway.providers.installed import build_senders
    from workers import context
    from workers.coverage import warn_uncovered_areas
    from workers.primero.check import warn_field_map
    from workers.queues import run_worker

    rt = runtime()
    require_migrated(rt)
    warn_uncovered_areas(rt.sessions, rt.profile, now=datetime.now(UTC))
    if rt.primero is not None:
        warn_field_map(rt.primero)
    context.install(rt.job_context(build_senders(rt.settings)))
    try:
        run_worker(rt.redis, burst=burst)
    finally:
        context.uninstall()


def _supervise(count: int, args: list[str]) -> int:
    """Run ``count`` single workers until SIGTERM or Ctrl-C (or, with ``--burst``, until each
    has emptied the queues: then 1 if any of them failed)."""
    burst = "--burst" in args
    children = [Child(f"worker {n}", _worker(args)) for n in range(1, count + 1)]
    supervisor = Supervisor(children, say=_say)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupt)
    try:
        supervisor.start()
        if burst:
            codes = [child.process.wait() for child in children if child.process is not None]
            return 1 if any(codes) else 0
        while True:
            supervisor.check()
            time.sleep(CHECK_SECONDS)
    except KeyboardInterrupt:
        return 0
    finally:
        supervisor.stop()


def _worker(args: list[str]) -> Spawn:
    """A ``kinga worker`` child in its own process group (a Ctrl-C reaches the supervisor,
    which stops the children), dying with this process if it is killed."""
    return lambda: subprocess.Popen(  # noqa: S603 (this Python, our own module, no shell)
        [sys.executable, "-m", "gateway", "worker", *args],
        process_group=0,
        preexec_fn=die_with_this_process(),
    )


def _say(line: str) -> None:
    click.echo(f"kinga worker: {line}", err=True)


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt
