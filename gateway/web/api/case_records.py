"""What is kept with a case: its notes (read only by the roles that may read them, each reading
audited), referrals to service providers, contacts with the reporter, and its messages (the
numbers masked, never the text)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from case_store.models import OutboxRow, Referral
from case_store.operations import (
    InvalidNote,
    NoConsent,
    add_note,
    record_consent,
    record_first_contact,
    record_reveal,
)
from case_store.permissions import Action, allowed
from case_store.queries.messages import case_messages
from case_store.service_types import SERVICE_TYPES
from gateway.runtime import runtime
from gateway.web.api.auth import caller, refuse, requires
from gateway.web.api.case_access import case_for, committed, now, written
from gateway.web.api.documents import message_document, note_document, referral_document
from gateway.web.api.errors import ON_A_CASE, answers, fail
from gateway.web.api.schemas import (
    ContactDocument,
    ContactRequest,
    MessageDocument,
    NoteDocument,
    NoteRequest,
    ReferralDocument,
    ReferralRequest,
)
from gateway.web.db import db
from workers.referrals import AlreadyWaiting, NoProvider, NoWorkPhone, send_referral
from workers.sms.queueing import TooLong

bp = Blueprint("case-records", __name__, url_prefix="/cases", description="What a case keeps")


@bp.get("/<reference>/notes")
@requires(Action.REVEAL)
@bp.response(200, NoteDocument(many=True))
@answers(bp, ON_A_CASE)
def list_notes(reference: str) -> list[dict[str, Any]]:
    """The case's notes in clear, oldest first, to those who may see the case in clear; each
    reading is recorded on the case's trail."""
    rt, session = runtime(), db()
    case = case_for(reference)
    if not allowed(caller(), Action.REVEAL, case):
        refuse(Action.REVEAL, case_id=case.id)
    notes = sorted(case.notes, key=lambda note: (note.created_at, note.id))
    if notes:
        record_reveal(session, case, ["notes"], now=now(), actor=caller())
        committed()
    return [note_document(note, rt.vault) for note in notes]


@bp.post("/<reference>/notes")
@requires(Action.ADD_NOTE)
@bp.arguments(NoteRequest)
@bp.response(201, NoteDocument)
@answers(bp, ON_A_CASE)
def create_note(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Add a note (kept encrypted; the trail says one was added, not what it says)."""
    rt = runtime()
    case = case_for(reference)
    try:
        note = written(
            case,
            Action.ADD_NOTE,
            lambda: add_note(db(), rt.vault, case, body["text"], actor=caller(), now=now()),
        )
    except InvalidNote:
        db().rollback()
        fail(422, "invalid_request", "A note needs some text.")
    committed()
    return note_document(note, rt.vault)


@bp.get("/<reference>/referrals")
@requires(Action.VIEW)
@bp.response(200, ReferralDocument(many=True))
@answers(bp, ON_A_CASE)
def list_referrals(reference: str) -> list[dict[str, Any]]:
    """The case's referrals, oldest first (a provider's reason for declining is not shown)."""
    case = case_for(reference)
    return [referral_document(referral) for referral in sorted(case.referrals, key=_made)]


def _made(referral: Referral) -> tuple[Any, ...]:
    return (referral.created_at, referral.id)


@bp.post("/<reference>/referrals")
@requires(Action.REFER)
@bp.arguments(ReferralRequest)
@bp.response(201, ReferralDocument)
@answers(bp, (*ON_A_CASE, 409))
def create_referral(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Refer the case to an active provider of the service in its area, by SMS (sent after the
    commit). Without the reporter's consent a supervisor gives the reason."""
    rt = runtime()
    case = case_for(reference)
    override = (body.get("override_reason") or "").strip() or None

    def write() -> tuple[Referral, list[OutboxRow]]:
        try:
            return send_referral(
                db(),
                rt.vault,
                case,
                SERVICE_TYPES[body["service"]],
                actor=caller(),
                profile=rt.profile,
                max_segments=rt.settings.sms_max_segments,
                now=now(),
                override_reason=override,
            )
        except NoConsent:
            fail(409, "no_consent", "The reporter has not agreed to services, or refused sharing.")
        except InvalidNote:
            fail(422, "invalid_request", "Give the reason for referring without consent.")
        except AlreadyWaiting:
            fail(409, "conflict", "A referral for this service still waits for its answer.")
        except NoWorkPhone:
            fail(409, "no_work_phone", "Your account has no work phone for the provider to call.")
        except NoProvider:
            fail(409, "no_provider", "No active provider of this service in the case's area.")
        except TooLong:
            fail(409, "too_long", "The referral is too long for an SMS in the provider's language.")

    referral, rows = written(case, Action.REFER, write)
    committed(rows)
    return referral_document(referral)


@bp.post("/<reference>/contacts")
@requires(Action.RECORD_CONTACT)
@bp.arguments(ContactRequest)
@bp.response(200, ContactDocument)
@answers(bp, (*ON_A_CASE, 409))
def record_contact(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Someone reached the child or the reporter: the first-contact deadline stops (only the
    first contact counts). The reporter's answer on services, if asked, is recorded with it."""
    case = case_for(reference)
    consent = body.get("consent_services")

    def write() -> bool:
        user, at = caller(), now()
        first = record_first_contact(db(), case, actor=user, now=at)
        if consent is not None:
            record_consent(db(), case, services=consent, actor=user, now=at)
        return first is not None

    recorded = written(case, Action.RECORD_CONTACT, write)
    committed()
    return {
        "first_contact_recorded": recorded,
        "first_contacted_at": case.first_contacted_at,
        "consent_services": case.consent_services,
    }


@bp.get("/<reference>/messages")
@requires(Action.VIEW)
@bp.response(200, MessageDocument(many=True))
@answers(bp, ON_A_CASE)
def list_messages(reference: str) -> list[dict[str, Any]]:
    """The SMS filed under the case, oldest first: numbers masked, never the text."""
    rt = runtime()
    case = case_for(reference)
    return [message_document(message, rt.vault) for message in case_messages(db(), case.id)]
