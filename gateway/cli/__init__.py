"""The ``kinga`` command: a Flask CLI group, so ``flask --app gateway …`` works too.

Commands that need the configured app use ``with_appcontext`` (the app is built only then);
``run``, ``serve`` and ``translate`` start no app in the calling process.

Every failure an operator can meet is one line, never a traceback: settings, profile and
dialog problems, a database that is not migrated (whatever command met it) or cannot be
reached, a bad revision, a catalog command that cannot run. Every command's help ends with an
example: the last paragraph of its docstring, starting "Example", shown after the options.
"""

from __future__ import annotations

import inspect
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError

from gateway import create_app
from gateway.cli.areas import areas_group
from gateway.cli.cases import cases_group
from gateway.cli.db import db_group
from gateway.cli.dialogs import dialogs_group
from gateway.cli.failures import database_problem
from gateway.cli.jobs import jobs_group
from gateway.cli.keys import keys_group
from gateway.cli.messages import messages_group
from gateway.cli.primero import primero_group
from gateway.cli.retention import retention_group
from gateway.cli.serve import run_command, serve_command
from gateway.cli.services import services_group
from gateway.cli.simulate import simulate_command
from gateway.cli.sms import sms_group
from gateway.cli.tokens import tokens_group
from gateway.cli.translate import translate_group
from gateway.cli.users import users_group
from gateway.cli.worker import worker_command
from gateway.runtime import NotMigrated

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
    cases_group,
    services_group,
    keys_group,
    retention_group,
    jobs_group,
    tokens_group,
    primero_group,
)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


class KingaGroup(FlaskGroup):
    """Flask's CLI group without Flask's own options (``-e``, ``-A``, ``--debug``: Kinga
    builds its app from ``KINGA_*`` settings), listing only its commands without building an
    app (so ``kinga --help`` works even when the settings are refused), and turning the
    failures an operator can meet into one line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            set_debug_flag=False,
            **kwargs,
        )
        self.params = [p for p in self.params if p.name not in ("env_file", "app", "debug")]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        from dialogs.tree import TreeError
        from gateway.config.profile import ProfileError
        from gateway.config.settings import SettingsError

        try:
            return super().invoke(ctx)
        except (SettingsError, ProfileError, TreeError, NotMigrated) as exc:
            raise click.ClickException(str(exc)) from None
        except DBAPIError as exc:
            raise click.ClickException(database_problem(ctx, exc)) from None


def _examples_last(command: click.Command) -> None:
    """Show the docstring's closing "Example" paragraph after the options, where a reader of
    ``--help`` looks last (click would print it above them)."""
    body, found, example = inspect.cleandoc(command.help or "").rpartition("\n\nExample")
    if found and not command.epilog:
        command.help = body
        command.epilog = "\b\nExample" + example
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _examples_last(subcommand)


cli = KingaGroup(
    name="kinga",
    create_app=create_app,
    help="""Kinga: SMS and USSD intake for child protection services.

    Settings come from KINGA_* environment variables (README.md); every command has --help.

    Example: kinga run
    """,
)
for _command in COMMANDS:
    cli.add_command(_command)
_examples_last(cli)


def main() -> None:
    """The console script."""
    cli.main(prog_name="kinga")
