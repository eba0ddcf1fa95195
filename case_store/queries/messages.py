"""Reads of the message log: a message by our id or the provider's, recent messages, the ones
no provider has accepted yet, and whether a number opted out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import Direction, MessageStatus
from case_store.models import Message, OutboxRow, Reporter

LIST_LIMIT = 100


def unsent_messages(
    session: Session, *, queued_before: datetime, limit: int = LIST_LIMIT
) -> list[tuple[Message, OutboxRow]]:
    """Outbound messages no provider has accepted, queued before ``queued_before`` (and, when
    claimed, claimed before it too), with the dispatched outbox row of their send job; oldest
    first. Messages whose row is not dispatched yet are the outbox sweep's."""
    before = as_utc(queued_before, "queued_before")
    rows = session.execute(
        select(Message, OutboxRow)
        .join(OutboxRow, Message.outbox_id == OutboxRow.id)
        .where(
            Message.status == MessageStatus.QUEUED,
            Message.provider_id.is_(None),
            Message.created_at < before,
            (Message.claimed_at.is_(None)) | (Message.claimed_at < before),
            OutboxRow.dispatched_at.is_not(None),
        )
        .order_by(Message.created_at, Message.id)
        .limit(limit)
    )
    return [(message, row) for message, row in rows]


def find_message(
    session: Session,
    *,
    provider: str | None = None,
    provider_id: str | None = None,
    public_id: str | None = None,
) -> Message | None:
    """By our id when given (it cannot race the provider's), else by provider and its id.

    An id of ours that matches nothing (a callback URL from another install, a mangled query
    string) falls back to the provider's id, so a receipt is not lost for it."""
    if public_id is not None:
        found = session.scalars(select(Message).where(Message.public_id == public_id)).first()
        if found is not None:
            return found
    if provider is None or provider_id is None:
        return None
    return session.scalars(
        select(Message)
        .where(Message.provider == provider, Message.provider_id == provider_id)
        .order_by(Message.id)
    ).first()


def list_messages(
    session: Session,
    *,
    since: datetime | None = None,
    direction: Direction | str | None = None,
    limit: int = LIST_LIMIT,
) -> list[Message]:
    """Recent messages, newest first."""
    query = select(Message)
    if since is not None:
        query = query.where(Message.created_at >= as_utc(since, "since"))
    if direction is not None:
        query = query.where(Message.direction == Direction(direction))
    return list(
        session.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit))
    )


def case_messages(session: Session, case_id: int) -> list[Message]:
    """Every message filed under the case, oldest first."""
    return list(
        session.scalars(select(Message).where(Message.case_id == case_id).order_by(Message.id))
    )


def is_opted_out(session: Session, vault: Vault, phone: str) -> bool:
    phone_hash = vault.phone_hash(phone)
    opted_out = session.scalar(select(Reporter.opted_out).where(Reporter.phone_hash == phone_hash))
    return bool(opted_out)
