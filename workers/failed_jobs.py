"""Jobs that failed on Kinga's queues: what they were and why, and putting them back.

A job RQ gave up on (its retries spent, or an error it was not retried for) stays in its
queue's failed-job registry until its failure TTL passes (30 days for the outbox's jobs,
``workers.dispatch.FAILURE_TTL``). ``kinga jobs failed`` lists them with
``failed_jobs`` (and the console will show the same), ``kinga jobs retry`` puts them back on
their queue with RQ's own ``FailedJobRegistry.requeue``; Kinga's jobs are idempotent, so a retry
never does twice what the failed run did.

What is shown is safe to read anywhere: the job's function, its queue, when it failed, its
arguments (ids only, as the outbox keeps them) and the reason as the exception's class and the
first line of its message, every number that could be a phone's masked and cut short. Never
the traceback, which may quote values from any frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from case_store.masking import escape_controls, mask_numbers
from workers.queues import QUEUE_NAMES, queue

MAX_REASON = 160
UNKNOWN = "unknown reason"
_FRAME = '  File "'
_CODE = "    "
_EXCEPTION = re.compile(r"(?P<name>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?")


@dataclass(frozen=True)
class FailedJob:
    id: str
    job: str  # the function, as stored: module.name
    queue: str
    failed_at: datetime | None
    reason: str  # "ExceptionClass: first line of its message", masked
    args: dict[str, Any]  # masked

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job": self.job,
            "queue": self.queue,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "reason": self.reason,
            "args": self.args,
        }


def failed_jobs(connection: redis.Redis[bytes]) -> list[FailedJob]:
    """Every failed job of every Kinga queue, oldest failure first."""
    found: list[FailedJob] = []
    for name in QUEUE_NAMES:
        registry = _registry(connection, name)
        for job_id in registry.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=connection, serializer=registry.serializer)
            except NoSuchJobError:
                continue  # expired between the two reads
            found.append(_failed(job, name))
    return sorted(found, key=lambda job: (job.failed_at is None, job.failed_at or 0, job.id))


def retry(connection: redis.Redis[bytes], job_id: str) -> str | None:
    """Put the failed job ``job_id`` back on its queue; the queue, or None when no queue has
    it failed (an unknown id, one already retried, or one expired)."""
    for name in QUEUE_NAMES:
        registry = _registry(connection, name)
        if job_id not in registry:
            continue
        try:
            registry.requeue(job_id)
        except (InvalidJobOperation, NoSuchJobError):
            return None  # retried by someone else meanwhile, or expired
        return name
    return None


def discard(connection: redis.Redis[bytes], job_id: str) -> bool:
    """Forget the failed job ``job_id``, whose work is being redone another way (``kinga
    primero retry`` queues a case's sync afresh); False when no queue has it failed."""
    for name in QUEUE_NAMES:
        registry = _registry(connection, name)
        if job_id in registry:
            registry.remove(job_id, delete_job=True)
            return True
    return False


def retry_all(connection: redis.Redis[bytes]) -> int:
    """Put every failed job back on its queue; how many were."""
    retried = 0
    for name in QUEUE_NAMES:
        registry = _registry(connection, name)
        for job_id in registry.get_job_ids():
            try:
                registry.requeue(job_id)
            except (InvalidJobOperation, NoSuchJobError):
                continue
            retried += 1
    return retried


def failure_reason(exc_string: str | None) -> str:
    """``Class: message`` of the exception a traceback ends with (the first line of its
    message), or the first line of a failure RQ wrote itself (a work horse killed); masked
    and cut short."""
    lines = [line for line in (exc_string or "").splitlines() if line.strip()]
    if not lines:
        return UNKNOWN
    frames = [index for index, line in enumerate(lines) if line.startswith(_FRAME)]
    after = frames[-1] + 1 if frames else 0
    while frames and after < len(lines) and lines[after].startswith(_CODE):
        after += 1  # the frame's source line, and 3.11's ^^^^ markers under it
    header = (lines[after] if after < len(lines) else lines[0]).strip()
    match = _EXCEPTION.fullmatch(header)
    if match is not None:
        name = match["name"].rsplit(".", 1)[-1]
        header = f"{name}: {match['message']}" if match["message"] else name
    return _safe(header)[:MAX_REASON]


def _failed(job: Job, queue_name: str) -> FailedJob:
    result = job.latest_result()
    exc_string = result.exc_string if result is not None else None
    failed_at = result.created_at if result is not None else job.ended_at
    return FailedJob(
        id=job.id,
        job=job.func_name or "?",
        queue=queue_name,
        failed_at=failed_at,
        reason=failure_reason(exc_string),
        args={str(key): _safe_value(value) for key, value in (job.kwargs or {}).items()},
    )


def _safe(text: str) -> str:
    return escape_controls(mask_numbers(text))


def _safe_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int | str):
        masked = _safe(str(value))
        return value if masked == str(value) else masked
    return _safe(str(value))


def _registry(connection: redis.Redis[bytes], name: str) -> FailedJobRegistry:
    return FailedJobRegistry(queue=queue(name, connection))


def queue_counts(connection: redis.Redis[bytes]) -> dict[str, tuple[int, int]]:
    """Each queue's jobs waiting and jobs failed, in one round trip and without RQ's clean-up
    of the registries (a failed job past its TTL may count until RQ removes it): what the
    metrics scrape reads."""
    pipe = connection.pipeline(transaction=False)
    for name in QUEUE_NAMES:
        rq_queue = queue(name, connection)
        pipe.llen(rq_queue.key)
        pipe.zcard(FailedJobRegistry(queue=rq_queue).key)
    values = pipe.execute()
    return {
        name: (int(values[2 * n]), int(values[2 * n + 1])) for n, name in enumerate(QUEUE_NAMES)
    }
