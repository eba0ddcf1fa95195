"""Alerts and reminders to staff about a case: who gets one, what it says, and queueing it with
the case.

A text says only what a caseworker needs to act (docs/product.md): the reference, the level, the
area, the deadline and what to do. Never a name, a narrative, a place or anything about the
child: a work phone is read on a bus, or lent. Deadlines are shown in the deployment's time
zone, formatted by Babel in the recipient's language (``deadline_text``).

Nobody on call must never mean nobody told. In order of resort:

1. A new case goes to the on-call caseworkers for its area; when there are none, to the
   on-call supervisors.
2. When nobody is on call for the area, the alert is kept pending on the case (durable,
   audited: ``hold_alert``) and goes out once someone for the area is on call
   (``workers.pending_alerts``).
3. Before each deadline the assignee (or the on-call caseworkers) is reminded; a deadline that
   passes unmet goes to the area's on-call supervisors, and after the profile's escalation
   window to the fallback of last resort: the on-call users with its roles for the area, and
   the duty phone (``workers.deadlines``, ``fallback_recipients``).

The fallback leaves out whoever was alerted about the case already: nobody hears twice that
the case is not acknowledged. Each text is in the recipient's own language
(``User.languages[0]``, English when the deployment lacks it); the duty phone's in the
deployment's default language. Only people who may take the case are told to reply ACK.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time, get_datetime_format
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import MessagePurpose, RiskLevel, Role
from case_store.models import Case, OutboxRow, User
from case_store.operations import hold_alert
from case_store.operations.sync_queue import queue_sync
from case_store.permissions import can_be_assigned
from case_store.primero import PushPolicy
from case_store.queries.cases import on_call_users
from case_store.queries.users import staff_language
from case_store.references import format_reference
from dialogs.render import N_, fold_to_gsm7, load_translations
from workers import metrics
from workers.context import Deployment
from workers.sms.queueing import TooLong, queue_sms

log = logging.getLogger("kinga.alerts")


# The deadline a new case waits on first: by when someone must take it (``assign_by``).
NEW_CASE = N_(
    "Kinga: new case {reference}, level {level}, {area}. Take it by {deadline}. Reply ACK {ack}"
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
# Reminders before a deadline: to take the case (reply ACK), or to make the first contact
# (the assignee replies CALLED once done; while nobody holds it, whoever takes it replies ACK).
REMIND_ASSIGN = N_(
    "Kinga reminder: case {reference}, level {level}, {area}, must be taken by {deadline}. "
    "Reply ACK {ack}"
)
REMIND_CONTACT = N_(
    "Kinga reminder: case {reference}, level {level}, {area}, first contact due by "
    "{deadline}. After contact reply CALLED {ack}"
)
REMIND_CONTACT_UNASSIGNED = N_(
    "Kinga reminder: case {reference}, level {level}, {area}, first contact due by "
    "{deadline}. Reply ACK {ack}"
)
# To the supervisors, then the fallback, when the first-contact deadline passed unmet.
CONTACT_OVERDUE = N_(
    "Kinga: case {reference} first contact OVERDUE since {deadline}, level {level}, {area}. "
    "Please make sure contact is made."
)
LEVELS = {
    RiskLevel.IMMEDIATE: N_("IMMEDIATE"),
    RiskLevel.HIGH: N_("HIGH"),
    RiskLevel.MEDIUM: N_("MEDIUM"),
    RiskLevel.LOW: N_("LOW"),
}


def deadline_text(deadline: datetime, *, now: datetime, time_zone: tzinfo, language: str) -> str:
    """When ``deadline`` is, in the deployment's zone, as a reader of ``language`` writes it:
    the time alone when it falls on the same local day as ``now`` (``2:30 PM``, ``14:30``),
    else the day and time (``Mar 9, 2:30 PM``, ``9 mars 14:30``)."""
    local = as_utc(deadline, "deadline").astimezone(time_zone)
    today = as_utc(now, "now").astimezone(time_zone).date()
    locale = _locale(language)
    clock = format_time(local, "short", locale=locale)
    if local.date() == today:
        return clock
    day = format_skeleton("MMMd", local, locale=locale)
    # ``{1}, {0}`` for English, ``{1} {0}`` for French (Babel annotates it as a pattern object).
    return str(get_datetime_format("short", locale=locale)).format(clock, day)


def _locale(language: str) -> Locale:
    """Babel's locale for ``language`` (``pt-BR`` too); English for a code CLDR lacks."""
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale("en")


def alert_text(
    case: Case,
    language: str,
    message: str,
    *,
    shown: datetime,
    profile: Deployment,
    now: datetime,
) -> str:
    """``message`` about ``case`` in ``language``, showing the deadline ``shown``."""
    translations = load_translations(language)
    location = profile.location(case.location_code)
    values = {
        "reference": format_reference(case.reference),
        "level": translations.gettext(LEVELS[case.risk_level]),
        "area": location.name if location is not None else case.location_code,
        "deadline": deadline_text(shown, now=now, time_zone=profile.time_zone, language=language),
        "ack": case.reference,
    }
    text = translations.gettext(message).format_map(values)
    return fold_to_gsm7(text) if language in profile.fold_accents else text


@dataclass(frozen=True)
class Recipient:
    phone: str
    language: str
    message: str  # NEW_CASE, ESCALATION, FALLBACK, a reminder, CONTACT_OVERDUE
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


def staff_recipients(
    vault: Vault, users: Sequence[User], message: str, profile: Deployment
) -> list[Recipient]:
    """``message`` to each of ``users`` with a work phone, in their own language."""
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
) -> list[OutboxRow]:
    """Queue the new-case alert to each recipient in the caller's transaction; the outbox
    rows to dispatch. An alert that finds nobody is kept pending on the case."""
    users = alert_recipients(session, case, at=now, time_zone=profile.time_zone)
    if not users:
        hold_alert(session, case, now=now)
        log.warning(
            "case %s (area %s): nobody on call to receive the alert; kept pending until "
            "someone for the area is on call",
            case.id,
            case.location_code,
        )
        return []
    return queue_staff_texts(
        session,
        vault,
        case,
        staff_recipients(vault, users, NEW_CASE, profile),
        purpose=MessagePurpose.ALERT,
        shown=case.assign_by,
        profile=profile,
        max_segments=max_segments,
        now=now,
    )


def fallback_recipients(
    session: Session,
    vault: Vault,
    case: Case,
    *,
    profile: Deployment,
    now: datetime,
    told: set[str],
    to_assignable: str = ESCALATION,
    to_others: str = FALLBACK,
) -> list[Recipient]:
    """The fallback's recipients for ``case``: the on-call users with the fallback roles for its
    area, then the duty phone, leaving out the phones (hashes) in ``told``. Whoever may take
    the case gets ``to_assignable`` (asked to ACK it), the others ``to_others``."""
    fallback = profile.alert_fallback
    told = set(told)
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
        message = to_assignable if can_be_assigned(user, case) else to_others
        recipients.extend(staff_recipients(vault, [user], message, profile))
    duty = fallback.duty_phone
    if duty is not None and vault.phone_hash(duty) not in told:
        recipients.append(Recipient(duty, profile.default_language, to_others))
    return recipients


def queue_staff_texts(
    session: Session,
    vault: Vault,
    case: Case,
    recipients: Sequence[Recipient],
    *,
    purpose: MessagePurpose,
    shown: datetime,
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    """Queue each recipient's text about ``case`` (showing the deadline ``shown``) in the
    caller's transaction; the outbox rows to dispatch after the commit."""
    rows: list[OutboxRow] = []
    for recipient in recipients:
        text = alert_text(
            case, recipient.language, recipient.message, shown=shown, profile=profile, now=now
        )
        who = "the duty phone" if recipient.user_id is None else f"user {recipient.user_id}"
        try:
            _message, row = queue_sms(
                session,
                vault,
                phone=recipient.phone,
                text=text,
                purpose=purpose,
                max_segments=max_segments,
                now=now,
                case=case,
            )
        except TooLong as exc:
            log.error("case %s: %s to %s not queued: %s", case.id, purpose.value, who, exc)
            continue
        rows.append(row)
    if recipients:
        log.info("case %s: %s %s(s) queued", case.id, len(rows), purpose.value)
    return rows


def on_case_opened(
    session: Session,
    vault: Vault,
    case: Case,
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
    primero: PushPolicy | None = None,
) -> list[OutboxRow]:
    """What a new case sets off, in the transaction that opened it: the alerts, and its sync
    to Primero when Primero is configured (``primero``: which cases go). Its deadlines are the
    sweep's from there (``workers.deadlines``: ``open_case`` makes it due at once). Counted
    here, once per case: its level, and whether its alert went or waits."""
    rows = queue_alerts(session, vault, case, profile=profile, max_segments=max_segments, now=now)
    metrics.REPORTS.labels(level=case.risk_level.value).inc()
    outcome = metrics.SENT if rows else metrics.PENDING
    metrics.ALERTS.labels(kind=metrics.NEW_CASE, outcome=outcome).inc()
    if primero is not None and primero.pushes(case.risk_level):
        rows.append(queue_sync(session, case))
    return rows
