"""Cases: the list a caller may see (the console's filters, paged by cursor), one case by
reference, its timeline, and a new case from a call.

A call is logged as the console's call form logs one: the same report contract, triage and
alerts (``open_case`` then ``on_case_opened``, dispatched after the commit). Its
``Idempotency-Key`` is the contact's id with the ``api`` provider, per account: the same POST
sent again (a timeout, a retry) finds the case it opened and writes nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from flask import url_for
from flask_smorest import Blueprint
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from case_store.enums import CaseStatus, Channel, RiskLevel
from case_store.models import Case, OutboxRow, User
from case_store.operations import InvalidReport, PermissionDenied, Report, open_case
from case_store.operations.reports import find_contact
from case_store.permissions import Action
from case_store.queries.cases import ACTIVE_STATUSES, CaseFilter, visible_cases_after
from case_store.queries.messages import case_messages
from case_store.queries.users import list_users
from gateway.case_timeline import timeline
from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.runtime import runtime
from gateway.web.api.auth import caller, refuse, requires
from gateway.web.api.case_access import ETAG, case_for, committed, now, tagged
from gateway.web.api.documents import case_document, line_document
from gateway.web.api.errors import ANY_VIEW, ON_A_CASE, answers, fail
from gateway.web.api.schemas import (
    ACTIVE,
    CallRequest,
    CaseDocument,
    CaseListQuery,
    CasePage,
    IdempotencyHeader,
    TimelineLine,
)
from gateway.web.db import db
from workers.alerts import on_case_opened

bp = Blueprint("cases", __name__, url_prefix="/cases", description="Cases")

PROVIDER: Final = "api"
CURSOR_SALT: Final = "kinga-api-cursor"


def _cursors() -> URLSafeSerializer:
    return URLSafeSerializer(runtime().settings.secret_key, salt=CURSOR_SALT)


@bp.get("")
@requires(Action.VIEW)
@bp.arguments(CaseListQuery, location="query")
@bp.response(200, CasePage)
@answers(bp, ANY_VIEW)
def list_cases(query: dict[str, Any]) -> dict[str, Any]:
    """Cases the caller may see, newest first, filtered as the console's list is.

    Page with ``cursor``: each answer's ``next_cursor`` (null on the last page). A case keeps
    its place whatever happens to it, so paging lists each case once.
    """
    user, at = caller(), now()
    before_id = None
    if query.get("cursor"):
        try:
            before_id = int(_cursors().loads(query["cursor"]))
        except (BadSignature, TypeError, ValueError):
            fail(422, "invalid_cursor", "This cursor was not given by this API.")
    area = query.get("area")
    if area is not None and runtime().profile.location(area) is None:
        fail(422, "invalid_request", "No area has this code.")
    wanted = _filter(query, user, at)
    found = visible_cases_after(db(), user, wanted, before_id=before_id, limit=query["limit"] + 1)
    page = found[: query["limit"]]
    following = _cursors().dumps(page[-1].id) if len(found) > len(page) else None
    return {"cases": [case_document(case, at) for case in page], "next_cursor": following}


def _filter(query: dict[str, Any], user: User, at: datetime) -> CaseFilter:
    status = query.get("status")
    statuses: tuple[CaseStatus, ...] | None = None
    if status == ACTIVE:
        statuses = ACTIVE_STATUSES
    elif status:
        statuses = (CaseStatus(status),)
    return CaseFilter(
        statuses=statuses,
        levels=(RiskLevel(query["level"]),) if query.get("level") else None,
        location_codes=(query["area"],) if query.get("area") else None,
        overdue_at=at if query["overdue"] else None,
        assigned_to_id=user.id if query["mine"] else None,
        unassigned_only=query["unassigned"],
    )


@bp.post("")
@requires(Action.RECORD_CONTACT)
@bp.arguments(IdempotencyHeader, location="headers")
@bp.arguments(CallRequest)
@bp.response(201, CaseDocument, headers=ETAG)
@answers(bp, ANY_VIEW)
@bp.alt_response(200, schema=CaseDocument, description="Sent before with this key", success=True)
def create_case(headers: dict[str, str], call: dict[str, Any]) -> Any:
    """Open a case from a call (triaged, its alerts sent as for any report)."""
    user = caller()
    report = _report(user, headers["key"], call)
    try:
        case, rows, opened = _open(user, report, call["direction"])
    except IntegrityError:  # a concurrent delivery of the same key committed first
        db().rollback()
        case, rows, opened = _open(user, report, call["direction"])
    committed(rows)
    location = url_for(".get_case", reference=case.reference)
    return tagged(case, 201 if opened else 200, Location=location)


def _report(user: User, key: str, call: dict[str, Any]) -> Report:
    profile = runtime().profile
    if call["language"] not in profile.languages:
        fail(422, "invalid_request", "The language is not one of this deployment's.")
    if profile.location(call["area"]) is None:
        fail(422, "invalid_request", "No area has this code.")
    phone = None
    if call.get("phone"):
        try:
            phone = to_e164(call["phone"])
        except InvalidPhoneNumber:
            fail(422, "invalid_request", "Write the number with its country code.")
    answers = {
        key: call[key] for key in ("danger", "category", "age_band", "sex", "area", "relationship")
    }
    answers["callback"] = "yes" if call.get("callback_time") else "no"
    if call.get("callback_time"):
        answers["callback_time"] = call["callback_time"]
    for name in ("consent_services", "consent_share"):
        if call.get(name) is not None:
            answers[name] = "yes" if call[name] else "no"
    for name in ("place", "narrative"):
        value = (call.get(name) or "").strip()
        if value:
            answers[name] = value
    return Report(
        channel=Channel.VOICE.value,
        provider=PROVIDER,
        external_id=f"{user.id}-{key}",
        phone=phone,
        language=call["language"],
        answers=answers,
        started_at=now(),
    )


def _open(user: User, report: Report, direction: str) -> tuple[Case, list[OutboxRow], bool]:
    """The case the call opens (or opened, when sent before), the alerts to send, and whether
    it is new."""
    rt, session, at = runtime(), db(), now()
    known = find_contact(session, report.provider, report.external_id)
    try:
        case = open_case(
            session, rt.vault, report, now=at, policy=rt.triage, agent=user, direction=direction
        )
    except PermissionDenied:
        refuse(Action.RECORD_CONTACT)
    except InvalidReport as exc:
        session.rollback()
        fail(422, "invalid_request", str(exc))
    if known is not None and known.case is not None:
        return case, [], False
    rows = on_case_opened(
        session,
        rt.vault,
        case,
        profile=rt.profile,
        max_segments=rt.settings.sms_max_segments,
        now=at,
    )
    return case, rows, True


@bp.get("/<reference>")
@requires(Action.VIEW)
@bp.response(200, CaseDocument, headers=ETAG)
@answers(bp, ON_A_CASE)
def get_case(reference: str) -> Any:
    """One case by its reference (``482-177-302`` or ``482177302``), with its ``ETag``."""
    return tagged(case_for(reference))


@bp.get("/<reference>/timeline")
@requires(Action.VIEW)
@bp.response(200, TimelineLine(many=True))
@answers(bp, ON_A_CASE)
def get_timeline(reference: str) -> list[dict[str, Any]]:
    """What happened to the case, oldest first: its audit trail, contacts and messages
    (numbers masked). Notes are left out: ``GET …/notes`` shows them to the roles that may
    read them."""
    rt, session = runtime(), db()
    case = case_for(reference)
    users = {person.id: person.username for person in list_users(session)}
    lines = timeline(
        case,
        case_messages(session, case.id),
        rt.vault,
        users,
        reveal=False,
    )
    return [line_document(line, rt.profile.time_zone) for line in lines]
