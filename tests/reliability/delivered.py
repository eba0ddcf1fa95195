"""What the gateways stored, counted: the rows of every table, and the few the replay and race
tests hold to exactly one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from case_store.base import Base
from case_store.enums import Direction, MessagePurpose
from case_store.models import Case, Message, OutboxRow


def rows(db: Any) -> dict[str, int]:
    """The number of rows of every table."""
    with db() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def references(db: Any) -> list[str]:
    with db() as session:
        return list(session.scalars(select(Case.reference)))


def alerts(db: Any) -> int:
    with db() as session:
        query = select(func.count()).where(
            Message.direction == Direction.OUTBOUND, Message.purpose == MessagePurpose.ALERT
        )
        return session.scalar(query.select_from(Message)) or 0


def unqueued_messages(db: Any) -> int:
    """Outbound messages without their outbox row (each one is sent by its own job)."""
    with db() as session:
        query = select(func.count()).where(
            Message.direction == Direction.OUTBOUND, Message.outbox_id.is_(None)
        )
        return session.scalar(query.select_from(Message)) or 0


def outbox_rows(db: Any) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(OutboxRow)) or 0
