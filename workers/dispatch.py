"""From the outbox to RQ: enqueue after the commit, and sweep what was never enqueued.

A web request (or a job) writes an outbox row in its transaction, commits, then calls
``dispatch`` with the rows: each row is enqueued under its fixed job id (``outbox_job_id``, from
the row's id). That is all the request does after its commit: a report is one database
transaction. ``sweep_outbox`` (on the cron schedule, every minute) takes the rows older than a
minute that are not yet marked dispatched, asks Redis in one round trip which of their jobs it
holds, enqueues the others (a crash or a Redis outage between a commit and its enqueue) and
marks the whole batch in one statement. The jobs are idempotent anyway.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import Job
from rq.queue import EnqueueData
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from case_store.models import OutboxRow
from case_store.operations.outbox import mark_dispatched, outbox_job_id
from case_store.operations.sync_queue import SYNC_JOB
from case_store.queries.outbox import undispatched
from workers.context import installed
from workers.queues import DEFAULT, SLOW, URGENT, queue
from workers.sms import queueing, send_job
from workers.tracing import META_KEY, REQUEST_ID

log = logging.getLogger("kinga.dispatch")

SWEEP_JOB = "workers.dispatch.sweep_outbox"
SWEEP_QUEUE = DEFAULT  # not behind slow batch work: the rows it finds are late already
SWEEP_JOB_TIMEOUT = 120
SWEEP_AGE = 60  # seconds: younger rows are still being dispatched by their own request
SWEEP_BATCH = 500
RESULT_TTL = 24 * 3600
FAILURE_TTL = 30 * 24 * 3600


@dataclass(frozen=True)
class JobSpec:
    queue: str
    timeout: int
    retry_intervals: tuple[int, ...] = ()

    def retry(self) -> Retry | None:
        if not self.retry_intervals:
            return None
        return Retry(max=len(self.retry_intervals), interval=list(self.retry_intervals))


# How each job written to the outbox is enqueued; a job not listed here goes to the default
# queue with the default timeout and no retry.
JOBS: dict[str, JobSpec] = {
    send_job.SEND_JOB: JobSpec(DEFAULT, send_job.JOB_TIMEOUT, send_job.RETRY_INTERVALS),
    queueing.URGENT_SEND_JOB: JobSpec(
        URGENT, send_job.JOB_TIMEOUT, queueing.URGENT_RETRY_INTERVALS
    ),
    # No RQ retry: the sync job schedules its own, honouring Primero's Retry-After.
    SYNC_JOB: JobSpec(SLOW, 300),
}
FALLBACK = JobSpec(DEFAULT, 300)


def enqueue_row(connection: redis.Redis[bytes], job: str, args: dict[str, Any], job_id: str) -> Job:
    """Enqueue one outbox job under its fixed id, JSON-serialised like every Kinga job."""
    return _enqueue(connection, [(job, args, job_id)])[0]


def _enqueue(
    connection: redis.Redis[bytes], jobs: Sequence[tuple[str, dict[str, Any], str]]
) -> list[Job]:
    """Enqueue (job, kwargs, job id) triples, one round trip per queue."""
    by_queue: dict[str, list[EnqueueData]] = defaultdict(list)
    enqueued: list[Job] = []
    request_id = REQUEST_ID.get()
    for job, args, job_id in jobs:
        spec = JOBS.get(job, FALLBACK)
        options: dict[str, Any] = {
            "job_id": job_id,
            "retry": spec.retry(),
            "result_ttl": RESULT_TTL,
            "failure_ttl": FAILURE_TTL,
            # The request (or job) that caused it, for the logs (workers.tracing).
            "meta": {META_KEY: request_id} if request_id else None,
        }
        by_queue[spec.queue].append(
            Queue.prepare_data(job, kwargs=args, timeout=spec.timeout, **options)
        )
    for name, datas in by_queue.items():
        enqueued.extend(queue(name, connection).enqueue_many(datas))
    return enqueued


def dispatch(connection: redis.Redis[bytes], rows: Iterable[OutboxRow]) -> int:
    """Right after the commit that wrote ``rows``: enqueue them (one round trip per queue).

    Never raises for Redis: rows that could not be enqueued are left to the sweeper.
    """
    batch = list(rows)
    if not batch:
        return 0
    try:
        _enqueue(connection, [(row.job, dict(row.args), outbox_job_id(row)) for row in batch])
    except redis.RedisError:
        log.exception("%s outbox rows not enqueued; the sweeper will retry", len(batch))
        return 0
    return len(batch)


def _held(connection: redis.Redis[bytes], rows: Sequence[OutboxRow]) -> list[bool]:
    """Whether Redis holds each row's job (queued, running, finished or failed), in one round
    trip."""
    pipe = connection.pipeline(transaction=False)
    for row in rows:
        pipe.exists(Job.key_for(outbox_job_id(row)))
    return [bool(found) for found in pipe.execute()]


def sweep(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    *,
    now: datetime,
    age: int = SWEEP_AGE,
    batch: int = SWEEP_BATCH,
) -> int:
    """Mark the rows older than ``age`` seconds dispatched, enqueuing first those whose jobs
    Redis does not hold; batch after batch until none is left. Returns how many were enqueued.
    """
    enqueued = 0
    while True:
        with sessions() as db:
            rows = undispatched(db, created_before=now - timedelta(seconds=age), limit=batch)
        if not rows:
            return enqueued
        try:
            held = _held(connection, rows)
            missing = [row for row, found in zip(rows, held, strict=True) if not found]
            if missing:
                log.warning("outbox sweep: %s rows were never enqueued; enqueuing", len(missing))
                _enqueue(
                    connection, [(row.job, dict(row.args), outbox_job_id(row)) for row in missing]
                )
        except redis.RedisError:
            log.exception("outbox sweep could not reach Redis; the next sweep will retry")
            return enqueued
        enqueued += len(missing)
        try:
            with sessions.begin() as db:
                mark_dispatched(db, [row.id for row in rows], now=datetime.now(UTC))
        except SQLAlchemyError:
            log.exception("outbox sweep could not mark %s rows; the next sweep will", len(rows))
            return enqueued
        if len(rows) < batch:
            return enqueued


def sweep_outbox() -> int:
    """RQ job (every minute on the cron schedule): ``sweep`` with this worker's settings."""
    context = installed()
    return sweep(context.sessions, context.connection(), now=datetime.now(UTC))
