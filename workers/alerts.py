"""Alerts to staff about a case: who gets one, what it says, and queueing it with the case.

An alert says only what a caseworker needs to act (docs/product.md): the reference, the level, the
area, the first-contact deadline and how to acknowledge. Never a name, a narrative, a place or
anything about the child: a work phone is read on a bus, or lent.

Nobody on call must never mean nobody told. In order of resort:

1. A new case goes to the on-call caseworkers for its area; when there are none, to the
   on-call supervisors.
2. When nobody is on call for the area, the alert is kept pending on the case (durable,
   audited: ``hold_alert``) and goes out once someone for the area is on call
   (``workers.pending_alerts``).
3. An immediate case unacknowledged after ``escalate_within`` goes to the on-call supervisors
   (``workers.escalation``).
4. An immediate or high case unacknowledged at its assign-by deadline goes to the profile's
   fallback of last resort: the on-call users with its roles for the area, and the duty phone
   (``workers.fallback``).

The fallback leaves out whoever was alerted about the case already, and an escalation whoever
the fallback told: nobody hears twice that the case is not acknowledged. Each alert is in the
recipient's own language (``User.languages[0]``, English when the deployment lacks it); the
duty phone's in the deployment's default language. Only people who may take the case are told
to reply ACK.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from babel.support import Translations
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import MessagePurpose, RiskLevel, Role
from case_store.models import Case, OutboxRow, User
from case_store.operations import hold_alert
from case_store.operations.outbox import add_outbox
from case_store.permissions import can_be_assigned
from case_store.queries.cases import alerted_phone_hashes, on_call_users
from case_store.queries.users import staff_language
from case_store.references import format_reference
from case_store.triage import TriagePolicy
from dialogs.render import N_, fold_to_gsm7, load_translations
from workers.context import Deployment
from workers.dispatch import ESCALATE_JOB, FALLBACK_ALERT_JOB
from workers.sms.queueing import TooLong, queue_sms

log = logging.getLogger("kinga.alerts")


NEW_CASE = N_(
    "Kinga: new case {reference}, level {level}, {area}. "
    "First contact by {deadline}. Reply ACK {ack}"
)
ESCALATION = N_(
    "Kinga: case {reference} NOT acknowledged, level {level}, {area}. "
    "First contact by {deadline}. Reply ACK {ack}"
)
# To the fallback who cannot take the case themselves (an administrator, the duty phone).
FALLBACK = N_(
    "Kinga: case {reference} NOT acknowledged, level {level}, {area}. "
    "First contact by {deadline}. Please find a caseworker for it."
)
FALLBACK_LEVELS = frozenset({RiskLevel.IMMEDIATE, RiskLevel.HIGH})
LEVELS = {
    RiskLevel.IMMEDIATE: N_("IMMEDIATE"),
    RiskLevel.HIGH: N_("HIGH"),
    RiskLevel.MEDIUM: N_("MEDIUM"),
    RiskLevel.LOW: N_("LOW"),
}


def deadline_text(deadline: datetime, *, now: datetime, time_zone: tzinfo) -> str:
    """``14:30`` when due today in the deployment's zone, else ``2026-03-09 14:30``."""
    local = as_utc(deadline, "deadline").astimezone(time_zone)
    today = as_utc(now, "now").astimezone(time_zone).date()
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")


def alert_text(
    case: Case,
    translations: Translations,
    message: str,
    *,
    profile: Deployment,
    now: datetime,
) -> str:
    location = profile.location(case.location_code)
    values = {
        "reference": format_reference(case.reference),
        "level": translations.gettext(LEVELS[case.risk_level]),
        "area": location.name if location is not None else case.location_code,
        "deadline": deadline_text(case.first_contact_by, now=now, time_zone=profile.time_zone),
        "ack": case.reference,
    }
    return translations.gettext(message).format_map(values)


@dataclass(frozen=True)
class Recipient:
    phone: str
    language: str
    message: str  # NEW_CASE, ESCALATION or FALLBACK
    user_id: int | None = None  # None: the duty phone


def alert_recipients(
    session: Session, case: Case, *, at: datetime, time_zone: tzinfo, escalation: bool = False
) -> list[User]:
    """Who is alerted about ``case`` at ``at`` (see the module docstring): the on-call
    caseworkers for its area, else its supervisors; its supervisors for an escalation. Users
    without a work phone are left out, with a warning."""
    on_call = on_call_users(session, at=at, time_zone=time_zone, location_code=case.location_code)
    caseworkers = [user for user in on_call if user.role is Role.CASEWORKER]
    supervisors = [user for user in on_call if user.role is Role.SUPERVISOR]
    chosen = supervisors if escalation else caseworkers or supervisors
    for user in chosen:
        if user.phone_encrypted is None:
            log.warning("user %s is on call without a work phone; no alert", user.id)
    return [user for user in chosen if user.phone_encrypted is not None]


def _staff(
    vault: Vault, users: Sequence[User], message: str, profile: Deployment
) -> list[Recipient]:
    return [
        Recipient(
            vault.decrypt(user.phone_encrypted),
            staff_language(user, profile.languages),
            message,
            user.id,
        )
        for user in users
        if user.phone_encrypted is not None
    ]


def queue_alerts(
    session: Session,
    vault: Vault,
    case: Case,
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
    escalation: bool = False,
) -> list[OutboxRow]:
    """Queue one alert per recipient in the caller's transaction; the outbox rows to dispatch.

    A new-case alert that finds nobody is kept pending on the case; an escalation leaves out
    whoever the fallback told already.
    """
    users = alert_recipients(
        session, case, at=now, time_zone=profile.time_zone, escalation=escalation
    )
    if escalation and case.fallback_alerted_at is not None:
        told = alerted_phone_hashes(session, case.id, since=case.fallback_alerted_at)
        users = [user for user in users if user.phone_hash not in told]
    if not users:
        if escalation:
            log.warning(
                "case %s (area %s): no supervisor on call to receive the escalation who was "
                "not told already; none sent",
                case.id,
                case.location_code,
            )
        else:
            hold_alert(session, case, now=now)
            log.warning(
                "case %s (area %s): nobody on call to receive the alert; kept pending until "
                "someone for the area is on call",
                case.id,
                case.location_code,
            )
        return []
    message = ESCALATION if escalation else NEW_CASE
    recipients = _staff(vault, users, message, profile)
    return _queue(
        session, vault, case, recipients, profile=profile, max_segments=max_segments, now=now
    )


def queue_fallback_alerts(
    session: Session,
    vault: Vault,
    case: Case,
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    """Queue the fallback's alerts about the unacknowledged ``case``: the on-call users with
    the fallback roles for its area, then the duty phone, leaving out every phone already
    alerted about it. Whoever may take the case is asked to ACK it; the others to find a
    caseworker."""
    fallback = profile.alert_fallback
    told = alerted_phone_hashes(session, case.id)
    users = on_call_users(
        session,
        at=now,
        time_zone=profile.time_zone,
        location_code=case.location_code,
        roles=fallback.roles,
    )
    recipients: list[Recipient] = []
    for user in users:
        if user.phone_hash is None or user.phone_hash in told:
            continue
        told.add(user.phone_hash)
        message = ESCALATION if can_be_assigned(user, case) else FALLBACK
        recipients.extend(_staff(vault, [user], message, profile))
    duty = fallback.duty_phone
    if duty is not None and vault.phone_hash(duty) not in told:
        recipients.append(Recipient(duty, profile.default_language, FALLBACK))
    return _queue(
        session, vault, case, recipients, profile=profile, max_segments=max_segments, now=now
    )


def _queue(
    session: Session,
    vault: Vault,
    case: Case,
    recipients: Sequence[Recipient],
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    rows: list[OutboxRow] = []
    for recipient in recipients:
        text = alert_text(
            case, load_translations(recipient.language), recipient.message, profile=profile, now=now
        )
        if recipient.language in profile.fold_accents:
            text = fold_to_gsm7(text)
        who = "the duty phone" if recipient.user_id is None else f"user {recipient.user_id}"
        try:
            _message, row = queue_sms(
                session,
                vault,
                phone=recipient.phone,
                text=text,
                purpose=MessagePurpose.ALERT,
                max_segments=max_segments,
                now=now,
                case=case,
            )
        except TooLong as exc:
            log.error("case %s: alert to %s not queued: %s", case.id, who, exc)
            continue
        rows.append(row)
    if recipients:
        log.info("case %s: %s alert(s) queued", case.id, len(rows))
    return rows


def escalation_due(case: Case, policy: TriagePolicy) -> datetime:
    return as_utc(case.created_at, "created_at") + policy.escalate_within


def on_case_opened(
    session: Session,
    vault: Vault,
    case: Case,
    *,
    profile: Deployment,
    policy: TriagePolicy,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    """Everything a new case sets off, in the transaction that opened it: the alerts, and the
    checks the dispatcher schedules for when they are due: for an immediate case the
    escalation, for an immediate or high case the fallback at its assign-by deadline."""
    rows = queue_alerts(session, vault, case, profile=profile, max_segments=max_segments, now=now)
    if case.risk_level is RiskLevel.IMMEDIATE:
        due = escalation_due(case, policy)
        rows.append(add_outbox(session, ESCALATE_JOB, case_id=case.id, due=due.isoformat()))
    if case.risk_level in FALLBACK_LEVELS:
        due = as_utc(case.assign_by, "assign_by")
        rows.append(add_outbox(session, FALLBACK_ALERT_JOB, case_id=case.id, due=due.isoformat()))
    return rows
