"""Referrals to service providers, with a short code read out on a basic phone."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import (
    EventKind,
    ReferralStatus,
    Service,
)
from case_store.models import (
    Case,
    CaseEvent,
    Referral,
    ServiceProvider,
    User,
)
from case_store.operations.audit import (
    ACTOR_SERVICE_PROVIDER,
    record_event,
    record_staff_event,
    refuse_if_closed,
)
from case_store.operations.errors import REFERENCE_ATTEMPTS, InvalidTransition, ReferenceExhausted
from case_store.operations.follow_ups import owe_follow_up
from case_store.permissions import Action, check

# Referral codes are read out and typed on basic phones: no 0/O, 1/I/L.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERRAL_CODE_LENGTH = 6


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))


def refer(
    session: Session,
    case: Case,
    service_provider: ServiceProvider,
    service: Service | str,
    *,
    actor: User,
    now: datetime,
    code_factory: Callable[[], str] = new_referral_code,
) -> Referral:
    """Refer ``case`` to a provider for ``service``; the referral's code is what the provider
    quotes back by SMS. Refused when the reporter declined sharing with other agencies, when
    the provider does not offer the service in the case's area, or when the same referral is
    already pending. The reporter, if they agreed to SMS updates, is owed a follow-up."""
    check(actor, Action.REFER, case)
    refuse_if_closed(case, "refer")
    service = Service(service)
    if case.consent_share is False:
        raise InvalidTransition(f"case {case.id} may not be shared with other agencies")
    if not service_provider.offers(service, case.location_code):
        raise InvalidTransition(
            f"service provider {service_provider.id} does not offer {service.value} there"
        )
    pending = session.scalar(
        select(Referral.id).where(
            Referral.case_id == case.id,
            Referral.service_provider_id == service_provider.id,
            Referral.service == service,
            Referral.status == ReferralStatus.PENDING,
        )
    )
    if pending is not None:
        raise InvalidTransition(f"referral {pending} is already pending")
    now = as_utc(now, "now")
    referral = Referral(
        case=case,
        service_provider=service_provider,
        service=service,
        code=_unused_referral_code(session, code_factory),
        status=ReferralStatus.PENDING,
        created_at=now,
        created_by=actor,
    )
    session.add(referral)
    session.flush()
    owe_follow_up(case, now=now)
    after = {
        "referral_id": referral.id,
        "service_provider_id": service_provider.id,
        "service": service.value,
        "status": referral.status.value,
    }
    record_staff_event(session, case, EventKind.REFERRED, actor, now, None, after)
    return referral


def answer_referral(
    session: Session, referral: Referral, accepted: bool, *, now: datetime
) -> CaseEvent | None:
    """The provider accepts or declines by SMS; the same answer again (a resent SMS) is a
    no-op, a different answer after the first is refused."""
    status = ReferralStatus.ACCEPTED if accepted else ReferralStatus.DECLINED
    if referral.status is status:
        return None
    if referral.status is not ReferralStatus.PENDING:
        raise InvalidTransition(f"referral {referral.id} was already {referral.status.value}")
    now = as_utc(now, "now")
    before = {"referral_id": referral.id, "status": referral.status.value}
    referral.status = status
    referral.answered_at = now
    after = {"referral_id": referral.id, "status": status.value}
    return record_event(
        session,
        referral.case,
        EventKind.REFERRAL_ANSWERED,
        ACTOR_SERVICE_PROVIDER,
        None,
        now,
        after,
        before,
    )


def _unused_referral_code(session: Session, factory: Callable[[], str]) -> str:
    for _ in range(REFERENCE_ATTEMPTS):
        code = factory()
        if session.scalar(select(Referral.id).where(Referral.code == code)) is None:
            return code
    raise ReferenceExhausted(f"no unused referral code after {REFERENCE_ATTEMPTS} attempts")
