"""Named operations: the only code that writes cases. Every change appends a case event.

Operations take the caller's session and never commit; the request or job that calls them
owns the transaction and commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import CaseStatus, Channel, Disposition, EventKind
from case_store.models import Case, CaseEvent, Contact, Reporter
from case_store.references import new_reference
from case_store.reports import Answers, InvalidReport, Report, validate_report
from case_store.triage import TriagePolicy, triage

REFERENCE_ATTEMPTS = 20
ACTOR_REPORTER = "reporter"

__all__ = ["InvalidReport", "ReferenceExhausted", "Report", "open_case"]


class ReferenceExhausted(RuntimeError):
    """No unused reference was found; with 10^8 references this means a broken generator."""


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
    reporter = _reporter_for(session, vault, report, answers, now)
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
    }


def _find_contact(session: Session, provider: str, external_id: str) -> Contact | None:
    return session.scalars(
        select(Contact).where(Contact.provider == provider, Contact.external_id == external_id)
    ).one_or_none()


def _reporter_for(
    session: Session, vault: Vault, report: Report, answers: Answers, now: datetime
) -> Reporter:
    phone_hash = vault.phone_hash(report.phone)
    reporter = session.scalars(
        select(Reporter).where(Reporter.phone_hash == phone_hash)
    ).one_or_none()
    if reporter is None:
        reporter = Reporter(phone_hash=phone_hash, opted_out=False, created_at=now)
        session.add(reporter)
    reporter.language = report.language
    if answers.callback:
        # The number is kept (encrypted) only because the reporter agreed to be called back.
        reporter.phone_encrypted = vault.encrypt(report.phone)
    return reporter


def _unused_reference(session: Session, factory: Callable[[], str]) -> str:
    for _ in range(REFERENCE_ATTEMPTS):
        reference = factory()
        taken = session.scalar(select(Case.id).where(Case.reference == reference))
        if taken is None:
            return reference
    raise ReferenceExhausted(f"no unused reference after {REFERENCE_ATTEMPTS} attempts")


def _encrypt_optional(vault: Vault, text: str | None) -> bytes | None:
    return None if text is None else vault.encrypt(text)
