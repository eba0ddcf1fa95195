"""``kinga db upgrade|downgrade``: Alembic migrations, each refusal one line.

A downgrade names the revision it keeps and asks first: it drops the tables and columns above it
with their data.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError

from case_store import migrate
from gateway.cli.failures import first_line
from gateway.runtime import runtime


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
        raise click.ClickException(f"the migration failed: {first_line(exc.orig)}") from None
    click.echo(f"database at {revision}")
