"""Updates of a case, each through the named operation the console uses: assign, acknowledge,
change the level (lowering it needs a reason), close with a reason, reopen.

Each needs the case's ``ETag`` in ``If-Match`` (428 without it, 412 when the case changed
since it was read) and answers the case as it is now, with its new tag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from case_store.enums import ClosureReason, RiskLevel
from case_store.models import Case
from case_store.operations import acknowledge, assign, change_risk_level, close, reopen
from case_store.permissions import Action
from case_store.queries.users import find_user
from gateway.runtime import runtime
from gateway.web.api.auth import caller, requires
from gateway.web.api.case_access import (
    ETAG,
    IF_MATCH,
    case_for,
    committed,
    now,
    tagged,
    unchanged_since_read,
    written,
)
from gateway.web.api.errors import UPDATE, answers, fail
from gateway.web.api.schemas import AssignRequest, CaseDocument, CloseRequest, LevelRequest
from gateway.web.db import db

bp = Blueprint("case-work", __name__, url_prefix="/cases", description="Updates of a case")
PRECONDITIONS = {"parameters": [IF_MATCH]}


def updated(reference: str, action: Action, write: Callable[[Case], object]) -> Any:
    """The case read and checked against ``If-Match``, changed by ``write`` (its named
    operation, refusals answered by ``written``), committed: the case as it is now, tagged."""
    case = case_for(reference)
    unchanged_since_read(case)
    written(case, action, lambda: write(case))
    committed()
    return tagged(case)


@bp.post("/<reference>/assign")
@requires(Action.ASSIGN)
@bp.arguments(AssignRequest)
@bp.response(200, CaseDocument, headers=ETAG)
@answers(bp, UPDATE)
@bp.doc(**PRECONDITIONS)
def assign_case(body: dict[str, Any], reference: str) -> Any:
    """Give the case to a caseworker or supervisor of its area, who then acknowledges it."""

    def write(case: Case) -> object:
        assignee = find_user(db(), body["assignee"])
        if assignee is None:
            fail(422, "invalid_request", "No staff account has this username.")
        return assign(db(), case, assignee, actor=caller(), now=now())

    return updated(reference, Action.ASSIGN, write)


@bp.post("/<reference>/acknowledge")
@requires(Action.ACKNOWLEDGE)
@bp.response(200, CaseDocument, headers=ETAG)
@answers(bp, UPDATE)
@bp.doc(**PRECONDITIONS)
def acknowledge_case(reference: str) -> Any:
    """The person holding the case has seen it (acknowledging it again changes nothing)."""
    return updated(
        reference,
        Action.ACKNOWLEDGE,
        lambda case: acknowledge(db(), case, actor=caller(), now=now()),
    )


@bp.post("/<reference>/level")
@requires(Action.CHANGE_LEVEL)
@bp.arguments(LevelRequest)
@bp.response(200, CaseDocument, headers=ETAG)
@answers(bp, UPDATE)
@bp.doc(**PRECONDITIONS)
def change_level(body: dict[str, Any], reference: str) -> Any:
    """Change the case's level; its deadlines follow the triage policy's."""
    rt = runtime()
    level = RiskLevel(body["level"])
    reason = (body.get("reason") or "").strip() or None

    def write(case: Case) -> object:
        if level.severity < case.risk_level.severity and reason is None:
            fail(422, "invalid_request", "Lowering the level needs a reason.")
        return change_risk_level(
            db(), rt.vault, case, level, actor=caller(), now=now(), reason=reason,
            policy=rt.triage,
        )  # fmt: skip

    return updated(reference, Action.CHANGE_LEVEL, write)


@bp.post("/<reference>/close")
@requires(Action.CLOSE)
@bp.arguments(CloseRequest)
@bp.response(200, CaseDocument, headers=ETAG)
@answers(bp, UPDATE)
@bp.doc(**PRECONDITIONS)
def close_case(body: dict[str, Any], reference: str) -> Any:
    """Close the case with a reason (a duplicate is closed by merging it, not here)."""
    reason = ClosureReason(body["reason"])
    return updated(
        reference, Action.CLOSE, lambda case: close(db(), case, reason, actor=caller(), now=now())
    )


@bp.post("/<reference>/reopen")
@requires(Action.REOPEN)
@bp.response(200, CaseDocument, headers=ETAG)
@answers(bp, UPDATE)
@bp.doc(**PRECONDITIONS)
def reopen_case(reference: str) -> Any:
    """Reopen a closed case."""
    return updated(
        reference, Action.REOPEN, lambda case: reopen(db(), case, actor=caller(), now=now())
    )
