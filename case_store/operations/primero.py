"""The Primero sync as the case store records it: attempts, success, refusals, the stopped
queue, the backfill's cursor, and what Primero's webhooks change on a case.

The sync job (``workers.primero.sync``) calls these around its HTTP requests, each in its own
short transaction (never one held open across a request). What Primero changes comes back
through ``apply_primero_update``, as the named changes a person would make (close, reopen, a
new workflow stage), under the ``primero`` actor, so the reporter's follow-up is owed as when
staff make them, and the change is not sent back to Primero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import CaseStatus, ClosureReason, EventKind, SyncState, WorkflowStage
from case_store.models import Case, CaseEvent, OutboxRow, PrimeroControl, User
from case_store.models.primero import BACKFILL, STOPPED
from case_store.operations.audit import ACTOR_USER, closure_fields, record_event
from case_store.operations.deadlines import recheck_deadlines
from case_store.operations.errors import InvalidTransition
from case_store.operations.follow_ups import owe_follow_up
from case_store.operations.sync_queue import ACTOR_PRIMERO, queue_sync
from case_store.queries.primero import waiting_for_sync

MAX_ERROR = 500

# Primero's workflow stages (its default ``workflow`` lookup) as Kinga's.
WORKFLOW_STAGES: dict[str, WorkflowStage] = {
    "new": WorkflowStage.NEW,
    "reopened": WorkflowStage.ASSESSMENT,
    "assessment": WorkflowStage.ASSESSMENT,
    "case_plan": WorkflowStage.CASE_PLAN,
    "care_plan": WorkflowStage.CASE_PLAN,
    "action_plan": WorkflowStage.CASE_PLAN,
    "service_provision": WorkflowStage.SERVICES,
    "services_implemented": WorkflowStage.SERVICES,
    "closed": WorkflowStage.CLOSED,
}


def record_attempt(case: Case, *, now: datetime) -> int:
    """One more request about ``case`` is about to go; the revision it sends."""
    case.primero_attempts = (case.primero_attempts or 0) + 1
    case.primero_last_attempt_at = as_utc(now, "now")
    return case.primero_revision


@dataclass(frozen=True)
class Delivered:
    """Primero has ``case_id`` as of ``revision``, assigned there to ``assigned_user``."""

    case_id: int
    revision: int
    assigned_user: str | None


def mark_synced(session: Session, delivered: Sequence[Delivered], *, now: datetime) -> int:
    """Record what Primero now has: each case synced, unless it changed meanwhile (then it
    stays pending: the change queued its own job, which sends it since the revisions
    differ). A case's first delivery appends a ``primero_created`` event. A backfill records
    a thousand at a time, so this is one read, one bulk update and one bulk insert; how many
    are synced."""
    now = as_utc(now, "now")
    found = {
        row.id: row
        for row in session.execute(
            select(
                Case.id, Case.primero_id, Case.primero_revision, Case.primero_synced_revision
            ).where(Case.id.in_([item.case_id for item in delivered]))
        )
    }
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for item in delivered:
        row = found.get(item.case_id)
        if row is None:
            continue
        values: dict[str, Any] = {
            "id": row.id,
            "primero_synced_revision": item.revision,
            "primero_assigned_user": item.assigned_user,
        }
        current = row.primero_revision == item.revision
        if current:
            values |= {
                "primero_sync_state": SyncState.SYNCED,
                "primero_error": None,
                "primero_attempts": 0,
            }
        updates.append(values)
        if row.primero_synced_revision is None:
            state = SyncState.SYNCED if current else SyncState.PENDING
            after = {"primero_id": row.primero_id, "sync_state": state.value}
            events.append(
                {
                    "case_id": row.id,
                    "kind": EventKind.PRIMERO_CREATED,
                    "actor": ACTOR_PRIMERO,
                    "actor_user_id": None,
                    "at": now,
                    "data": {"before": None, "after": after},
                }
            )
    if updates:
        session.execute(update(Case), updates, execution_options={"synchronize_session": False})
    if events:
        session.execute(insert(CaseEvent), events)
    return sum(1 for values in updates if "primero_sync_state" in values)


def park_failed(session: Session, case: Case, error: str, *, now: datetime) -> CaseEvent:
    """Primero refused the record (or gave up answering): park it with ``error`` (Primero's
    codes and messages, never the record) until someone retries it."""
    before = {"sync_state": case.primero_sync_state.value}
    case.primero_sync_state = SyncState.FAILED
    case.primero_error = error[:MAX_ERROR]
    after = {"sync_state": SyncState.FAILED.value, "error": case.primero_error}
    return record_event(
        session, case, EventKind.PRIMERO_FAILED, ACTOR_PRIMERO, None, now, after, before
    )


def retry_sync(session: Session, case: Case, *, actor: User | None, now: datetime) -> OutboxRow:
    """Send a parked case again (``kinga primero retry REF``); the outbox row to dispatch."""
    if case.primero_sync_state is not SyncState.FAILED:
        raise InvalidTransition(
            f"case {case.reference} is {case.primero_sync_state.value} with Primero, not failed"
        )
    before = {"sync_state": case.primero_sync_state.value, "error": case.primero_error}
    case.primero_error = None
    case.primero_attempts = 0
    row = queue_sync(session, case)
    after = {"sync_state": case.primero_sync_state.value, "error": None}
    actor_kind = ACTOR_PRIMERO if actor is None else ACTOR_USER
    record_event(
        session,
        case,
        EventKind.PRIMERO_RETRIED,
        actor_kind,
        None if actor is None else actor.id,
        now,
        after,
        before,
    )
    return row


def mark_waiting(case: Case) -> None:
    """The queue is stopped: ``case`` waits for ``resume_sync``."""
    case.primero_sync_state = SyncState.STOPPED


def stop_sync(session: Session, status: int, *, now: datetime) -> bool:
    """Stop the sync queue after Primero refused the login (``status`` 401 or 403). True when
    this call stopped it, False when it was stopped already (the admins were told then)."""
    if session.get(PrimeroControl, STOPPED) is not None:
        return False
    session.add(PrimeroControl(name=STOPPED, value={"status": status}, updated_at=now))
    session.flush()
    return True


def resume_sync(session: Session, *, now: datetime) -> list[OutboxRow]:
    """Lift the stop and queue every case that waited (stopped or still pending); the outbox
    rows to dispatch after the commit."""
    session.execute(delete(PrimeroControl).where(PrimeroControl.name == STOPPED))
    rows = []
    for case in waiting_for_sync(session):
        case.primero_sync_state = SyncState.PENDING
        rows.append(queue_sync(session, case))
    return rows


def save_backfill_cursor(session: Session, after_id: int, *, now: datetime) -> None:
    """The backfill finished every case up to ``after_id``: a new run starts after it."""
    row = session.get(PrimeroControl, BACKFILL)
    if row is None:
        session.add(PrimeroControl(name=BACKFILL, value={"after_id": after_id}, updated_at=now))
    else:
        row.value = {"after_id": after_id}
        row.updated_at = now
    session.flush()


def set_primero_updated_at(session: Session, case_id: int, updated_at: datetime) -> bool:
    """Record the Primero update applied to ``case_id``, unless a later one was applied
    already: False for an older or replayed webhook (a conditional UPDATE, so of two
    deliveries at once exactly one applies)."""
    at = as_utc(updated_at, "updated_at")
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(Case)
            .where(
                Case.id == case_id,
                (Case.primero_updated_at.is_(None)) | (Case.primero_updated_at < at),
            )
            .values(primero_updated_at=at)
            .execution_options(synchronize_session=False)
        ),
    )
    return claimed.rowcount == 1


def apply_primero_update(
    session: Session,
    case: Case,
    *,
    status: str | None,
    workflow: str | None,
    now: datetime,
) -> list[CaseEvent]:
    """What Primero says of ``case`` now: closed or open again, and its workflow stage. Each
    difference is made as the named change (closing and a new stage owe the reporter a
    follow-up); what already holds changes nothing, so a replay writes nothing."""
    now = as_utc(now, "now")
    events: list[CaseEvent] = []
    if status == "closed" and case.status is not CaseStatus.CLOSED:
        before = closure_fields(case)
        case.status = CaseStatus.CLOSED
        case.workflow_stage = WorkflowStage.CLOSED
        case.closure_reason = ClosureReason.OTHER
        case.closed_at = now
        owe_follow_up(case, now=now)
        events.append(
            record_event(
                session,
                case,
                EventKind.CLOSED,
                ACTOR_PRIMERO,
                None,
                now,
                closure_fields(case),
                before,
            )
        )
    elif status == "open" and case.status is CaseStatus.CLOSED:
        before = closure_fields(case)
        case.status = CaseStatus.OPEN
        case.workflow_stage = WorkflowStage.ASSESSMENT
        case.closure_reason = None
        case.closed_at = None
        recheck_deadlines(case, now=now)
        events.append(
            record_event(
                session,
                case,
                EventKind.REOPENED,
                ACTOR_PRIMERO,
                None,
                now,
                closure_fields(case),
                before,
            )
        )
    stage = WORKFLOW_STAGES.get(workflow or "")
    if (
        stage is not None
        and stage is not WorkflowStage.CLOSED
        and case.status is not CaseStatus.CLOSED
        and stage is not case.workflow_stage
    ):
        before_stage = {"workflow_stage": case.workflow_stage.value}
        case.workflow_stage = stage
        owe_follow_up(case, now=now)
        events.append(
            record_event(
                session,
                case,
                EventKind.WORKFLOW_CHANGED,
                ACTOR_PRIMERO,
                None,
                now,
                {"workflow_stage": stage.value},
                before_stage,
            )
        )
    return events
