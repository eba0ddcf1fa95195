"""Queueing an outbound SMS: a message-log row plus an outbox row, in the caller's transaction.

Used by the gateway (replies to reporters and to staff, alerts on a new case) and by jobs
(reminders, escalations). After the commit, the caller hands the outbox rows to
``workers.dispatch``.

Alerts and reminders to staff go through their own job name (``URGENT_SEND_JOB``), which the
dispatcher puts on the urgent queue with shorter retries: a worker busy with replies and
follow-ups still sends an alert about a child in danger first. The send itself is the same
job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import MessagePurpose
from case_store.models import Case, Message, OutboxRow
from case_store.operations.messages import queue_outbound
from case_store.operations.outbox import add_outbox
from dialogs.encoding import analyse, normalise
from workers.sms.send_job import SEND_JOB, send_message

URGENT_SEND_JOB = "workers.sms.queueing.send_urgent"
URGENT_RETRY_INTERVALS = (30, 120, 300)  # seconds: an alert waits less than a reply
URGENT_PURPOSES = frozenset({MessagePurpose.ALERT, MessagePurpose.REMINDER})


class TooLong(ValueError):
    """A message longer than ``KINGA_SMS_MAX_SEGMENTS``; nothing was queued."""


def queue_sms(
    db: Session,
    vault: Vault,
    *,
    phone: str,
    text: str,
    purpose: MessagePurpose,
    max_segments: int,
    now: datetime,
    case: Case | None = None,
    opt_out_confirmation: bool = False,
) -> tuple[Message, OutboxRow]:
    """Log an outbound SMS and write its send job to the outbox (in the caller's transaction).

    Look-alikes are replaced first, so the encoding and the segments recorded are those sent.
    Returns the message and the outbox row to ``dispatch`` after the commit.
    """
    body = normalise(text)
    analysis = analyse(body)
    if analysis.segments > max_segments:
        raise TooLong(
            f"a {purpose.value} of {analysis.segments} segments is over the limit of {max_segments}"
        )
    message = queue_outbound(
        db,
        vault,
        phone=phone,
        body=body,
        purpose=purpose,
        encoding=analysis.encoding,
        segments=analysis.segments,
        case=case,
        now=now,
    )
    args: dict[str, Any] = {"public_id": message.public_id}
    if opt_out_confirmation:
        args["opt_out_confirmation"] = True
    job = URGENT_SEND_JOB if purpose in URGENT_PURPOSES else SEND_JOB
    row = add_outbox(db, job, **args)
    message.outbox = row  # the job the unsent-message sweep re-enqueues if it dies
    return message, row


def send_urgent(public_id: str) -> str:
    """RQ job on the urgent queue: ``send_message`` for an alert (same checks, same log)."""
    return send_message(public_id)
