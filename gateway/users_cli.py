"""``kinga users create|list``: staff accounts, with the work phone kept hashed and encrypted.

The phone is what alerts are sent to and how SMS replies (ACK, NOTE, CLOSE) are recognised;
``list`` shows it masked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from case_store.crypto import Vault
from case_store.enums import Role
from case_store.masking import mask_phone
from case_store.models import User
from case_store.users import InvalidUser, create_user, list_users
from gateway.areas_cli import area_codes
from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.runtime import runtime


@click.group("users")
def users_group() -> None:
    """Staff accounts (phones masked)."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--phone", help="Work phone in E.164 form (+2547…): alerts go there.")
@click.option("--area", "areas", multiple=True, help="Area code or name; repeat. None: every area.")
@click.option("--language", "languages", multiple=True, help="Language of alerts; first wins.")
@click.option("--on-call", is_flag=True, help="On call now, whatever the weekly windows say.")
@with_appcontext
def users_create(
    username: str,
    role: str,
    phone: str | None,
    areas: tuple[str, ...],
    languages: tuple[str, ...],
    on_call: bool,
) -> None:
    """Create the user USERNAME."""
    rt = runtime()
    e164 = None
    if phone is not None:
        try:
            e164 = to_e164(phone)
        except InvalidPhoneNumber as exc:
            raise click.BadParameter(str(exc), param_hint="--phone") from None
    codes = area_codes(rt.profile, areas)
    unknown_languages = [lang for lang in languages if lang not in rt.profile.languages]
    if unknown_languages:
        enabled = ", ".join(rt.profile.languages)
        raise click.BadParameter(
            f"{', '.join(unknown_languages)} not enabled (enabled: {enabled})",
            param_hint="--language",
        )
    try:
        with rt.sessions.begin() as session:
            user = create_user(
                session,
                rt.vault,
                username=username,
                role=role,
                phone=e164,
                now=datetime.now(UTC),
                areas=codes,
                languages=languages,
                on_call=on_call,
            )
            document = user_document(user, rt.vault)
    except InvalidUser as exc:
        raise click.ClickException(str(exc)) from None
    except IntegrityError:
        raise click.ClickException("that username or phone number was just taken") from None
    click.echo(json.dumps(document, ensure_ascii=False))


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One line of JSON (default: indented).")
@with_appcontext
def users_list(as_json: bool) -> None:
    """Print every user, phones masked."""
    rt = runtime()
    with rt.sessions() as session:
        rows = [user_document(user, rt.vault) for user in list_users(session)]
    click.echo(json.dumps(rows, indent=None if as_json else 2, ensure_ascii=False))


def user_document(user: User, vault: Vault) -> dict[str, Any]:
    phone = None
    if user.phone_encrypted is not None:
        phone = mask_phone(vault.decrypt(user.phone_encrypted))
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "phone": phone,
        "areas": list(user.areas),
        "languages": list(user.languages),
        "on_call": user.on_call,
        "active": user.active,
    }
