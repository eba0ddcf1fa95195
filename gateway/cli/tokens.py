"""``kinga tokens create|list|revoke``: bearer tokens of the JSON API, from the command line.

A token acts as its account: the same role, areas and audit as that person in the console. The
secret is printed once, when made, and only its hash is kept: a lost token is revoked and a new
one made. Making and revoking are recorded on the account's trail under ``admin_cli``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask.cli import with_appcontext

from case_store.api_tokens import usable
from case_store.models import ApiToken
from case_store.operations.api_tokens import InvalidToken, create_token, revoke_token
from case_store.operations.audit import iso
from case_store.queries.api_tokens import get_token, list_tokens
from case_store.queries.users import find_user
from gateway.cli.cases import CLI_ACTOR
from gateway.runtime import runtime


@click.group("tokens")
def tokens_group() -> None:
    """Bearer tokens of the JSON API (/api/v1), one or more per staff account.

    Example: kinga tokens list
    """


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'Primero sync'.")
@click.option(
    "--expires-days", type=click.IntRange(min=1, max=3650), help="Expire after this many days."
)
@with_appcontext
def tokens_create(username: str, name: str, expires_days: int | None) -> None:
    """Make a token for USERNAME and print it once (only its hash is kept).

    Example: kinga tokens create amina --name "Primero sync" --expires-days 90
    """
    rt = runtime()
    now = datetime.now(UTC)
    expires_at = None if expires_days is None else now + timedelta(days=expires_days)
    with rt.sessions.begin() as session:
        user = find_user(session, username)
        if user is None:
            raise click.ClickException(f"no user named {username!r} (`kinga users list`)")
        try:
            token, secret = create_token(
                session, user, name=name, now=now, actor=CLI_ACTOR, expires_at=expires_at
            )
        except InvalidToken as exc:
            raise click.ClickException(str(exc)) from None
        document = token_document(token, now=now)
    click.echo(json.dumps(document | {"token": secret}, ensure_ascii=False))
    click.echo("note: the token is shown this once; keep it in a secret store", err=True)


@tokens_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One line of JSON (default: indented).")
@with_appcontext
def tokens_list(as_json: bool) -> None:
    """Print every token (never its secret): whose, its name, when made, last used, revoked,
    and when it expires.

    Example: kinga tokens list --json
    """
    rt = runtime()
    now = datetime.now(UTC)
    with rt.sessions() as session:
        rows = [token_document(token, now=now) for token in list_tokens(session)]
    click.echo(json.dumps(rows, indent=None if as_json else 2, ensure_ascii=False))


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke the token TOKEN_ID (as `kinga tokens list` shows it) at once.

    Example: kinga tokens revoke 3
    """
    rt = runtime()
    now = datetime.now(UTC)
    with rt.sessions.begin() as session:
        token = get_token(session, token_id)
        if token is None:
            raise click.ClickException(f"no token {token_id} (`kinga tokens list`)")
        if revoke_token(session, token, now=now, actor=CLI_ACTOR) is None:
            click.echo("note: it was revoked already", err=True)
        document = token_document(token, now=now)
    click.echo(json.dumps(document, ensure_ascii=False))


def token_document(token: ApiToken, *, now: datetime) -> dict[str, Any]:
    return {
        "id": token.id,
        "username": token.user.username,
        "name": token.name,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
        "usable": usable(token, now),
    }
