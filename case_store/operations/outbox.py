"""Jobs to run after a commit, written in the caller's transaction (the sweeper's read is
``case_store.queries.outbox.undispatched``).

The web process enqueues each row right after its commit, and writes nothing more: the
sweeper marks rows dispatched a minute later, in batches, once it has seen their jobs in Redis,
and enqueues those it does not find (a crash between commit and enqueue). Jobs are idempotent
and enqueued with the job id ``outbox_job_id(row)``, so enqueuing twice is harmless.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.masking import contains_phone
from case_store.models import OutboxRow

JOB_NAME = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*")
MAX_JOB_NAME = 200


class InvalidOutboxRow(ValueError):
    """A job name or arguments the outbox cannot store."""


def add_outbox(session: Session, job: str, **args: Any) -> OutboxRow:
    """Write a job (a dotted function path such as ``workers.alerts.alert_on_call``) with
    JSON-primitive arguments. Neither flushes nor commits: the row is written with the rest of
    the caller's changes, and its id (hence its job id) is known from then on.

    Arguments should be ids, not personal data: a string that looks like a phone number is
    refused, because the outbox is stored in plain JSON.
    """
    if len(job) > MAX_JOB_NAME or not JOB_NAME.fullmatch(job):
        raise InvalidOutboxRow("job must be a dotted Python name")
    try:
        encoded = json.dumps(args, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError):
        raise InvalidOutboxRow(f"arguments of {job} must be JSON primitives") from None
    if contains_phone(encoded):
        raise InvalidOutboxRow(f"arguments of {job} must not hold a phone number; pass an id")
    row = OutboxRow(job=job, args=json.loads(encoded), created_at=datetime.now(UTC))
    session.add(row)
    return row


def outbox_job_id(row: OutboxRow) -> str:
    return f"outbox-{row.id}"


def mark_dispatched(session: Session, row_ids: Collection[int], *, now: datetime) -> int:
    """Mark rows dispatched in one statement; returns how many were not already marked."""
    if not row_ids:
        return 0
    result = cast(
        CursorResult[Any],
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(row_ids), OutboxRow.dispatched_at.is_(None))
            .values(dispatched_at=as_utc(now, "now"))
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount
