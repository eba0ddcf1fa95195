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


def run_worker(connection: redis.Redis[bytes], *, burst: bool = False) -> bool:
    """Serve every queue, most urgent first, until stopped (or until empty with ``burst``)."""
    queues = [queue(name, connection) for name in QUEUE_NAMES]
    worker = Worker(queues, connection=connection, serializer=JSONSerializer)
    return bool(worker.work(with_scheduler=True, burst=burst))
