"""Alerts to staff about a case: who gets one, what it says, and queueing it with the case.

An alert says only what a caseworker needs to act (DESIGN §7): the reference, the level, the
area, the first-contact deadline and how to acknowledge. Never a name, a narrative, a place or
anything about the child: a work phone is read on a bus, or lent.

Recipients: the on-call caseworkers for the case's area; when there are none, the on-call
supervisors; when nobody is on call, a warning in the log (the case is stored whatever
happens). Escalations go to the on-call supervisors. Each alert is in the recipient's own
language (``User.languages[0]``, English when the deployment lacks it).
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from babel.support import Translations
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import MessagePurpose, RiskLevel, Role
from case_store.models import Case, OutboxRow, User
from case_store.outbox import add_outbox
from case_store.queries import on_call_users
from case_store.references import format_reference
from case_store.triage import TriagePolicy
from case_store.users import staff_language
from dialogs.render import N_, fold_to_gsm7, load_translations
from workers.dispatch import ESCALATE_JOB
from workers.outgoing import TooLong, queue_sms
from workers.profile import Profile

log = logging.getLogger("kinga.alerts")


NEW_CASE = N_(
    "Kinga: new case {reference}, level {level}, {area}. "
    "First contact by {deadline}. Reply ACK {ack}"
)
ESCALATION = N_(
    "Kinga: case {reference} NOT acknowledged, level {level}, {area}. "
    "First contact by {deadline}. Reply ACK {ack}"
)
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
    *,
    profile: Profile,
    now: datetime,
    escalation: bool = False,
) -> str:
    location = profile.location(case.location_code)
    values = {
        "reference": format_reference(case.reference),
        "level": translations.gettext(LEVELS[case.risk_level]),
        "area": location.name if location is not None else case.location_code,
        "deadline": deadline_text(case.first_contact_by, now=now, time_zone=profile.time_zone),
        "ack": case.reference,
    }
    return translations.gettext(ESCALATION if escalation else NEW_CASE).format_map(values)


def alert_recipients(
    session: Session, case: Case, *, at: datetime, time_zone: tzinfo, escalation: bool = False
) -> list[User]:
    """Who is alerted about ``case`` at ``at`` (see the module docstring); users without a
    work phone are left out, with a warning."""
    on_call = on_call_users(session, at=at, time_zone=time_zone, location_code=case.location_code)
    caseworkers = [user for user in on_call if user.role is Role.CASEWORKER]
    supervisors = [user for user in on_call if user.role is Role.SUPERVISOR]
    chosen = supervisors if escalation else caseworkers or supervisors
    for user in chosen:
        if user.phone_encrypted is None:
            log.warning("user %s is on call without a work phone; no alert", user.id)
    return [user for user in chosen if user.phone_encrypted is not None]


def queue_alerts(
    session: Session,
    vault: Vault,
    case: Case,
    *,
    profile: Profile,
    max_segments: int,
    now: datetime,
    escalation: bool = False,
) -> list[OutboxRow]:
    """Queue one alert per recipient in the caller's transaction; the outbox rows to dispatch."""
    recipients = alert_recipients(
        session, case, at=now, time_zone=profile.time_zone, escalation=escalation
    )
    kind = "escalation" if escalation else "alert"
    if not recipients:
        log.warning(
            "case %s (area %s): nobody on call to receive the %s; none sent",
            case.id,
            case.location_code,
            kind,
        )
        return []
    rows: list[OutboxRow] = []
    for user in recipients:
        assert user.phone_encrypted is not None
        language = staff_language(user, profile.languages)
        text = alert_text(
            case, load_translations(language), profile=profile, now=now, escalation=escalation
        )
        if language in profile.fold_accents:
            text = fold_to_gsm7(text)
        try:
            _message, row = queue_sms(
                session,
                vault,
                phone=vault.decrypt(user.phone_encrypted),
                text=text,
                purpose=MessagePurpose.ALERT,
                max_segments=max_segments,
                now=now,
                case=case,
            )
        except TooLong as exc:
            log.error("case %s: %s to user %s not queued: %s", case.id, kind, user.id, exc)
            continue
        rows.append(row)
    log.info("case %s: %s queued for %s staff", case.id, kind, len(rows))
    return rows


def escalation_due(case: Case, policy: TriagePolicy) -> datetime:
    return as_utc(case.created_at, "created_at") + policy.escalate_within


def on_case_opened(
    session: Session,
    vault: Vault,
    case: Case,
    *,
    profile: Profile,
    policy: TriagePolicy,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    """Everything a new case sets off, in the transaction that opened it: the alerts, and for
    an immediate case the escalation check (scheduled by the dispatcher for when it is due)."""
    rows = queue_alerts(session, vault, case, profile=profile, max_segments=max_segments, now=now)
    if case.risk_level is RiskLevel.IMMEDIATE:
        due = escalation_due(case, policy)
        rows.append(add_outbox(session, ESCALATE_JOB, case_id=case.id, due=due.isoformat()))
    return rows
