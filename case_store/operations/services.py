"""Service providers created, changed and deactivated, each change audited
(``ServiceProviderEvent``), as the roster is for staff.

A provider is data: an organisation's name, the services it offers (``case_store.service_types``),
the areas it serves (empty: every area), the languages its texts go in, and the one phone
referrals go to and answers come from (encrypted, and hashed to recognise its answers). Every
change is checked before anything is written; the errors name the field, never the number.
Deactivating a provider takes it out of every new referral at the commit; its referrals and
history stay, and reactivating it puts it back. A staff member acting (the console) must hold
``Action.MANAGE_SERVICES``; the command line acts as ``admin_cli``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import E164, Vault
from case_store.enums import Service, ServiceProviderEventKind
from case_store.models import ServiceProvider, ServiceProviderEvent, User
from case_store.operations.audit import ACTOR_SYSTEM, provider_fields, record_provider_event
from case_store.permissions import Action, check_role
from case_store.service_types import UnknownServiceType, parse_service_type

# Shown in the texts to caseworkers: a long name would cost a segment.
MAX_PROVIDER_NAME = 60
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")


class InvalidProvider(ValueError):
    """A provider the store cannot keep; the text names the field, never a phone number."""


class DuplicateProvider(InvalidProvider):
    """The phone number already belongs to another provider."""


def create_provider(
    session: Session,
    vault: Vault,
    *,
    name: str,
    services: Iterable[Service | str],
    areas: Iterable[str],
    phone: str,
    now: datetime,
    known_areas: Collection[str],
    languages: Iterable[str] = (),
    actor: str | User = ACTOR_SYSTEM,
) -> ServiceProvider:
    """A new active provider. ``services`` are type words (``health``) or ``Service`` values;
    ``areas`` must all be in ``known_areas`` (the profile's codes; none: every area);
    ``phone`` must be in E.164 form (put so at the edge) and no other provider's."""
    _check(actor)
    provider = ServiceProvider(
        name=_name(name),
        services=_services(services),
        areas=_areas(areas, known_areas),
        languages=_languages(languages),
        phone_hash=_free_phone_hash(session, vault, phone),
        phone_encrypted=vault.encrypt(phone),
        active=True,
        created_at=as_utc(now, "now"),
    )
    session.add(provider)
    session.flush()
    after = provider_fields(provider)
    record_provider_event(
        session, provider, ServiceProviderEventKind.CREATED, actor, now, None, after
    )
    return provider


def update_provider(
    session: Session,
    vault: Vault,
    provider: ServiceProvider,
    *,
    now: datetime,
    actor: str | User,
    known_areas: Collection[str],
    name: str | None = None,
    services: Iterable[Service | str] | None = None,
    areas: Iterable[str] | None = None,
    phone: str | None = None,
    languages: Iterable[str] | None = None,
) -> ServiceProviderEvent | None:
    """Change what is given (``areas=[]``: every area); None when nothing changes. Everything
    is checked before anything is written."""
    _check(actor)
    new_name = provider.name if name is None else _name(name)
    new_services = provider.services if services is None else _services(services)
    new_areas = provider.areas if areas is None else _areas(areas, known_areas)
    new_languages = provider.languages if languages is None else _languages(languages)
    phone_hash = provider.phone_hash
    if phone is not None:
        phone_hash = _free_phone_hash(session, vault, phone, provider_id=provider.id)
    phone_changed = phone_hash != provider.phone_hash
    new = (new_name, new_services, new_areas, new_languages)
    old = (provider.name, provider.services, provider.areas, provider.languages)
    if new == old and not phone_changed:
        return None
    before = provider_fields(provider)
    provider.name, provider.services, provider.areas, provider.languages = new
    if phone is not None and phone_changed:
        provider.phone_hash, provider.phone_encrypted = phone_hash, vault.encrypt(phone)
    after = provider_fields(provider) | {"phone_changed": phone_changed}
    return record_provider_event(
        session, provider, ServiceProviderEventKind.UPDATED, actor, now, before, after
    )


def deactivate_provider(
    session: Session, provider: ServiceProvider, *, now: datetime, actor: str | User
) -> ServiceProviderEvent:
    """No new referral goes to ``provider`` from the commit on (its pending referrals get no
    reminder; their caseworkers are still told when the answer is overdue)."""
    _check(actor)
    if not provider.active:
        raise InvalidProvider(f"service provider {provider.id} is already deactivated")
    before = provider_fields(provider)
    provider.active = False
    after = provider_fields(provider)
    return record_provider_event(
        session, provider, ServiceProviderEventKind.DEACTIVATED, actor, now, before, after
    )


def reactivate_provider(
    session: Session, provider: ServiceProvider, *, now: datetime, actor: str | User
) -> ServiceProviderEvent:
    """New referrals may go to ``provider`` again from the commit on. Its phone is still its
    own: no staff account may take a provider's phone, even a deactivated provider's."""
    _check(actor)
    if provider.active:
        raise InvalidProvider(f"service provider {provider.id} is active")
    before = provider_fields(provider)
    provider.active = True
    after = provider_fields(provider)
    return record_provider_event(
        session, provider, ServiceProviderEventKind.REACTIVATED, actor, now, before, after
    )


def _check(actor: str | User) -> None:
    if isinstance(actor, User):
        check_role(actor, Action.MANAGE_SERVICES)


def _name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_PROVIDER_NAME:
        raise InvalidProvider(f"a provider's name has 1 to {MAX_PROVIDER_NAME} characters")
    return cleaned


def _services(services: Iterable[Service | str]) -> list[str]:
    chosen: list[str] = []
    for service in services:
        try:
            value = service if isinstance(service, Service) else parse_service_type(service)
        except UnknownServiceType as exc:
            raise InvalidProvider(str(exc)) from None
        if value.value not in chosen:
            chosen.append(value.value)
    if not chosen:
        raise InvalidProvider("a provider offers at least one service type")
    return chosen


def _areas(areas: Iterable[str], known: Collection[str]) -> list[str]:
    codes = sorted(set(areas))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidProvider(
            f"unknown area code {', '.join(unknown)} (`kinga areas list` prints them)"
        )
    return codes


def _languages(languages: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(language.strip() for language in languages))
    bad = [language for language in chosen if not _LANGUAGE.fullmatch(language)]
    if bad:
        raise InvalidProvider(f"{', '.join(map(repr, bad))} is not a language code such as sw")
    return chosen


def _free_phone_hash(
    session: Session, vault: Vault, phone: str, *, provider_id: int | None = None
) -> str:
    if not E164.fullmatch(phone):
        raise InvalidProvider("the phone number must be in E.164 form (+254…)")
    phone_hash = vault.phone_hash(phone)
    holder = session.scalar(
        select(ServiceProvider.id).where(ServiceProvider.phone_hash == phone_hash)
    )
    if holder is not None and holder != provider_id:
        raise DuplicateProvider("that phone number belongs to another service provider")
    # An SMS from it would be both a provider's answer and a staff command.
    if session.scalar(select(User.id).where(User.phone_hash == phone_hash)) is not None:
        raise DuplicateProvider("that phone number is a staff user's work phone")
    return phone_hash
