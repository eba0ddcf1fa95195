"""The follow-ups owed to reporters that are due (the writes: ``operations.follow_ups``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.models import Case


def follow_ups_due(session: Session, *, now: datetime, limit: int) -> list[int]:
    """The ids of cases whose follow-up is due at ``now``, longest waiting first."""
    return list(
        session.scalars(
            select(Case.id)
            .where(Case.follow_up_due_at.is_not(None), Case.follow_up_due_at <= as_utc(now, "now"))
            .order_by(Case.follow_up_due_at, Case.id)
            .limit(limit)
        )
    )
