"""From the outbox to RQ: enqueue after the commit, and sweep what was never enqueued.

A web request (or a job) writes an outbox row in its transaction, commits, then calls
``dispatch`` with the row ids: each row is enqueued under its fixed job id (``outbox_job_id``,
from the row's id) and marked dispatched. A crash or a Redis outage between the commit and the
enqueue leaves rows undispatched; ``sweep_outbox`` (on the cron schedule, every minute)
enqueues those older than a minute. A row whose job already exists in Redis is only marked, not
enqueued again; the jobs are idempotent anyway.
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
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.queue import EnqueueData
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from case_store.models import OutboxRow
from case_store.operations.outbox import mark_dispatched, outbox_job_id
from case_store.queries.outbox import undispatched
from workers.context import installed
from workers.queues import DEFAULT, URGENT, queue
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


def dispatch(
    sessions: sessionmaker[Session], connection: redis.Redis[bytes], rows: Iterable[OutboxRow]
) -> int:
    """Right after the commit that wrote ``rows``: enqueue them and mark them dispatched.

    Never raises for Redis: rows that could not be enqueued stay for the sweeper.
    """
    batch = list(rows)
    if not batch:
        return 0
    try:
        _enqueue(connection, [(row.job, dict(row.args), outbox_job_id(row)) for row in batch])
    except redis.RedisError:
        log.exception("%s outbox rows not enqueued; the sweeper will retry", len(batch))
        return 0
    _mark(sessions, [row.id for row in batch])
    return len(batch)


def _mark(sessions: sessionmaker[Session], row_ids: Sequence[int]) -> None:
    """Mark rows dispatched; if that fails, the sweeper finds their jobs and marks them."""
    now = datetime.now(UTC)
    try:
        with sessions.begin() as db:
            for row_id in row_ids:
                mark_dispatched(db, row_id, now=now)
    except SQLAlchemyError:
        log.exception("%s enqueued outbox rows not marked; the sweeper will", len(row_ids))


def _exists(connection: redis.Redis[bytes], job_id: str) -> bool:
    try:
        Job.fetch(job_id, connection=connection, serializer=queue(DEFAULT, connection).serializer)
    except NoSuchJobError:
        return False
    return True


def sweep(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    *,
    now: datetime,
    age: int = SWEEP_AGE,
) -> int:
    """Enqueue outbox rows left undispatched for more than ``age`` seconds."""
    with sessions() as db:
        rows = undispatched(db, created_before=now - timedelta(seconds=age), limit=SWEEP_BATCH)
    if not rows:
        return 0
    log.warning("outbox sweep: %s rows were never dispatched; enqueuing", len(rows))
    try:
        missing = [row for row in rows if not _exists(connection, outbox_job_id(row))]
        _enqueue(connection, [(row.job, dict(row.args), outbox_job_id(row)) for row in missing])
    except redis.RedisError:
        log.exception("outbox sweep could not enqueue; next sweep will retry")
        return 0
    _mark(sessions, [row.id for row in rows])
    return len(missing)


def sweep_outbox() -> int:
    """RQ job (every minute on the cron schedule): ``sweep`` with this worker's settings."""
    context = installed()
    return sweep(context.sessions, context.connection(), now=datetime.now(UTC))
