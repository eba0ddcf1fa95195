"""Queue names, and the worker that serves them (with RQ's scheduler for delayed jobs).

RQ's own maintenance does part of the recovery when a worker dies: it retries (or fails) the
jobs of workers whose heartbeat lapsed and restarts the scheduler process if it died. It runs
every ``MAINTENANCE_INTERVAL`` seconds here instead of RQ's ten minutes.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from workers.lifetime import forks_die_with_this_process
from workers.tracing import META_KEY, tracing

log = logging.getLogger("kinga.jobs")

URGENT = "urgent"  # alerts to caseworkers: a child may be in danger
DEFAULT = "default"  # sends, referrals, follow-ups
SLOW = "slow"  # sync, retention, batch work
QUEUE_NAMES = (URGENT, DEFAULT, SLOW)
MAINTENANCE_INTERVAL = 60  # seconds


@lru_cache(maxsize=32)
def queue(name: str, connection: redis.Redis[bytes]) -> Queue:
    """The queue ``name`` on ``connection``, kept: RQ asks a new Queue for the server's version
    (one more round trip) before its first enqueue."""
    return Queue(name, connection=connection, serializer=JSONSerializer)


class KingaWorker(Worker):
    """RQ's worker, logging each job under the request id that caused it (``workers.tracing``).
    ``perform_job`` runs in the work horse, around the job itself."""

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        request_id = job.meta.get(META_KEY) if isinstance(job.meta, dict) else None
        with tracing(request_id if isinstance(request_id, str) else None, job.id):
            log.info("job %s started: %s on %s", job.id, job.func_name, queue.name)
            return bool(super().perform_job(job, queue, *args, **kwargs))


def run_worker(
    connection: redis.Redis[bytes], *, burst: bool = False, cron: bool | None = None
) -> bool:
    """Serve every queue, most urgent first, until stopped (or until empty with ``burst``).

    ``cron`` runs the periodic schedule (``workers.cron``) alongside; by default it runs
    unless in burst mode. The work horse and the scheduler, forked by the worker, die with it.
    """
    queues = [queue(name, connection) for name in QUEUE_NAMES]
    worker = KingaWorker(
        queues,
        connection=connection,
        serializer=JSONSerializer,
        maintenance_interval=MAINTENANCE_INTERVAL,
    )
    forks_die_with_this_process()
    stop = None
    if cron if cron is not None else not burst:
        from workers.cron import start_in_thread

        _thread, stop = start_in_thread(connection)
    try:
        return bool(worker.work(with_scheduler=True, burst=burst))
    finally:
        if stop is not None:
            stop.set()
