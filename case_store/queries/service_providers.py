"""Service providers: listed, found by the phone their answers come from, and chosen for a
referral.

The choice is deterministic: among the active providers offering the service in the case's
area, leaving out those this case was already sent to for that service and that have not
accepted (waiting for their answer, or declined), the one with the fewest referrals waiting
for an answer, then the lowest id (the longest registered).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import ReferralStatus, Service
from case_store.models import Case, Referral, ServiceProvider


def list_providers(
    session: Session,
    *,
    service: Service | None = None,
    area: str | None = None,
    active: bool | None = None,
) -> list[ServiceProvider]:
    """Providers by id; only those offering ``service``, serving ``area`` (a provider of every
    area serves it) or ``active`` (or not) when given."""
    query = select(ServiceProvider).order_by(ServiceProvider.id)
    if active is not None:
        query = query.where(ServiceProvider.active.is_(active))
    # Services and areas are JSON lists, and providers a few dozen: filtered here.
    return [
        provider
        for provider in session.scalars(query)
        if (service is None or service.value in provider.services)
        and (area is None or not provider.areas or area in provider.areas)
    ]


def find_provider_by_phone(session: Session, vault: Vault, phone: str) -> ServiceProvider | None:
    """The provider whose registered phone is ``phone``, active or not, or None."""
    return session.scalars(
        select(ServiceProvider).where(ServiceProvider.phone_hash == vault.phone_hash(phone))
    ).one_or_none()


def open_referral_counts(session: Session, provider_ids: Collection[int]) -> dict[int, int]:
    """Per provider id, how many of its referrals wait for its answer (none: left out)."""
    if not provider_ids:
        return {}
    rows = session.execute(
        select(Referral.service_provider_id, func.count())
        .where(
            Referral.service_provider_id.in_(provider_ids),
            Referral.status == ReferralStatus.PENDING,
        )
        .group_by(Referral.service_provider_id)
    )
    return {provider_id: count for provider_id, count in rows}


def choose_provider(session: Session, case: Case, service: Service) -> ServiceProvider | None:
    """The provider a new referral of ``case`` for ``service`` goes to (module docstring), or
    None when there is none."""
    tried = select(Referral.service_provider_id).where(
        Referral.case_id == case.id,
        Referral.service == service,
        Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.DECLINED)),
    )
    active = session.scalars(
        select(ServiceProvider)
        .where(
            ServiceProvider.active.is_(True),
            ServiceProvider.phone_encrypted.is_not(None),
            ServiceProvider.id.not_in(tried),
        )
        .order_by(ServiceProvider.id)
    )
    candidates = [p for p in active if p.offers(service, case.location_code)]
    counts = open_referral_counts(session, [p.id for p in candidates])
    return min(candidates, key=lambda p: (counts.get(p.id, 0), p.id), default=None)
