"""How a failure an operator can meet is told: one line, never a traceback."""

from __future__ import annotations

import click
from flask.cli import ScriptInfo
from sqlalchemy.exc import DBAPIError

from gateway.runtime import EXTENSION, NotMigrated, require_migrated


def database_problem(ctx: click.Context, error: DBAPIError) -> str:
    """What to tell an operator whose command met a database error: most often that the
    database is not migrated (a missing table or column). A database at the code's revision
    that still fails is a bug, and its traceback is kept."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    try:
        require_migrated(app.extensions[EXTENSION])
    except NotMigrated as exc:
        return str(exc)
    except DBAPIError as exc:
        return f"the database cannot be reached: {first_line(exc.orig)}"
    raise error


def first_line(error: BaseException | None) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
