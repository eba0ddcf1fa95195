"""The missed calls waiting for a call back, for the hotline's list."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from case_store.models import MissedCall

WAITING = 10


def waiting_missed_calls(session: Session, *, limit: int = WAITING) -> list[MissedCall]:
    """Open missed calls, longest waiting first (the partial index on open requests)."""
    return list(
        session.scalars(
            select(MissedCall)
            .where(MissedCall.closed_at.is_(None))
            .options(selectinload(MissedCall.reporter))
            .order_by(MissedCall.called_at, MissedCall.id)
            .limit(limit)
        )
    )


def find_missed_call(session: Session, missed_call_id: int) -> MissedCall | None:
    return session.get(MissedCall, missed_call_id)


def count_waiting_missed_calls(session: Session) -> int:
    """How many missed calls wait for a call back (the partial index on open requests)."""
    waiting = select(func.count()).where(MissedCall.closed_at.is_(None))
    return session.scalar(waiting) or 0
