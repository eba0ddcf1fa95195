"""Operations a report or a caller triggers: opening a case, logging a contact, follow-ups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import (
    CallbackTime,
    CaseStatus,
    Channel,
    Direction,
    Disposition,
    EventKind,
    RepeatReason,
)
from case_store.models import (
    Case,
    CaseEvent,
    Contact,
    Note,
    Reporter,
    User,
)
from case_store.operations.audit import (
    ACTOR_REPORTER,
    ACTOR_USER,
    case_snapshot,
    record_event,
    record_staff_event,
)
from case_store.operations.errors import (
    MAX_NOTE,
    REFERENCE_ATTEMPTS,
    InvalidNote,
    InvalidTransition,
    ReferenceExhausted,
)
from case_store.permissions import Action, check, check_role
from case_store.queries.cases import ACTIVE_STATUSES
from case_store.references import new_reference
from case_store.report_contract import Answers, Report, validate_report
from case_store.triage import TriagePolicy, triage


def open_case(
    session: Session,
    vault: Vault,
    report: Report,
    *,
    now: datetime,
    policy: TriagePolicy | None = None,
    reference_factory: Callable[[], str] = new_reference,
    agent: User | None = None,
    direction: Direction | str = Direction.INBOUND,
) -> Case:
    """Open a case from a finished dialog, or return the case this session already opened.

    Writes the reporter (found or created by phone hash; none for a call without a number),
    the contact, the case with its triage level and deadlines, and a ``case_opened`` event,
    then flushes; it never commits. A hotline call is opened by its ``agent``, whose role must
    allow recording a contact; the event then names them rather than the reporter.

    Idempotent per (provider, external_id): a retried webhook gets the same case back and
    nothing new is written. Two *concurrent* deliveries of the same session both pass the
    look-up; the second one's flush raises ``sqlalchemy.exc.IntegrityError`` on the contact's
    unique constraint (or on the reporter's phone hash when the same phone reports twice at
    once). The caller then rolls back and calls ``open_case`` again, which returns the case the
    first delivery committed. ``InvalidReport`` is raised before anything is written.
    """
    answers = validate_report(report)
    if agent is not None:
        check_role(agent, Action.RECORD_CONTACT)
    now = as_utc(now, "now")
    contact = find_contact(session, report.provider, report.external_id)
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
            direction=Direction(direction),
            agent=agent,
        )
        session.add(contact)
    contact.reporter = reporter
    contact.repeat_caller = known_before
    contact.ended_at = now
    contact.disposition = Disposition.CASE_OPENED

    # Nothing is flushed before the case exists, so that the reporter, the contact (pointing at
    # its case), the case and its event are written in one flush, with no update after.
    with session.no_autoflush:
        reference = _unused_reference(session, reference_factory)
        repeat = _possible_repeat(
            session,
            reporter if known_before else None,
            answers,
            now,
            policy or TriagePolicy.default(),
        )
    case = Case(
        reference=reference,
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
        sms_consent=answers.sms_updates,
        consent_services=answers.consent_services,
        consent_share=answers.consent_share,
        assign_by=assign_by,
        first_contact_by=first_contact_by,
        created_at=now,
        deadline_check_at=now,  # the deadline sweep takes it from here
        answers=answers.structured(),
        reporter=reporter,
    )
    if repeat is not None:
        case.repeat_of, case.repeat_reason = repeat
    session.add(case)
    contact.case = case
    session.add(
        CaseEvent(
            case=case,
            kind=EventKind.CASE_OPENED,
            actor=ACTOR_REPORTER if agent is None else ACTOR_USER,
            actor_user_id=None if agent is None else agent.id,
            at=now,
            data={"before": None, "after": case_snapshot(case), "channel": report.channel},
        )
    )
    session.flush()
    return case


def find_contact(session: Session, provider: str, external_id: str) -> Contact | None:
    return session.scalars(
        select(Contact).where(Contact.provider == provider, Contact.external_id == external_id)
    ).one_or_none()


def _reporter_for(
    session: Session, vault: Vault, report: Report, answers: Answers, now: datetime
) -> tuple[Reporter | None, bool]:
    """The reporter for the report's phone (None without one), and whether they had reported
    before."""
    if report.phone is None:
        return None, False
    phone_hash = vault.phone_hash(report.phone)
    reporter = session.scalars(
        select(Reporter).where(Reporter.phone_hash == phone_hash)
    ).one_or_none()
    known_before = reporter is not None
    if reporter is None:
        reporter = Reporter(phone_hash=phone_hash, opted_out=False, created_at=now)
        session.add(reporter)
    reporter.language = report.language
    if answers.callback or answers.sms_updates:
        # The number is kept (encrypted) only because the reporter agreed to be called back,
        # or to be sent an SMS when the report is updated.
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
    """The active case this report may repeat, within the policy's window: the reporter's own
    latest case first, else the latest about the same child (area, category, age band and
    sex all equal — an area and a category alone describe many children).

    A link is a suggestion for a person, never a merge, and never a chain: a match that is
    itself linked (and not rejected) hands over the case it points at, so repeats of one
    concern all point at its first report.
    """
    if policy.repeat_window <= timedelta(0):
        return None
    recent = select(Case).where(
        Case.status.in_(ACTIVE_STATUSES),
        Case.merged_into_id.is_(None),
        Case.created_at >= now - policy.repeat_window,
    )
    newest_first = (Case.created_at.desc(), Case.id.desc())
    match: tuple[Case, RepeatReason] | None = None
    if known_reporter is not None:
        same_reporter = session.scalars(
            recent.where(Case.reporter_id == known_reporter.id).order_by(*newest_first).limit(1)
        ).first()
        if same_reporter is not None:
            match = same_reporter, RepeatReason.SAME_REPORTER
    if match is None:
        same_child = session.scalars(
            recent.where(
                Case.location_code == answers.area,
                Case.category == answers.category,
                Case.child_age_band == answers.age_band,
                Case.child_sex == answers.sex,
            )
            .order_by(*newest_first)
            .limit(1)
        ).first()
        if same_child is not None:
            match = same_child, RepeatReason.SAME_CHILD
    if match is None:
        return None
    case, reason = match
    if case.repeat_of is not None and case.repeat_confirmed is not False:
        case = case.repeat_of
    return case, reason


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
    existing = find_contact(session, provider, external_id)
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
            record_staff_event(session, case, EventKind.CONTACT_RECORDED, agent, now, None, after)
        else:
            record_event(
                session, case, EventKind.CONTACT_RECORDED, ACTOR_REPORTER, None, now, after
            )
    return contact, True


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
    record_event(
        session, case, EventKind.NOTE_ADDED, ACTOR_REPORTER, None, now, {"note_id": note.id}
    )
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
    row. When the caller is not the case's reporter, the event names the reporter to call. The
    request stays open (``Case.callback_requested_at``) until a call is logged on the case
    (``close_callback_request``).
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
    case.callback_requested_at = now
    after = {"callback_consent": True, "callback_time": when.value, "reporter_id": caller.id}
    return record_event(
        session, case, EventKind.CALLBACK_REQUESTED, ACTOR_REPORTER, None, now, after, before
    )
