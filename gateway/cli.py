"""The ``kinga`` command: a Flask CLI group, so ``flask --app gateway …`` works too.

Commands that need the configured app use ``with_appcontext`` (the app is built only then);
``run``, ``serve`` and ``translate`` start no app in the calling process.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from gateway import create_app
from gateway.areas_cli import areas_group
from gateway.cases_cli import COMMANDS as CASE_COMMANDS
from gateway.devserver import run_command, serve_command
from gateway.messages_cli import messages_group
from gateway.runtime import runtime
from gateway.simulate_cli import simulate_command
from gateway.users_cli import users_group
from workers.settings import PROJECT_ROOT


@click.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations up to REVISION."""
    from case_store import migrate

    migrate.upgrade(runtime().settings.database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Undo Alembic migrations down to REVISION (``base`` removes every table)."""
    from case_store import migrate

    migrate.downgrade(runtime().settings.database_url, revision)
    click.echo(f"database at {revision}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run one RQ worker with its scheduler, sending SMS through KINGA_SMS_PROVIDERS.

    As it starts, it warns of the areas with nobody on call in the next 24 hours.
    """
    from datetime import UTC, datetime

    from gateway.providers import build_senders
    from workers import senders
    from workers.coverage import warn_uncovered_areas
    from workers.queues import run_worker

    rt = runtime()
    warn_uncovered_areas(rt.sessions, rt.profile, now=datetime.now(UTC))
    senders.install(rt.settings, build_senders(rt.settings))
    try:
        run_worker(rt.redis, burst=burst)
    finally:
        senders.uninstall()


@click.group("translate")
def translate_group() -> None:
    """Message catalogs under locales/ (wraps pybabel)."""


def _pybabel(*args: str) -> None:
    """Run pybabel from the project root, so catalogs name files by their relative paths."""
    from contextlib import chdir

    from babel.messages.frontend import CommandLineInterface

    with chdir(PROJECT_ROOT):
        CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]


@translate_group.command("extract")
def translate_extract() -> None:
    """Extract message ids from the dialog trees and the code into locales/messages.pot."""
    _pybabel(
        "extract", "-F", "babel.cfg", "-o", "locales/messages.pot", "--no-wrap",
        "--sort-by-file", "--project=Kinga", "--version=0.1.0",
        "--copyright-holder=Kinga contributors", ".",
    )  # fmt: skip


@translate_group.command("update")
def translate_update() -> None:
    """Merge locales/messages.pot into every language's messages.po."""
    _pybabel(
        "update", "-i", "locales/messages.pot", "-d", "locales", "-D", "messages",
        "--no-wrap", "--ignore-obsolete",
    )  # fmt: skip


@translate_group.command("init")
@click.argument("language")
def translate_init(language: str) -> None:
    """Start a catalog for a new LANGUAGE (then add it to the profile's languages)."""
    _pybabel(
        "init", "-i", "locales/messages.pot", "-d", "locales", "-D", "messages",
        "-l", language, "--no-wrap",
    )  # fmt: skip


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile every messages.po into the messages.mo the app loads."""
    _pybabel("compile", "-d", "locales", "-D", "messages", "--statistics")


@click.group("dialogs")
def dialogs_group() -> None:
    """Dialog trees."""


@dialogs_group.command("check")
def dialogs_check() -> None:
    """Validate the tree and every screen in every enabled language; print every problem."""
    from dialogs.tree import TreeError, default_tree_path
    from gateway.runtime import tree_for
    from workers.profile import load_profile
    from workers.settings import Settings

    profile = load_profile(Settings.from_env().deployment)
    try:
        tree_for(profile)
        problems: list[str] = []
    except TreeError as exc:
        problems = exc.problems
    for problem in problems:
        click.echo(problem)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the dialogs")
    languages = ", ".join(profile.languages)
    click.echo(f"dialogs OK: {default_tree_path().name} in {languages}")


@click.group("sms")
def sms_group() -> None:
    """SMS helpers."""


@sms_group.command("count")
@click.argument("text")
def sms_count(text: str) -> None:
    """Print the encoding, characters and segments TEXT takes when sent (JSON).

    Look-alikes (curly quotes, dashes, odd spaces) are replaced first, as they are on sending.
    """
    import json

    from dialogs.encoding import analyse, normalise

    result = analyse(normalise(text))
    click.echo(
        json.dumps(
            {
                "encoding": result.encoding,
                "characters": result.characters,
                "segments": result.segments,
            },
            ensure_ascii=False,
        )
    )


COMMANDS: tuple[click.Command, ...] = (
    run_command,
    serve_command,
    worker_command,
    db_group,
    translate_group,
    sms_group,
    messages_group,
    dialogs_group,
    simulate_command,
    users_group,
    areas_group,
    *CASE_COMMANDS,
)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


cli = FlaskGroup(
    name="kinga",
    create_app=create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    """The console script: a bad setting or profile is one line on stderr, not a traceback."""
    from workers.profile import ProfileError
    from workers.settings import SettingsError

    try:
        cli.main(prog_name="kinga")
    except (SettingsError, ProfileError) as exc:
        click.echo(f"kinga: {exc}", err=True)
        raise SystemExit(2) from None
