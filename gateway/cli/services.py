"""``kinga services create|update|deactivate|reactivate|list``: the service providers cases
are referred to.

A provider is an organisation (a clinic, a police desk, a shelter) with the service types it
offers, the areas it serves, the languages its texts go in, and one phone: referrals are sent
there and its YES / NO answers are recognised by it. The phone is kept hashed and encrypted and
shown masked. Every change is a provider operation, audited under ``admin_cli``; a deactivated
provider gets no new referral from the commit on.
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

from case_store.masking import mask_phone
from case_store.models import ServiceProvider
from case_store.operations import (
    InvalidProvider,
    create_provider,
    deactivate_provider,
    reactivate_provider,
    update_provider,
)
from case_store.queries.service_providers import list_providers, open_referral_counts
from case_store.service_types import SERVICE_TYPES, service_type
from gateway.cli.areas import area_codes
from gateway.cli.cases import CLI_ACTOR
from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.runtime import Runtime, runtime
from workers.referral_texts import provider_language

TYPES = list(SERVICE_TYPES)


@click.group("services")
def services_group() -> None:
    """Service providers that cases are referred to (phones masked).

    Example: kinga services list
    """


@services_group.command("create")
@click.argument("name")
@click.option(
    "--type",
    "types",
    multiple=True,
    required=True,
    type=click.Choice(TYPES),
    help="A service it offers; repeat for several.",
)
@click.option("--areas", help="Area codes or names it serves, comma-separated (001,047).")
@click.option("--all-areas", is_flag=True, help="It serves every area.")
@click.option(
    "--phone", required=True, help="Its phone in E.164 form (+2547…): referrals go there."
)
@click.option("--languages", help="Languages of its texts, comma-separated, first wins (sw,en).")
@with_appcontext
def services_create(
    name: str,
    types: tuple[str, ...],
    areas: str | None,
    all_areas: bool,
    phone: str,
    languages: str | None,
) -> None:
    """Register the service provider NAME (an organisation's name, shown to caseworkers).

    Example: kinga services create "Coast Clinic" --type health --areas 001 --phone +254700222001
    """
    rt = runtime()
    if bool(areas) == all_areas:
        raise click.UsageError("give --areas or --all-areas (one of them)")
    codes = [] if all_areas else _areas(rt, areas)
    spoken = _languages(rt, languages)
    now = datetime.now(UTC)
    with _saving(rt) as session:
        provider = create_provider(
            session,
            rt.vault,
            name=name,
            services=types,
            areas=codes,
            phone=_phone(phone),
            languages=spoken,
            now=now,
            known_areas=_known(rt),
            actor=CLI_ACTOR,
        )
        document = provider_document(rt, provider, waiting=0)
    click.echo(json.dumps(document, ensure_ascii=False))


@services_group.command("update")
@click.argument("provider_id", metavar="ID", type=int)
@click.option("--name", help="A new name.")
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(TYPES),
    help="A service it offers; repeat for several. Replaces them.",
)
@click.option("--areas", help="Area codes or names, comma-separated. Replaces them.")
@click.option("--all-areas", is_flag=True, help="It serves every area.")
@click.option("--phone", help="A new phone in E.164 form; the old one stops answering at once.")
@click.option("--languages", help="Languages of its texts, comma-separated. Replaces them.")
@with_appcontext
def services_update(
    provider_id: int,
    name: str | None,
    types: tuple[str, ...],
    areas: str | None,
    all_areas: bool,
    phone: str | None,
    languages: str | None,
) -> None:
    """Change the provider with ID (as `kinga services list` shows it); what is not given stays.

    Example: kinga services update 3 --areas 001,047 --phone +254700222002
    """
    rt = runtime()
    if areas and all_areas:
        raise click.UsageError("give --areas or --all-areas, not both")
    if not (name or types or areas or all_areas or phone or languages):
        raise click.UsageError(
            "nothing to change: give --name, --type, --areas, --phone or --languages"
        )
    codes = [] if all_areas else _areas(rt, areas) if areas else None
    spoken = _languages(rt, languages) if languages else None
    now = datetime.now(UTC)
    with _saving(rt) as session:
        provider = _find(session, provider_id)
        event = update_provider(
            session,
            rt.vault,
            provider,
            now=now,
            actor=CLI_ACTOR,
            known_areas=_known(rt),
            name=name,
            services=types or None,
            areas=codes,
            phone=_phone(phone) if phone else None,
            languages=spoken,
        )
        document = provider_document(rt, provider, waiting=_waiting(session, provider))
    if event is None:
        click.echo("note: nothing changed", err=True)
    click.echo(json.dumps(document, ensure_ascii=False))


@services_group.command("deactivate")
@click.argument("provider_id", metavar="ID", type=int)
@with_appcontext
def services_deactivate(provider_id: int) -> None:
    """Stop referring cases to the provider with ID (closed, or no longer reachable). Its
    referrals and history stay; audited.

    Example: kinga services deactivate 3
    """
    rt = runtime()
    with _saving(rt) as session:
        provider = _find(session, provider_id)
        deactivate_provider(session, provider, now=datetime.now(UTC), actor=CLI_ACTOR)
        document = provider_document(rt, provider, waiting=_waiting(session, provider))
    click.echo(json.dumps(document, ensure_ascii=False))


@services_group.command("reactivate")
@click.argument("provider_id", metavar="ID", type=int)
@with_appcontext
def services_reactivate(provider_id: int) -> None:
    """Refer cases to the deactivated provider with ID again; audited.

    Example: kinga services reactivate 3
    """
    rt = runtime()
    with _saving(rt) as session:
        provider = _find(session, provider_id)
        reactivate_provider(session, provider, now=datetime.now(UTC), actor=CLI_ACTOR)
        document = provider_document(rt, provider, waiting=_waiting(session, provider))
    click.echo(json.dumps(document, ensure_ascii=False))


@services_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One line of JSON (default: indented).")
@with_appcontext
def services_list(as_json: bool) -> None:
    """Print every service provider, phones masked, with how many referrals wait for its answer.

    Example: kinga services list --json
    """
    rt = runtime()
    with rt.sessions() as session:
        providers = list_providers(session)
        waiting = open_referral_counts(session, [p.id for p in providers])
        rows = [provider_document(rt, p, waiting=waiting.get(p.id, 0)) for p in providers]
    click.echo(json.dumps(rows, indent=None if as_json else 2, ensure_ascii=False))


def provider_document(rt: Runtime, provider: ServiceProvider, *, waiting: int) -> dict[str, Any]:
    phone = None
    if provider.phone_encrypted is not None:
        phone = mask_phone(rt.vault.decrypt(provider.phone_encrypted))
    return {
        "id": provider.id,
        "name": provider.name,
        "types": [service_type(service) for service in provider.services],
        "areas": list(provider.areas),
        "languages": list(provider.languages),
        "texts_in": provider_language(provider.languages, rt.profile),
        "phone": phone,
        "active": provider.active,
        "waiting_referrals": waiting,
    }


@contextmanager
def _saving(rt: Runtime) -> Iterator[Session]:
    """A transaction whose refusals become one-line errors (and write nothing)."""
    try:
        with rt.sessions.begin() as session:
            yield session
    except InvalidProvider as exc:
        raise click.ClickException(str(exc)) from None
    except IntegrityError:
        raise click.ClickException("that phone number was just taken") from None


def _find(session: Session, provider_id: int) -> ServiceProvider:
    provider = session.get(ServiceProvider, provider_id)
    if provider is None:
        raise click.ClickException(
            f"no service provider with id {provider_id} (`kinga services list` shows them)"
        )
    return provider


def _waiting(session: Session, provider: ServiceProvider) -> int:
    return open_referral_counts(session, [provider.id]).get(provider.id, 0)


def _known(rt: Runtime) -> set[str]:
    return {location.code for location in rt.profile.locations}


def _areas(rt: Runtime, text: str | None) -> list[str]:
    parts = [part for part in (text or "").split(",") if part.strip()]
    if not parts:
        raise click.BadParameter("name at least one area", param_hint="--areas")
    return area_codes(rt.profile, parts, "--areas")


def _languages(rt: Runtime, text: str | None) -> list[str]:
    """The languages given; a note when the deployment ships none of them."""
    chosen = [part.strip() for part in (text or "").split(",") if part.strip()]
    if chosen and not any(language in rt.profile.languages for language in chosen):
        click.echo(
            f"note: none of {', '.join(chosen)} is enabled; its texts go in "
            f"{rt.profile.default_language}",
            err=True,
        )
    return chosen


def _phone(phone: str) -> str:
    try:
        return to_e164(phone)
    except InvalidPhoneNumber as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from None
