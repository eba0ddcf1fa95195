"""Referrals to service providers, with a short code read out on a basic phone.

A referral is sent (``refer``, by a person), answered by the provider (``answer_referral``),
and when no answer comes, reminded once and then reported to its caseworker (``remind_referral``,
``mark_unanswered``: the clock's steps, each taken once). Every step is an event on the case.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from case_store.columns import as_utc
from case_store.crypto import Vault
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
    ACTOR_SYSTEM,
    iso,
    record_event,
    record_staff_event,
    refuse_if_closed,
)
from case_store.operations.errors import (
    MAX_NOTE,
    REFERENCE_ATTEMPTS,
    InvalidNote,
    InvalidTransition,
    NoConsent,
    ReferenceExhausted,
)
from case_store.operations.follow_ups import owe_follow_up
from case_store.operations.staff import add_note
from case_store.permissions import Action, check

# Referral codes are read out and typed on basic phones: no 0/O, 1/I/L.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERRAL_CODE_LENGTH = 6


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))


def check_referral(case: Case, *, actor: User, override_reason: str | None = None) -> None:
    """Raise unless ``actor`` may refer ``case`` (whichever provider): the permission, an open
    case, and the reporter's consent or a supervisor's override with its reason (``refer``)."""
    check(actor, Action.REFER, case)
    refuse_if_closed(case, "refer")
    if override_reason is not None:
        check(actor, Action.OVERRIDE_CONSENT, case)
        if not override_reason.strip() or len(override_reason.strip()) > MAX_NOTE:
            raise InvalidNote(f"an override needs a reason of 1 to {MAX_NOTE} characters")
    elif case.consent_share is False:
        raise NoConsent(f"case {case.id} may not be shared with other agencies")
    elif case.consent_services is not True:
        raise NoConsent(f"case {case.id}: the reporter has not agreed to services")


def refer(
    session: Session,
    vault: Vault,
    case: Case,
    service_provider: ServiceProvider,
    service: Service | str,
    *,
    actor: User,
    now: datetime,
    override_reason: str | None = None,
    code_factory: Callable[[], str] = new_referral_code,
) -> Referral:
    """Refer ``case`` to a provider for ``service``; the referral's code is what the provider
    quotes back by SMS.

    Only with the reporter's consent to services (``Case.consent_services``, recorded by
    ``record_consent`` after a call with them) and never when they refused sharing with other
    agencies (whatever their consent to services), unless ``override_reason`` is given: a
    supervisor's recorded decision (``Action.OVERRIDE_CONSENT``), kept as an encrypted note
    (it may name people) that the audit event points at. Refused too when the provider does
    not offer the service in the case's area, or the same referral is already pending.
    Everything is checked before anything is written. The reporter, if they agreed to SMS
    updates, is owed a follow-up.
    """
    check_referral(case, actor=actor, override_reason=override_reason)
    service = Service(service)
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
    note = (
        None
        if override_reason is None
        else add_note(session, vault, case, override_reason, actor=actor, now=now)
    )
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
    after = referral_fields(referral) | {
        "service_provider_id": service_provider.id,
        "provider": service_provider.name,
        "service": service.value,
        "consent_override": note is not None,
        "reason_note_id": None if note is None else note.id,
    }
    record_staff_event(session, case, EventKind.REFERRED, actor, now, None, after)
    return referral


def answer_referral(
    session: Session,
    vault: Vault,
    referral: Referral,
    accepted: bool,
    *,
    now: datetime,
    reason: str | None = None,
) -> CaseEvent | None:
    """The provider accepts or declines by SMS (a decline may say why: kept encrypted, it may
    name people); the same answer again (a resent SMS) is a no-op, a different answer after
    the first is refused. An answer after the caseworker was told of no reply still counts."""
    status = ReferralStatus.ACCEPTED if accepted else ReferralStatus.DECLINED
    if referral.status is status:
        return None
    if referral.status is not ReferralStatus.PENDING:
        raise InvalidTransition(f"referral {referral.id} was already {referral.status.value}")
    now = as_utc(now, "now")
    before = referral_fields(referral)
    referral.status = status
    referral.answered_at = now
    why = (reason or "").strip()[:MAX_NOTE]
    if why and not accepted:
        referral.answer_reason_encrypted = vault.encrypt(why)
    after = referral_fields(referral) | {"has_reason": referral.answer_reason_encrypted is not None}
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


def remind_referral(
    session: Session, referral_id: int, *, now: datetime, sent_before: datetime
) -> Referral | None:
    """Record that the provider is reminded of ``referral_id`` now (the caller queues the
    reminder in the same transaction); None when it was answered, reminded already, or sent
    after ``sent_before``. A conditional UPDATE, the transaction's first write: two sweeps at
    once remind once."""
    return _step(
        session,
        referral_id,
        Referral.reminded_at,
        EventKind.REFERRAL_REMINDED,
        now=now,
        sent_before=sent_before,
    )


def mark_unanswered(
    session: Session, referral_id: int, *, now: datetime, sent_before: datetime
) -> Referral | None:
    """Record that ``referral_id``, sent before ``sent_before`` and still unanswered, is
    reported to its caseworker now (the caller queues the message in the same transaction);
    None when answered or reported already. The referral stays pending: a late answer counts."""
    return _step(
        session,
        referral_id,
        Referral.unanswered_at,
        EventKind.REFERRAL_UNANSWERED,
        now=now,
        sent_before=sent_before,
    )


def referral_fields(referral: Referral) -> dict[str, Any]:
    return {
        "referral_id": referral.id,
        "code": referral.code,
        "status": referral.status.value,
    }


def _step(
    session: Session,
    referral_id: int,
    column: InstrumentedAttribute[datetime | None],
    kind: EventKind,
    *,
    now: datetime,
    sent_before: datetime,
) -> Referral | None:
    now = as_utc(now, "now")
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(Referral)
            .where(
                Referral.id == referral_id,
                Referral.status == ReferralStatus.PENDING,
                Referral.unanswered_at.is_(None),
                column.is_(None),
                Referral.created_at <= as_utc(sent_before, "sent_before"),
            )
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        return None
    referral = session.get(Referral, referral_id, populate_existing=True)
    assert referral is not None
    after = referral_fields(referral) | {column.key: iso(now)}
    record_event(session, referral.case, kind, ACTOR_SYSTEM, None, now, after, {column.key: None})
    return referral


def _unused_referral_code(session: Session, factory: Callable[[], str]) -> str:
    for _ in range(REFERENCE_ATTEMPTS):
        code = factory()
        if session.scalar(select(Referral.id).where(Referral.code == code)) is None:
            return code
    raise ReferenceExhausted(f"no unused referral code after {REFERENCE_ATTEMPTS} attempts")
