"""``kinga users create|update|password|deactivate|on-call|list``: the roster, from the command
line.

The phone is what alerts are sent to and how SMS replies (ACK, NOTE, CLOSE) are recognised; it
is kept hashed and encrypted and shown masked. Every change is a roster operation, audited
under ``admin_cli``, and takes effect at the commit: a deactivated user gets no further alert.
A change that puts someone on call sends at once the alerts that were waiting for nobody
(``workers.pending_alerts``). On-call windows are in the deployment's time zone.

A console password is only ever typed at a hidden prompt (twice), never given as an argument,
which would stay in the shell's history and in the process list: ``create --password-prompt``
for the first administrator, ``password NAME`` to reset one (it also lifts a lock-out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from case_store.enums import Role
from case_store.masking import mask_phone
from case_store.models import User
from case_store.on_call import (
    EXAMPLE,
    InvalidWindow,
    Slot,
    describe_window,
    is_on_call,
    next_on_call,
    parse_window,
)
from case_store.operations import create_user, deactivate_user, set_on_call, update_user
from case_store.operations.accounts import is_locked, set_password
from case_store.operations.roster import InvalidUser
from case_store.passwords import InvalidPassword, check_new_password
from case_store.queries.users import find_user, list_users
from gateway.cli.areas import area_codes
from gateway.cli.cases import CLI_ACTOR
from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.runtime import Runtime, runtime
from workers.pending_alerts import release_pending

ROLES = [r.value for r in Role]


@click.group("users")
def users_group() -> None:
    """Staff accounts and who is on call (phones masked).

    Example: kinga users list
    """


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--phone", help="Work phone in E.164 form (+2547…): alerts go there.")
@click.option("--area", "areas", multiple=True, help="Area code or name; repeat. None: every area.")
@click.option("--language", "languages", multiple=True, help="Language of alerts; first wins.")
@click.option("--on-call", is_flag=True, help="On call now, whatever the weekly windows say.")
@click.option(
    "--password-prompt",
    is_flag=True,
    help="Ask for a staff console password (typed twice, not shown).",
)
@click.option("--primero-user", help="Their Primero user name: cases assigned to them go to it.")
@with_appcontext
def users_create(
    username: str,
    role: str,
    phone: str | None,
    areas: tuple[str, ...],
    languages: tuple[str, ...],
    on_call: bool,
    password_prompt: bool,
    primero_user: str | None,
) -> None:
    """Create the user USERNAME; with --password-prompt they can sign in to the console.

    Example: kinga users create amina --role admin --password-prompt
    """
    rt = runtime()
    e164 = _phone(phone)
    codes = area_codes(rt.profile, areas)
    _check_languages(rt, languages)
    password = _prompt_password(username) if password_prompt else None
    now = datetime.now(UTC)
    with _saving(rt) as session:
        user = create_user(
            session,
            rt.vault,
            username=username,
            role=role,
            phone=e164,
            now=now,
            areas=codes,
            languages=languages,
            on_call=on_call,
            actor=CLI_ACTOR,
            primero_user=primero_user,
        )
        if password is not None:
            set_password(session, user, password, now=now, actor=CLI_ACTOR)
        document = user_document(rt, user, now=now)
    _release_pending(rt)
    click.echo(json.dumps(document, ensure_ascii=False))


@users_group.command("password")
@click.argument("username")
@with_appcontext
def users_password(username: str) -> None:
    """Set USERNAME's staff console password (asked twice, not shown); a locked account is
    unlocked, and every browser signed in with the old password is signed out. Audited.

    Example: kinga users password amina
    """
    rt = runtime()
    with rt.sessions() as session:
        _find(session, username)
    password = _prompt_password(username)
    now = datetime.now(UTC)
    with _saving(rt) as session:
        user = _find(session, username)
        set_password(session, user, password, now=now, actor=CLI_ACTOR)
        document = user_document(rt, user, now=now)
    click.echo(json.dumps(document, ensure_ascii=False))


def _prompt_password(username: str) -> str:
    """The password typed (twice) at a hidden prompt, asked again until the rules take it."""
    while True:
        password: str = click.prompt(
            "Console password", hide_input=True, confirmation_prompt=True, err=True
        )
        try:
            check_new_password(password, username=username)
        except InvalidPassword as exc:
            click.echo(f"error: {exc}", err=True)
            continue
        return password


@users_group.command("update")
@click.argument("username")
@click.option("--phone", help="New work phone in E.164 form; the old one stops working at once.")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--area", "areas", multiple=True, help="Area code or name; repeat. Replaces them.")
@click.option("--all-areas", is_flag=True, help="Work in every area.")
@click.option("--language", "languages", multiple=True, help="Languages of alerts; replaces them.")
@click.option(
    "--primero-user", help="Their Primero user name (cases assigned to them go to it); '' for none."
)
@with_appcontext
def users_update(
    username: str,
    phone: str | None,
    role: str | None,
    areas: tuple[str, ...],
    all_areas: bool,
    languages: tuple[str, ...],
    primero_user: str | None,
) -> None:
    """Change USERNAME's phone, role, areas, languages or Primero user (what is not given
    stays).

    Example: kinga users update wanjiru --phone +254711000222 --area nairobi
    """
    rt = runtime()
    if areas and all_areas:
        raise click.UsageError("give --area or --all-areas, not both")
    if not (phone or role or areas or all_areas or languages) and primero_user is None:
        raise click.UsageError(
            "nothing to change: give --phone, --role, --area, --language or --primero-user"
        )
    e164 = _phone(phone)
    codes = area_codes(rt.profile, areas)
    _check_languages(rt, languages)
    now = datetime.now(UTC)
    with _saving(rt) as session:
        user = _find(session, username)
        event = update_user(
            session,
            rt.vault,
            user,
            now=now,
            actor=CLI_ACTOR,
            phone=e164,
            role=role,
            areas=[] if all_areas else codes or None,
            languages=languages or None,
            primero_user=primero_user,
        )
        document = user_document(rt, user, now=now)
    if event is None:
        click.echo("note: nothing changed", err=True)
    _release_pending(rt)
    click.echo(json.dumps(document, ensure_ascii=False))


@users_group.command("deactivate")
@click.argument("username")
@with_appcontext
def users_deactivate(username: str) -> None:
    """Take USERNAME off the roster at once (a lost phone, someone leaving): no more alerts,
    and their SMS commands are refused. Audited; their history stays.

    Example: kinga users deactivate wanjiru
    """
    rt = runtime()
    now = datetime.now(UTC)
    with _saving(rt) as session:
        user = _find(session, username)
        deactivate_user(session, user, now=now, actor=CLI_ACTOR)
        document = user_document(rt, user, now=now)
    click.echo(json.dumps(document, ensure_ascii=False))


@users_group.command("on-call")
@click.argument("username")
@click.option(
    "--on/--off", "on_call", default=None, help="On call now whatever the windows say, or not."
)
@click.option(
    "--window",
    "windows",
    multiple=True,
    help=f"Weekly window in the profile's time zone, e.g. {EXAMPLE!r}; repeat. Replaces them.",
)
@click.option("--no-windows", is_flag=True, help="Remove every weekly window.")
@with_appcontext
def users_on_call(
    username: str, on_call: bool | None, windows: tuple[str, ...], no_windows: bool
) -> None:
    """Put USERNAME on call or off call, or set their weekly on-call windows.

    Example: kinga users on-call wanjiru --window "Mon-Fri 08:00-17:00"
    """
    rt = runtime()
    if windows and no_windows:
        raise click.UsageError("give --window or --no-windows, not both")
    if on_call is None and not windows and not no_windows:
        raise click.UsageError("nothing to change: give --on, --off, --window or --no-windows")
    slots: list[Slot] | None = [] if no_windows else None
    if windows:
        try:
            slots = [slot for text in windows for slot in parse_window(text)]
        except InvalidWindow as exc:
            raise click.BadParameter(str(exc), param_hint="--window") from None
    now = datetime.now(UTC)
    with _saving(rt) as session:
        user = _find(session, username)
        event = set_on_call(session, user, now=now, actor=CLI_ACTOR, on_call=on_call, windows=slots)
        document = user_document(rt, user, now=now)
    if event is None:
        click.echo("note: nothing changed", err=True)
    _release_pending(rt)
    click.echo(json.dumps(document, ensure_ascii=False))


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One line of JSON (default: indented).")
@with_appcontext
def users_list(as_json: bool) -> None:
    """Print every user, phones masked, with whether they are on call now and when next.

    Example: kinga users list --json
    """
    rt = runtime()
    now = datetime.now(UTC)
    with rt.sessions() as session:
        rows = [user_document(rt, user, now=now) for user in list_users(session)]
    click.echo(json.dumps(rows, indent=None if as_json else 2, ensure_ascii=False))


def user_document(rt: Runtime, user: User, *, now: datetime) -> dict[str, Any]:
    phone = None
    if user.phone_encrypted is not None:
        phone = mask_phone(rt.vault.decrypt(user.phone_encrypted))
    upcoming = next_on_call(user, after=now, time_zone=rt.profile.time_zone)
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "phone": phone,
        "areas": list(user.areas),
        "languages": list(user.languages),
        "on_call": user.on_call,
        "windows": [describe_window(window) for window in user.on_call_windows],
        "on_call_now": is_on_call(user, now, rt.profile.time_zone),
        "next_on_call": None if upcoming is None else upcoming.isoformat(),
        "active": user.active,
        "console": user.password_hash is not None,
        "locked": is_locked(user, now),
        "primero_user": user.primero_user,
    }


@contextmanager
def _saving(rt: Runtime) -> Iterator[Session]:
    """A transaction whose refusals become one-line errors (and write nothing)."""
    try:
        with rt.sessions.begin() as session:
            yield session
    except (InvalidUser, InvalidPassword) as exc:
        raise click.ClickException(str(exc)) from None
    except IntegrityError:
        raise click.ClickException("that username or phone number was just taken") from None


def _find(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise click.ClickException(f"no user named {username!r} (`kinga users list` shows them)")
    return user


def _phone(phone: str | None) -> str | None:
    if phone is None:
        return None
    try:
        return to_e164(phone)
    except InvalidPhoneNumber as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from None


def _check_languages(rt: Runtime, languages: tuple[str, ...]) -> None:
    unknown = [lang for lang in languages if lang not in rt.profile.languages]
    if unknown:
        enabled = ", ".join(rt.profile.languages)
        raise click.BadParameter(
            f"{', '.join(unknown)} not enabled (enabled: {enabled})", param_hint="--language"
        )


def _release_pending(rt: Runtime) -> None:
    """Send at once the alerts that waited for someone to come on call (the per-minute job
    would within the minute); a Redis outage leaves their sends to the outbox sweeper."""
    released = release_pending(
        rt.sessions,
        rt.redis,
        rt.vault,
        profile=rt.profile,
        max_segments=rt.settings.sms_max_segments,
        now=datetime.now(UTC),
    )
    if released:
        click.echo(f"note: {released} pending alert(s) sent", err=True)
