"""``kinga worker``: one RQ worker with its scheduler; its jobs run with the context it installs."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gateway.runtime import require_migrated, runtime


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run one RQ worker with its scheduler, sending SMS through KINGA_SMS_PROVIDERS.

    As it starts, it warns of the areas with nobody on call in the next 24 hours.

    Example: kinga worker
    """
    from datetime import UTC, datetime

    from gateway.providers.installed import build_senders
    from workers import context
    from workers.coverage import warn_uncovered_areas
    from workers.queues import run_worker

    rt = runtime()
    require_migrated(rt)
    warn_uncovered_areas(rt.sessions, rt.profile, now=datetime.now(UTC))
    context.install(rt.job_context(build_senders(rt.settings)))
    try:
        run_worker(rt.redis, burst=burst)
    finally:
        context.uninstall()
