"""Queue outbound messages the way the gateway does, and run the send queue with a real
``SimpleWorker`` in burst mode against the fake providers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.enums import MessagePurpose
from case_store.models import Message
from case_store.queries.messages import find_message
from gateway.channels.sms.intake import queue_sms
from workers.dispatch import dispatch
from workers.dispatch import sweep as outbox_sweep
from workers.queues import DEFAULT
from workers.sms.rate_limit import PAUSE_PREFIX

PHONE = "+254712345321"
BODY = "Your reference 482-177-302 was updated. Dial *384*116# for details."


def queue_message(
    db: sessionmaker[Session],
    vault: Vault,
    connection: redis.Redis,
    *,
    phone: str = PHONE,
    body: str = BODY,
    opt_out_confirmation: bool = False,
    purpose: MessagePurpose = MessagePurpose.FOLLOW_UP,
) -> str:
    """Log an outbound message, commit, dispatch its send job; returns our id."""
    with db.begin() as session:
        message, row = queue_sms(
            session,
            vault,
            phone=phone,
            text=body,
            purpose=purpose,
            max_segments=4,
            now=datetime.now(UTC),
            opt_out_confirmation=opt_out_confirmation,
        )
        public_id = message.public_id
    dispatch(connection, [row])
    return public_id


def mark_outbox(db: sessionmaker[Session], connection: redis.Redis, now: datetime) -> None:
    """What the outbox sweep does a minute after a request: mark its rows dispatched once
    their jobs are in Redis (enqueuing those that are not). The unsent-message sweep looks only
    at messages whose row is marked."""
    outbox_sweep(db, connection, now=now)


def send_queue(connection: redis.Redis, name: str = DEFAULT) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def work(connection: redis.Redis, names: Sequence[str] = (DEFAULT,)) -> None:
    queues = [send_queue(connection, name) for name in names]
    SimpleWorker(queues, connection=connection, serializer=JSONSerializer).work(burst=True)


def jobs_for(connection: redis.Redis) -> list[Job]:
    queue = send_queue(connection)
    ids = (
        queue.get_job_ids()
        + queue.scheduled_job_registry.get_job_ids()
        + queue.finished_job_registry.get_job_ids()
        + queue.failed_job_registry.get_job_ids()
    )
    return [Job.fetch(i, connection=connection, serializer=JSONSerializer) for i in ids]


def run_scheduled_now(connection: redis.Redis, name: str = DEFAULT) -> list[Job]:
    """Move every scheduled retry to the queue (as RQ's scheduler would once due). The time
    has come for the providers' pauses too (``Retry-After``): they are lifted."""
    for paused in connection.scan_iter(f"{PAUSE_PREFIX}*"):
        connection.delete(paused)
    queue = send_queue(connection, name)
    registry = queue.scheduled_job_registry
    moved = []
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
        registry.remove(job)
        queue.enqueue_job(job)
        moved.append(job)
    return moved


def scheduled_in(connection: redis.Redis) -> list[float]:
    """Seconds from now until each scheduled retry."""
    registry = send_queue(connection).scheduled_job_registry
    now = datetime.now(UTC).timestamp()
    return [
        score - now for _job_id, score in connection.zrange(registry.key, 0, -1, withscores=True)
    ]


def load(db: sessionmaker[Session], public_id: str) -> Message:
    with db() as session:
        message = find_message(session, public_id=public_id)
        assert message is not None
        _ = list(message.timeline)
        return message


def attempts(message: Message) -> list[tuple[str | None, str | None, str | None]]:
    """(provider, provider id, error) of each attempt, in order."""
    return [
        (e.provider, e.provider_id, e.error) for e in message.timeline if e.kind.value == "attempt"
    ]


def fields(requests: Sequence, name: str) -> list[str | None]:
    return [request.field(name) for request in requests]
