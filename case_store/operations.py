"""Named operations: the only code that writes cases. Every change appends a case event.

Operations take the caller's session and never commit; the request or job that calls them
owns the transaction and commits once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import (
    CallbackTime,
    CaseStatus,
    Channel,
    ClosureReason,
    Direction,
    Disposition,
    EventKind,
    ReferralStatus,
    RepeatReason,
    RiskLevel,
    Service,
    WorkflowStage,
)
from case_store.models import (
    Case,
    CaseEvent,
    Contact,
    Note,
    Referral,
    Reporter,
    ServiceProvider,
    User,
)
from case_store.permissions import Action, PermissionDenied, can_be_assigned, check, check_role
from case_store.references import new_reference
from case_store.reports import Answers, InvalidReport, Report, validate_report
from case_store.triage import TriagePolicy, triage

REFERENCE_ATTEMPTS = 20
MAX_NOTE = 4000
ACTOR_REPORTER = "reporter"
ACTOR_USER = "user"
ACTOR_SYSTEM = "system"
ACTOR_SERVICE_PROVIDER = "service_provider"
ACTIVE_STATUSES = (CaseStatus.OPEN, CaseStatus.PENDING, CaseStatus.ESCALATED)
# Referral codes are read out and typed on basic phones: no 0/O, 1/I/L.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERRAL_CODE_LENGTH = 6

__all__ = [
    "InvalidNote",
    "InvalidReport",
    "InvalidTransition",
    "PermissionDenied",
    "ReferenceExhausted",
    "Report",
    "acknowledge",
    "add_note",
    "answer_referral",
    "assign",
    "change_risk_level",
    "change_status",
    "close",
    "confirm_repeat",
    "merge_duplicate",
    "open_case",
    "record_contact",
    "record_reveal",
    "refer",
    "reopen",
]


class ReferenceExhausted(RuntimeError):
    """No unused reference was found; with 10^8 references this means a broken generator."""


class InvalidTransition(ValueError):
    """The case is not in a state that allows this operation; nothing was written."""


class InvalidNote(ValueError):
    """A note that is empty or too long; nothing was written."""


def open_case(
    session: Session,
    vault: Vault,
    report: Report,
    *,
    now: datetime,
    policy: TriagePolicy | None = None,
    reference_factory: Callable[[], str] = new_reference,
) -> Case:
    """Open a case from a finished dialog, or return the case this session already opened.

    Writes the reporter (found or created by phone hash), the contact, the case with its triage
    level and deadlines, and a ``case_opened`` event, then flushes; it never commits.

    Idempotent per (provider, external_id): a retried webhook gets the same case back and
    nothing new is written. Two *concurrent* deliveries of the same session both pass the
    look-up; the second one's flush raises ``sqlalchemy.exc.IntegrityError`` on the contact's
    unique constraint (or on the reporter's phone hash when the same phone reports twice at
    once). The caller then rolls back and calls ``open_case`` again, which returns the case the
    first delivery committed. ``InvalidReport`` is raised before anything is written.
    """
    answers = validate_report(report)
    now = as_utc(now, "now")
    contact = _find_contact(session, report.provider, report.external_id)
    if contact is not None and contact.case is not None:
        return contact.case

    level, assign_by, first_contact_by = triage(answers, policy, now=now)
    reporter, known_before = _reporter_for(session, vault, report, answers, now)
    if contact is None:
        contact = Contact(
            channel=Channel(report.channel),
            provider=report.provider,
            external_id=report.external_id,
            started_at=as_utc(report.started_at, "started_at"),
            language=report.language,
        )
        session.add(contact)
    contact.reporter = reporter
    contact.repeat_caller = known_before
    contact.ended_at = now
    contact.disposition = Disposition.CASE_OPENED

    case = Case(
        reference=_unused_reference(session, reference_factory),
        status=CaseStatus.OPEN,
        risk_level=level,
        immediate_danger=answers.danger,
        category=answers.category,
        child_age_band=answers.age_band,
        child_sex=answers.sex,
        location_code=answers.area,
        place_encrypted=_encrypt_optional(vault, answers.place),
        reporter_relationship=answers.relationship,
        narrative_encrypted=_encrypt_optional(vault, answers.narrative),
        callback_consent=answers.callback,
        callback_time=answers.callback_time,
        assign_by=assign_by,
        first_contact_by=first_contact_by,
        created_at=now,
        answers=answers.structured(),
        reporter=reporter,
    )
    repeat = _possible_repeat(
        session, reporter if known_before else None, answers, now, policy or TriagePolicy.default()
    )
    if repeat is not None:
        case.repeat_of, case.repeat_reason = repeat
    session.add(case)
    contact.case = case
    session.add(
        CaseEvent(
            case=case,
            kind=EventKind.CASE_OPENED,
            actor=ACTOR_REPORTER,
            at=now,
            data={"before": None, "after": case_snapshot(case), "channel": report.channel},
        )
    )
    session.flush()
    return case


def assign(
    session: Session, case: Case, assignee: User, *, actor: User, now: datetime
) -> CaseEvent:
    """Give ``case`` to ``assignee``, who must then acknowledge it."""
    check(actor, Action.ASSIGN, case)
    _refuse_if_closed(case, "assign")
    if not can_be_assigned(assignee, case):
        raise InvalidTransition(f"user {assignee.id} cannot hold case {case.id}")
    if case.assigned_to_id == assignee.id:
        raise InvalidTransition(f"case {case.id} is already assigned to user {assignee.id}")
    now = as_utc(now, "now")
    before = _assignment(case)
    case.assigned_to = assignee
    case.assigned_to_id = assignee.id
    case.assigned_at = now
    case.acknowledged_at = None
    return _record(session, case, EventKind.ASSIGNED, actor, now, before, _assignment(case))


def acknowledge(session: Session, case: Case, *, actor: User, now: datetime) -> CaseEvent | None:
    """The assignee confirms they have the case; repeating it (an SMS sent twice) is a no-op."""
    check(actor, Action.ACKNOWLEDGE, case)
    _refuse_if_closed(case, "acknowledge")
    if case.assigned_to_id is None:
        raise InvalidTransition(f"case {case.id} is not assigned")
    if case.acknowledged_at is not None:
        return None
    now = as_utc(now, "now")
    before = _assignment(case) | {"workflow_stage": case.workflow_stage.value}
    case.acknowledged_at = now
    if case.workflow_stage is WorkflowStage.NEW:
        case.workflow_stage = WorkflowStage.ASSESSMENT
    after = _assignment(case) | {"workflow_stage": case.workflow_stage.value}
    return _record(session, case, EventKind.ACKNOWLEDGED, actor, now, before, after)


def add_note(
    session: Session, vault: Vault, case: Case, text: str, *, actor: User, now: datetime
) -> Note:
    """A note on ``case``, stored encrypted; the audit event records that it exists, not what
    it says."""
    check(actor, Action.ADD_NOTE, case)
    body = text.strip()
    if not body or len(body) > MAX_NOTE:
        raise InvalidNote(f"a note has 1 to {MAX_NOTE} characters")
    now = as_utc(now, "now")
    note = Note(case=case, author=actor, created_at=now, body_encrypted=vault.encrypt(body))
    session.add(note)
    session.flush()
    _record(session, case, EventKind.NOTE_ADDED, actor, now, None, {"note_id": note.id})
    return note


def add_reporter_information(
    session: Session, vault: Vault, case: Case, text: str, *, now: datetime
) -> Note:
    """Information a caller adds to a report by its reference (USSD or SMS follow-up).

    Anyone holding the reference may add to it, as on a helpline; the note is encrypted and
    has no staff author.
    """
    body = text.strip()
    if not body or len(body) > MAX_NOTE:
        raise InvalidNote(f"a note has 1 to {MAX_NOTE} characters")
    now = as_utc(now, "now")
    note = Note(case=case, author=None, created_at=now, body_encrypted=vault.encrypt(body))
    session.add(note)
    session.flush()
    _record_as(session, case, EventKind.NOTE_ADDED, ACTOR_REPORTER, None, now, {"note_id": note.id})
    return note


def request_callback(
    session: Session,
    vault: Vault,
    case: Case,
    phone: str,
    callback_time: CallbackTime | str,
    *,
    now: datetime,
) -> CaseEvent:
    """A caller asks to be called back about ``case`` at a safe time.

    Asking is consent: only now is the caller's number kept, encrypted, on their reporter
    row. When the caller is not the case's reporter, the event names the reporter to call.
    """
    when = CallbackTime(callback_time)
    now = as_utc(now, "now")
    phone_hash = vault.phone_hash(phone)
    caller = session.scalars(
        select(Reporter).where(Reporter.phone_hash == phone_hash)
    ).one_or_none()
    if caller is None:
        caller = Reporter(phone_hash=phone_hash, language="en", opted_out=False, created_at=now)
        session.add(caller)
    caller.phone_encrypted = vault.encrypt(phone)
    session.flush()
    before = {
        "callback_consent": case.callback_consent,
        "callback_time": case.callback_time.value if case.callback_time else None,
    }
    case.callback_consent = True
    case.callback_time = when
    after = {"callback_consent": True, "callback_time": when.value, "reporter_id": caller.id}
    return _record_as(
        session, case, EventKind.CALLBACK_REQUESTED, ACTOR_REPORTER, None, now, after, before
    )


def change_status(
    session: Session, case: Case, status: CaseStatus, *, actor: User, now: datetime
) -> CaseEvent:
    """Move an open case between open, pending and escalated (``close``/``reopen`` for the rest)."""
    check(actor, Action.CHANGE_STATUS, case)
    _refuse_if_closed(case, "change the status of")
    if status is CaseStatus.CLOSED:
        raise InvalidTransition("use close() to close a case, with a reason")
    if status is case.status:
        raise InvalidTransition(f"case {case.id} is already {status.value}")
    now = as_utc(now, "now")
    before = {"status": case.status.value}
    case.status = status
    return _record(
        session, case, EventKind.STATUS_CHANGED, actor, now, before, {"status": status.value}
    )


def close(
    session: Session, case: Case, reason: ClosureReason, *, actor: User, now: datetime
) -> CaseEvent:
    check(actor, Action.CLOSE, case)
    _refuse_if_closed(case, "close")
    now = as_utc(now, "now")
    before = _closure(case)
    case.status = CaseStatus.CLOSED
    case.workflow_stage = WorkflowStage.CLOSED
    case.closure_reason = reason
    case.closed_at = now
    return _record(session, case, EventKind.CLOSED, actor, now, before, _closure(case))


def reopen(session: Session, case: Case, *, actor: User, now: datetime) -> CaseEvent:
    """Open a closed case again, back in assessment; the closure stays in the audit trail."""
    check(actor, Action.REOPEN, case)
    if case.status is not CaseStatus.CLOSED:
        raise InvalidTransition(f"case {case.id} is not closed")
    now = as_utc(now, "now")
    before = _closure(case)
    case.status = CaseStatus.OPEN
    case.workflow_stage = WorkflowStage.ASSESSMENT
    case.closure_reason = None
    case.closed_at = None
    return _record(session, case, EventKind.REOPENED, actor, now, before, _closure(case))


def change_risk_level(
    session: Session,
    vault: Vault,
    case: Case,
    level: RiskLevel,
    *,
    actor: User,
    now: datetime,
    reason: str | None = None,
    policy: TriagePolicy | None = None,
) -> CaseEvent:
    """A person re-triages ``case``; deadlines follow the new level from the time it opened.

    Lowering a level needs a reason. The reason may name people, so it is kept as an encrypted
    note and the audit event points at that note.
    """
    check(actor, Action.CHANGE_LEVEL, case)
    _refuse_if_closed(case, "re-triage")
    if level is case.risk_level:
        raise InvalidTransition(f"case {case.id} is already {level.value}")
    lowering = level.severity < case.risk_level.severity
    if lowering and not (reason and reason.strip()):
        raise InvalidTransition("lowering a risk level needs a reason")
    now = as_utc(now, "now")
    deadlines = (policy or TriagePolicy.default()).deadlines[level]
    before = _level(case)
    reason_note = (
        add_note(session, vault, case, reason, actor=actor, now=now)
        if reason and reason.strip()
        else None
    )
    case.risk_level = level
    case.assign_by = case.created_at + deadlines.assign_within
    case.first_contact_by = case.created_at + deadlines.first_contact_within
    after = _level(case) | {"reason_note_id": reason_note.id if reason_note else None}
    return _record(session, case, EventKind.LEVEL_CHANGED, actor, now, before, after)


def case_snapshot(case: Case) -> dict[str, Any]:
    """The audited, non-personal state of a case (free text is never copied into events)."""
    return {
        "reference": case.reference,
        "status": case.status.value,
        "risk_level": case.risk_level.value,
        "immediate_danger": case.immediate_danger,
        "category": case.category.value,
        "child_age_band": case.child_age_band.value,
        "child_sex": case.child_sex.value,
        "location_code": case.location_code,
        "reporter_relationship": case.reporter_relationship.value,
        "callback_consent": case.callback_consent,
        "callback_time": case.callback_time.value if case.callback_time else None,
        "assign_by": case.assign_by.isoformat(),
        "first_contact_by": case.first_contact_by.isoformat(),
        "has_place": case.place_encrypted is not None,
        "has_narrative": case.narrative_encrypted is not None,
        "repeat_of": case.repeat_of.reference if case.repeat_of else None,
        "repeat_reason": case.repeat_reason.value if case.repeat_reason else None,
    }


def _record(
    session: Session,
    case: Case,
    kind: EventKind,
    actor: User,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> CaseEvent:
    case_event = CaseEvent(
        case=case,
        kind=kind,
        actor=ACTOR_USER,
        actor_user_id=actor.id,
        at=now,
        data={"before": before, "after": after},
    )
    session.add(case_event)
    session.flush()
    return case_event


def _refuse_if_closed(case: Case, verb: str) -> None:
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"cannot {verb} closed case {case.id}; reopen it first")


def _assignment(case: Case) -> dict[str, Any]:
    return {
        "assigned_to_id": case.assigned_to_id,
        "acknowledged_at": _iso(case.acknowledged_at),
    }


def _level(case: Case) -> dict[str, Any]:
    return {
        "risk_level": case.risk_level.value,
        "assign_by": _iso(case.assign_by),
        "first_contact_by": _iso(case.first_contact_by),
    }


def _closure(case: Case) -> dict[str, Any]:
    return {
        "status": case.status.value,
        "workflow_stage": case.workflow_stage.value,
        "closure_reason": case.closure_reason.value if case.closure_reason else None,
        "closed_at": _iso(case.closed_at),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def _find_contact(session: Session, provider: str, external_id: str) -> Contact | None:
    return session.scalars(
        select(Contact).where(Contact.provider == provider, Contact.external_id == external_id)
    ).one_or_none()


def _reporter_for(
    session: Session, vault: Vault, report: Report, answers: Answers, now: datetime
) -> tuple[Reporter, bool]:
    """The reporter for the report's phone, and whether they had reported before."""
    phone_hash = vault.phone_hash(report.phone)
    reporter = session.scalars(
        select(Reporter).where(Reporter.phone_hash == phone_hash)
    ).one_or_none()
    known_before = reporter is not None
    if reporter is None:
        reporter = Reporter(phone_hash=phone_hash, opted_out=False, created_at=now)
        session.add(reporter)
    reporter.language = report.language
    if answers.callback:
        # The number is kept (encrypted) only because the reporter agreed to be called back.
        reporter.phone_encrypted = vault.encrypt(report.phone)
    return reporter, known_before


def _unused_reference(session: Session, factory: Callable[[], str]) -> str:
    for _ in range(REFERENCE_ATTEMPTS):
        reference = factory()
        taken = session.scalar(select(Case.id).where(Case.reference == reference))
        if taken is None:
            return reference
    raise ReferenceExhausted(f"no unused reference after {REFERENCE_ATTEMPTS} attempts")


def _encrypt_optional(vault: Vault, text: str | None) -> bytes | None:
    return None if text is None else vault.encrypt(text)


def _possible_repeat(
    session: Session,
    known_reporter: Reporter | None,
    answers: Answers,
    now: datetime,
    policy: TriagePolicy,
) -> tuple[Case, RepeatReason] | None:
    """The most recent active case this report may repeat: same reporter first, then same
    area and category, within the policy's window. Linked, never merged: a person decides."""
    if policy.repeat_window <= timedelta(0):
        return None
    recent = select(Case).where(
        Case.status.in_(ACTIVE_STATUSES),
        Case.merged_into_id.is_(None),
        Case.created_at >= now - policy.repeat_window,
    )
    newest_first = (Case.created_at.desc(), Case.id.desc())
    if known_reporter is not None:
        same_reporter = session.scalars(
            recent.where(Case.reporter_id == known_reporter.id).order_by(*newest_first).limit(1)
        ).first()
        if same_reporter is not None:
            return same_reporter, RepeatReason.SAME_REPORTER
    same_concern = session.scalars(
        recent.where(Case.location_code == answers.area, Case.category == answers.category)
        .order_by(*newest_first)
        .limit(1)
    ).first()
    if same_concern is not None:
        return same_concern, RepeatReason.SAME_AREA_CATEGORY
    return None


def confirm_repeat(
    session: Session, case: Case, is_repeat: bool, *, actor: User, now: datetime
) -> CaseEvent:
    """A person decides whether ``case`` repeats the case it was linked to.

    Yes merges it into that case (``merge_duplicate``, which needs the merge permission); no
    keeps both cases and clears the flag. Either way the decision is audited.
    """
    check(actor, Action.CONFIRM_REPEAT, case)
    if case.repeat_of is None or case.repeat_confirmed is not None:
        raise InvalidTransition(f"case {case.id} has no repeat link waiting for a decision")
    now = as_utc(now, "now")
    original = case.repeat_of
    before = {"repeat_of": original.reference, "repeat_confirmed": None}
    if is_repeat:
        merge_duplicate(session, case, original, actor=actor, now=now)
    case.repeat_confirmed = is_repeat
    kind = EventKind.REPEAT_CONFIRMED if is_repeat else EventKind.REPEAT_REJECTED
    after = {"repeat_of": original.reference, "repeat_confirmed": is_repeat}
    return _record(session, case, kind, actor, now, before, after)


def merge_duplicate(
    session: Session, duplicate: Case, into: Case, *, actor: User, now: datetime
) -> CaseEvent:
    """Close ``duplicate`` as a duplicate of ``into``; returns the event on ``into``.

    Nothing is copied or moved: both cases keep their contacts, notes and history, and the
    duplicate points at the case that carries on. If the duplicate was more urgent, ``into``
    takes its level and the earlier deadlines (triage only ever raises on its own).
    """
    check(actor, Action.MERGE, duplicate)
    check(actor, Action.MERGE, into)
    if duplicate.id == into.id:
        raise InvalidTransition("a case cannot be merged into itself")
    if duplicate.merged_into_id is not None or into.merged_into_id is not None:
        raise InvalidTransition("a merged case cannot be merged again or merged into")
    _refuse_if_closed(into, "merge into")
    _refuse_if_closed(duplicate, "merge")
    now = as_utc(now, "now")
    before = _closure(duplicate) | {"merged_into": None}
    duplicate.status = CaseStatus.CLOSED
    duplicate.workflow_stage = WorkflowStage.CLOSED
    duplicate.closure_reason = ClosureReason.DUPLICATE
    duplicate.closed_at = now
    duplicate.merged_into = into
    duplicate.merged_into_id = into.id
    after = _closure(duplicate) | {"merged_into": into.reference}
    _record(session, duplicate, EventKind.MERGED_INTO, actor, now, before, after)

    into_before = _level(into)
    if duplicate.risk_level.severity > into.risk_level.severity:
        into.risk_level = duplicate.risk_level
        into.assign_by = min(into.assign_by, duplicate.assign_by)
        into.first_contact_by = min(into.first_contact_by, duplicate.first_contact_by)
    into_after = _level(into) | {"duplicate": duplicate.reference}
    return _record(session, into, EventKind.DUPLICATE_MERGED, actor, now, into_before, into_after)


def record_contact(
    session: Session,
    vault: Vault,
    *,
    channel: Channel | str,
    provider: str,
    external_id: str,
    disposition: Disposition | str,
    started_at: datetime,
    now: datetime,
    phone: str | None = None,
    language: str = "en",
    direction: Direction | str = Direction.INBOUND,
    agent: User | None = None,
    case: Case | None = None,
) -> tuple[Contact, bool]:
    """Log a contact that opened no case: a silent or prank call, information only, a dropped
    or abandoned USSD session, a call about an existing case (``case``) …

    Idempotent per (provider, external_id): when that contact exists (a retried event, or a
    session that did open a case) it is returned unchanged with ``False``. A hotline agent's
    permission is checked; self-service contacts (``agent`` None) need none. The phone is only
    hashed, to recognise repeat callers; no number is stored.
    """
    disposition = Disposition(disposition)
    if disposition is Disposition.CASE_OPENED:
        raise InvalidTransition("a contact that opens a case is recorded by open_case")
    if disposition is Disposition.CASE_UPDATED and case is None:
        raise InvalidTransition("a case_updated contact needs its case")
    if not provider or not external_id:
        raise InvalidTransition("provider and external_id are required")
    if agent is not None:
        check_role(agent, Action.RECORD_CONTACT)
        if case is not None:
            check(agent, Action.RECORD_CONTACT, case)
    existing = _find_contact(session, provider, external_id)
    if existing is not None:
        return existing, False
    now = as_utc(now, "now")
    reporter, known_before = None, False
    if phone is not None:
        phone_hash = vault.phone_hash(phone)
        reporter = session.scalars(
            select(Reporter).where(Reporter.phone_hash == phone_hash)
        ).one_or_none()
        known_before = reporter is not None
        if reporter is None:
            reporter = Reporter(
                phone_hash=phone_hash, language=language, opted_out=False, created_at=now
            )
            session.add(reporter)
    contact = Contact(
        channel=Channel(channel),
        direction=Direction(direction),
        provider=provider,
        external_id=external_id,
        started_at=as_utc(started_at, "started_at"),
        ended_at=now,
        language=language,
        disposition=disposition,
        repeat_caller=known_before,
        reporter=reporter,
        agent=agent,
        case=case,
    )
    session.add(contact)
    session.flush()
    if case is not None:
        after = {"contact_id": contact.id, "disposition": disposition.value}
        if agent is not None:
            _record(session, case, EventKind.CONTACT_RECORDED, agent, now, None, after)
        else:
            _record_as(session, case, EventKind.CONTACT_RECORDED, ACTOR_REPORTER, None, now, after)
    return contact, True


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
    already pending."""
    check(actor, Action.REFER, case)
    _refuse_if_closed(case, "refer")
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
    after = {
        "referral_id": referral.id,
        "service_provider_id": service_provider.id,
        "service": service.value,
        "status": referral.status.value,
    }
    _record(session, case, EventKind.REFERRED, actor, now, None, after)
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
    return _record_as(
        session,
        referral.case,
        EventKind.REFERRAL_ANSWERED,
        ACTOR_SERVICE_PROVIDER,
        None,
        now,
        after,
        before,
    )


def record_reveal(
    session: Session,
    case: Case,
    fields: list[str],
    *,
    now: datetime,
    actor: User | None = None,
    actor_label: str = ACTOR_SYSTEM,
) -> CaseEvent:
    """Audit that someone saw ``fields`` of ``case`` in clear (the field names, never the
    values). A staff ``actor`` needs the reveal permission; the administrator's command line
    runs on the server and is recorded under ``actor_label``."""
    now = as_utc(now, "now")
    after = {"fields": sorted(fields)}
    if actor is not None:
        check(actor, Action.REVEAL, case)
        return _record(session, case, EventKind.REVEALED, actor, now, None, after)
    return _record_as(session, case, EventKind.REVEALED, actor_label, None, now, after)


def _record_as(
    session: Session,
    case: Case,
    kind: EventKind,
    actor: str,
    actor_user_id: int | None,
    now: datetime,
    after: dict[str, Any],
    before: dict[str, Any] | None = None,
) -> CaseEvent:
    case_event = CaseEvent(
        case=case,
        kind=kind,
        actor=actor,
        actor_user_id=actor_user_id,
        at=now,
        data={"before": before, "after": after},
    )
    session.add(case_event)
    session.flush()
    return case_event


def _unused_referral_code(session: Session, factory: Callable[[], str]) -> str:
    for _ in range(REFERENCE_ATTEMPTS):
        code = factory()
        if session.scalar(select(Referral.id).where(Referral.code == code)) is None:
            return code
    raise ReferenceExhausted(f"no unused referral code after {REFERENCE_ATTEMPTS} attempts")
