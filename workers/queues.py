"""Queue names, and the worker that serves them (with RQ's scheduler for delayed jobs)."""

from __future__ import annotations

import redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

URGENT = "urgent"  # alerts to caseworkers: a child may be in danger
DEFAULT = "default"  # sends, referrals, follow-ups
SLOW = "slow"  # sync, retention, batch work
QUEUE_NAMES = (URGENT, DEFAULT, SLOW)


def queue(name: str, connection: redis.Redis[bytes]) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def run_worker(
    connection: redis.Redis[bytes], *, burst: bool = False, cron: bool | None = None
) -> bool:
    """Serve every queue, most urgent first, until stopped (or until empty with ``burst``).

    ``cron`` runs the periodic schedule (``workers.cron``) alongside; by default it runs
    unless in burst mode.
    """
    queues = [queue(name, connection) for name in QUEUE_NAMES]
    worker = Worker(queues, connection=connection, serializer=JSONSerializer)
    stop = None
    if cron if cron is not None else not burst:
        from workers.cron import start_in_thread

        _thread, stop = start_in_thread(connection)
    try:
        return bool(worker.work(with_scheduler=True, burst=burst))
    finally:
        if stop is not None:
            stop.set()
