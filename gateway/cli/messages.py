"""``kinga messages list``: the message log for operators, numbers masked, bodies not shown.

It is also how a developer sees what the ``log`` provider "sent": every outbound message is
there with its provider, status, attempts and timeline, and, outside production only,
``--bodies`` adds the text itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import with_appcontext

from case_store.crypto import Vault
from case_store.enums import Direction
from case_store.masking import mask_phone
from case_store.models import Message
from case_store.queries.messages import list_messages
from case_store.references import format_reference
from gateway.runtime import runtime

DIRECTIONS = {"in": Direction.INBOUND, "out": Direction.OUTBOUND}
PURGED = "[purged]"


@click.group("messages")
def messages_group() -> None:
    """The SMS message log (numbers masked; texts only with --bodies, outside production).

    Example: kinga messages list --since 2026-03-01 --direction out
    """


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "an ISO 8601 date or date and time", param_hint="--since"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@messages_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One line of JSON (default: indented).")
@click.option(
    "--since", help="Only messages logged at or after this ISO 8601 time (UTC if no zone)."
)
@click.option("--direction", type=click.Choice(sorted(DIRECTIONS)), help="in or out.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--bodies", is_flag=True, help="Show message texts (development only).")
@with_appcontext
def messages_list(
    as_json: bool, since: str | None, direction: str | None, limit: int, bodies: bool
) -> None:
    """Print recent messages, newest first (JSON).

    Example: kinga messages list --json --since 2026-03-01 --direction in
    """
    rt = runtime()
    if bodies and rt.settings.production:
        raise click.UsageError("--bodies is refused when KINGA_ENV=production")
    with rt.sessions() as session:
        messages = list_messages(
            session,
            since=_since(since),
            direction=DIRECTIONS[direction] if direction else None,
            limit=limit,
        )
        rows = [message_summary(rt.vault, message, show_body=bodies) for message in messages]
    click.echo(json.dumps(rows, indent=None if as_json else 2, ensure_ascii=False))


def message_summary(vault: Vault, message: Message, *, show_body: bool = False) -> dict[str, Any]:
    """A message as operators see it: the number masked, the body only as its length (and
    the text itself when ``show_body``, which only development allows)."""
    phone = vault.decrypt(message.phone_encrypted) if message.phone_encrypted else None
    body = vault.decrypt(message.body_encrypted) if message.body_encrypted else None
    summary = {
        "id": message.public_id,
        "direction": "in" if message.direction is Direction.INBOUND else "out",
        "channel": message.channel.value,
        "phone": mask_phone(phone) if phone else PURGED,
        "characters": len(body) if body is not None else None,
        "encoding": message.encoding,
        "segments": message.segments,
        "purpose": message.purpose.value if message.purpose else None,
        "provider": message.provider,
        "provider_id": message.provider_id,
        "status": message.status.value,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "cost": message.cost,
        "case": format_reference(message.case.reference) if message.case else None,
        "created_at": message.created_at.isoformat(),
        "updated_at": message.updated_at.isoformat(),
        "timeline": [
            {**event.as_dict(), "provider_id": event.provider_id} for event in message.timeline
        ],
    }
    if show_body:
        summary["body"] = body if body is not None else PURGED
    return summary
