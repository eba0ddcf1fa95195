"""Reads of the outbox: rows a crash left undispatched, for the sweeper."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.models import OutboxRow


def undispatched(
    session: Session, *, created_before: datetime, limit: int = 100
) -> list[OutboxRow]:
    """Rows never dispatched and older than ``created_before``, oldest first."""
    return list(
        session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.dispatched_at.is_(None),
                OutboxRow.created_at < as_utc(created_before, "created_before"),
            )
            .order_by(OutboxRow.created_at, OutboxRow.id)
            .limit(limit)
        )
    )
