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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue
from sqlalchemy.orm import Session

from case_store.enums import MessagePurpose, SyncState
from case_store.models import Case, OutboxRow
from case_store.operations.primero import (
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
from workers.primero.client import LoginRefused, PrimeroError, Rejected, Retryable
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


@dataclass
class Outcome:
    what: str  # synced, up_to_date, missing, stopped, retry, failed
    retry_in: float | None = None
    error: str | None = None
    rows: list[OutboxRow] = field(default_factory=list)  # the admins' alerts


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
        outcome = push(context, context.primero, case_id, now=datetime.now(UTC))
    finally:
        connection.delete(lock)
    dispatch(context.sessions, connection, outcome.rows)
    if outcome.retry_in is not None:
        schedule(connection, case_id, outcome.retry_in)
    if outcome.what == "failed":
        raise PrimeroRejected(f"case {case_id}: Primero refused it: {outcome.error}")
    return outcome.what


def push(context: JobContext, primero: PrimeroSync, case_id: int, *, now: datetime) -> Outcome:
    """Send case ``case_id`` as it stands, and record what became of it."""
    with context.sessions.begin() as db:
        case = db.get(Case, case_id)
        if case is None or case.primero_id is None:
            return Outcome("missing")
        if sync_stopped(db) is not None:
            mark_waiting(case)
            return Outcome("stopped")
        assignee = case.assigned_to.primero_user if case.assigned_to is not None else None
        created = case.primero_synced_revision is not None
        if (
            created
            and case.primero_synced_revision == case.primero_revision
            and case.primero_sync_state is SyncState.SYNCED
            and (assignee is None or assignee == case.primero_assigned_user)
        ):
            return Outcome("up_to_date")
        profile = context.profile
        record = primero_record(
            case,
            primero.fields,
            profile.categories,
            context.vault,
            module_id=primero.module_id,
            create=not created,
        )
        primero_id, known_assignee = case.primero_id, case.primero_assigned_user
        revision = record_attempt(case, now=now)
        attempts = case.primero_attempts
    try:
        if created:
            primero.client.update(primero_id, record)
        else:
            primero.client.create(record)
        if assignee is not None and assignee != known_assignee:
            primero.client.assign(primero_id, assignee)
    except LoginRefused as exc:
        return _stopped(context, case_id, exc.status, now=now)
    except Retryable as exc:
        if attempts >= MAX_ATTEMPTS:
            return _park(context, case_id, f"gave up after {attempts} attempts: {exc}", now=now)
        delay = backoff(attempts, exc.retry_after)
        log.warning("case %s: Primero not reached (%s); again in %.0f s", case_id, exc, delay)
        return Outcome("retry", retry_in=delay)
    except Rejected as exc:
        return _park(context, case_id, str(exc), now=now)
    except PrimeroError as exc:
        return _park(context, case_id, str(exc), now=now)
    with context.sessions.begin() as db:
        mark_synced(db, case_id, revision, assigned_user=assignee or known_assignee, now=now)
    log.info("case %s: sent to Primero (revision %s)", case_id, revision)
    return Outcome("synced")


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds before attempt ``attempts + 1``: Primero's ``Retry-After`` when it gave one
    (never sooner), else doubling from ``BACKOFF_BASE`` up to ``BACKOFF_CAP``."""
    doubled = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return max(float(doubled), retry_after) if retry_after is not None else float(doubled)


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


def _park(context: JobContext, case_id: int, error: str, *, now: datetime) -> Outcome:
    with context.sessions.begin() as db:
        case = db.get(Case, case_id)
        if case is not None:
            park_failed(db, case, error, now=now)
    log.error("case %s: Primero refused it; parked as failed: %s", case_id, error)
    return Outcome("failed", error=error)


def _stopped(context: JobContext, case_id: int, status: int, *, now: datetime) -> Outcome:
    """Stop the queue (once), tell the administrators, and let the case wait."""
    rows: list[OutboxRow] = []
    with context.sessions.begin() as db:
        case = db.get(Case, case_id)
        if case is not None:
            mark_waiting(case)
        if stop_sync(db, status, now=now):
            rows = _alert_admins(context, db, now=now)
            log.error(
                "Primero refused the service account's login (%s): the sync is stopped; "
                "%s administrator(s) told",
                status,
                len(rows),
            )
    return Outcome("stopped", rows=rows)


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
