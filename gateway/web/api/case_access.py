"""What every endpoint on one case does: find it by reference (404), check that the caller
may see it (403, audited), check the tag an update was based on (``If-Match``: 428 without it,
412 when the case changed since), and turn the operations' refusals into answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from flask import request

from case_store.enums import CaseStatus
from case_store.models import Case, OutboxRow
from case_store.operations import InvalidTransition, PermissionDenied
from case_store.permissions import Action, allowed
from case_store.queries.cases import find_case_by_reference
from gateway.runtime import runtime
from gateway.web.api.auth import caller, refuse
from gateway.web.api.documents import case_document, entity_tag
from gateway.web.api.errors import fail
from gateway.web.db import db
from workers.dispatch import dispatch

T = TypeVar("T")

IF_MATCH: Final = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "The case's ETag, as its last GET or update answered it",
}
ETAG: Final = {"ETag": {"schema": {"type": "string"}, "description": "The case's tag"}}


def now() -> datetime:
    return datetime.now(UTC)


def case_for(reference: str) -> Case:
    """The case ``reference`` names, if the caller may see it."""
    case = find_case_by_reference(db(), reference)
    if case is None:
        fail(404, "not_found", "No case has this reference.")
    if not allowed(caller(), Action.VIEW, case):
        refuse(Action.VIEW, case_id=case.id)
    return case


def unchanged_since_read(case: Case) -> None:
    """The update was based on the case as it is now (``If-Match``)."""
    if not request.headers.get("If-Match"):
        fail(428, "precondition_required", "Send the case's ETag in If-Match.")
    if not request.if_match.contains(entity_tag(case)):
        fail(412, "precondition_failed", "The case changed since it was read: read it again.")


def written(case: Case, action: Action, write: Callable[[], T]) -> T:
    """``write()``, its refusals answered: a permission audited (403), a change the case's
    state does not allow (409). Nothing is written in either case."""
    try:
        return write()
    except PermissionDenied:
        refuse(action, case_id=case.id)
    except InvalidTransition:
        db().rollback()
        fail(409, "conflict", _transition_refused(case, action))


def _transition_refused(case: Case, action: Action) -> str:
    if case.status is CaseStatus.CLOSED and action is not Action.REOPEN:
        return "This case is closed: reopen it first."
    return {
        Action.ASSIGN: "This person cannot hold this case, or already holds it.",
        Action.ACKNOWLEDGE: "Nobody holds this case yet: assign it first.",
        Action.CHANGE_LEVEL: "The case is already at this level.",
        Action.REOPEN: "This case is not closed.",
    }.get(action, "This cannot be done on this case now.")


def committed(rows: list[OutboxRow] | None = None) -> None:
    """Commit the request's writes, then hand the jobs they queued to the workers."""
    rt = runtime()
    db().commit()
    if rows:
        dispatch(rt.redis, rows)


def tagged(case: Case, status: int = 200, **headers: str) -> tuple[dict[str, Any], int, Any]:
    """The case's document with its ``ETag``."""
    return case_document(case, now()), status, {"ETag": f'"{entity_tag(case)}"', **headers}
