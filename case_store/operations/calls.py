"""What a hotline call logged by an agent does beyond its contact row (``record_contact`` and
``open_case`` write those): it closes the call-back request of the case it was about."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import EventKind
from case_store.models import Case, CaseEvent, Contact, User
from case_store.operations.audit import iso, record_staff_event
from case_store.operations.errors import InvalidTransition
from case_store.permissions import Action, check


def close_callback_request(
    session: Session, case: Case, contact: Contact, *, actor: User, now: datetime
) -> CaseEvent | None:
    """The call-back a caller asked for about ``case`` (``request_callback``) was made, or the
    caller was spoken to: ``contact``, a call logged on the case, answers it. None when no
    request is open (a call logged twice closes it once)."""
    check(actor, Action.RECORD_CONTACT, case)
    if contact.case_id != case.id:
        raise InvalidTransition(f"contact {contact.id} is not about case {case.id}")
    if case.callback_requested_at is None:
        return None
    now = as_utc(now, "now")
    before = {"callback_requested_at": iso(case.callback_requested_at)}
    case.callback_requested_at = None
    after = {"callback_requested_at": None, "contact_id": contact.id}
    return record_staff_event(session, case, EventKind.CALLBACK_CLOSED, actor, now, before, after)
