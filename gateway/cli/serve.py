"""``kinga run`` (everything on one machine, for development) and ``kinga serve`` (gunicorn).

``kinga run`` creates ``var/`` (mode 0700), applies the migrations and supervises its children
(``gateway.cli.supervisor``): an embedded Redis when ``KINGA_REDIS_URL`` is not set, one RQ worker
with its scheduler, and the gateway under gunicorn. A child that dies is restarted; Ctrl-C (or
SIGTERM) stops them all, and if ``kinga run`` itself is killed they stop with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url

from gateway import gunicorn_config
from gateway.cli.supervisor import Child, Spawn, Supervisor
from gateway.config.redis import EmbeddedRedis
from gateway.config.settings import Settings, SettingsError, private_dir
from gateway.metrics import files as metrics_files
from workers.lifetime import die_with_this_process

CHECK_SECONDS = 0.5
READY_SECONDS = 60.0


@click.command("serve")
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
@click.option(
    "--workers", default=gunicorn_config.workers, show_default=True, help="worker processes"
)
@click.option(
    "--threads", default=gunicorn_config.threads, show_default=True, help="threads per worker"
)
def serve_command(bind: str, workers: int, threads: int) -> None:
    """Serve the gateway with gunicorn (the production web server): threaded workers, so a
    slow client holds one thread, never a worker (gateway/gunicorn_config.py).

    Example: kinga serve --bind 127.0.0.1:8000 --workers 4
    """
    try:
        # Refused here, in one line, rather than in every gunicorn worker.
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    metrics_files.prepare(settings.var_dir)  # before gunicorn imports prometheus-client
    os.environ["KINGA_LOG_FORMAT"] = settings.log_format  # for gunicorn's own logs
    os.execv(  # noqa: S606 (replaces this process with gunicorn, no shell)
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            f"python:{gunicorn_config.__name__}",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "gateway:create_app()",
        ],
    )


@click.command("run")
@click.option("--port", default=5000, show_default=True)
def run_command(port: int) -> None:
    """Run everything on embedded defaults: Redis, migrations, gateway and one worker.

    Example: kinga run --port 5000
    """
    from case_store import migrate

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    private_dir(settings.var_dir)
    metrics_files.prepare(settings.var_dir)  # the gateway and the worker count in one place
    env = dict(os.environ)
    children: list[Child] = []
    if not settings.redis_url:
        embedded = EmbeddedRedis(settings.var_dir.resolve())
        if embedded.answers():
            raise click.ClickException(
                f"a Redis is already running on {embedded.socket}; stop the Kinga process "
                "that started it (or set KINGA_REDIS_URL)"
            )
        env["KINGA_REDIS_URL"] = embedded.url
        children.append(Child("redis", lambda: embedded.spawn(die_with_this_process())))
    migrate.upgrade(settings.database_url)
    bind = f"127.0.0.1:{port}"
    children.append(Child("worker", _kinga(["worker"], env)))
    children.append(Child("gateway", _kinga(["serve", "--bind", bind], env)))
    supervisor = Supervisor(children, say=lambda line: click.echo(f"kinga run: {line}", err=True))
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupt)
    try:
        supervisor.start()
        _wait_until_ready(f"http://{bind}/readyz", supervisor)
        click.echo(_banner(settings, bind, embedded_redis=not settings.redis_url))
        while True:
            supervisor.check()
            time.sleep(CHECK_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop()
    click.echo("Kinga stopped.")


def _kinga(args: list[str], env: dict[str, str]) -> Spawn:
    """Start ``kinga ARGS`` as a child that dies with this process (see gateway.cli.supervisor)."""
    return lambda: subprocess.Popen(  # noqa: S603 (this Python, our own module, no shell)
        [sys.executable, "-m", "gateway", *args],
        env=env,
        process_group=0,
        preexec_fn=die_with_this_process(),
    )


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _wait_until_ready(url: str, supervisor: Supervisor) -> None:
    from urllib.error import URLError
    from urllib.request import urlopen

    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        supervisor.check()
        try:
            with urlopen(url, timeout=2) as answer:  # noqa: S310 (our own loopback address)
                if answer.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.3)


def _banner(settings: Settings, bind: str, *, embedded_redis: bool) -> str:
    """What ``kinga run`` prints once ready. The webhook key is not printed (a terminal is
    scrolled back, shared and recorded): it is shown as ``key=…``, with where to find it."""
    base = f"http://{bind}"
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    redis = f"embedded, data in {settings.var_dir}" if embedded_redis else "KINGA_REDIS_URL"
    secrets = Path(settings.var_dir) / "secrets.json"
    where = (
        "the KINGA_AT_WEBHOOK_KEY environment variable"
        if os.environ.get("KINGA_AT_WEBHOOK_KEY")
        else f"KINGA_AT_WEBHOOK_KEY in {secrets}"
    )
    return f"""
Kinga is running (Ctrl-C stops everything).
  gateway      {base}   health {base}/healthz   ready {base}/readyz
  USSD webhook {base}/ussd/africastalking?key=…   (the key: {where})
  database     {database}
  redis        {redis}
  console      {base}/staff/   (staff sign-in; the first administrator:
               .venv/bin/kinga users create NAME --role admin --password-prompt)
  simulator    {base}/simulator   (a phone keypad on the real USSD dialogs)
  metrics      {base}/metrics   (Prometheus; loopback and private addresses only)
  secrets      {secrets} (development only)

Dial the USSD service by hand: each call sends the whole path so far in `text`.
  KEY=$(python3 -c 'import json; print(json.load(open("{secrets}"))["KINGA_AT_WEBHOOK_KEY"])')
  ussd() {{ curl -s -d sessionId=demo-$$ --data-urlencode phoneNumber=+254700000001 \\
    -d serviceCode='*384*116#' --data-urlencode "text=$1" \\
    "{base}/ussd/africastalking?key=$KEY"; echo; }}
  ussd ''        # main menu
  ussd '1'       # report a concern; README.md has the whole session
"""
