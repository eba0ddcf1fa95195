"""What the API answers about a case and its records, and the case's entity tag.

A case's tag is a hash of its document without ``overdue`` (which the clock changes, not a
write): any write through a named operation that changes what a client sees changes the tag,
and reading (its notes included) never does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, tzinfo
from typing import Any

from case_store.crypto import Vault
from case_store.masking import mask_phone
from case_store.models import Case, Message, Note, Referral
from case_store.queries.cases import is_overdue
from case_store.references import format_reference
from case_store.service_types import service_type
from gateway.case_timeline import Line, english


def case_document(case: Case, now: datetime) -> dict[str, Any]:
    return _state(case) | {
        "overdue": is_overdue(case, now),
        "primero": {
            "sync_state": case.primero_sync_state.value,
            "error": case.primero_error,
            "attempts": case.primero_attempts,
            "last_attempt_at": case.primero_last_attempt_at,
        },
    }


def _state(case: Case) -> dict[str, Any]:
    return {
        "reference": format_reference(case.reference),
        "status": case.status.value,
        "level": case.risk_level.value,
        "immediate_danger": case.immediate_danger,
        "category": case.category.value,
        "age_band": case.child_age_band.value,
        "sex": case.child_sex.value,
        "area": case.location_code,
        "relationship": case.reporter_relationship.value,
        "workflow_stage": case.workflow_stage.value,
        "assigned_to": case.assigned_to.username if case.assigned_to else None,
        "created_at": case.created_at,
        "assign_by": case.assign_by,
        "first_contact_by": case.first_contact_by,
        "assigned_at": case.assigned_at,
        "acknowledged_at": case.acknowledged_at,
        "first_contacted_at": case.first_contacted_at,
        "closed_at": case.closed_at,
        "closure_reason": case.closure_reason.value if case.closure_reason else None,
        "consent_services": case.consent_services,
        "repeat_of": format_reference(case.repeat_of.reference) if case.repeat_of else None,
    }


def entity_tag(case: Case) -> str:
    """The case's tag, unquoted (werkzeug quotes it in the header)."""
    state = json.dumps(_state(case), sort_keys=True, default=str)
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def line_document(line: Line, zone: tzinfo) -> dict[str, Any]:
    """A timeline line as the API gives it: its words in English, as ``kinga cases show``
    prints them (an integration reads ``kind``; ``text`` is for people)."""
    return {"at": line.at, "who": line.who, "kind": line.kind, "text": english(line, zone)}


def note_document(note: Note, vault: Vault) -> dict[str, Any]:
    return {
        "at": note.created_at,
        "author": note.author.username if note.author else None,
        "text": vault.decrypt(note.body_encrypted),
    }


def referral_document(referral: Referral) -> dict[str, Any]:
    return {
        "code": referral.code,
        "service": service_type(referral.service),
        "provider": referral.service_provider.name,
        "status": referral.status.value,
        "created_at": referral.created_at,
        "answered_at": referral.answered_at,
    }


def message_document(message: Message, vault: Vault) -> dict[str, Any]:
    phone = mask_phone(vault.decrypt(message.phone_encrypted)) if message.phone_encrypted else None
    return {
        "id": message.public_id,
        "at": message.created_at,
        "direction": message.direction.value,
        "channel": message.channel.value,
        "purpose": message.purpose.value if message.purpose else None,
        "status": message.status.value,
        "phone": phone,
    }
