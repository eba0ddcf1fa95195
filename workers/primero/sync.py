"""The ``sync`` job: send one case to Primero as it stands, exactly once per change.

``sync_case`` is enqueued through the outbox after the commit that opened the case (under the
push policy) and after each change Primero keeps (``case_store.operations.sync_queue``). It
takes a per-case lock in Redis (a duplicate job waits and runs after), reads the case, counts
the attempt, and sends it: a create with our UUID as ``id`` (204, or 409 when Primero has it
already, which counts as delivered), else a PATCH of the fields the map names; then an assign
when the case's account has a Primero user Primero does not have yet. Then it records the
revision Primero has. No transaction is held open across a request.

What can go wrong, and what it does:

- a timeout, no connection, 429, 502, 503 or another 5xx: the job is enqueued again later,
  after ``Retry-After`` when Primero gave one, else with exponential backoff; after
  ``MAX_ATTEMPTS`` the case is parked as failed.
- 422 (or another 4xx): Primero refused the record. The case is parked as failed with
  Primero's error (``kinga primero failures``) and the job fails with it, so that the failed
  jobs (``kinga jobs failed``, the console's supervision page) show it too. ``kinga primero
  retry REF`` sends it again once fixed.
- 401 or 403: the service account's login was refused. Primero locks an account after a few
  failed logins, so the queue stops at once (a flag in the database every job reads before
  any request), the case waits, and the administrators are told by SMS. Nothing more goes
  until ``kinga primero resume`` or a ``kinga primero check`` that logs in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from case_store.enums import MessagePurpose, SyncState
from case_store.models import Case, OutboxRow
from case_store.operations.primero import (
    Delivered,
    mark_synced,
    mark_waiting,
    park_failed,
    record_attempt,
    stop_sync,
)
from case_store.operations.sync_queue import SYNC_JOB
from case_store.queries.primero import admins_to_alert, sync_stopped
from case_store.queries.users import staff_language
from dialogs.render import N_, fold_to_gsm7, load_translations
from workers.context import JobContext, PrimeroSync, installed
from workers.dispatch import FAILURE_TTL, RESULT_TTL, dispatch
from workers.primero.client import LoginRefused, PrimeroError, Retryable
from workers.primero.record import primero_record
from workers.queues import SLOW, queue
from workers.sms.queueing import TooLong, queue_sms

log = logging.getLogger("kinga.primero")

JOB_TIMEOUT = 300
BACKOFF_BASE = 30  # seconds before the first retry; doubled each time
BACKOFF_CAP = 3600
MAX_ATTEMPTS = 10  # about 4 hours of retries in all
LOCK_SECONDS = JOB_TIMEOUT
BUSY_RETRY = 5  # seconds: another job holds the case
STOPPED = N_(
    "Kinga: Primero refused the sync account's login, so sending cases to Primero has "
    "stopped. Fix the account, then run: kinga primero check"
)


class PrimeroRejected(RuntimeError):
    """Primero refused the case's record; it is parked as failed with Primero's error."""


SYNCED = "synced"
UP_TO_DATE = "up_to_date"
MISSING = "missing"
STOPPED_WAITING = "stopped"
RETRY = "retry"
FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    what: str  # one of the words above
    retry_in: float | None = None  # RETRY: seconds to wait
    error: str | None = None  # FAILED: Primero's error


@dataclass
class Pushed:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    alerts: list[OutboxRow] = field(default_factory=list)  # to the admins, when it stopped


@dataclass(frozen=True)
class _Send:
    case_id: int
    primero_id: str
    record: dict[str, Any]
    create: bool
    assign: str | None  # the Primero user to assign it to now
    assignee: str | None  # the Primero user it is assigned to once sent
    revision: int
    attempts: int


def sync_case(case_id: int) -> str:
    """RQ job: send case ``case_id`` to Primero (see the module's note)."""
    context = installed()
    if context.primero is None:
        return "primero not configured"
    connection = context.connection()
    lock = f"kinga:primero:case:{case_id}"
    if not connection.set(lock, "1", nx=True, ex=LOCK_SECONDS):
        schedule(connection, case_id, BUSY_RETRY)
        return "busy"
    try:
        result = push(context, context.primero, [case_id], now=datetime.now(UTC))
    finally:
        connection.delete(lock)
    dispatch(connection, result.alerts)
    outcome = result.outcomes[case_id]
    if outcome.retry_in is not None:
        schedule(connection, case_id, outcome.retry_in)
    if outcome.what == FAILED:
        raise PrimeroRejected(f"case {case_id}: Primero refused it: {outcome.error}")
    return outcome.what


def push(
    context: JobContext, primero: PrimeroSync, case_ids: Sequence[int], *, now: datetime
) -> Pushed:
    """Send the cases ``case_ids`` as they stand, one request each (the backfill sends a batch
    at once), and record what became of them: one transaction to read, one to write."""
    pushed = Pushed()
    sends: list[_Send] = []
    with context.sessions.begin() as db:
        cases = db.scalars(
            select(Case)
            .where(Case.id.in_(case_ids))
            .options(selectinload(Case.reporter), selectinload(Case.assigned_to))
        ).all()
        found = {case.id: case for case in cases}
        stopped = sync_stopped(db) is not None
        for case_id in case_ids:
            case = found.get(case_id)
            if case is None or case.primero_id is None:
                pushed.outcomes[case_id] = Outcome(MISSING)
            elif stopped:
                mark_waiting(case)
                pushed.outcomes[case_id] = Outcome(STOPPED_WAITING)
            else:
                send = _prepare(context, primero, case, now=now)
                if send is None:
                    pushed.outcomes[case_id] = Outcome(UP_TO_DATE)
                else:
                    sends.append(send)
    for index, send in enumerate(sends):
        try:
            _request(primero, send)
        except LoginRefused as exc:
            pushed.alerts = _stop(context, [s.case_id for s in sends[index:]], exc.status, now)
            for waiting in sends[index:]:
                pushed.outcomes[waiting.case_id] = Outcome(STOPPED_WAITING)
            break
        except Retryable as exc:
            if send.attempts >= MAX_ATTEMPTS:
                error = f"gave up after {send.attempts} attempts: {exc}"
                pushed.outcomes[send.case_id] = Outcome(FAILED, error=error)
            else:
                delay = backoff(send.attempts, exc.retry_after)
                log.warning(
                    "case %s: Primero not reached (%s); again in %.0f s", send.case_id, exc, delay
                )
                pushed.outcomes[send.case_id] = Outcome(RETRY, retry_in=delay)
        except PrimeroError as exc:  # Rejected, or an answer that could not be read
            pushed.outcomes[send.case_id] = Outcome(FAILED, error=str(exc))
        else:
            pushed.outcomes[send.case_id] = Outcome(SYNCED)
    _record(context, sends, pushed, now=now)
    return pushed


def _prepare(
    context: JobContext, primero: PrimeroSync, case: Case, *, now: datetime
) -> _Send | None:
    """What to send for ``case``, its attempt counted; None when Primero has it all."""
    assert case.primero_id is not None
    assignee = case.assigned_to.primero_user if case.assigned_to is not None else None
    created = case.primero_synced_revision is not None
    if (
        created
        and case.primero_synced_revision == case.primero_revision
        and case.primero_sync_state is SyncState.SYNCED
        and (assignee is None or assignee == case.primero_assigned_user)
    ):
        return None
    record = primero_record(
        case,
        primero.fields,
        context.profile.categories,
        context.vault,
        module_id=primero.module_id,
        create=not created,
    )
    revision = record_attempt(case, now=now)
    return _Send(
        case_id=case.id,
        primero_id=case.primero_id,
        record=record,
        create=not created,
        assign=assignee if assignee != case.primero_assigned_user else None,
        assignee=assignee or case.primero_assigned_user,
        revision=revision,
        attempts=case.primero_attempts,
    )


def _request(primero: PrimeroSync, send: _Send) -> None:
    if send.create:
        primero.client.create(send.record)
    else:
        primero.client.update(send.primero_id, send.record)
    if send.assign is not None:
        primero.client.assign(send.primero_id, send.assign)


def _record(context: JobContext, sends: Sequence[_Send], pushed: Pushed, *, now: datetime) -> None:
    """Write what became of each case sent: synced, or parked as failed."""
    delivered = [
        Delivered(send.case_id, send.revision, send.assignee)
        for send in sends
        if pushed.outcomes[send.case_id].what == SYNCED
    ]
    refused = [send.case_id for send in sends if pushed.outcomes[send.case_id].what == FAILED]
    if not (delivered or refused):
        return
    with context.sessions.begin() as db:
        if delivered:
            mark_synced(db, delivered, now=now)
        for case_id in refused:
            case = db.get(Case, case_id)
            if case is not None:
                park_failed(db, case, pushed.outcomes[case_id].error or "refused", now=now)
            log.error("case %s: Primero refused it; parked as failed", case_id)
    if delivered:
        log.info("%s case(s) sent to Primero", len(delivered))


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds before attempt ``attempts + 1``: Primero's ``Retry-After`` when it gave one
    (it knows when it will be back), else doubling from ``BACKOFF_BASE`` up to
    ``BACKOFF_CAP``."""
    if retry_after is not None:
        return max(1.0, retry_after)
    return float(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


def schedule(connection: redis.Redis[bytes], case_id: int, delay: float) -> None:
    """Run the job for ``case_id`` again in ``delay`` seconds (RQ's scheduler)."""
    sync_queue: Queue = queue(SLOW, connection)
    sync_queue.enqueue_in(
        timedelta(seconds=delay),
        SYNC_JOB,
        kwargs={"case_id": case_id},
        job_timeout=JOB_TIMEOUT,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
    )


def _stop(
    context: JobContext, case_ids: Sequence[int], status: int, now: datetime
) -> list[OutboxRow]:
    """Stop the queue (once: the administrators are told then) and let the cases wait."""
    rows: list[OutboxRow] = []
    with context.sessions.begin() as db:
        for case in db.scalars(select(Case).where(Case.id.in_(case_ids))):
            mark_waiting(case)
        if stop_sync(db, status, now=now):
            rows = _alert_admins(context, db, now=now)
            log.error(
                "Primero refused the service account's login (%s): the sync is stopped; "
                "%s administrator(s) told",
                status,
                len(rows),
            )
    return rows


def _alert_admins(context: JobContext, db: Session, *, now: datetime) -> list[OutboxRow]:
    rows: list[OutboxRow] = []
    profile = context.profile
    for user in admins_to_alert(db):
        assert user.phone_encrypted is not None
        language = staff_language(user, profile.languages)
        text = load_translations(language).gettext(STOPPED)
        if language in profile.fold_accents:
            text = fold_to_gsm7(text)
        try:
            _message, row = queue_sms(
                db,
                context.vault,
                phone=context.vault.decrypt(user.phone_encrypted),
                text=text,
                purpose=MessagePurpose.ALERT,
                max_segments=context.max_segments,
                now=now,
            )
        except TooLong as exc:
            log.error("user %s: the Primero alert was not queued: %s", user.id, exc)
            continue
        rows.append(row)
    return rows
