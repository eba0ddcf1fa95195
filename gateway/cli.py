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
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy.exc import DBAPIError

from case_store import migrate
from gateway import create_app
from gateway.areas_cli import areas_group
from gateway.cases_cli import COMMANDS as CASE_COMMANDS
from gateway.devserver import run_command, serve_command
from gateway.messages_cli import messages_group
from gateway.runtime import EXTENSION, NotMigrated, require_migrated, runtime
from gateway.simulate_cli import simulate_command
from gateway.users_cli import users_group
from workers.settings import PROJECT_ROOT


@click.group("db")
def db_group() -> None:
    """Database migrations (Alembic).

    Example: kinga db upgrade
    """


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION; run it once per release, before serving it.

    Example: kinga db upgrade
    """
    _known_revision(revision, "head")
    _migrate(migrate.upgrade, revision)


@db_group.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def db_downgrade(revision: str, yes: bool) -> None:
    """Undo the migrations above REVISION, deleting what they added (``base``: every table).

    Example: kinga db downgrade 0008
    """
    _known_revision(revision, "base")
    order = ("base", *migrate.revision_ids())
    current = migrate.current(runtime().settings.database_url) or "base"
    if order.index(revision) >= order.index(current):
        raise click.ClickException(f"the database is at {current}: nothing above {revision}")
    if not yes:
        click.confirm(
            f"Undo every migration above {revision}? The tables and columns they added are "
            "dropped with their data.",
            abort=True,
        )
    _migrate(migrate.downgrade, revision)


def _known_revision(revision: str, alias: str) -> None:
    known = (alias, *migrate.revision_ids())
    if revision not in known:
        raise click.ClickException(f"unknown revision {revision!r}; known: {', '.join(known)}")


def _migrate(step: Callable[[str, str], None], revision: str) -> None:
    """Run an Alembic step; its refusals and database errors are one line."""
    from alembic.util import CommandError

    try:
        step(runtime().settings.database_url, revision)
    except CommandError as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise click.ClickException(f"the migration failed: {_first_line(exc.orig)}") from None
    click.echo(f"database at {revision}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run one RQ worker with its scheduler, sending SMS through KINGA_SMS_PROVIDERS.

    As it starts, it warns of the areas with nobody on call in the next 24 hours.

    Example: kinga worker
    """
    from datetime import UTC, datetime

    from gateway.providers import build_senders
    from workers import senders
    from workers.coverage import warn_uncovered_areas
    from workers.queues import run_worker

    rt = runtime()
    require_migrated(rt)
    warn_uncovered_areas(rt.sessions, rt.profile, now=datetime.now(UTC))
    senders.install(rt.settings, build_senders(rt.settings))
    try:
        run_worker(rt.redis, burst=burst)
    finally:
        senders.uninstall()


@click.group("translate")
def translate_group() -> None:
    """Message catalogs under locales/ (locales/README.md says when to run what).

    Example: kinga translate extract && kinga translate update
    """


def _babel(command: Callable[[], Any], **options: object) -> None:
    """Run one of Babel's catalog commands from the project root (so catalogs name files by
    their relative paths). A refusal is one line of ours, not pybabel's usage text; Babel
    logs only warnings and errors, as ``pybabel -q`` does."""
    from contextlib import chdir

    from babel.messages.frontend import BaseError

    step = command()
    for name, value in options.items():
        setattr(step, name, value)
    with chdir(PROJECT_ROOT):
        try:
            step.ensure_finalized()
            failed = step.run()
        except (BaseError, OSError) as exc:
            raise click.ClickException(f"translate: {exc}") from None
    if failed:
        raise click.ClickException("translate: the catalogs have errors (listed above)")


@translate_group.command("extract")
def translate_extract() -> None:
    """Extract message ids from the dialog trees and the code into locales/messages.pot.

    Example: kinga translate extract
    """
    from babel.messages.frontend import ExtractMessages

    _babel(
        ExtractMessages,
        mapping_file="babel.cfg",
        output_file="locales/messages.pot",
        input_paths=["."],
        no_wrap=True,
        sort_by_file=True,
        project="Kinga",
        version="0.1.0",
        copyright_holder="Kinga contributors",
    )


@translate_group.command("update")
def translate_update() -> None:
    """Merge locales/messages.pot into every language's messages.po.

    Example: kinga translate update
    """
    from babel.messages.frontend import UpdateCatalog

    _babel(
        UpdateCatalog,
        input_file="locales/messages.pot",
        output_dir="locales",
        no_wrap=True,
        ignore_obsolete=True,
    )


@translate_group.command("init")
@click.argument("language")
def translate_init(language: str) -> None:
    """Start a catalog for a new LANGUAGE (then add it to the profile's languages).

    Example: kinga translate init am
    """
    from babel.messages.frontend import InitCatalog

    catalog = PROJECT_ROOT / "locales" / language / "LC_MESSAGES" / "messages.po"
    if catalog.exists():
        raise click.ClickException(
            f"translate: {language} has a catalog already; `kinga translate update` merges "
            "new messages into it"
        )
    _babel(
        InitCatalog,
        input_file="locales/messages.pot",
        output_dir="locales",
        locale=language,
        no_wrap=True,
    )


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile every messages.po into the messages.mo the app loads.

    Example: kinga translate compile
    """
    from babel.messages.frontend import CompileCatalog

    _babel(CompileCatalog, directory="locales")


@click.group("dialogs")
def dialogs_group() -> None:
    """Dialog trees.

    Example: kinga dialogs check
    """


@dialogs_group.command("check")
def dialogs_check() -> None:
    """Validate the tree and every screen in every enabled language; print each question's
    worst-case hops (numbers pressed, over USSD and SMS) and every problem.

    Fails when a screen overflows, a text is not translated, or a question takes more hops than
    the profile's ussd.max_hops_per_question.

    Example: kinga dialogs check
    """
    from dialogs.tree import TreeError, default_tree_path
    from gateway.runtime import dialog_check
    from workers.profile import ProfileError, load_profile
    from workers.settings import Settings

    try:
        profile = load_profile(Settings.from_env().deployment)
    except ProfileError as exc:
        for problem in exc.problems:
            click.echo(problem)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in the profile") from None
    try:
        _tree, result = dialog_check(profile)
    except TreeError as exc:
        for problem in exc.problems:
            click.echo(problem)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in the dialogs") from None
    click.echo(hops_table(result.hops, profile.languages, profile.max_hops))
    for problem in result.problems:
        click.echo(problem)
    if result.problems:
        raise click.ClickException(f"{len(result.problems)} problem(s) in the dialogs")
    languages = ", ".join(profile.languages)
    click.echo(f"dialogs OK: {default_tree_path().name} in {languages}")


def hops_table(
    hops: dict[tuple[str, str], dict[str, int]], languages: tuple[str, ...], limit: int
) -> str:
    """Worst-case hops per question (rows) and channel × language (columns)."""
    channels = ("ussd", "sms")
    questions = list(dict.fromkeys(q for found in hops.values() for q in found))
    width = max((len(q) for q in questions), default=8) + 2
    cell = max(len(language) for language in languages) + 1
    heads = ["".join(f"{lang:>{cell}}" for lang in languages) for _ in channels]
    lines = [
        f"Worst-case hops to answer each question, by numbers alone (limit {limit}):",
        " " * width
        + "  ".join(f"{ch.upper():<{len(h)}}" for ch, h in zip(channels, heads, strict=True)),
        " " * width + "  ".join(heads),
    ]
    for question in questions:
        row = [
            "".join(
                f"{hops.get((channel, lang), {}).get(question, '-'):>{cell}}" for lang in languages
            )
            for channel in channels
        ]
        lines.append(f"{question:<{width}}" + "  ".join(row))
    return "\n".join(line.rstrip() for line in lines)


@click.group("sms")
def sms_group() -> None:
    """SMS helpers.

    Example: kinga sms count "Your reference is 482-177-305."
    """


@sms_group.command("count")
@click.argument("text")
def sms_count(text: str) -> None:
    """Print the encoding, characters and segments TEXT takes when sent (JSON).

    Look-alikes (curly quotes, dashes, odd spaces) are replaced first, as they are on sending.

    Example: kinga sms count "Ripoti yako imepokelewa."
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
        from workers.profile import ProfileError
        from workers.settings import SettingsError

        try:
            return super().invoke(ctx)
        except (SettingsError, ProfileError, TreeError, NotMigrated) as exc:
            raise click.ClickException(str(exc)) from None
        except DBAPIError as exc:
            raise click.ClickException(_database_problem(ctx, exc)) from None


def _database_problem(ctx: click.Context, error: DBAPIError) -> str:
    """What to tell an operator whose command met a database error: most often that the
    database is not migrated (a missing table or column). A database at the code's revision
    that still fails is a bug, and its traceback is kept."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    try:
        require_migrated(app.extensions[EXTENSION])
    except NotMigrated as exc:
        return str(exc)
    except DBAPIError as exc:
        return f"the database cannot be reached: {_first_line(exc.orig)}"
    raise error


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


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
