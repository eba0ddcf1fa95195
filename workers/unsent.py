"""Outbound messages whose send job died: sent by a new job, or left for review. Every minute.

The message log is the truth; Redis is only the transport. A send job can vanish in ways RQ
alone does not repair: a worker listening on several queues pops a job with a plain BLPOP and
dies before it registers it (the job is then in no queue and no registry); a worker is
SIGKILLed (its job looks started until its heartbeat lapses); Redis loses data. So this sweep
reads the database for outbound messages still ``queued`` with no provider id, older than
``SWEEP_AGE``, whose send job is not alive:
- unclaimed: no provider call is under way, so the message's outbox job is enqueued again
  under its fixed job id (send jobs are idempotent);
- claimed (see ``workers.sms.send_job``): the job died during the provider call or before it
  recorded the outcome, so the provider may have the message: it is marked "maybe sent" for
  an operator to review and never resent automatically.

A job is alive while it waits in its queue, is scheduled (a retry) or deferred, or is started
with an execution whose heartbeat has not lapsed. Before looking, the sweep has RQ handle the
jobs of dead workers its own way (``StartedJobRegistry.cleanup``: retried under their retry
policy, or failed), so a job RQ can still retry is left to RQ.

Taking a live job for a dead one costs an extra run, never a second provider call: the send
claim allows one call per state of the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from case_store.models import Message
from case_store.operations.outbox import outbox_job_id
from case_store.queries.messages import unsent_messages
from workers.context import installed
from workers.dispatch import enqueue_row
from workers.queues import QUEUE_NAMES, queue
from workers.sms.send_job import KINGA, mark_for_review

log = logging.getLogger("kinga.unsent")

SWEEP_JOB_TIMEOUT = 120
SWEEP_AGE = 60  # seconds: a younger message may still be on its way to its first run
SWEEP_BATCH = 500
DIED_IN_CALL = "its job stopped during the provider call"


@dataclass(frozen=True)
class Swept:
    requeued: int
    for_review: int


@dataclass(frozen=True)
class _Unsent:
    message_id: int
    public_id: str
    claimed_at: datetime | None
    claimed_provider: str | None
    job: str
    args: dict[str, object]
    job_id: str


def job_alive(connection: redis.Redis[bytes], job_id: str, *, now: datetime) -> bool:
    """Whether RQ will still run, or is running, the job ``job_id`` (judged at ``now``)."""
    try:
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return False
    origin = queue(job.origin, connection)
    status = job.get_status(refresh=False)
    if status == JobStatus.QUEUED:
        # Popped by a worker that died before registering it, the job still says "queued".
        return any(
            connection.lpos(key, job_id) is not None
            for key in (origin.key, origin.intermediate_queue_key)
        )
    if status == JobStatus.SCHEDULED:
        return connection.zscore(origin.scheduled_job_registry.key, job_id) is not None
    if status == JobStatus.STARTED:
        registry = origin.started_job_registry.key
        return any(
            (connection.zscore(registry, f"{job_id}:{execution_id}") or 0) > now.timestamp()
            for execution_id in job.execution_registry.get_execution_ids()
        )
    return status == JobStatus.DEFERRED


def sweep(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    *,
    now: datetime,
    age: int = SWEEP_AGE,
) -> Swept:
    """Re-enqueue the unsent messages whose job died, or mark them for review (see above)."""
    for name in QUEUE_NAMES:
        _let_rq_handle_dead_workers_jobs(queue(name, connection), now)
    with sessions() as db:
        found = [
            _Unsent(
                message.id,
                message.public_id,
                message.claimed_at,
                message.claimed_provider,
                row.job,
                dict(row.args),
                outbox_job_id(row),
            )
            for message, row in unsent_messages(
                db, queued_before=now - timedelta(seconds=age), limit=SWEEP_BATCH
            )
        ]
    dead = [unsent for unsent in found if not job_alive(connection, unsent.job_id, now=now)]
    requeued = for_review = 0
    for unsent in dead:
        if unsent.claimed_at is None:
            enqueue_row(connection, unsent.job, unsent.args, unsent.job_id)
            log.warning(
                "send %s: its job %s was lost; enqueued again", unsent.public_id, unsent.job_id
            )
            requeued += 1
        elif _mark_for_review(sessions, unsent, now=now):
            log.warning(
                "send %s: %s; maybe sent, marked for review", unsent.public_id, DIED_IN_CALL
            )
            for_review += 1
    return Swept(requeued, for_review)


def _let_rq_handle_dead_workers_jobs(origin: Queue, now: datetime) -> None:
    """RQ's own cleanup of jobs whose worker's heartbeat lapsed (retried or failed), under the
    lock a worker's maintenance takes for it, so the two never handle one job twice."""
    if not origin.acquire_maintenance_lock():
        return  # a worker is doing it right now
    try:
        origin.started_job_registry.cleanup(timestamp=now.timestamp())
    finally:
        origin.release_maintenance_lock()  # type: ignore[no-untyped-call]


def _mark_for_review(sessions: sessionmaker[Session], unsent: _Unsent, *, now: datetime) -> bool:
    """Only if the claim is still the one the sweep saw: its holder may have finished since."""
    with sessions.begin() as db:
        message = db.scalars(
            select(Message)
            .where(Message.id == unsent.message_id, Message.claimed_at == unsent.claimed_at)
            .with_for_update()
        ).first()
        if message is None:
            return False
        mark_for_review(
            db, message, provider=unsent.claimed_provider or KINGA, reason=DIED_IN_CALL, now=now
        )
        return True


def sweep_unsent() -> tuple[int, int]:
    """RQ job (every minute on the cron schedule): ``sweep`` with this worker's settings."""
    context = installed()
    swept = sweep(context.sessions, context.connection(), now=datetime.now(UTC))
    return swept.requeued, swept.for_review
