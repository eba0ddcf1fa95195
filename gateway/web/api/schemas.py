"""What the API reads and writes, as marshmallow schemas: they validate each request (422 with
the fields refused) and are the OpenAPI document's components, so the two cannot drift."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any, Final

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from case_store.enums import (
    AgeBand,
    CallbackTime,
    CaseStatus,
    Category,
    Channel,
    ChildSex,
    ClosureReason,
    Direction,
    ReporterRelationship,
    RiskLevel,
    SyncState,
)
from case_store.operations.errors import MAX_NOTE
from case_store.report_contract import MAX_FREE_TEXT
from case_store.service_types import SERVICE_TYPES

ACTIVE: Final = "active"
MAX_PAGE: Final = 200
# Letters, digits, "-" and "_": a UUID or any key a client makes up.
IDEMPOTENCY_KEY: Final = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Days a helpline may count (far from the calendar's ends, where day arithmetic overflows).
DAYS: Final = v.Range(min=date(2000, 1, 1), max=date(2999, 12, 31))


def _values(enum: type[StrEnum], *extra: str) -> list[str]:
    return [*extra, *(member.value for member in enum)]


def _one_of(values: Iterable[str]) -> v.OneOf:
    return v.OneOf(list(values))


def _readable(text: str) -> None:
    """Refuse what no person types and the database may not keep (NUL, lone surrogates)."""
    if "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text):
        raise ma.ValidationError("Contains characters that are not text.")


def text(maximum: int, *, required: bool = False, **kwargs: Any) -> f.String:
    return f.String(
        required=required,
        validate=[v.Length(min=1 if required else 0, max=maximum), _readable],
        **kwargs,
    )


def enum(values: Iterable[str], **kwargs: Any) -> f.String:
    return f.String(validate=_one_of(values), **kwargs)


def moment(**kwargs: Any) -> f.AwareDateTime:
    return f.AwareDateTime(format="iso", **kwargs)


# Requests.


class CaseListQuery(ma.Schema):
    status = enum(_values(CaseStatus, ACTIVE), metadata={"description": "active: not closed"})
    level = enum(_values(RiskLevel))
    area = text(32, metadata={"description": "An area code of the deployment"})
    overdue = f.Boolean(load_default=False)
    mine = f.Boolean(load_default=False, metadata={"description": "Assigned to the caller"})
    unassigned = f.Boolean(load_default=False)
    limit = f.Integer(load_default=50, validate=v.Range(min=1, max=MAX_PAGE))
    cursor = text(200, metadata={"description": "next_cursor of the page before"})


class IdempotencyHeader(ma.Schema):
    key = f.String(
        required=True,
        data_key="Idempotency-Key",
        validate=v.Regexp(IDEMPOTENCY_KEY),
        metadata={"description": "A retried request with the same key opens no second case"},
    )


class CallRequest(ma.Schema):
    """A call that raises a concern about a child, as the console's call form logs it."""

    language = text(16, required=True, metadata={"description": "The caller's language"})
    phone = text(32, metadata={"description": "The caller's number with its country code"})
    direction = enum(_values(Direction), load_default=Direction.INBOUND.value)
    danger = enum(("yes", "no"), required=True)
    category = enum(_values(Category), required=True)
    age_band = enum(_values(AgeBand), required=True)
    sex = enum(_values(ChildSex), required=True)
    area = text(32, required=True, metadata={"description": "An area code of the deployment"})
    place = text(200)
    relationship = enum(_values(ReporterRelationship), required=True)
    narrative = text(MAX_FREE_TEXT, metadata={"description": "What the caller said"})
    consent_services = f.Boolean()
    consent_share = f.Boolean()
    callback_time = enum(
        _values(CallbackTime), metadata={"description": "Given: call the caller back then"}
    )


class AssignRequest(ma.Schema):
    assignee = text(64, required=True, metadata={"description": "A staff username"})


class LevelRequest(ma.Schema):
    level = enum(_values(RiskLevel), required=True)
    reason = text(MAX_NOTE, metadata={"description": "Needed to lower the level"})


class CloseRequest(ma.Schema):
    reason = enum(
        (r.value for r in ClosureReason if r is not ClosureReason.DUPLICATE), required=True
    )


class NoteRequest(ma.Schema):
    text = text(MAX_NOTE, required=True)


class ReferralRequest(ma.Schema):
    service = enum(SERVICE_TYPES, required=True)
    override_reason = text(
        MAX_NOTE, metadata={"description": "Refer without the reporter's consent (supervisors)"}
    )


class ContactRequest(ma.Schema):
    consent_services = f.Boolean(
        allow_none=True,
        load_default=None,
        metadata={"description": "The reporter's answer on services, if asked on this contact"},
    )


class CountsQuery(ma.Schema):
    first = f.Date(validate=DAYS, metadata={"description": "Default: 29 days before the last"})
    last = f.Date(
        validate=DAYS, metadata={"description": "Default: today, in the deployment's time zone"}
    )


# Responses.


class CaseDocument(ma.Schema):
    reference = f.String(required=True, metadata={"example": "482-177-302"})
    status = enum(_values(CaseStatus), required=True)
    level = enum(_values(RiskLevel), required=True)
    immediate_danger = f.Boolean(required=True)
    category = enum(_values(Category), required=True)
    age_band = enum(_values(AgeBand), required=True)
    sex = enum(_values(ChildSex), required=True)
    area = f.String(required=True)
    relationship = enum(_values(ReporterRelationship), required=True)
    workflow_stage = f.String(required=True)
    assigned_to = f.String(required=True, allow_none=True)
    created_at = moment(required=True)
    assign_by = moment(required=True)
    first_contact_by = moment(required=True)
    assigned_at = moment(required=True, allow_none=True)
    acknowledged_at = moment(required=True, allow_none=True)
    first_contacted_at = moment(required=True, allow_none=True)
    closed_at = moment(required=True, allow_none=True)
    closure_reason = f.String(required=True, allow_none=True)
    consent_services = f.Boolean(required=True, allow_none=True)
    repeat_of = f.String(required=True, allow_none=True)
    overdue = f.Boolean(required=True)
    primero = f.Nested(lambda: PrimeroSync(), required=True)


class PrimeroSync(ma.Schema):
    """Where the case stands with Primero (outside the ETag: the sync job changes it)."""

    sync_state = enum(_values(SyncState), required=True)
    error = f.String(
        required=True, allow_none=True, metadata={"description": "Primero's reason, if refused"}
    )
    attempts = f.Integer(required=True)
    last_attempt_at = moment(required=True, allow_none=True)


class CasePage(ma.Schema):
    cases = f.List(f.Nested(CaseDocument), required=True)
    next_cursor = f.String(required=True, allow_none=True)


class TimelineLine(ma.Schema):
    at = moment(required=True)
    who = f.String(required=True)
    kind = f.String(required=True)
    text = f.String(required=True, metadata={"description": "In English; notes are not shown"})


class NoteDocument(ma.Schema):
    at = moment(required=True)
    author = f.String(required=True, allow_none=True, metadata={"description": "None: reporter"})
    text = f.String(required=True)


class ReferralDocument(ma.Schema):
    code = f.String(required=True)
    service = f.String(required=True)
    provider = f.String(required=True)
    status = f.String(required=True)
    created_at = moment(required=True)
    answered_at = moment(required=True, allow_none=True)


class ContactDocument(ma.Schema):
    first_contact_recorded = f.Boolean(
        required=True, metadata={"description": "False: it was recorded before"}
    )
    first_contacted_at = moment(required=True)
    consent_services = f.Boolean(required=True, allow_none=True)


class MessageDocument(ma.Schema):
    id = f.String(required=True)
    at = moment(required=True)
    direction = enum(_values(Direction), required=True)
    channel = enum(_values(Channel), required=True)
    purpose = f.String(required=True, allow_none=True)
    status = f.String(required=True)
    phone = f.String(required=True, allow_none=True, metadata={"description": "Masked"})


class CountRow(ma.Schema):
    day = f.Date(required=True)
    channel = f.String(required=True, allow_none=True)
    category = f.String(required=True, allow_none=True)
    chi_category = f.String(required=True, allow_none=True)
    level = f.String(required=True, allow_none=True)
    area = f.String(required=True, allow_none=True)
    contacts = f.Integer(required=True)
    cases = f.Integer(required=True)


class DailyCounts(ma.Schema):
    first = f.Date(required=True)
    last = f.Date(required=True)
    time_zone = f.String(required=True)
    rows = f.List(f.Nested(CountRow), required=True)
