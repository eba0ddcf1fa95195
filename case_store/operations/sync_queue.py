"""Queueing a case for the Primero sync job, in the caller's transaction (the outbox).

A case enters the sync when it is opened under the push policy (``workers.alerts.
on_case_opened``), backfilled or retried; from then on every change Primero is told about
(``SYNCED_KINDS``, appended by ``audit.record_event``) queues it again. Each queueing counts one
more revision; the job sends the case as it stands and records the revision Primero has, so
several changes before it runs make one request, and a job that finds nothing new does nothing.
Changes that came from Primero itself (``ACTOR_PRIMERO``) are not sent back.
"""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy.orm import Session

from case_store.enums import EventKind, SyncState
from case_store.models import Case, OutboxRow
from case_store.operations.outbox import add_outbox

SYNC_JOB = "workers.primero.sync.sync_case"
ACTOR_PRIMERO = "primero"
SYNCED_KINDS = frozenset(
    {
        EventKind.ASSIGNED,
        EventKind.ACKNOWLEDGED,
        EventKind.STATUS_CHANGED,
        EventKind.CLOSED,
        EventKind.REOPENED,
        EventKind.LEVEL_CHANGED,
        EventKind.CONSENT_RECORDED,
        EventKind.ESCALATED,
        EventKind.MERGED_INTO,
    }
)


def enter_sync(case: Case) -> None:
    """Mark ``case`` to be sent as it now stands: one more revision. Its Primero id is chosen
    here, once: a UUID, sent as the record's ``id`` so that Primero recognises a repeat (409)."""
    if case.primero_id is None:
        case.primero_id = str(uuid4())
    case.primero_revision = (case.primero_revision or 0) + 1
    if case.primero_sync_state is not SyncState.STOPPED:
        case.primero_sync_state = SyncState.PENDING


def queue_sync(session: Session, case: Case) -> OutboxRow:
    """``enter_sync`` and queue the sync job for ``case`` (written with the caller's changes)."""
    enter_sync(case)
    return add_outbox(session, SYNC_JOB, case_id=case.id)


def note_change(session: Session, case: Case, kind: EventKind, actor: str) -> OutboxRow | None:
    """After an event on ``case``: queue it again when it is in the sync and Primero keeps
    what changed (the row is dispatched after the commit, or by the outbox sweeper)."""
    if case.primero_id is None or kind not in SYNCED_KINDS or actor == ACTOR_PRIMERO:
        return None
    return queue_sync(session, case)
