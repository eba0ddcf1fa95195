"""Writes to the message log: inbound SMS recorded once per provider id, outbound SMS queued,
claimed, attempted and moved forward by delivery receipts; and the reporter opt-out flag.
(Its reads are in ``case_store.queries.messages``.)

The log, not the job queue, is the truth about an outbound message: one still ``queued`` with
no provider id has not been sent, whatever Redis holds. Before each provider call a send job
takes the message's send claim (``claim_send``, committed before the call); recording the
attempt releases it. At most one claim can be taken for one state of the message, so two jobs
never call a provider for the same message, and a claim nobody released marks a call whose
outcome is unknown.

Functions take the caller's session and never commit. Phone numbers are kept as a keyed hash
plus Fernet ciphertext, bodies only as ciphertext; nothing here logs either.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import (
    Channel,
    Direction,
    MessageEventKind,
    MessagePurpose,
    MessageStatus,
)
from case_store.models import Case, InboundReceipt, Message, MessageEvent, Reporter
from case_store.queries.messages import find_message

DEFAULT_LANGUAGE = "en"
MAX_ERROR = 200
MAX_COST = 32
MAX_STATUS = 32
ENCODINGS = ("GSM-7", "UCS-2")


class InvalidMessage(ValueError):
    """A message the log cannot store; the text names the field, never its value."""


def record_inbound(
    session: Session,
    vault: Vault,
    *,
    provider: str,
    provider_id: str,
    phone: str,
    body: str,
    received_at: datetime,
) -> tuple[Message, bool]:
    """Log an inbound SMS once: ``(message, True)`` the first time, ``(message, False)`` for a
    replayed webhook, which writes nothing.

    Two concurrent deliveries both pass the look-up; the second flush raises
    ``sqlalchemy.exc.IntegrityError`` on the receipt's unique constraint. The caller rolls back
    and calls again, and gets the first delivery's message with ``False``.
    """
    if not provider or not provider_id:
        raise InvalidMessage("provider and provider_id are required")
    existing = session.scalars(
        select(InboundReceipt).where(
            InboundReceipt.provider == provider, InboundReceipt.provider_id == provider_id
        )
    ).one_or_none()
    if existing is not None:
        return existing.message, False
    at = as_utc(received_at, "received_at")
    message = Message(
        public_id=str(uuid.uuid4()),
        direction=Direction.INBOUND,
        channel=Channel.SMS,
        provider=provider,
        provider_id=provider_id,
        phone_hash=vault.phone_hash(phone),
        phone_encrypted=vault.encrypt(phone),
        body_encrypted=vault.encrypt(body),
        status=MessageStatus.RECEIVED,
        attempts=0,
        created_at=at,
        updated_at=at,
    )
    message.timeline.append(
        MessageEvent(
            kind=MessageEventKind.STATUS,
            status=MessageStatus.RECEIVED.value,
            provider=provider,
            provider_id=provider_id,
            at=at,
        )
    )
    session.add(message)
    session.add(
        InboundReceipt(provider=provider, provider_id=provider_id, received_at=at, message=message)
    )
    session.flush()
    return message, True


def file_under(message: Message, case: Case) -> None:
    """File a staff member's inbound command under the case it acted on, as its reply is. (A
    reporter's message is filed under their case only when they agreed to be contacted: that
    is decided where the conversation files its replies, not here.)"""
    message.case = case


def queue_outbound(
    session: Session,
    vault: Vault,
    *,
    phone: str,
    body: str,
    purpose: MessagePurpose | str,
    encoding: str,
    segments: int,
    case: Case | None = None,
    now: datetime,
) -> Message:
    """An outbound SMS waiting for its first send attempt (status ``queued``, no provider),
    written with the caller's next flush."""
    if encoding not in ENCODINGS:
        raise InvalidMessage(f"encoding must be one of: {', '.join(ENCODINGS)}")
    if segments < 1:
        raise InvalidMessage("segments must be at least 1")
    try:
        purpose = MessagePurpose(purpose)
    except ValueError:
        choices = ", ".join(p.value for p in MessagePurpose)
        raise InvalidMessage(f"purpose must be one of: {choices}") from None
    now = as_utc(now, "now")
    message = Message(
        public_id=str(uuid.uuid4()),
        direction=Direction.OUTBOUND,
        channel=Channel.SMS,
        phone_hash=vault.phone_hash(phone),
        phone_encrypted=vault.encrypt(phone),
        body_encrypted=vault.encrypt(body),
        encoding=encoding,
        segments=segments,
        status=MessageStatus.QUEUED,
        attempts=0,
        purpose=purpose,
        case=case,
        created_at=now,
        updated_at=now,
    )
    message.timeline.append(
        MessageEvent(kind=MessageEventKind.STATUS, status=MessageStatus.QUEUED.value, at=now)
    )
    session.add(message)
    return message


def record_attempt(
    session: Session,
    message: Message,
    *,
    provider: str,
    provider_id: str | None = None,
    error: str | None = None,
    now: datetime,
) -> MessageEvent:
    """One send attempt through ``provider``: counted, and kept in the timeline.

    A successful attempt (``provider_id`` given, no error) makes ``provider`` the message's
    provider, so its receipts find it. A failed attempt keeps the error (a provider's code or
    short reason, never a number or a body) and leaves the status alone: whether to retry, fail
    over or give up is the send job's decision, recorded with ``apply_status``. Either way the
    call's outcome is known now, so the send claim is released.
    """
    now = as_utc(now, "now")
    message.attempts += 1
    message.updated_at = now
    message.claimed_provider = None
    message.claimed_at = None
    if error is not None:
        message.last_error = error[:MAX_ERROR]
    elif provider_id is not None:
        message.provider = provider
        message.provider_id = provider_id
    event = MessageEvent(
        kind=MessageEventKind.ATTEMPT,
        provider=provider,
        provider_id=provider_id,
        error=None if error is None else error[:MAX_ERROR],
        at=now,
    )
    message.timeline.append(event)
    session.flush()
    return event


def claim_send(
    session: Session, public_id: str, *, provider: str, attempts: int, now: datetime
) -> bool:
    """Claim the outbound message ``public_id`` for one call to ``provider``; True if taken.

    Taken only if the message is still as the caller read it: queued, accepted by no provider,
    unclaimed, and with ``attempts`` attempts (so a run that read it before another run's
    attempt cannot repeat that attempt). One conditional UPDATE, atomic on SQLite and
    PostgreSQL alike: of two concurrent callers exactly one gets True. The caller commits it
    before calling the provider; ``record_attempt`` releases it.
    """
    now = as_utc(now, "now")
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Message)
            .where(
                Message.public_id == public_id,
                Message.direction == Direction.OUTBOUND,
                Message.status == MessageStatus.QUEUED,
                Message.provider_id.is_(None),
                Message.claimed_at.is_(None),
                Message.attempts == attempts,
            )
            .values(claimed_provider=provider, claimed_at=now, updated_at=now)
            .execution_options(synchronize_session="fetch")
        ),
    )
    return result.rowcount == 1


def apply_status(
    session: Session,
    *,
    provider: str,
    provider_id: str | None = None,
    public_id: str | None = None,
    status: str,
    error_code: str | None = None,
    cost: str | None = None,
    at: datetime,
) -> Message | None:
    """Apply a delivery receipt; None when no message matches.

    Every receipt is kept in the timeline. The status moves only forward by rank (a late
    ``sent`` never overwrites ``delivered``, a final state never goes back); a status word
    that is not canonical, or ``unknown``, is recorded and changes nothing else.
    """
    message = find_message(session, provider=provider, provider_id=provider_id, public_id=public_id)
    if message is None:
        return None
    at = as_utc(at, "at")
    known = _canonical(status)
    message.timeline.append(
        MessageEvent(
            kind=MessageEventKind.STATUS,
            status=(known.value if known else status)[:MAX_STATUS],
            provider=provider,
            provider_id=provider_id,
            error=None if error_code is None else error_code[:MAX_ERROR],
            at=at,
        )
    )
    if provider_id is not None and message.provider_id is None:
        message.provider, message.provider_id = provider, provider_id
    if cost is not None:
        message.cost = cost[:MAX_COST]
    if known is not None and known is not MessageStatus.UNKNOWN:
        if known.rank > message.status.rank:
            message.status = known
        if error_code is not None and known in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
            message.last_error = error_code[:MAX_ERROR]
    message.updated_at = max(message.updated_at, at)
    session.flush()
    return message


def set_opt_out(
    session: Session,
    vault: Vault,
    phone: str,
    opted_out: bool,
    *,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> Reporter:
    """Set or clear the opt-out for ``phone`` (STOP / START, carrier opt-out errors).

    The reporter row is found by phone hash or created; creating one stores no number.
    """
    phone_hash = vault.phone_hash(phone)
    reporter = session.scalars(
        select(Reporter).where(Reporter.phone_hash == phone_hash)
    ).one_or_none()
    if reporter is None:
        reporter = Reporter(
            phone_hash=phone_hash,
            language=language,
            opted_out=opted_out,
            created_at=as_utc(now, "now"),
        )
        session.add(reporter)
    reporter.opted_out = opted_out
    session.flush()
    return reporter


def _canonical(status: str) -> MessageStatus | None:
    try:
        return MessageStatus(status)
    except ValueError:
        return None
